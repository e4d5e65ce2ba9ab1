"""Vietnamese editors see the Wagtail admin in Vietnamese, also where Wagtail's own vi catalogue has gaps.

Django's own vi catalogue lacks the timesince units too ("3 hours" in "3 hours trước"). The gaps are
filled by locale/vi/LC_MESSAGES/django.po and djangojs.po (LOCALE_PATHS wins over the app catalogues);
these tests read the admin as an editor does and check the catalogue entries stay useful.
"""

import glob
import json
from datetime import timedelta
from pathlib import Path

import django
import polib
import pytest
import wagtail
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from exchange.accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LOCALE_VI = Path(settings.BASE_DIR) / "locale" / "vi" / "LC_MESSAGES"


@pytest.fixture
def editor(client):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    return client


def test_dashboard_in_vietnamese(editor):
    html = editor.get(reverse("wagtailadmin_home"), HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    for vietnamese in ("Tìm trong mọi trang…", "Đến nội dung chính", "Ẩn/hiện thanh bên", "Phím tắt"):
        assert vietnamese in html
    for english in ("Search all pages…", "Skip to main content", "Toggle sidebar", "Keyboard shortcuts"):
        assert english not in html


def test_listings_search_and_pagination_in_vietnamese(editor, home):
    html = editor.get(reverse("wagtailadmin_explore", args=[home.get_parent().pk])).content.decode()
    assert "Trang 1 / 1" in html and "Page 1 of 1" not in html
    images = editor.get(reverse("wagtailimages:index")).content.decode()
    assert 'placeholder="Tìm kiếm…"' in images and "Search…" not in images


def test_times_in_vietnamese():
    """The "just now" / "… ago" of Wagtail's activity lists (``timesince_simple``)."""
    from wagtail.admin.templatetags.wagtailadmin_tags import timesince_simple

    with translation.override("vi"):
        assert timesince_simple(timezone.now()) == "vừa xong"
        # Django keeps the number and its unit together with a no-break space.
        assert timesince_simple(timezone.now() - timedelta(hours=3, minutes=5)) == "3\xa0giờ trước"


def test_admin_javascript_strings_in_vietnamese(editor):
    script = editor.get(reverse("wagtailadmin_javascript_catalog")).content.decode()
    # Django writes the catalogue as ASCII-escaped JSON.
    assert f'"Collapse all": {json.dumps("Thu gọn tất cả")}' in script
    assert f'"Main menu": {json.dumps("Trình đơn chính")}' in script


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_vietnamese_entries_are_translated_wagtail_strings(domain):
    """Every entry is translated and names a real Wagtail (or Django) msgid: a typo would do nothing."""
    known = set()
    paths = glob.glob(f"{wagtail.__path__[0]}/**/locale/en/LC_MESSAGES/{domain}.po", recursive=True)
    paths += glob.glob(f"{django.__path__[0]}/conf/locale/en/LC_MESSAGES/{domain}.po")  # timesince units
    for path in paths:
        known.update(entry.msgid for entry in polib.pofile(path))
    catalogue = polib.pofile(str(LOCALE_VI / f"{domain}.po"))
    assert len(catalogue) > 50
    assert [e.msgid for e in catalogue if not e.translated() or "fuzzy" in e.flags] == []
    assert [e.msgid for e in catalogue if e.msgid not in known] == []

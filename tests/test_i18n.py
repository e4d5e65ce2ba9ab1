"""Vietnamese by default, English by switch: the same pages speak both languages."""

import polib
import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db


def test_english_catalogue_is_complete():
    catalogue = polib.pofile(str(settings.BASE_DIR / "locale" / "en" / "LC_MESSAGES" / "django.po"))
    missing = [e.msgid for e in catalogue if not e.obsolete and (not e.translated() or "fuzzy" in e.flags)]
    assert missing == []


@pytest.mark.parametrize(
    "path,vi,en",
    [
        ("listings/technologies/", "Công nghệ chào bán", "Technologies on offer"),
        ("accounts/login/", "Đăng nhập", "Log in"),
    ],
)
def test_pages_switch_language_by_prefix(client, path, vi, en):
    assert vi in client.get(f"/vi/{path}").content.decode()
    english = client.get(f"/en/{path}").content.decode()
    assert en in english
    assert 'hreflang="vi"' in english or path.startswith("accounts/")


def test_language_switch_keeps_the_page(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/vi/listings/technologies/"})
    assert response.status_code == 302
    assert response["Location"] == "/en/listings/technologies/"

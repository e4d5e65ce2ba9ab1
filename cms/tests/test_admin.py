"""Editors can open the add/edit forms of every page type, the navigation setting and the read-only
registration list; the statistics menu item is shown to staff only."""

import pytest
from django.contrib.auth.models import Permission

from cms.models import EventRegistration, NewsIndexPage, SectionIndexPage
from exchange.accounts.tests.factories import UserFactory

from .conftest import add

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    return client


@pytest.mark.parametrize(
    "model, parent",
    [
        ("standardpage", "home"),
        ("sectionindexpage", "home"),
        ("newsindexpage", "home"),
        ("eventindexpage", "home"),
        ("statisticspage", "home"),
        ("supportservicepage", "section"),
        ("documentlibrarypage", "section"),
        ("faqpage", "section"),
        ("contactpage", "section"),
        ("newsarticlepage", "news"),
    ],
)
def test_add_forms_render(superuser_client, home, model, parent):
    parents = {
        "home": home,
        "section": lambda: add(home, SectionIndexPage(title="Mục", slug="muc")),
        "news": lambda: add(home, NewsIndexPage(title="Tin", slug="tin")),
    }
    target = parents[parent] if parent == "home" else parents[parent]()
    response = superuser_client.get(f"/admin/pages/add/cms/{model}/{target.pk}/")
    assert response.status_code == 200


def test_event_edit_form_and_home_edit_form(superuser_client, home, make_event):
    event = make_event()
    assert superuser_client.get(f"/admin/pages/{event.pk}/edit/").status_code == 200
    assert superuser_client.get(f"/admin/pages/{home.pk}/edit/").status_code == 200


def test_navigation_setting_form(superuser_client):
    response = superuser_client.get("/admin/settings/cms/sitenavigation/")
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        assert superuser_client.get(response["Location"]).status_code == 200


def test_registration_list_is_read_only(superuser_client, make_event):
    event = make_event()
    EventRegistration.objects.create(event=event, name="Lan", email="lan@example.vn", status="confirmed")
    listing = superuser_client.get("/admin/snippets/cms/eventregistration/")
    assert listing.status_code == 200 and "lan@example.vn" in listing.content.decode()
    assert superuser_client.get("/admin/snippets/cms/eventregistration/add/").status_code in (302, 403)


def test_statistics_menu_item_for_staff_only(client):
    staff = UserFactory(roles=["staff"], is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(staff)
    assert "/admin/statistics/" in client.get("/admin/").content.decode()
    editor = UserFactory()
    editor.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(editor)
    assert "/admin/statistics/" not in client.get("/admin/").content.decode()


def test_editor_translation_workflow(superuser_client, i18n, home):
    from django.urls import reverse
    from wagtail.models import Locale

    from cms.models import HomePage

    english = Locale.objects.get(language_code="en")
    add(home, NewsIndexPage(title="Tin tức", slug="tin-tuc"))
    url = reverse("simple_translation:submit_page_translation", args=[home.pk])
    assert superuser_client.get(url).status_code == 200
    response = superuser_client.post(url, {"locales": [english.pk], "include_subtree": "on"})
    assert response.status_code == 302
    assert HomePage.objects.filter(locale=english).exists()
    assert NewsIndexPage.objects.filter(locale=english).exists()

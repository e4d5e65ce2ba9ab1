"""seed_demo's editorial content: complete, idempotent, translated, and every page renders."""

import pytest
from wagtail.models import Page

from cms.demo_pages import seed_pages
from cms.models import (
    EventPage,
    FaqPage,
    HomePage,
    NewsArticlePage,
    PolicyDocument,
    SiteNavigation,
    StatisticsPage,
    SupportServicePage,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("site_context")]


def test_seed_pages_is_complete_idempotent_and_translated(client, i18n):
    seed_pages()
    count = Page.objects.count()
    seed_pages()
    assert Page.objects.count() == count

    vi = {"locale__language_code": "vi"}
    assert NewsArticlePage.objects.filter(**vi).count() == 3
    events = EventPage.objects.filter(**vi)
    assert events.count() == 2 and all(e.registration_open() for e in events)
    assert {p.service_kind for p in SupportServicePage.objects.all()} >= {
        "consulting",
        "valuation",
        "legal_review",
    }
    assert FaqPage.objects.exists() and StatisticsPage.objects.exists()
    assert PolicyDocument.objects.count() == 4
    home = HomePage.objects.get(**vi)
    assert {block.block_type for block in home.content} >= {"counters", "featured_technologies", "cta"}
    en = {"locale__language_code": "en"}
    assert HomePage.objects.filter(**en).exists() and NewsArticlePage.objects.filter(**en).count() == 1
    assert EventPage.objects.filter(**en).count() == 2
    assert SiteNavigation.objects.get().menu_items.count() == 4

    for page in Page.objects.filter(depth__gt=1).live().specific():
        response = client.get(page.url)
        assert response.status_code == 200, page.url
    english_home = client.get("/en/").content.decode()
    assert "The exchange in numbers" in english_home and ">News</a>" in english_home
    assert "Sàn trong con số" in client.get("/vi/").content.decode()

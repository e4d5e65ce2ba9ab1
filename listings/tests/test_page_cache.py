"""Cached fragments of the public lists (listings.cache): cheaper when warm, never stale after a change,
never shared across languages or with query-specific content."""

import re

import pytest
from django import forms
from django.db import connection
from django.test.html import parse_html
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.translation import override

from exchange.accounts.tests.factories import OrganizationFactory
from listings.public_forms import FastSelect

from .factories import ListingFactory

pytestmark = pytest.mark.django_db


def _list_url(language="vi"):
    with override(language):
        return reverse("listings:technology_list")


def _get(client, path):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200
    return response.content.decode(), len(ctx.captured_queries)


def test_warm_list_runs_fewer_queries_and_a_change_shows_at_once(client):
    listing = ListingFactory(published=True, title_vi="Màng lọc nước thải")
    cold_html, cold = _get(client, _list_url())
    warm_html, warm = _get(client, _list_url())
    assert warm < cold and "Màng lọc nước thải" in warm_html
    listing.title_vi = "Màng lọc thế hệ mới"
    listing.save()
    html, _ = _get(client, _list_url())
    assert "Màng lọc thế hệ mới" in html and "Màng lọc nước thải" not in html


def test_new_organisation_appears_in_the_cached_filter_form(client):
    ListingFactory(published=True)
    client.get(_list_url())
    newcomer = OrganizationFactory(name="Viện Công nghệ Mới")
    ListingFactory(published=True, organization=newcomer)
    html, _ = _get(client, _list_url())
    assert f'<option value="{newcomer.ref}">Viện Công nghệ Mới</option>' in html


def test_languages_are_cached_apart(client):
    ListingFactory(published=True, title_vi="Cảm biến độ ẩm", title_en="Humidity sensor")
    assert "Cảm biến độ ẩm" in _get(client, _list_url("vi"))[0]
    english, _ = _get(client, _list_url("en"))
    assert "Humidity sensor" in english and "Tất cả tổ chức" not in english


def test_search_hits_keep_their_highlights_and_the_form_its_values(client):
    ListingFactory(published=True, title_vi="Cảm biến độ ẩm đất")
    client.get(_list_url())  # the card and the empty form are now cached
    html, _ = _get(client, _list_url() + "?q=cam+bien")
    assert "<mark>" in html
    assert 'name="q" value="cam bien"' in html


def test_fast_select_renders_like_django_select():
    choices = [("", "Tất cả"), ("a&b", "A <b>"), ("2", "Hai")]
    attrs = {"id": "f-x", "required": True, "aria-invalid": "true"}
    for value in (None, "", "a&b", "2", "missing"):
        ours = FastSelect(choices=choices).render("x", value, attrs=attrs)
        django = forms.Select(choices=choices).render("x", value, attrs=attrs)
        assert parse_html(ours) == parse_html(django)  # same elements and attributes, any order


def _card_titles(html: str) -> list[str]:
    """The titles of the cards shown, in order, without the highlights' tags."""
    found = re.findall(r'class="listing-title"><a [^>]*>(.*?)</a>', html)
    return [re.sub(r"<[^>]+>", "", title) for title in found]


def test_a_repeated_search_renders_from_the_cache_the_same_page(client):
    """The whole results part (facets, count, highlighted cards, pagination) is cached per query string
    and search answer: a repeat runs fewer queries and shows exactly the same HTML."""
    for i in range(3):
        ListingFactory(published=True, title_vi=f"Cảm biến độ ẩm đất {i}")
    path = _list_url() + "?q=cam+bien&trl_min=1"
    first, cold = _get(client, path)
    again, warm = _get(client, path)
    assert warm < cold
    token = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')  # the language switcher's, per request
    first, again = token.sub("", first), token.sub("", again)
    assert first == again and first.count("<mark>") >= 3 and "facet-count" in first
    assert 'name="q" value="cam bien"' in again


def test_cached_search_pages_follow_the_query_the_page_and_changes(client):
    """Another query, another page or a change of public data never shows a cached search page."""
    sensor = ListingFactory(published=True, title_vi="Cảm biến độ ẩm đất")
    ListingFactory(published=True, title_vi="Màng lọc nước thải")
    sensor_page, _ = _get(client, _list_url() + "?q=cam+bien")
    water_page, _ = _get(client, _list_url() + "?q=mang+loc")
    assert _card_titles(sensor_page)[0] == "Cảm biến độ ẩm đất"  # ranked first, as when rendered anew
    assert _card_titles(water_page)[0] == "Màng lọc nước thải"
    assert 'name="q" value="mang loc"' in water_page  # the bound form is cached per query string too
    sensor.organization.name = "Viện Cảm biến Mới"
    sensor.organization.save()
    renamed, _ = _get(client, _list_url() + "?q=cam+bien")
    assert "Viện Cảm biến Mới" in renamed


def test_a_search_that_is_not_cached_is_not_rendered_from_the_cache(client, settings):
    """With the search cache off (SEARCH_CACHE_SECONDS = 0) every search page loads and renders its
    hits anew (the cards' images are loaded only then)."""
    settings.SEARCH_CACHE_SECONDS = 0
    ListingFactory(published=True, title_vi="Cảm biến độ ẩm đất")
    path = _list_url() + "?q=cam+bien"
    for _ in range(2):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(path).status_code == 200
        assert any('FROM "listings_listingimage"' in q["sql"] for q in ctx.captured_queries)

"""Cached fragments of the public lists (listings.cache): cheaper when warm, never stale after a change,
never shared across languages or with query-specific content."""

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

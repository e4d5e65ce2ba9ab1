"""The database backend's result cache: repeated searches are answered without touching the search
index, and every index write (publish, unpublish, rebuild...) makes the cached answers unreachable at once.

Runs on SQLite and, in ``make test-postgresql``, on PostgreSQL (the generation table exists on both)."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from listings.lifecycle import ListingState
from listings.models import Listing
from listings.search import SearchQuery
from listings.search.database import ResultCache
from listings.services import listing_publish

pytestmark = pytest.mark.django_db


def facet(result, name):
    return {fv.value: fv.count for fv in result.facets[name]}


def index_queries(ctx) -> list[str]:
    """The statements of ``ctx`` that read the search index (matching, ranking, the facet pass)."""
    return [q["sql"] for q in ctx.captured_queries if "listings_search_fts" in q["sql"]]


def test_a_repeated_search_is_answered_from_the_cache(db_backend, corpus, places):
    corpus.add(title_vi="Máy lọc nước nhiễm mặn", province=places["hcm"])
    corpus.add(title_vi="Máy lọc nước giếng khoan", province=places["cantho"])
    corpus.sync()
    query = SearchQuery(q="may loc nuoc", facets=True)
    with CaptureQueriesContext(connection) as cold:
        first = db_backend.search(query)
    assert first.total == 2 and index_queries(cold)
    with CaptureQueriesContext(connection) as warm:
        second = db_backend.search(query)
    assert index_queries(warm) == []
    assert second == first  # same total, page, highlights and facets
    assert facet(second, "province") == {"79": 1, places["cantho"].code: 1}
    # Another page of the same query reuses the cached total and facets, computing only its page.
    with CaptureQueriesContext(connection) as other_page:
        paged = db_backend.search(SearchQuery(q="may loc nuoc", facets=True, page=2, page_size=1))
    assert paged.total == 2 and paged.facets == first.facets and len(paged.ids) == 1
    facet_pass = ("m AS MATERIALIZED", "GROUP BY")  # both vendors' facet statements; the page has neither
    assert not any(mark in sql for sql in index_queries(other_page) for mark in facet_pass)


def test_a_publish_changes_the_cached_counts_at_once(
    db_backend, corpus, people, make_listing, places, django_capture_on_commit_callbacks
):
    corpus.add(title_vi="Máy lọc nước nhiễm mặn", province=places["hcm"])
    corpus.sync()
    query = SearchQuery(q="loc nuoc", facets=True)
    before = db_backend.search(query)
    assert before.total == 1 and facet(before, "province") == {"79": 1}
    assert ResultCache(query.normalized(), ["loc", "nuoc"]).load()[1] is not None  # it is cached
    pending = make_listing(
        title_vi="Bộ lọc nước mặn", province=places["cantho"], state=ListingState.AWAITING_MODERATION
    )
    with django_capture_on_commit_callbacks(execute=True):
        listing_publish(actor=people.moderator, listing=pending)  # the hook reindexes after commit
    after = db_backend.search(query)
    assert after.total == 2
    assert pending.pk in after.ids
    assert facet(after, "province") == {"79": 1, places["cantho"].code: 1}
    with django_capture_on_commit_callbacks(execute=True):
        db_backend.remove([pending.pk])
    assert db_backend.search(query).total == 1


def test_every_index_write_changes_the_generation_and_a_rollback_restores_none(db_backend, corpus):
    listing = corpus.add(title_vi="Pin mặt trời")
    seen = {db_backend.generation()}
    for write in (
        lambda: db_backend.index([listing.pk]),
        lambda: db_backend.remove([listing.pk]),
        lambda: db_backend.rebuild(),
        lambda: db_backend.clear(),
    ):
        write()
        token = db_backend.generation()
        assert token not in seen
        seen.add(token)
    before = db_backend.generation()
    with pytest.raises(RuntimeError), transaction.atomic():
        db_backend.index([listing.pk])
        raise RuntimeError("boom")
    assert db_backend.generation() == before  # the write and its token went together


def test_a_cached_page_never_shows_a_listing_unpublished_behind_the_index(db_backend, corpus):
    a = corpus.add(title_vi="Pin mặt trời")
    b = corpus.add(title_vi="Pin nhiên liệu")
    corpus.sync()
    for q in ("pin", ""):
        assert set(db_backend.search(SearchQuery(q=q)).ids) == {a.pk, b.pk}
    Listing.objects.filter(pk=b.pk).update(state=ListingState.UNPUBLISHED)  # no hook, index unchanged
    for q in ("pin", ""):
        assert db_backend.search(SearchQuery(q=q)).ids == [a.pk]


def test_facet_labels_are_read_fresh_from_a_cached_answer(db_backend, corpus, orgs):
    corpus.add(title_vi="Cảm biến độ ẩm", organization=orgs["bk"])
    corpus.sync()
    query = SearchQuery(q="cam bien", facets=True)
    assert {fv.label for fv in db_backend.search(query).facets["organization"]} == {orgs["bk"].name}
    orgs["bk"].name = "Đại học Bách khoa TP.HCM"
    orgs["bk"].save()  # no reindex: the counts stay cached, the label does not
    assert {fv.label for fv in db_backend.search(query).facets["organization"]} == {
        "Đại học Bách khoa TP.HCM"
    }


def test_the_cache_can_be_switched_off(db_backend, corpus, settings):
    corpus.add(title_vi="Pin mặt trời")
    corpus.sync()
    settings.SEARCH_CACHE_SECONDS = 0
    query = SearchQuery(q="pin", facets=True)
    db_backend.search(query)
    with CaptureQueriesContext(connection) as again:
        db_backend.search(query)
    assert index_queries(again)
    assert ResultCache(query.normalized(), ["pin"]).load() == (None, None, None)

"""Indexing, reconcile, commands, fallback and the database backend's own guarantees."""

import io

import pytest
from django.core.management import call_command
from django.db import transaction

from listings.lifecycle import ListingState
from listings.models import Listing
from listings.search import SearchQuery, SearchResult, search_health, search_listings
from listings.search.base import get_backend, reset_backends
from listings.search.indexing import drift, queue_organization_reindex, reconcile, search_reconcile

pytestmark = pytest.mark.django_db


def test_reconcile_finds_and_repairs_missing_stale_and_orphans(db_backend, corpus, orgs):
    a = corpus.add(title_vi="Pin mặt trời", organization=orgs["bk"])
    b = corpus.add(title_vi="Pin nhiên liệu")
    c = corpus.add(title_vi="Pin lithium")
    db_backend.index([a.pk, b.pk])  # c missing
    Listing.objects.filter(pk=b.pk).update(state=ListingState.CLOSED)  # b orphan (no hook ran)
    a.organization.name = "Viện Năng lượng Mới"
    a.organization.save()  # a stale: its organisation renamed
    assert drift(db_backend) == {"published": 2, "indexed": 2, "missing": 1, "stale": 1, "orphans": 1}
    report = reconcile("database", batch=1)
    assert report["database"]["missing"] == 1
    assert drift(db_backend) == {"published": 2, "indexed": 2, "missing": 0, "stale": 0, "orphans": 0}
    assert [h.listing_id for h in db_backend.search(SearchQuery(q="nang luong moi")).hits] == [a.pk]
    assert {h.listing_id for h in db_backend.search(SearchQuery(q="pin")).hits} == {a.pk, c.pk}


def test_periodic_reconcile_task_runs(db_backend, corpus):
    corpus.add(title_vi="Pin mặt trời")
    report = search_reconcile.call_local()
    assert report["database"]["missing"] == 1
    assert db_backend.count() == 1


def test_organisation_rename_reindexes_its_listings(
    db_backend, corpus, orgs, django_capture_on_commit_callbacks
):
    listing = corpus.add(title_vi="Cảm biến", organization=orgs["bk"])
    corpus.sync()
    with django_capture_on_commit_callbacks(execute=True):
        orgs["bk"].name = "Đại học Quốc gia Thành phố"
        orgs["bk"].save()
        queue_organization_reindex(orgs["bk"].pk)
    assert [h.listing_id for h in db_backend.search(SearchQuery(q="quoc gia")).hits] == [listing.pk]
    assert db_backend.search(SearchQuery(q="bach khoa")).total == 0


def test_renaming_an_organisation_in_the_wagtail_admin_reindexes_its_listings(
    db_backend, corpus, orgs, client, django_capture_on_commit_callbacks
):
    from django.urls import reverse

    from exchange.accounts.tests.factories import staff_user
    from exchange.core.models import AuditLog

    listing = corpus.add(title_vi="Cảm biến độ mặn", organization=orgs["bk"])
    corpus.sync()
    client.force_login(staff_user())
    url = reverse("accounts_organizations:edit", args=[orgs["bk"].pk])
    form = client.get(url).context["form"]
    data = {name: "" if form[name].value() is None else form[name].value() for name in form.fields}
    data["name"] = "Đại học Quốc gia Thành phố"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    assert [h.listing_id for h in db_backend.search(SearchQuery(q="quoc gia")).hits] == [listing.pk]
    assert db_backend.search(SearchQuery(q="bach khoa")).total == 0
    entry = AuditLog.objects.get(action="organization.updated")
    assert entry.before == {"name": "Trường Đại học Bách khoa"}


def test_a_change_of_no_indexed_field_queues_no_reindex(db_backend, orgs, django_capture_on_commit_callbacks):
    from exchange.accounts.services import organization_update
    from exchange.accounts.tests.factories import staff_user

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        organization_update(actor=staff_user(), organization=orgs["bk"], changes={"phone": "028 3864 7256"})
    for callback in callbacks:  # the change hooks themselves
        with django_capture_on_commit_callbacks(execute=False) as queued:
            callback()
        assert queued == []


def test_rolled_back_publish_queues_nothing(
    db_backend, people, make_listing, django_capture_on_commit_callbacks
):
    from listings.services import listing_publish

    listing = make_listing(title_vi="Vắc-xin", state=ListingState.AWAITING_MODERATION)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                listing_publish(actor=people.moderator, listing=listing)
                raise RuntimeError("boom")
        except RuntimeError:
            pass
    assert callbacks == []
    assert db_backend.count() == 0


def test_search_never_returns_a_listing_no_longer_published_even_if_still_indexed(db_backend, corpus):
    listing = corpus.add(title_vi="Pin mặt trời")
    corpus.sync()
    Listing.objects.filter(pk=listing.pk).update(state=ListingState.UNPUBLISHED)  # index now stale
    assert db_backend.count() == 1
    result = db_backend.search(SearchQuery(q="pin", facets=True))
    assert result.total == 0 and result.hits == []
    assert all(not values for values in result.facets.values())
    assert db_backend.suggest("pin mat") == []


def test_rebuild_swaps_in_a_fresh_table(db_backend, corpus):
    a = corpus.add(title_vi="Pin mặt trời")
    corpus.add(title_vi="Bản nháp", published=False, state=ListingState.DRAFT)
    db_backend.index([999_999])  # nothing: not a listing
    seen = []
    assert db_backend.rebuild(progress=seen.append) == 1
    assert seen == [1]
    assert [h.listing_id for h in db_backend.search(SearchQuery(q="pin")).hits] == [a.pk]


def test_search_reindex_and_search_status_commands(db_backend, corpus):
    corpus.add(title_vi="Pin mặt trời")
    corpus.add(title_vi="Pin nhiên liệu")
    out = io.StringIO()
    call_command("search_status", stdout=out)
    assert "database: 2 published, 0 indexed; missing 2, stale 0, orphans 0" in out.getvalue()
    out = io.StringIO()
    call_command("search_reindex", "--no-progress", stdout=out, stderr=io.StringIO())
    assert "database: 2 documents indexed" in out.getvalue()
    out = io.StringIO()
    call_command("search_status", "--json", stdout=out)
    assert '"missing": 0' in out.getvalue()
    assert db_backend.count() == 2


# --- fallback --------------------------------------------------------------------------------------
class BrokenBackend:
    """Stands in for an unreachable Elasticsearch cluster."""

    name = "broken"

    def search(self, query):
        raise ConnectionError("cluster unreachable")

    def suggest(self, prefix, kind=None, limit=8, language="vi"):
        raise ConnectionError("cluster unreachable")

    def index(self, listing_ids):
        raise ConnectionError("cluster unreachable")

    def health(self):
        return {"ok": False, "backend": self.name, "error": "cluster unreachable"}


class WorkingBackend(BrokenBackend):
    name = "working"

    def search(self, query):
        return SearchResult(total=0)


@pytest.fixture
def broken_primary(db_backend, settings):
    settings.SEARCH_BACKENDS = {
        "broken": f"{__name__}.BrokenBackend",
        "working": f"{__name__}.WorkingBackend",
    }
    settings.SEARCH_BACKEND = "broken"
    reset_backends()
    yield
    reset_backends()


def test_search_falls_back_to_the_database_backend(broken_primary, corpus, caplog, settings):
    listing = corpus.add(title_vi="Pin mặt trời")
    get_backend("database").index([listing.pk])
    result = search_listings(SearchQuery(q="pin"))
    assert result.fallback is True and result.backend == "database"
    assert result.ids == [listing.pk]
    assert "answering from the database backend" in caplog.text
    health = search_health()
    assert health["last_search"]["ok"] is False and "unreachable" in health["last_search"]["error"]
    assert health["primary"]["ok"] is False and health["fallback"]["ok"] is True
    assert health["ok"] is True
    from listings.search.base import search_suggest

    assert search_suggest("pin mat") == [(listing.pk, "Pin mặt trời")]
    settings.SEARCH_BACKEND = "working"
    search_listings(SearchQuery(q="pin"))
    assert search_health()["last_search"]["ok"] is True


def test_fallback_can_be_switched_off(broken_primary, settings):
    settings.SEARCH_FALLBACK = False
    with pytest.raises(ConnectionError):
        search_listings(SearchQuery(q="pin"))


def test_index_task_updates_the_database_backend_and_raises_for_a_retry(broken_primary, corpus):
    from listings.search.indexing import search_index_listings

    listing = corpus.add(title_vi="Pin mặt trời")
    with pytest.raises(ConnectionError):
        search_index_listings.call_local([listing.pk])
    assert get_backend("database").count() == 1

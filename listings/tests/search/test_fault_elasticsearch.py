"""Fault test (issue #11): Elasticsearch goes down mid-test and comes back.

A real osmem-server is started for this test only (the session server of ``es_fixtures`` is shared and
must not be killed), the Elasticsearch backend is primary, and the server is killed with SIGKILL - no
goodbye, as a crashed node. While it is down: the site and the API answer searches from the database
backend (logged, and the health endpoint says so); a listing published by a moderator is published (the
request does not fail) and its index update waits in huey's schedule for a retry. The server is then
started again on the same port: the scheduled retry indexes the listing, and the hourly reconcile repairs
what the restart lost (osmem keeps its indices in memory, so this is the harder case of a node that came
back with an empty data volume; a real node with its data back needs only the retry). ``search_status``
then reports no drift, and searches are answered by Elasticsearch again.

Ports: osmem picks a free one at first start and is restarted on that same port (a fixed port would clash
between the two xdist workers of ``make test``).
"""

import datetime as dt
import io
import json
import uuid

import pytest
from django.core.management import call_command
from django.urls import reverse
from huey.contrib.djhuey import HUEY

from listings.lifecycle import ListingState
from listings.search import SearchQuery, search_listings
from listings.search.base import get_backend, reset_backends
from listings.search.indexing import drift, search_reconcile
from listings.services import listing_publish

from .es_fixtures import NODE_CLASS, EsServer, _unavailable, configure

pytestmark = pytest.mark.django_db


class RestartableOsmem:
    """An osmem-server process this test owns: ``kill()`` is SIGKILL, ``start()`` reuses the port."""

    def __init__(self):
        try:
            from osmem_server import OsmemServer
        except ImportError as exc:  # pragma: no cover - osmem-server is a test dependency
            _unavailable(f"osmem-server is not installed: {exc}")
        self._cls = OsmemServer
        self.addr = "127.0.0.1:0"
        self.server = None
        self.start()
        self.addr = self.server.url.split("://", 1)[1]  # the port it got, kept for the restart

    def start(self):
        try:
            self.server = self._cls.start(freeze=False, japanese=False, addr=self.addr)
        except Exception as exc:  # noqa: BLE001
            _unavailable(f"osmem-server did not start: {exc}")

    @property
    def url(self):
        return "http://" + self.addr

    def kill(self):
        self.server.process.kill()
        self.server.process.wait(timeout=10)

    def close(self):
        if self.server is not None:
            self.server.close()


@pytest.fixture
def osmem(settings):
    server = RestartableOsmem()
    configure(
        settings,
        EsServer(url=server.url, node_class=NODE_CLASS, engine="osmem"),
        f"fault-{uuid.uuid4().hex[:8]}",
    )
    settings.SEARCH_BACKEND = "elasticsearch"
    settings.ELASTICSEARCH_MAX_RETRIES = 0  # fail fast while down; huey's retry is the retry
    settings.ELASTICSEARCH_TIMEOUT = 3
    reset_backends()
    HUEY.storage.flush_schedule()  # the immediate-mode schedule is per process: start empty
    yield server
    HUEY.storage.flush_schedule()
    reset_backends()
    server.close()


def _run_due_retries(after_seconds: int) -> int:
    """What the worker's scheduler does ``after_seconds`` from now: run every task whose retry is due."""
    later = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(seconds=after_seconds)
    due = HUEY.read_schedule(later)
    for task in due:
        HUEY.execute(task, timestamp=later)  # at the scheduler's time (a failure is rescheduled from it)
    return len(due)


def _status() -> dict:
    out = io.StringIO()
    call_command("search_status", "--json", stdout=out)
    return json.loads(out.getvalue())


def test_elasticsearch_killed_searches_fall_back_updates_wait_and_the_index_catches_up(
    osmem, make_listing, people, client, caplog, django_capture_on_commit_callbacks
):
    es = get_backend("elasticsearch")
    before = [
        make_listing(title_vi=f"Máy lọc nước nhiễm mặn số {n}", state=ListingState.PUBLISHED)
        for n in range(3)
    ]
    # the factory indexes published listings into both backends, as the services' hook does
    call_command("search_reindex", "--no-progress", stdout=io.StringIO(), stderr=io.StringIO())
    assert es.count() == 3
    up = search_listings(SearchQuery(q="may loc nuoc"))
    assert up.backend == "elasticsearch" and not up.fallback and len(up.ids) == 3

    osmem.kill()

    # Searches: the site, the API and the service answer from the database backend, and say why.
    page = client.get(reverse("listings:technology_list"), {"q": "may loc nuoc"})
    assert page.status_code == 200
    assert "nhiễm mặn số 0" in page.content.decode()  # the title, its query words highlighted
    api = client.get("/api/v1/technologies/", {"q": "may loc nuoc"})
    assert api.status_code == 200 and api.json()["count"] == 3
    assert "answering from the database backend" in caplog.text
    down = search_listings(SearchQuery(q="may loc nuoc"))
    assert down.fallback is True and down.backend == "database" and len(down.ids) == 3
    client.force_login(people.staff)
    health = client.get("/health/search/").json()
    assert health["ok"] is True  # degraded, still answering
    assert health["primary"]["ok"] is False and health["fallback"]["ok"] is True
    assert health["last_search"]["ok"] is False and health["last_search"]["backend"] == "elasticsearch"

    # A moderator publishes while the cluster is down: the publish succeeds, the update waits for a retry.
    pending = make_listing(title_vi="Máy lọc nước biển mới", state=ListingState.AWAITING_MODERATION)
    with django_capture_on_commit_callbacks(execute=True):
        listing_publish(actor=people.moderator, listing=pending)
    pending.refresh_from_db()
    assert pending.state == ListingState.PUBLISHED
    scheduled = HUEY.scheduled()
    assert [t.name for t in scheduled] == ["search_index_listings"]
    assert scheduled[0].args == ([pending.pk],)
    # ... and the fallback already has it, so visitors find it while Elasticsearch is away
    assert pending.pk in search_listings(SearchQuery(q="may loc nuoc bien")).ids
    assert _run_due_retries(after_seconds=0) == 0  # not before its retry delay
    assert _run_due_retries(after_seconds=61) == 1  # still down: it fails again and is rescheduled
    (retry,) = HUEY.scheduled()
    assert retry.id == scheduled[0].id and retry.retries == scheduled[0].retries - 1  # tried, failed
    status = _status()
    assert "error" in status["backends"]["elasticsearch"]
    assert status["backends"]["database"]["missing"] == 0

    # The node comes back on the same port, with nothing in memory.
    osmem.start()
    reset_backends()
    assert _run_due_retries(after_seconds=61 * 2 + 1) == 1
    assert HUEY.scheduled() == []  # succeeded: not rescheduled
    es = get_backend("elasticsearch")
    assert [h.listing_id for h in es.search(SearchQuery(q="may loc nuoc bien")).hits][:1] == [pending.pk]
    lost = _status()["backends"]["elasticsearch"]
    assert lost == {"published": 4, "indexed": 1, "missing": 3, "stale": 0, "orphans": 0}

    report = search_reconcile.call_local()  # the hourly job
    assert report["elasticsearch"]["missing"] == 3
    status = _status()
    for name in ("elasticsearch", "database"):
        assert status["backends"][name] == {
            "published": 4,
            "indexed": 4,
            "missing": 0,
            "stale": 0,
            "orphans": 0,
        }
    assert es.count() == 4
    again = search_listings(SearchQuery(q="may loc nuoc"))
    assert again.backend == "elasticsearch" and not again.fallback
    assert set(again.ids) == {*(b.pk for b in before), pending.pk}
    health = client.get("/health/search/").json()
    assert health["primary"]["ok"] is True and health["last_search"]["ok"] is True
    # Running the reconcile again finds nothing to do (safe to repeat).
    assert search_reconcile.call_local()["elasticsearch"] == drift(es)
    assert drift(es)["missing"] == 0


def test_a_retry_that_runs_twice_indexes_once(
    osmem, make_listing, people, django_capture_on_commit_callbacks
):
    """A retry can race the reconcile or run twice after a worker restart: the index holds one document."""
    osmem.kill()
    listing = make_listing(title_vi="Cảm biến độ mặn", state=ListingState.AWAITING_MODERATION)
    with django_capture_on_commit_callbacks(execute=True):
        listing_publish(actor=people.moderator, listing=listing)
    (task,) = HUEY.scheduled()
    osmem.start()
    reset_backends()
    HUEY.execute(task)
    HUEY.execute(task)
    search_reconcile.call_local()
    es = get_backend("elasticsearch")
    assert es.count() == 1
    assert es.search(SearchQuery(q="cam bien")).ids == [listing.pk]

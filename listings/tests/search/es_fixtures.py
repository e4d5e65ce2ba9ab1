"""Fixtures for the Elasticsearch backend: a server, and a backend on a fresh index per test.

The server is a real Elasticsearch when ``ELASTICSEARCH_URL`` is set in the environment, else an
``osmem-server`` started here on a free localhost port (osmem quirks handled by ``osmem.OsmemNode``,
test code only). Without osmem the Elasticsearch tests are skipped - except with ``CI=true``, where
they fail. Import the fixtures into a test module:
``from .es_fixtures import es_backend_fixture, es_server_fixture``.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass

import pytest

from listings.search.base import get_backend, reset_backends

from .osmem import must_run

NODE_CLASS = "listings.tests.search.osmem.OsmemNode"


@dataclass
class EsServer:
    url: str
    node_class: str | None  # set for osmem only
    engine: str  # "osmem" or "elasticsearch"


def _unavailable(reason: str):
    if must_run():
        pytest.fail(f"Elasticsearch tests cannot run (CI=true): {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session", name="es_server")
def es_server_fixture():
    url = os.environ.get("ELASTICSEARCH_URL")
    if url:
        yield EsServer(
            url=url, node_class=os.environ.get("ELASTICSEARCH_NODE_CLASS") or None, engine="elasticsearch"
        )
        return
    try:
        from osmem_server import OsmemServer
    except ImportError as exc:  # pragma: no cover - osmem-server is a dev dependency
        _unavailable(f"osmem-server is not installed: {exc}")
    try:
        server = OsmemServer.start(freeze=False, japanese=False, addr="127.0.0.1:0")
    except Exception as exc:  # noqa: BLE001 - a broken binary, a sandbox without sockets...
        _unavailable(f"osmem-server did not start: {exc}")
    try:
        yield EsServer(url=server.url, node_class=NODE_CLASS, engine="osmem")
    finally:
        server.close()


def configure(settings, server: EsServer, alias: str) -> None:
    settings.ELASTICSEARCH_URL = server.url
    settings.ELASTICSEARCH_INDEX = alias
    settings.ELASTICSEARCH_NODE_CLASS = server.node_class
    settings.ELASTICSEARCH_REFRESH = True  # tests read right after writing
    settings.ELASTICSEARCH_TIMEOUT = 10
    settings.ELASTICSEARCH_REPLICAS = 0


@pytest.fixture(name="es_backend")
def es_backend_fixture(es_server, settings, db):
    """The Elasticsearch backend as the primary backend, on an empty index of its own (deleted after)."""
    configure(settings, es_server, f"test-listings-{uuid.uuid4().hex[:12]}")
    settings.SEARCH_BACKEND = "elasticsearch"
    reset_backends()
    backend = get_backend("elasticsearch")
    backend.ensure_index()
    yield backend
    try:
        backend.delete_all()
    finally:
        reset_backends()

"""What the Elasticsearch backend does beyond the contract: its mapping and analysis, exact diacritics,
typo tolerance, suggestions anywhere in a title, the zero-downtime rebuild, reconcile, staying out of
the way of unpublished listings, and the fallback to the database backend when the cluster is down.

Runs on osmem-server (started by the fixture) or a real Elasticsearch (``ELASTICSEARCH_URL``).
"""

import socket

import pytest
from elastic_transport import Urllib3HttpNode

from listings.lifecycle import ListingState
from listings.search import SearchQuery, search_listings
from listings.search.base import SearchError, get_backend, reset_backends, search_health, search_suggest
from listings.search.elasticsearch import TEXT_FIELDS, ElasticsearchBackend
from listings.search.indexing import drift, search_index_listings

from .es_fixtures import es_backend_fixture, es_server_fixture  # noqa: F401 - fixtures
from .test_contract import ids

pytestmark = pytest.mark.django_db


@pytest.fixture
def backend(es_backend):
    return es_backend


@pytest.fixture
def add(corpus):
    return corpus.add


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- mapping and analysis ------------------------------------------------------------------------------
def test_every_text_field_has_the_folding_analyzer_and_an_exact_twin(backend):
    index = backend.ensure_index()
    props = backend.client.indices.get_mapping(index=index)[index]["mappings"]["properties"]
    for name in TEXT_FIELDS:
        assert props[name]["type"] == "text", name
        assert props[name]["analyzer"] == "vi_folded", name
        assert props[name]["fields"]["exact"]["analyzer"] == "vi_exact", name
    assert props["title_suggest"]["type"] == "search_as_you_type"
    for name in (
        "field_codes",
        "transaction_types",
        "ip_types",
        "province",
        "organization",
        "price_bands",
        "kind",
    ):
        assert props[name]["type"] == "keyword", name


def test_analyzers_fold_vietnamese_and_keep_the_exact_form(backend):
    index = backend.ensure_index()

    def tokens(analyzer, text):
        body = backend.client.indices.analyze(index=index, analyzer=analyzer, text=text)
        return [t["token"] for t in body["tokens"]]

    assert tokens("vi_folded", "ĐẠI HỌC Công nghệ xử lý nước thải") == [
        "dai",
        "hoc",
        "cong",
        "nghe",
        "xu",
        "ly",
        "nuoc",
        "thai",
    ]
    assert tokens("vi_exact", "Đại HỌC") == ["đại", "học"]


def test_exact_diacritics_rank_higher(backend, add, corpus):
    long_ = add(title_vi="Ống dẫn dài")
    ocean = add(title_vi="Ống dẫn đại")
    corpus.sync()
    assert ids(backend.search(SearchQuery(q="ống dẫn dài"))) == [long_.pk, ocean.pk]
    assert ids(backend.search(SearchQuery(q="ống dẫn đại"))) == [ocean.pk, long_.pk]
    assert set(ids(backend.search(SearchQuery(q="ong dan dai")))) == {long_.pk, ocean.pk}


# --- typo tolerance and suggestions -------------------------------------------------------------------
def test_typos_in_longer_words_are_forgiven(backend, add, corpus):
    hit = add(title_vi="Xử lý nước thải dệt nhuộm", title_en="Textile dyeing wastewater treatment")
    add(title_vi="Nuôi tôm công nghệ cao")
    corpus.sync()
    assert ids(backend.search(SearchQuery(q="wastewatr"))) == [hit.pk]
    assert ids(backend.search(SearchQuery(q="wastewatr treatmnet"))) == [hit.pk]
    result = backend.search(SearchQuery(q="textle"))
    assert ids(result) == [hit.pk]
    assert "<mark>Textile</mark>" in result.hits[0].highlights["title"]
    # short (Vietnamese) syllables are matched exactly: 'nuoc' must not find 'nuôi'
    assert ids(backend.search(SearchQuery(q="nuoc"))) == [hit.pk]


def test_suggest_matches_words_anywhere_in_the_title(backend, add, corpus):
    hit = add(title_vi="Công nghệ xử lý nước thải", title_en="Wastewater treatment")
    add(title_vi="Nước mắm Phú Quốc", kind="request")
    corpus.sync()
    assert backend.suggest("nuoc th") == [(hit.pk, "Công nghệ xử lý nước thải")]
    assert backend.suggest("waste", language="en") == [(hit.pk, "Wastewater treatment")]
    assert [i for i, _ in backend.suggest("nuoc", kind="offer")] == [hit.pk]
    assert len(backend.suggest("nuoc")) == 2
    assert search_suggest("nuoc th") == [(hit.pk, "Công nghệ xử lý nước thải")]


# --- only published listings --------------------------------------------------------------------------
def test_a_listing_unpublished_behind_the_index_back_is_not_returned(backend, add, corpus):
    keep = add(title_vi="Pin natri ion")
    gone = add(title_vi="Pin natri ion thế hệ mới")
    corpus.sync()
    gone.state = ListingState.UNPUBLISHED
    gone.save()  # no reindex: the index still holds it
    result = backend.search(SearchQuery(q="pin natri"))
    assert ids(result) == [keep.pk]
    assert result.total == 1
    assert backend.suggest("pin na") == [(keep.pk, "Pin natri ion")]


def test_reconcile_repairs_the_elasticsearch_index(backend, add, corpus):
    a = add(title_vi="Thiết bị A")
    b = add(title_vi="Thiết bị B")
    c = add(title_vi="Thiết bị C")
    corpus.sync()
    backend.remove([a.pk])
    c.state = ListingState.CLOSED
    c.save()
    b.title_vi = "Thiết bị B đã sửa"
    b.version += 1
    b.save()
    assert drift(backend) == {"published": 2, "indexed": 2, "missing": 1, "stale": 1, "orphans": 1}
    drift(backend, repair=True)
    assert drift(backend) == {"published": 2, "indexed": 2, "missing": 0, "stale": 0, "orphans": 0}
    assert ids(backend.search(SearchQuery(q="da sua"))) == [b.pk]


# --- rebuild: a new index, the alias swapped, no downtime ----------------------------------------------
def test_rebuild_swaps_the_alias_and_answers_throughout(backend, add, corpus, monkeypatch):
    import listings.search.elasticsearch as es_module

    monkeypatch.setattr(es_module, "BATCH", 2)
    # lowest id: the rebuild's first batch passes it while still a draft
    late = add(title_vi="Máy đo độ mặn đời mới", published=False, state=ListingState.DRAFT)
    made = [add(title_vi=f"Máy đo độ mặn số {n}") for n in range(5)]
    corpus.sync()
    old_index = backend.ensure_index()
    seen_during = []

    def progress(done):
        # mid-rebuild: the alias still points to the old, complete index
        seen_during.append((done, backend.search(SearchQuery(q="may do do man", page_size=50)).total))
        if len(seen_during) == 1:  # published during the rebuild, behind it: reaches the new index too
            late.state = ListingState.PUBLISHED
            late.save()
            backend.index([late.pk])

    assert backend.rebuild(progress=progress) == 5
    assert [done for done, _ in seen_during] == [2, 2, 1]
    assert all(total >= 5 for _, total in seen_during)
    new_index = backend.ensure_index()
    assert new_index != old_index
    assert backend._aliased(backend.alias) == [new_index]
    assert not backend.client.indices.exists(index=old_index)
    assert backend._aliased(backend.rebuild_alias) == []
    assert backend.count() == 6
    assert set(ids(backend.search(SearchQuery(q="may do do man", page_size=50)))) == {m.pk for m in made} | {
        late.pk
    }


def test_a_failed_rebuild_leaves_the_live_index_alone(backend, add, corpus):
    hit = add(title_vi="Cảm biến độ mặn")
    corpus.sync()
    live = backend.ensure_index()

    def boom(done):
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        backend.rebuild(progress=boom)
    assert backend.ensure_index() == live
    assert backend._aliased(backend.rebuild_alias) == []
    assert ids(backend.search(SearchQuery(q="cam bien"))) == [hit.pk]


def test_search_reindex_command_rebuilds_elasticsearch(backend, add, corpus):
    from io import StringIO

    from django.core.management import call_command

    add(title_vi="Chế phẩm vi sinh")
    add(title_vi="Chế phẩm sinh học")
    before = backend.ensure_index()
    out = StringIO()
    call_command(
        "search_reindex", "--backend", "elasticsearch", "--no-progress", stdout=out, stderr=StringIO()
    )
    assert "elasticsearch: 2 documents indexed" in out.getvalue()
    assert backend.ensure_index() != before
    assert backend.search(SearchQuery(q="che pham")).total == 2


# --- the cluster down: searches fall back, updates are retried -----------------------------------------
def test_search_falls_back_to_the_database_when_elasticsearch_is_down(backend, add, corpus, settings):
    hit = add(title_vi="Nhà kính thông minh")
    corpus.sync()
    get_backend("database").index([hit.pk])  # the fallback index is kept current by the indexing tasks
    settings.ELASTICSEARCH_URL = f"http://127.0.0.1:{_closed_port()}"
    settings.ELASTICSEARCH_MAX_RETRIES = 0
    reset_backends()
    down = get_backend("elasticsearch")
    with pytest.raises(SearchError):
        down.search(SearchQuery(q="nha kinh"))
    result = search_listings(SearchQuery(q="nha kinh", facets=True))
    assert ids(result) == [hit.pk]
    assert result.fallback is True and result.backend == "database"
    assert search_suggest("nha ki") == [(hit.pk, "Nhà kính thông minh")]
    health = search_health()
    assert health["primary"]["ok"] is False and health["fallback"]["ok"] is True
    assert health["last_search"]["ok"] is False and health["ok"] is True


def test_index_updates_raise_while_down_so_the_task_is_retried(backend, add, corpus, settings, es_server):
    listing = add(title_vi="Vắc-xin thủy sản")
    live_url = settings.ELASTICSEARCH_URL
    settings.ELASTICSEARCH_URL = f"http://127.0.0.1:{_closed_port()}"
    settings.ELASTICSEARCH_MAX_RETRIES = 0
    reset_backends()
    with pytest.raises(Exception):  # noqa: B017, PT011 - huey retries on any exception
        search_index_listings.call_local([listing.pk])
    # the database fallback got the update even though Elasticsearch failed
    assert ids(get_backend("database").search(SearchQuery(q="vac xin"))) == [listing.pk]
    settings.ELASTICSEARCH_URL = live_url  # the cluster is back; huey's retry runs the task again
    reset_backends()
    search_index_listings.call_local([listing.pk])
    assert ids(get_backend("elasticsearch").search(SearchQuery(q="vac xin"))) == [listing.pk]


def test_health_reports_the_index(backend, add, corpus):
    add(title_vi="Máy sấy")
    corpus.sync()
    health = backend.health()
    assert health["ok"] is True
    assert health["documents"] == 1 and health["index"].startswith(backend.alias + "-")
    backend.delete_all()
    health = backend.health()
    assert health["ok"] is False and "search_reindex" in health["error"]


# --- the osmem workarounds live in the tests only -------------------------------------------------------
def test_node_class_is_a_test_setting_only(backend, es_server, settings):
    from exchange.settings import base

    assert getattr(base, "ELASTICSEARCH_NODE_CLASS", None) is None
    plain = ElasticsearchBackend(url=es_server.url, alias=backend.alias)
    del settings.ELASTICSEARCH_NODE_CLASS
    node = plain.client.transport.node_pool.get()
    assert type(node) is Urllib3HttpNode
    if es_server.engine == "osmem":  # the quirk the test node class exists for
        with pytest.raises(SearchError):
            plain.search(SearchQuery(q="x"))
    else:
        assert plain.search(SearchQuery(q="x")).total == 0


def test_searches_are_built_without_document_search(backend):
    """``Document.search()`` of the 9.x DSL adds ``_source: {"exclude_vectors": false}``; the backend
    builds ``Search`` objects itself so the request carries nothing osmem or older servers reject."""
    assert "_source" not in backend._search().to_dict()

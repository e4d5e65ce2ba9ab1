"""The search contract suite, unchanged, against the Elasticsearch backend (osmem-server, or a real
Elasticsearch when ``ELASTICSEARCH_URL`` is set; see docs/search-elasticsearch.md).

The tests are imported from ``test_contract``; only the ``backend`` fixture differs.
"""

import pytest

from listings.tests.search.test_contract import *  # noqa: F403 - the same tests, run here again

from .es_fixtures import es_backend_fixture, es_server_fixture  # noqa: F401 - fixtures


@pytest.fixture
def backend(es_backend):
    return es_backend

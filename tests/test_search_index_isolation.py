"""The database search backend's tables are not Django models, so Django's flush after a transactional
test leaves them alone. The root conftest empties them after such tests; this runs two transactional
tests in order in a pytest of its own (one process, so the order is certain; pytest-django runs the
non-transactional tests first anyway) to prove the second starts with an empty index."""

import shutil
from pathlib import Path

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent

INNER = """
import pytest

from listings.models import ListingState
from listings.search.database import DatabaseBackend
from listings.tests.factories import ListingFactory


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_indexes_listings():
    ListingFactory.create_batch(3, state=ListingState.PUBLISHED)
    assert DatabaseBackend().count() == 3


@pytest.mark.django_db(transaction=True)
def test_the_next_test_starts_with_an_empty_index():
    assert DatabaseBackend().count() == 0
"""


def test_a_transactional_tests_index_rows_do_not_reach_the_next_test(pytester, monkeypatch):
    shutil.copy(ROOT / "conftest.py", pytester.path / "conftest.py")
    pytester.makepyfile(test_inner=INNER)
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    # Its own SQLite test database: under PostgreSQL it would otherwise share the outer run's test
    # database name (and drop it) when that run has no xdist suffix.
    monkeypatch.delenv("DATABASE_URL", raising=False)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-p", "no:xdist", "--ds=exchange.settings.test", "-q", "-p", "no:randomly"
    )
    result.assert_outcomes(passed=2)

"""Fixtures shared by every app's tests."""

import pytest


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Each test writes uploaded files to its own folders."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private"), "base_url": None},
        },
    }


@pytest.fixture(scope="session", autouse=True)
def _compiled_translations():
    """The English UI comes from locale/en; compile it so tests see what users see (polib, no gettext)."""
    from django.core.management import call_command

    call_command("compiletranslations", verbosity=0)


@pytest.fixture(autouse=True)
def _vietnamese_by_default():
    """A request under /en/ leaves English active on the thread; every test starts in Vietnamese."""
    from django.utils import translation

    translation.activate("vi")
    yield
    translation.activate("vi")


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache (rate-limit counters, health state, throttles)."""
    from django.core.cache import cache

    cache.clear()
    yield


def _is_transactional(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    if marker and (marker.kwargs.get("transaction") or marker.kwargs.get("serialized_rollback")):
        return True
    transactional = {"transactional_db", "live_server", "django_db_serialized_rollback"}
    return bool(transactional & set(request.fixturenames))


@pytest.fixture(autouse=True)
def _empty_search_index_after_transactional_tests(request, django_db_blocker):
    """A transactional test ends with Django flushing its models' tables, but the database search
    backend's own tables (FTS5 on SQLite, the tsvector table on PostgreSQL, their side tables) are not
    models, so the rows that test indexed would stay and show up in the next test's searches and counts.
    Empty them after every such test."""
    yield
    if not _is_transactional(request):
        return
    from listings.search.database import DatabaseBackend

    with django_db_blocker.unblock():
        if DatabaseBackend.available():
            DatabaseBackend().clear()

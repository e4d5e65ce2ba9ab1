"""Fixtures shared by the project-wide tests."""

import pytest
from rest_framework.test import APIClient


@pytest.fixture(scope="module")
def schema(django_db_setup, django_db_blocker):
    """The partner API's OpenAPI schema as served at /api/schema/ (JSON), once per module."""
    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()

import pytest

from exchange.accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_search_health_public_status_and_staff_details(client, settings):
    settings.SEARCH_BACKEND = "database"
    response = client.get("/health/search/")
    assert response.status_code == 200
    assert set(response.json()) == {"ok", "backend"}
    client.force_login(UserFactory(roles=["staff"]))
    assert "primary" in client.get("/health/search/").json()


def test_search_health_degraded_when_elasticsearch_is_down_and_fallback_answers(client, settings):
    settings.SEARCH_BACKEND = "elasticsearch"
    settings.ELASTICSEARCH_URL = "http://127.0.0.1:9"  # nothing listens on the discard port
    client.force_login(UserFactory(roles=["staff"]))
    body = client.get("/health/search/").json()
    assert body["primary"]["ok"] is False
    assert body["fallback"]["ok"] is True
    assert body["ok"] is True

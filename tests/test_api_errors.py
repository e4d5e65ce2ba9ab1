"""Errors under /api/ are JSON ``{"detail": …}`` even when no DRF view answers (issue #11, fuzzing).

Schemathesis found that a path no pattern can route (an id with a newline: even the API's catch-all
``NotFoundView`` does not match it) got Django's HTML 404 page. ``exchange.errors`` is wired as Django's
``handler400/403/404/500``: JSON under /api/, the site's HTML pages elsewhere.
"""

import json

import pytest
from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.test import Client, RequestFactory

from exchange import errors
from exchange.accounts.tests.factories import UserFactory
from exchange.core.tests.db_faults import fail_on

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/v1/deals/a%0Ab/complete/"),  # the fuzzer's case: an id no route matches
        ("get", "/api/v1/deals/1%0A"),
        ("delete", "/api/v1/%0A/"),
    ],
)
def test_an_unroutable_api_path_answers_a_json_404(client, method, path):
    response = getattr(client, method)(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Không tìm thấy."}


def test_the_json_404_speaks_english_when_asked(client):
    response = client.get("/api/v1/deals/1%0A", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_the_site_keeps_its_html_404(client):
    response = client.get("/vi/khong-co-trang-nay%0A/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_server_error_in_the_api_answers_json_500():
    """A real database error in a DRF view (DRF re-raises it) reaches handler500: JSON, not the HTML page."""
    cache.clear()  # the token endpoint's throttle
    user = UserFactory()
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    client = Client(raise_request_exception=False)
    body = {"email": user.email, "password": "s3cret-pass-123"}
    user.set_password(body["password"])
    user.save()
    with fail_on("accounts_apitoken"):
        response = client.post("/api/v1/auth/token/", body, content_type="application/json")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Lỗi máy chủ; vui lòng thử lại sau."}
    cache.clear()


def test_a_suspicious_request_to_the_api_answers_json_400(client, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    response = client.get("/api/v1/technologies/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Yêu cầu không hợp lệ."}
    english = client.get("/api/v1/technologies/", HTTP_HOST="evil.example", HTTP_ACCEPT_LANGUAGE="en")
    assert english.json() == {"detail": "Invalid request."}
    site = client.get("/vi/", HTTP_HOST="evil.example")
    assert site.status_code == 400
    assert site["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    ("handler", "args", "status"),
    [
        (errors.permission_denied, (Exception(),), 403),
        (errors.server_error, (), 500),
    ],
)
def test_the_handlers_keep_html_outside_the_api_and_json_inside(handler, args, status):
    site = handler(RequestFactory().get("/vi/portal/"), *args)
    assert site.status_code == status and site["Content-Type"].startswith("text/html")
    api = handler(RequestFactory().get("/api/v1/deals/"), *args)
    assert api.status_code == status and api["Content-Type"] == "application/json"
    assert set(json.loads(api.content)) == {"detail"}

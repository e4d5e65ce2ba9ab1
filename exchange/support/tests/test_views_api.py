"""Portal pages and the API: who sees what; third parties see nothing of a request by any URL."""

import pytest
from django.urls import reverse

from exchange.support.lifecycle import RequestState
from exchange.support.models import ServiceRequest

from .conftest import tomorrow

pytestmark = pytest.mark.django_db


def test_requester_creates_and_lists(client, p):
    client.force_login(p.requester)
    assert client.get(reverse("support:create")).status_code == 200
    response = client.post(
        reverse("support:create"),
        {"kind": "registration_assistance", "organization": p.org.pk, "description": "Hỗ trợ đăng ký"},
    )
    request = ServiceRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == request.get_absolute_url()
    page = client.get(reverse("support:list")).content.decode()
    assert f"DV-{request.pk}" in page and "Dịch vụ hỗ trợ" in page


def test_anonymous_redirected(client, p, flow):
    request = flow.new()
    for url in (reverse("support:list"), reverse("support:create"), request.get_absolute_url()):
        assert client.get(url).status_code == 302


@pytest.mark.parametrize("who", ["third", "stranger", "colleague", "broker", "appraiser"])
def test_third_parties_see_nothing(client, p, flow, who):
    request = flow.quoted()
    client.force_login(p[who])
    assert client.get(request.get_absolute_url()).status_code == 404
    for action in ("accept_quote", "quote", "cancel", "start"):
        assert client.post(reverse("support:action", args=[request.pk, action])).status_code == 404
    assert f"DV-{request.pk}" not in client.get(reverse("support:list")).content.decode()
    assert client.get(reverse("support:queue")).status_code == 403
    assert client.get(f"/api/v1/support/requests/{request.pk}/").status_code == 404
    assert client.get("/api/v1/support/requests/").json()["count"] == 0


def test_staff_queue_and_quote_through_views(client, p, flow):
    request = flow.new()
    client.force_login(p.staff)
    page = client.get(reverse("support:queue")).content.decode()
    assert f"DV-{request.pk}" in page
    client.post(
        reverse("support:action", args=[request.pk, "quote"]),
        {
            "amount_vnd": 5_000_000,
            "vat_percent": "8",
            "description": "Gói",
            "valid_until": tomorrow().isoformat(),
        },
    )
    request.refresh_from_db()
    assert request.state == RequestState.QUOTED
    quote = request.quotes.get()
    client.force_login(p.org_signatory)
    assert "Chấp nhận báo giá" in client.get(request.get_absolute_url()).content.decode()
    client.post(reverse("support:action", args=[request.pk, "accept_quote"]), {"quote": quote.pk})
    request.refresh_from_db()
    assert request.state == RequestState.ACCEPTED


def test_requester_cannot_quote_through_views(client, p, flow):
    request = flow.new()
    client.force_login(p.requester)
    client.post(
        reverse("support:action", args=[request.pk, "quote"]),
        {"amount_vnd": 1, "vat_percent": "0", "description": "x", "valid_until": tomorrow().isoformat()},
    )
    request.refresh_from_db()
    assert request.state == RequestState.NEW


# --- API --------------------------------------------------------------------------------------------------
def test_api_flow(client, p):
    base = "/api/v1/support/requests/"
    client.force_login(p.requester)
    response = client.post(
        base,
        {"kind": "valuation", "description": "Định giá sáng chế", "organization": p.org.pk},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    assert client.get(base).json()["count"] == 1
    # the requester may not quote
    quote_body = {"amount_vnd": 20_000_000, "description": "Định giá", "valid_until": tomorrow().isoformat()}
    assert client.post(f"{base}{pk}/quote/", quote_body, content_type="application/json").status_code == 403
    client.force_login(p.staff)
    response = client.post(
        f"{base}{pk}/assign/", {"assignee": p.appraiser.pk}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["assignee"] == p.appraiser.pk
    client.force_login(p.appraiser)
    response = client.post(f"{base}{pk}/quote/", quote_body, content_type="application/json")
    assert response.status_code == 201 and response.json()["total_vnd"] == 22_000_000
    quote_id = response.json()["id"]
    assert (
        client.post(f"{base}{pk}/accept/", {"quote": quote_id}, content_type="application/json").status_code
        == 403
    )
    assert client.post(f"{base}{pk}/deliver/", {}, content_type="application/json").status_code == 409
    client.force_login(p.requester)
    response = client.post(f"{base}{pk}/accept/", {"quote": quote_id}, content_type="application/json")
    assert response.status_code == 200 and response.json()["state"] == "accepted"
    assert response.json()["quotes"][0]["accepted_at"]
    client.force_login(p.third)
    assert client.post(f"{base}{pk}/cancel/", {}, content_type="application/json").status_code == 404
    client.logout()
    assert client.get(base).status_code in (401, 403)


def test_api_create_with_foreign_organization_refused(client, p):
    client.force_login(p.third)
    response = client.post(
        "/api/v1/support/requests/",
        {"kind": "consulting", "description": "x", "organization": p.org.pk},
        content_type="application/json",
    )
    assert response.status_code == 400


def test_openapi_documents_support_endpoints():
    from types import SimpleNamespace

    from django.urls import include, path
    from drf_spectacular.generators import SchemaGenerator

    urlconf = SimpleNamespace(urlpatterns=[path("api/v1/", include("exchange.support.api_urls"))])
    paths = SchemaGenerator(urlconf=urlconf).get_schema(request=None, public=True)["paths"]
    for suffix in ("", "{id}/", "{id}/quote/", "{id}/accept/", "{id}/start/", "{id}/deliver/"):
        assert f"/api/v1/support/requests/{suffix}" in paths, suffix

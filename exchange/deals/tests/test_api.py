"""The deal flow through the API, with 404 for third parties, 403/409 for refusals, and a schema."""

import pytest
from django.urls import include, path
from rest_framework.test import APIClient

from exchange.deals.lifecycle import DealState
from exchange.deals.models import Deal

from .conftest import PASSWORD, TERMS

pytestmark = [pytest.mark.django_db, pytest.mark.urls("exchange.deals.tests.api_urls")]
BASE = "/api/v1/deals/"


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_whole_flow_through_the_api(p, nda):
    r = api(p.buyer).post(
        BASE, {"listing": p.listing.pk, "organization": p.buyer_org.pk, "message": "Quan tâm"}, format="json"
    )
    assert r.status_code == 201, r.content
    pk = r.json()["id"]
    url = f"{BASE}{pk}/"
    assert (
        api(p.researcher).post(url + "accept/", {"nda_template": nda.pk}, format="json").json()["state"]
        == "nda_pending"
    )
    assert (
        api(p.buyer).post(url + "accept-nda/", {"text_sha256": nda.sha256}, format="json").json()["state"]
        == "negotiating"
    )
    assert api(p.buyer).post(url + "messages/", {"body": "Xin tài liệu"}, format="json").status_code == 201
    assert len(api(p.researcher).get(url + "messages/").json()) == 2
    terms = {**TERMS, "milestones": [{"label": "Pilot", "amount_vnd": 200_000_000, "due": "2027-06-30"}]}
    r = api(p.researcher).post(url + "terms/", terms, format="json")
    assert r.status_code == 201, r.content
    r = api(p.buyer).post(url + "terms/", {**terms, "term_months": 24}, format="json")
    v2 = r.json()
    assert [c["field"] for c in v2["changes"]] == ["term_months"]
    assert (
        api(p.researcher).post(url + "accept-terms/", {"term_sheet": v2["id"]}, format="json").json()["state"]
        == "terms_agreed"
    )
    r = api(p.researcher).post(url + "contract/", {"language": "vi"}, format="json")
    assert r.status_code == 201 and r.json()["integrity_ok"]
    assert api(p.buyer).post(url + "sign/", {"password": PASSWORD}, format="json").status_code == 403
    assert api(p.buyer_signatory).post(url + "sign/", {"password": "wrong"}, format="json").status_code == 400
    assert (
        api(p.buyer_signatory).post(url + "sign/", {"password": PASSWORD}, format="json").json()["state"]
        == "contract_ready"
    )
    assert (
        api(p.seller_signatory).post(url + "sign/", {"password": PASSWORD}, format="json").json()["state"]
        == "signed"
    )
    r = api(p.buyer).post(url + "terms/", terms, format="json")
    assert r.status_code == 409 and r.json()["code"] == "wrong_state"
    contract = api(p.buyer).get(url + "contract/").json()
    assert len([sig for sig in contract["signatures"] if not sig["voided_at"]]) == 2
    assert api(p.buyer).post(url + "start-execution/").json()["state"] == "executing"
    assert (
        api(p.researcher).post(url + "complete/", {"final_value_vnd": 1}, format="json").json()["value_vnd"]
        == 1
    )
    assert Deal.objects.get(pk=pk).state == DealState.COMPLETED


def test_third_party_sees_nothing_through_the_api(p, flow):
    deal = flow.contract_ready()
    client = api(p.third)
    assert client.get(BASE).json()["count"] == 0
    for suffix in ("", "messages/", "terms/", "contract/"):
        assert client.get(f"{BASE}{deal.pk}/{suffix}").status_code == 404
    for suffix in ("accept/", "cancel/", "sign/", "terms/", "messages/", "assign-broker/"):
        assert client.post(f"{BASE}{deal.pk}/{suffix}", {}, format="json").status_code == 404
    assert APIClient().get(BASE).status_code in (401, 403)


def test_schema_documents_the_deal_endpoints(settings):
    from drf_spectacular.generators import SchemaGenerator

    from exchange.deals import api_urls

    urlconf = type("U", (), {"urlpatterns": [path("api/v1/", include(api_urls))]})
    schema = SchemaGenerator(urlconf=urlconf).get_schema(request=None, public=True)
    paths = schema["paths"]
    for expected in (
        "/api/v1/deals/",
        "/api/v1/deals/{id}/sign/",
        "/api/v1/deals/{id}/terms/",
        "/api/v1/deals/{id}/accept-nda/",
    ):
        assert expected in paths


def test_too_many_messages_answer_429_with_retry_after(p, flow, settings):
    settings.RATE_LIMITS = {"deal_message": "2/600"}
    deal = flow.negotiating()
    url = f"/api/v1/deals/{deal.pk}/messages/"
    codes = [api(p.buyer).post(url, {"body": f"m{n}"}, format="json").status_code for n in range(3)]
    assert codes == [201, 201, 429]
    response = api(p.buyer).post(url, {"body": "again"}, format="json")
    assert response.status_code == 429 and 0 < int(response["Retry-After"]) <= 600
    assert deal.messages.filter(body="again").count() == 0

"""The open calculator and saved valuations through the API: answers, 400s naming the input, throttling,
the schema, and who may see and change which valuation."""

import pytest
from rest_framework.test import APIClient

from valuation.models import Valuation

pytestmark = [pytest.mark.django_db]
CALC = "/api/v1/valuations/calculate/"
BASE = "/api/v1/valuations/"


def api(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_anonymous_calculation_point_and_range():
    body = {
        "method": "relief_from_royalty",
        "inputs": {
            "revenues": [1_000_000_000, 1_200_000_000],
            "royalty_rate": 0.05,
            "tax_rate": 0.2,
            "discount_rate": 0.1,
        },
    }
    r = api().post(CALC, body, format="json")
    assert r.status_code == 200, r.content
    assert r.json()["value"] == round(40e6 / 1.1 + 48e6 / 1.21)
    assert "range" not in r.json()
    body["inputs"]["royalty_rate"] = {"min": 0.03, "mode": 0.05, "max": 0.08}
    body["draws"] = 2_000
    r = api().post(CALC, body, format="json")
    data = r.json()
    assert set(data["range"]) == {"p10", "p50", "p90"}
    assert data["simulation"]["draws"] == 2_000
    assert api().post(CALC, body, format="json").json()["range"] == data["range"]  # same request, same answer


def test_rule_25_answer_shape():
    r = api().post(
        CALC, {"method": "rule_25", "inputs": {"revenue": 4e9, "operating_margin": 0.2}}, format="json"
    )
    assert r.json()["value"] == 200_000_000 and r.json()["details"]["royalty_rate"] == 0.05


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ({"method": "dcf", "inputs": {"cash_flows": [], "discount_rate": 0.1}}, "inputs.cash_flows"),
        ({"method": "dcf", "inputs": {"cash_flows": [1], "discount_rate": 2}}, "inputs.discount_rate"),
        (
            {
                "method": "relief_from_royalty",
                "inputs": {"revenues": [1, "x"], "royalty_rate": 0.1, "tax_rate": 0.2, "discount_rate": 0.1},
            },
            "inputs.revenues[1]",
        ),
        (
            {"method": "cost", "inputs": {"costs": [{"amount": 1, "year": 2030}], "valuation_year": 2026}},
            "inputs.costs[0].year",
        ),
        (
            {"method": "rnpv", "inputs": {"cash_flows": [1], "discount_rate": 0.1}},
            "inputs.success_probabilities",
        ),
        ({"method": "magic", "inputs": {}}, "method"),
        ({"method": "dcf"}, "inputs"),
        (
            {
                "method": "dcf",
                "inputs": {"cash_flows": [{"min": 1, "max": 2}], "discount_rate": 0.1},
                "draws": 200_000,
            },
            "draws",
        ),
    ],
)
def test_invalid_input_is_a_400_naming_it(body, key):
    r = api().post(CALC, body, format="json")
    assert r.status_code == 400
    assert key in r.json(), r.json()


def test_market_over_the_exchange_comparables(p):
    from valuation.services import comparable_create

    for value in (1_000_000_000, 3_000_000_000, 2_000_000_000):
        comparable_create(actor=p.appraiser, title="So sánh", value_vnd=value, year=2025, trl=6)
    r = api().post(CALC, {"method": "market", "inputs": {"trl_min": 5, "trl_max": 7}}, format="json")
    assert r.status_code == 200 and r.json()["value"] == 2_000_000_000


def test_calculator_is_throttled(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"valuation": "2/min"}}
    body = {"method": "rule_25", "inputs": {"revenue": 1, "operating_margin": 0.1}}
    assert [api().post(CALC, body, format="json").status_code for _ in range(3)] == [200, 200, 429]


def test_schema_documents_the_calculator():
    from drf_spectacular.generators import SchemaGenerator

    from exchange.api_urls import schema_urlconf

    schema = SchemaGenerator(urlconf=schema_urlconf).get_schema(request=None, public=True)
    assert "/api/v1/valuations/calculate/" in schema["paths"]
    assert "/api/v1/valuations/{id}/versions/" in schema["paths"]


# --- saved valuations -------------------------------------------------------------------------------------


def test_saving_needs_an_account():
    assert api().get(BASE).status_code in (401, 403)
    assert api().post(BASE, {"title": "x", "methods": ["dcf"]}, format="json").status_code in (401, 403)


def test_owner_crud_and_versions(p):
    client = api(p.owner)
    r = client.post(
        BASE,
        {
            "title": "API",
            "methods": ["rule_25"],
            "inputs": {"rule_25": {"revenue": 1e9, "operating_margin": 0.2}},
        },
        format="json",
    )
    assert r.status_code == 201, r.content
    pk = r.json()["id"]
    assert r.json()["results"]["methods"]["rule_25"]["value"] == 50_000_000
    assert r.json()["organization"] == p.org.pk
    assert {v["id"] for v in client.get(BASE).json()["results"]} >= {pk, p.valuation.pk}
    r = client.patch(
        f"{BASE}{pk}/", {"inputs": {"rule_25": {"revenue": 2e9, "operating_margin": 0.2}}}, format="json"
    )
    assert r.json()["results"]["methods"]["rule_25"]["value"] == 100_000_000
    r = client.post(f"{BASE}{pk}/versions/", {"note": "đầu tiên"}, format="json")
    assert r.status_code == 201 and r.json()["number"] == 1
    assert [v["number"] for v in client.get(f"{BASE}{pk}/versions/").json()] == [1]
    assert client.delete(f"{BASE}{pk}/").status_code == 204
    assert not Valuation.objects.filter(pk=pk).exists()


def test_listing_must_be_the_users_own(p):
    r = api(p.stranger).post(BASE, {"title": "x", "methods": ["dcf"], "listing": p.listing.pk}, format="json")
    assert r.status_code == 400 and "listing" in r.json()


def test_others_cannot_see_or_change_a_valuation(p):
    url = f"{BASE}{p.valuation.pk}/"
    for user in (p.other, p.stranger, p.other_appraiser):
        assert api(user).get(url).status_code == 404
        assert api(user).patch(url, {"title": "x"}, format="json").status_code == 404
        assert api(user).delete(url).status_code == 404
        assert p.valuation.pk not in {v["id"] for v in api(user).get(BASE).json()["results"]}


def test_assigned_appraiser_may_edit_but_not_delete_and_staff_only_read(p):
    url = f"{BASE}{p.valuation.pk}/"
    assert api(p.appraiser).patch(url, {"title": "Thẩm định"}, format="json").status_code == 200
    assert api(p.appraiser).delete(url).status_code == 403
    assert api(p.staff).get(url).status_code == 200
    assert api(p.staff).patch(url, {"title": "x"}, format="json").status_code == 403
    assert api(p.staff).post(f"{url}versions/", {}, format="json").status_code == 403

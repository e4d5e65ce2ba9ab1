"""Comparables from deals completed on the exchange (#6): only completed deals both sides consented to,
anonymised, beside appraiser-entered comparables in the market approach and on the comparables page."""

import pytest
from django.urls import reverse

from exchange.deals import services as deal_services
from exchange.deals.tests.conftest import TERMS, flow, nda, p  # noqa: F401 - fixtures
from valuation import selectors, services
from valuation.models import Comparable

pytestmark = pytest.mark.django_db


def _complete(p, flow, value):  # noqa: F811
    deal = flow.executing()
    deal_services.deal_complete(actor=p.researcher, deal=deal, final_value_vnd=value)
    return deal


def _consent(p, deal):  # noqa: F811
    deal_services.deal_consent_comparable(actor=p.buyer_signatory, deal=deal)
    deal_services.deal_consent_comparable(actor=p.seller_signatory, deal=deal)


def test_only_completed_and_both_consented(p, flow):  # noqa: F811
    both = _complete(p, flow, 650_000_000)
    _consent(p, both)
    one_side = _complete(p, flow, 700_000_000)
    deal_services.deal_consent_comparable(actor=p.buyer_signatory, deal=one_side)
    open_deal = flow.executing()
    _consent(p, open_deal)
    rows = selectors.deal_comparables_matching()
    assert [r.value_vnd for r in rows] == [650_000_000]
    row = rows[0]
    assert row.trl == p.listing.trl and row.transaction_type == TERMS["transaction_type"]
    assert row.year == both.completed_at.year and str(row.source) == "Giao dịch trên sàn"
    assert row.key == selectors.deal_comparable_key(both.pk) and str(both.pk) not in row.key[1:2]
    # Filters apply in the database.
    assert selectors.deal_comparables_matching(trl_min=(p.listing.trl or 0) + 1) == []
    assert selectors.deal_comparables_matching(transaction_type="other-type") == []


def test_market_approach_and_pages_include_them(client, p, flow, django_assert_max_num_queries):  # noqa: F811
    for value in (600_000_000, 800_000_000):
        _consent(p, _complete(p, flow, value))
    Comparable.objects.create(title="Li-xăng tương tự", value_vnd=1_000_000_000, year=2024)
    inputs = services.market_engine_inputs({})
    labels = [c["label"] for c in inputs["comparables"]]
    assert len(labels) == 3 and sum("Giao dịch trên sàn" in label for label in labels) == 2
    result = services.run_methods(methods=["market"], inputs={"market": {}})
    assert result["methods"]["market"]["value"] == 800_000_000  # median of the three

    user = p.researcher
    client.force_login(user)
    with django_assert_max_num_queries(25):
        page = client.get(reverse("valuation:comparables")).content.decode()
    assert page.count("Giao dịch trên sàn") >= 3 and "Li-xăng tương tự" in page
    assert "600.000.000" in page and "800.000.000" in page
    # No per-row queries: the page costs the same with more deal comparables.
    with django_assert_max_num_queries(25) as counted:
        client.get(reverse("valuation:comparables"))
    before = len(counted.captured_queries)
    _consent(p, _complete(p, flow, 900_000_000))
    with django_assert_max_num_queries(25) as counted:
        client.get(reverse("valuation:comparables"))
    assert len(counted.captured_queries) == before

    valuation = services.valuation_create(actor=user, title="Thử", methods=["market"])
    page = client.get(reverse("valuation:detail", args=[valuation.pk])).content.decode()
    assert "Giao dịch trên sàn" in page and selectors.deal_comparable_key(1)[:1] == "g"


def test_anonymous_calculator_gets_the_estimate_but_no_comparable_rows(p, flow):  # noqa: F811
    """The open calculator answers anonymous callers with the count and the median only: no labels,
    values or years of appraiser-entered or consented deal comparables, no low/high (each one
    comparable's adjusted value), and adjustments naming rows they cannot see are ignored."""
    from rest_framework.test import APIClient

    for value in (600_000_000, 800_000_000):
        _consent(p, _complete(p, flow, value))
    entered = Comparable.objects.create(title="Li-xăng bí danh", value_vnd=1_000_000_000, year=2019)
    body = {"method": "market", "inputs": {"adjustments": {str(entered.pk): {"size": 2.0}}}}
    r = APIClient().post("/api/v1/valuations/calculate/", body, format="json")
    assert r.status_code == 200, r.json()
    answer = r.json()
    assert answer["value"] == 800_000_000  # median of 600M, 800M, 1,000M (the adjustment is ignored)
    assert answer["details"]["count"] == 3 and answer["details"]["comparables_hidden"] is True
    assert "comparables" not in answer["details"] and "low" not in answer["details"]
    text = r.content.decode()
    leaks = ("Li-xăng bí danh", f"#{entered.pk}", "Giao dịch trên sàn", "600000000", "1000000000", "2019")
    for leak in leaks:
        assert leak not in text, leak
    # The caller's own comparables are theirs: echoed back in full, anonymous or not.
    own = {"comparables": [{"label": "Của tôi", "value": 5_000_000, "year": 2024}]}
    body = {"method": "market", "inputs": own}
    mine = APIClient().post("/api/v1/valuations/calculate/", body, format="json")
    assert mine.json()["details"]["comparables"][0]["label"] == "Của tôi"


def test_signed_in_calculator_lists_comparables_as_the_comparables_page(p, flow):  # noqa: F811
    from rest_framework.test import APIClient

    _consent(p, _complete(p, flow, 600_000_000))
    entered = Comparable.objects.create(title="Li-xăng tương tự", value_vnd=1_000_000_000, year=2019)
    client = APIClient()
    client.force_authenticate(p.researcher)
    body = {"method": "market", "inputs": {"adjustments": {str(entered.pk): {"size": 0.5}}}}
    answer = client.post("/api/v1/valuations/calculate/", body, format="json").json()
    rows = {row["label"]: row for row in answer["details"]["comparables"]}
    assert rows[f"#{entered.pk} Li-xăng tương tự"]["value"] == 1_000_000_000
    assert rows[f"#{entered.pk} Li-xăng tương tự"]["adjusted_value"] == 1_500_000_000  # adjustment applies
    deal_label = next(label for label in rows if "Giao dịch trên sàn" in label)
    assert rows[deal_label]["value"] == 600_000_000 and answer["details"]["count"] == 2
    assert answer["details"]["low"] == 600_000_000 and answer["details"]["high"] == 1_500_000_000


def test_anonymous_calculator_refuses_to_estimate_from_fewer_than_three_comparables(p, flow):  # noqa: F811
    """Narrowing the filters down to one or two matches would make the median one comparable's value."""
    from rest_framework.test import APIClient

    _consent(p, _complete(p, flow, 700_000_000))
    Comparable.objects.create(title="Li-xăng duy nhất", value_vnd=1_000_000_000, year=2019)
    r = APIClient().post("/api/v1/valuations/calculate/", {"method": "market", "inputs": {}}, format="json")
    assert r.status_code == 400, r.content
    text = r.content.decode()
    assert "700000000" not in text and "1000000000" not in text
    client = APIClient()
    client.force_authenticate(p.researcher)
    body = {"method": "market", "inputs": {}}
    signed_in = client.post("/api/v1/valuations/calculate/", body, format="json")
    assert signed_in.status_code == 200 and signed_in.json()["details"]["count"] == 2

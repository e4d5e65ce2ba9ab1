"""Each method against a worked example computed by hand here, edge cases, and the Monte Carlo."""

import numpy as np
import pytest

from valuation import engine
from valuation.engine import ValidationError, calculate

# --- relief from royalty ----------------------------------------------------------------------------------


def test_relief_from_royalty_worked_example():
    # Revenues 1.0, 1.2, 1.5 bn; royalty 5 %; tax 20 %; discount 10 %, end of year.
    # After-tax royalty: 40 000 000, 48 000 000, 60 000 000.
    # PV: 40e6/1.1 = 36 363 636.36; 48e6/1.21 = 39 669 421.49; 60e6/1.331 = 45 078 888.05
    expected = 40e6 / 1.1 + 48e6 / 1.1**2 + 60e6 / 1.1**3  # 121 111 945.9
    result = engine.relief_from_royalty([1_000_000_000, 1_200_000_000, 1_500_000_000], 0.05, 0.2, 0.1)
    assert result["value"] == round(expected) == 121_111_946
    assert [row["after_tax"] for row in result["details"]["years"]] == [40_000_000, 48_000_000, 60_000_000]
    assert result["details"]["years"][0]["present_value"] == 36_363_636


def test_relief_from_royalty_mid_year():
    # One year of 1 bn × 10 % × (1 − 0.2) = 80 000 000, discounted half a year at 21 %: 80e6 / 1.1 exactly.
    result = engine.relief_from_royalty([1_000_000_000], 0.1, 0.2, 0.21, mid_year=True)
    assert result["value"] == round(80e6 / 1.1) == 72_727_273


def test_horizon_capped_by_protection_term():
    # 5 years offered, protection ends in 2029 with 2027 as year one → 3 years counted.
    result = engine.relief_from_royalty([1e9] * 5, 0.05, 0.0, 0.0, start_year=2027, protection_end_year=2029)
    assert result["value"] == 150_000_000  # 3 × 50 000 000, no tax, no discount
    assert result["details"]["horizon_years"] == 3
    assert result["details"]["truncated_years"] == 2
    assert [row["year"] for row in result["details"]["years"]] == [2027, 2028, 2029]


def test_protection_needs_start_year_and_must_not_have_ended():
    with pytest.raises(ValidationError) as exc:
        engine.relief_from_royalty([1e9], 0.05, 0.2, 0.1, protection_end_year=2030)
    assert exc.value.input == "start_year"
    with pytest.raises(ValidationError) as exc:
        engine.relief_from_royalty([1e9], 0.05, 0.2, 0.1, start_year=2030, protection_end_year=2029)
    assert exc.value.input == "protection_end_year"


# --- DCF and rNPV -----------------------------------------------------------------------------------------


def test_dcf_with_negative_first_year():
    # −500 m, 300 m, 400 m at 10 %: −454 545 454.5 + 247 933 884.3 + 300 525 920.4 = 93 914 350.2
    result = engine.dcf([-500_000_000, 300_000_000, 400_000_000], 0.1)
    assert result["value"] == round(-500e6 / 1.1 + 300e6 / 1.21 + 400e6 / 1.331) == 93_914_350


def test_dcf_all_negative_is_a_negative_value_not_an_error():
    assert engine.dcf([-100, -100], 0.0)["value"] == -200


def test_rnpv_with_user_probabilities():
    # 1 bn each year, p = 0.5 then 0.25, discount 0: 500 m + 250 m.
    result = engine.rnpv([1e9, 1e9], 0.0, success_probabilities=[0.5, 0.25])
    assert result["value"] == 750_000_000
    assert result["details"]["probability_source"] == "user"


def test_rnpv_from_trl_counts_spending_in_full():
    # TRL 6 → 0.45. −200 m certain, +1 bn × 0.45 = 450 m; at 0 % discount: 250 m.
    result = engine.rnpv([-200_000_000, 1_000_000_000], 0.0, trl=6)
    assert engine.TRL_SUCCESS_PROBABILITY[6] == 0.45
    assert result["value"] == 250_000_000
    assert [row["probability"] for row in result["details"]["years"]] == [1.0, 0.45]


def test_rnpv_needs_probabilities_or_trl_and_one_per_year():
    with pytest.raises(ValidationError) as exc:
        engine.rnpv([1e9], 0.1)
    assert exc.value.input == "success_probabilities"
    with pytest.raises(ValidationError) as exc:
        engine.rnpv([1e9, 1e9], 0.1, success_probabilities=[0.5])
    assert exc.value.code == "mismatch"
    with pytest.raises(ValidationError) as exc:
        engine.rnpv([1e9], 0.1, trl=10)
    assert exc.value.input == "trl"


# --- rule of 25 % -----------------------------------------------------------------------------------------


def test_rule_25():
    # Licensee's margin 20 % → royalty rate 5 %; on 10 bn revenue: 500 m a year.
    result = calculate("rule_25", {"revenue": 10_000_000_000, "operating_margin": 0.2})
    assert result["value"] == 500_000_000
    assert result["details"]["royalty_rate"] == 0.05


# --- cost -------------------------------------------------------------------------------------------------


def test_cost_worked_example():
    # 100 m in 2023, 200 m in 2025, valued in 2025 at 10 %/yr index: 100 × 1.21 + 200 = 321 m.
    # Margin 20 % → 385.2 m. Obsolescence 10 % functional, 50 % technological, 0 economic → × 0.45.
    result = engine.cost(
        [{"amount": 100_000_000, "year": 2023}, {"amount": 200_000_000, "year": 2025}],
        2025,
        index_rate=0.1,
        margin=0.2,
        obsolescence={"functional": 0.1, "technological": 0.5},
    )
    assert result["details"]["reproduction_cost"] == 321_000_000
    assert result["details"]["with_margin"] == 385_200_000
    assert result["value"] == round(385_200_000 * 0.9 * 0.5) == 173_340_000


def test_cost_single_obsolescence_fraction_and_future_cost_rejected():
    assert engine.cost([{"amount": 1000, "year": 2020}], 2020, obsolescence=0.25)["value"] == 750
    with pytest.raises(ValidationError) as exc:
        engine.cost([{"amount": 1000, "year": 2027}], 2026)
    assert exc.value.input == "costs[0].year"
    with pytest.raises(ValidationError) as exc:
        engine.cost([{"amount": 1000, "year": 2020}], 2026, obsolescence={"moral": 0.1})
    assert exc.value.input == "obsolescence.moral"


# --- market -----------------------------------------------------------------------------------------------


def test_market_adjusted_median():
    # A: 1 bn from 2024 brought to 2026 at 5 % → 1.1025 bn, +10 % TRL, −20 % size → × 0.88 = 970.2 m
    # B: 2 bn (2026), no adjustment → 2 bn;  C: 500 m (2026), +100 % exclusivity → 1 bn
    # median of 970.2 m, 2 bn, 1 bn = 1 bn; low 970.2 m, high 2 bn
    result = engine.market(
        [
            {"label": "A", "value": 1e9, "year": 2024, "adjustments": {"trl": 0.1, "size": -0.2}},
            {"label": "B", "value": 2e9, "year": 2026},
            {"label": "C", "value": 5e8, "year": 2026, "adjustments": {"exclusivity": 1.0}},
        ],
        index_rate=0.05,
        valuation_year=2026,
    )
    assert result["value"] == 1_000_000_000
    assert result["details"]["comparables"][0]["adjusted_value"] == round(1e9 * 1.05**2 * 1.1 * 0.8)
    assert result["details"]["low"] == 970_200_000
    assert result["details"]["high"] == 2_000_000_000


# --- scoring ----------------------------------------------------------------------------------------------


def test_scoring_profile():
    result = calculate(
        "scoring",
        {"scores": {"legal": {"protection_status": 5, "scope": 3}, "market": {"demand": 2}}},
    )
    details = result["details"]
    assert result["value"] is None
    assert details["categories"]["legal"] == 4.0 and details["categories"]["market"] == 2.0
    assert details["categories"]["finance"] is None
    assert details["overall"] == 3.0  # (4 + 2) / 2: categories weigh the same
    assert [i["factor"] for i in details["opportunities"]] == ["protection_status"]
    assert [i["factor"] for i in details["risks"]] == ["demand"]
    with pytest.raises(ValidationError) as exc:
        calculate("scoring", {"scores": {"legal": {"scope": 6}}})
    assert exc.value.input == "scores.legal.scope"


# --- edge cases -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "inputs", "name", "code"),
    [
        (
            "relief_from_royalty",
            {"revenues": [], "royalty_rate": 0.05, "tax_rate": 0.2, "discount_rate": 0.1},
            "revenues",
            "empty",
        ),
        (
            "relief_from_royalty",
            {"royalty_rate": 0.05, "tax_rate": 0.2, "discount_rate": 0.1},
            "revenues",
            "required",
        ),
        (
            "relief_from_royalty",
            {"revenues": [1e9, -1], "royalty_rate": 0.05, "tax_rate": 0.2, "discount_rate": 0.1},
            "revenues[1]",
            "out_of_range",
        ),
        (
            "relief_from_royalty",
            {"revenues": [1e9], "royalty_rate": 1.5, "tax_rate": 0.2, "discount_rate": 0.1},
            "royalty_rate",
            "out_of_range",
        ),
        (
            "relief_from_royalty",
            {"revenues": [1e9], "royalty_rate": 0.05, "tax_rate": 0.2, "discount_rate": -0.1},
            "discount_rate",
            "out_of_range",
        ),
        (
            "relief_from_royalty",
            {"revenues": [1e9], "royalty_rate": "abc", "tax_rate": 0.2, "discount_rate": 0.1},
            "royalty_rate",
            "not_number",
        ),
        (
            "relief_from_royalty",
            {"revenues": "1e9", "royalty_rate": 0.05, "tax_rate": 0.2, "discount_rate": 0.1},
            "revenues",
            "not_list",
        ),
        (
            "dcf",
            {"cash_flows": [1e9], "discount_rate": {"min": 0.2, "max": 0.1}},
            "discount_rate",
            "bad_range",
        ),
        (
            "dcf",
            {"cash_flows": [1e9], "discount_rate": {"min": 0.1, "mode": 0.3, "max": 0.2}},
            "discount_rate",
            "bad_range",
        ),
        (
            "dcf",
            {"cash_flows": [1e9], "discount_rate": {"min": 0.1, "max": 1.2}},
            "discount_rate.max",
            "out_of_range",
        ),
        ("dcf", {"cash_flows": [float("nan")], "discount_rate": 0.1}, "cash_flows[0]", "not_number"),
        ("cost", {"costs": [], "valuation_year": 2026}, "costs", "empty"),
        ("market", {"comparables": []}, "comparables", "empty"),
        ("nonsense", {}, "method", "unknown"),
    ],
)
def test_invalid_inputs_name_the_input(method, inputs, name, code):
    with pytest.raises(ValidationError) as exc:
        calculate(method, inputs)
    assert (exc.value.input, exc.value.code) == (name, code)


def test_draws_limits():
    inputs = {"cash_flows": [{"min": 1, "max": 2}], "discount_rate": 0.1}
    with pytest.raises(ValidationError) as exc:
        calculate("dcf", inputs, draws=100_001)
    assert exc.value.input == "draws"
    assert calculate("dcf", inputs)["simulation"]["draws"] == engine.DEFAULT_DRAWS


# --- Monte Carlo ------------------------------------------------------------------------------------------

RANGED = {
    "revenues": [{"min": 8e8, "mode": 1e9, "max": 1.5e9}] * 5,
    "royalty_rate": {"min": 0.03, "max": 0.07},
    "tax_rate": 0.2,
    "discount_rate": 0.12,
}


def test_no_range_no_simulation():
    result = calculate("rule_25", {"revenue": 1e9, "operating_margin": 0.2})
    assert "range" not in result and "simulation" not in result


def test_monte_carlo_is_deterministic_for_a_seed():
    a = calculate("relief_from_royalty", RANGED, draws=5_000, seed=7)
    b = calculate("relief_from_royalty", RANGED, draws=5_000, seed=7)
    c = calculate("relief_from_royalty", RANGED, draws=5_000, seed=8)
    assert a["range"] == b["range"] and a["simulation"]["histogram"] == b["simulation"]["histogram"]
    assert a["range"] != c["range"]
    # the default seed is fixed too
    assert (
        calculate("relief_from_royalty", RANGED)["range"] == calculate("relief_from_royalty", RANGED)["range"]
    )


def test_monte_carlo_value_is_the_most_likely_case_and_percentiles_are_ordered():
    result = calculate("relief_from_royalty", RANGED, draws=20_000)
    point = engine.relief_from_royalty([1e9] * 5, 0.05, 0.2, 0.12)  # modes / midpoints
    assert result["value"] == point["value"]
    r = result["range"]
    assert r["p10"] < r["p50"] < r["p90"]
    assert sum(b["count"] for b in result["simulation"]["histogram"]) == 20_000
    assert result["simulation"]["uncertain_inputs"][0] == "revenues[0]"


def test_monte_carlo_converges_to_the_triangular_mean():
    # rule_25 is linear in the margin: E[value] = revenue × 0.25 × (a + c + b) / 3
    # = 1e9 × 0.25 × (0.1 + 0.2 + 0.45) / 3 = 62 500 000.
    result = calculate(
        "rule_25", {"revenue": 1e9, "operating_margin": {"min": 0.1, "mode": 0.2, "max": 0.45}}, draws=100_000
    )
    assert result["simulation"]["mean"] == pytest.approx(62_500_000, rel=0.005)
    samples = engine.simulate(
        "rule_25", {"revenue": 1e9, "operating_margin": {"min": 0.1, "max": 0.3}}, draws=100_000
    )
    assert samples.mean() == pytest.approx(50_000_000, rel=0.005)  # uniform: 1e9 × 0.25 × 0.2
    assert np.all((samples >= 25_000_000) & (samples <= 75_000_000))


def test_all_methods_accept_ranges():
    cases = {
        "dcf": {"cash_flows": [-1e8, {"min": 1e8, "max": 3e8}], "discount_rate": 0.1},
        "rnpv": {
            "cash_flows": [-1e8, {"min": 1e8, "max": 3e8}],
            "discount_rate": {"min": 0.1, "max": 0.2},
            "trl": 5,
        },
        "cost": {
            "costs": [{"amount": {"min": 1e8, "max": 2e8}, "year": 2020}],
            "valuation_year": 2025,
            "index_rate": {"min": 0.02, "mode": 0.04, "max": 0.06},
            "obsolescence": {"economic": {"min": 0, "max": 0.2}},
        },
        "market": {
            "comparables": [{"value": 1e9, "adjustments": {"trl": {"min": -0.1, "max": 0.1}}}, {"value": 2e9}]
        },
    }
    for method, inputs in cases.items():
        result = calculate(method, inputs, draws=1_000)
        assert result["range"]["p10"] <= result["range"]["p90"], method


def test_bench_command_prints_a_median():
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("bench_valuation", draws=1_000, runs=3, stdout=out)
    assert "median" in out.getvalue() and "1,000 draws" in out.getvalue()


@pytest.mark.parametrize("mid_year", [False, True])
def test_vectorised_path_equals_the_point_formula(mid_year):
    # A zero-width range runs the Monte Carlo kernels (running-product discounting, einsum) on constants:
    # every draw must equal the closed-form point value.
    base = {
        "revenues": [1e9, 2e9, 3e9],
        "royalty_rate": 0.05,
        "tax_rate": 0.2,
        "discount_rate": 0.1,
        "mid_year": mid_year,
    }
    point = calculate("relief_from_royalty", base)["value"]
    for key in ("royalty_rate", "discount_rate"):
        ranged = {**base, key: {"min": base[key], "max": base[key]}}
        assert calculate("relief_from_royalty", ranged, draws=100)["range"] == {
            "p10": point,
            "p50": point,
            "p90": point,
        }
    flows = {"cash_flows": [-1e8, 5e8], "discount_rate": {"min": 0.12, "max": 0.12}, "mid_year": mid_year}
    assert (
        calculate("dcf", flows, draws=100)["range"]["p50"]
        == engine.dcf([-1e8, 5e8], 0.12, mid_year=mid_year)["value"]
    )

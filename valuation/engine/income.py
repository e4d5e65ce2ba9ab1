"""Income approach: relief-from-royalty, discounted cash flow, risk-adjusted NPV, the 25 % rule.

Conventions (stated in every report):

* money is integer VND — inputs may be fractional, every result is rounded once, at the end
  (``uncertainty.to_vnd``);
* rates are fractions (0.05 is 5 %);
* year t = 1 … n is the t-th year from the valuation date; cash flows arrive at the end of the year and
  are discounted by (1 + d)^t; with ``mid_year`` they arrive mid-year and are discounted by (1 + d)^(t − ½);
* when ``protection_end_year`` (the last year of legal protection, e.g. a patent's 20th year) and
  ``start_year`` (the calendar year of t = 1) are given, the horizon is cut to
  n' = min(n, protection_end_year − start_year + 1): no value is counted after protection ends.

Every kernel works on floats and on numpy arrays alike (a leading axis of Monte Carlo draws), which is
what makes the Monte Carlo one vectorised evaluation instead of a Python loop.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import ValidationError
from .uncertainty import Sampler, to_vnd

#: Default probabilities that a technology at a given TRL reaches the market and earns its forecast
#: cash flows. They are conventional, deliberately round figures in the spirit of the stage-gate attrition
#: literature (Stevens & Burley, "3,000 raw ideas = 1 commercial success", Research-Technology Management
#: 1997; Cooper, *Winning at New Products*, 2001, about one in four development projects succeeding
#: commercially) and of the TRL-based risk factors used in licensing practice. They are not calibrated
#: on Vietnamese data: users should override them with ``success_probabilities`` when they know better.
TRL_SUCCESS_PROBABILITY: dict[int, float] = {
    1: 0.05,
    2: 0.08,
    3: 0.12,
    4: 0.20,
    5: 0.30,
    6: 0.45,
    7: 0.60,
    8: 0.80,
    9: 0.95,
}

RATE = {"lo": 0.0, "hi": 1.0}
MAX_YEARS = 50


def _year(raw: Any, name: str) -> int | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1900 <= raw <= 2200:
        raise ValidationError(
            name, "must be a calendar year", code="out_of_range", params={"min": 1900, "max": 2200}
        )
    return raw


def horizon(n_years: int, start_year: int | None, protection_end_year: int | None) -> int:
    """The number of years counted: n, or fewer when legal protection ends earlier.

    n' = min(n, protection_end_year − start_year + 1). ``protection_end_year`` needs ``start_year``;
    protection that ended before the first year is an error (nothing left to value by income).
    """
    if protection_end_year is None:
        return n_years
    if start_year is None:
        raise ValidationError("start_year", "is required with protection_end_year", code="required")
    remaining = protection_end_year - start_year + 1
    if remaining < 1:
        raise ValidationError(
            "protection_end_year", "legal protection ends before the first year", code="order"
        )
    return min(n_years, remaining)


def discount_factors(n: int, discount_rate, *, mid_year: bool = False) -> np.ndarray:
    """DF_t = 1 / (1 + d)^t for t = 1…n (t − ½ with ``mid_year``); shape (n,) or (draws, n)."""
    d = np.asarray(discount_rate, dtype=float)
    if not d.ndim:
        t = np.arange(1, n + 1, dtype=float) - (0.5 if mid_year else 0.0)
        return (1.0 + float(d)) ** (-t)
    # Monte Carlo: DF_t = DF_{t−1} / (1 + d) as a running product — far cheaper than a power per cell.
    step = 1.0 / (1.0 + d)
    factors = np.cumprod(np.broadcast_to(step[:, None], (d.shape[0], n)), axis=1)
    if mid_year:
        factors *= np.sqrt(1.0 + d)[:, None]
    return factors


def _read_timing(inputs: dict, n: int) -> tuple[int, bool, int | None]:
    mid_year = inputs.get("mid_year", False)
    if not isinstance(mid_year, bool):
        raise ValidationError("mid_year", "must be true or false", code="not_allowed")
    start = _year(inputs.get("start_year"), "start_year")
    end = _year(inputs.get("protection_end_year"), "protection_end_year")
    return horizon(n, start, end), mid_year, start


def _years(n: int, start: int | None) -> list:
    return [start + i if start else i + 1 for i in range(n)]


# --- relief from royalty ---------------------------------------------------------------------------------
def read_relief_from_royalty(s: Sampler, inputs: dict) -> dict:
    revenues = s.series(inputs.get("revenues"), "revenues", lo=0, max_len=MAX_YEARS)
    n, mid_year, start = _read_timing(inputs, revenues.shape[-1])
    return {
        "revenues": revenues[..., :n],
        "royalty_rate": s.value(inputs.get("royalty_rate"), "royalty_rate", **RATE),
        "tax_rate": s.value(inputs.get("tax_rate"), "tax_rate", lo=0.0, hi=0.99),
        "discount_rate": s.value(inputs.get("discount_rate"), "discount_rate", **RATE),
        "mid_year": mid_year,
        "start_year": start,
        "truncated_years": revenues.shape[-1] - n,
    }


def relief_from_royalty_kernel(
    *,
    revenues,
    royalty_rate,
    tax_rate,
    discount_rate,
    mid_year=False,
    start_year=None,
    truncated_years=0,
    detail=True,
):
    """V = Σ_{t=1..n'} R_t · r · (1 − T) · DF_t  (see ``relief_from_royalty``)."""
    r = np.asarray(royalty_rate, dtype=float)[..., None] if np.ndim(royalty_rate) else royalty_rate
    tx = np.asarray(tax_rate, dtype=float)[..., None] if np.ndim(tax_rate) else tax_rate
    n = revenues.shape[-1]
    df = discount_factors(n, discount_rate, mid_year=mid_year)
    if not detail:
        # Σ_t R_t·DF_t first, then × r(1 − T): one pass over the (draws, years) array.
        discounted = np.einsum("...t,...t->...", revenues, np.broadcast_to(df, revenues.shape))
        return discounted * np.squeeze(np.asarray(r * (1.0 - tx), dtype=float)), {}
    after_tax = revenues * r * (1.0 - tx)
    pv = after_tax * df
    value = pv.sum(axis=-1)
    rows = [
        {
            "year": y,
            "revenue": to_vnd(revenues[i]),
            "royalty": to_vnd(revenues[i] * r),
            "after_tax": to_vnd(after_tax[i]),
            "discount_factor": round(float(df[i]), 6),
            "present_value": to_vnd(pv[i]),
        }
        for i, y in enumerate(_years(n, start_year))
    ]
    return value, {
        "formula": "V = Σ_{t=1..n} R_t × r × (1 − T) / (1 + d)^t"
        + (" (t − ½: mid-year)" if mid_year else ""),
        "years": rows,
        "horizon_years": n,
        "truncated_years": truncated_years,
        "royalty_rate": float(royalty_rate),
        "tax_rate": float(tax_rate),
        "discount_rate": float(discount_rate),
        "mid_year": mid_year,
    }


def relief_from_royalty(
    revenues: list,
    royalty_rate: float,
    tax_rate: float,
    discount_rate: float,
    *,
    mid_year: bool = False,
    start_year: int | None = None,
    protection_end_year: int | None = None,
) -> dict:
    """Value of owning the technology = the royalties the owner is spared from paying a licensor.

    V = Σ_{t=1..n'} R_t × r × (1 − T) / (1 + d)^t

    R_t yearly revenue of products using the technology (VND), r royalty rate, T corporate income tax
    rate (Vietnam: 0.20), d discount rate, n' the horizon cut by the remaining protection term.
    Returns ``{"value": int VND, "details": {...}}`` with the yearly table.
    """
    return _point(
        read_relief_from_royalty,
        relief_from_royalty_kernel,
        {
            "revenues": revenues,
            "royalty_rate": royalty_rate,
            "tax_rate": tax_rate,
            "discount_rate": discount_rate,
            "mid_year": mid_year,
            "start_year": start_year,
            "protection_end_year": protection_end_year,
        },
    )


# --- discounted cash flow ----------------------------------------------------------------------------------
def read_dcf(s: Sampler, inputs: dict) -> dict:
    flows = s.series(inputs.get("cash_flows"), "cash_flows", max_len=MAX_YEARS)
    n, mid_year, start = _read_timing(inputs, flows.shape[-1])
    return {
        "cash_flows": flows[..., :n],
        "discount_rate": s.value(inputs.get("discount_rate"), "discount_rate", **RATE),
        "mid_year": mid_year,
        "start_year": start,
        "truncated_years": flows.shape[-1] - n,
    }


def dcf_kernel(
    *,
    cash_flows,
    discount_rate,
    mid_year=False,
    start_year=None,
    truncated_years=0,
    probabilities=None,
    detail=True,
):
    """V = Σ_{t=1..n'} p_t · CF_t · DF_t  (p_t = 1 for a plain DCF)."""
    n = cash_flows.shape[-1]
    df = discount_factors(n, discount_rate, mid_year=mid_year)
    weighted = cash_flows if probabilities is None else cash_flows * probabilities
    pv = weighted * df
    value = pv.sum(axis=-1)
    if not detail:
        return value, {}
    rows = []
    for i, y in enumerate(_years(n, start_year)):
        row = {"year": y, "cash_flow": to_vnd(cash_flows[i])}
        if probabilities is not None:
            row["probability"] = round(float(probabilities[i]), 4)
        row.update({"discount_factor": round(float(df[i]), 6), "present_value": to_vnd(pv[i])})
        rows.append(row)
    return value, {
        "formula": (
            "V = Σ_{t=1..n} CF_t / (1 + d)^t"
            if probabilities is None
            else "V = Σ_{t=1..n} p_t × CF_t / (1 + d)^t"
        )
        + (" (t − ½: mid-year)" if mid_year else ""),
        "years": rows,
        "horizon_years": n,
        "truncated_years": truncated_years,
        "discount_rate": float(discount_rate),
        "mid_year": mid_year,
    }


def dcf(
    cash_flows: list,
    discount_rate: float,
    *,
    mid_year: bool = False,
    start_year: int | None = None,
    protection_end_year: int | None = None,
) -> dict:
    """Discounted incremental profit the technology brings (cash flows may be negative: investment).

    V = Σ_{t=1..n'} CF_t / (1 + d)^t
    """
    return _point(
        read_dcf,
        dcf_kernel,
        {
            "cash_flows": cash_flows,
            "discount_rate": discount_rate,
            "mid_year": mid_year,
            "start_year": start_year,
            "protection_end_year": protection_end_year,
        },
    )


# --- risk-adjusted NPV -------------------------------------------------------------------------------------
def read_rnpv(s: Sampler, inputs: dict) -> dict:
    kwargs = read_dcf(s, inputs)
    flows = kwargs["cash_flows"]
    n = flows.shape[-1]
    given = inputs.get("success_probabilities")
    trl = inputs.get("trl")
    if given is not None:
        probs = s.series(given, "success_probabilities", lo=0.0, hi=1.0, max_len=MAX_YEARS)
        if probs.shape[-1] < n:
            raise ValidationError(
                "success_probabilities", "one probability per year of cash flow is needed", code="mismatch"
            )
        kwargs["probabilities"] = probs[..., :n]
        kwargs["probability_source"] = "user"
    elif trl is not None:
        if isinstance(trl, bool) or not isinstance(trl, int) or trl not in TRL_SUCCESS_PROBABILITY:
            raise ValidationError(
                "trl", "must be a whole number from 1 to 9", code="out_of_range", params={"min": 1, "max": 9}
            )
        p = TRL_SUCCESS_PROBABILITY[trl]
        # Spending (negative years) happens whatever the outcome; income only if the technology succeeds.
        kwargs["probabilities"] = np.where(flows < 0, 1.0, p)
        kwargs["probability_source"] = f"trl:{trl}"
        kwargs["trl"] = trl
    else:
        raise ValidationError("success_probabilities", "give success_probabilities or trl", code="required")
    return kwargs


def rnpv_kernel(*, probability_source="user", trl=None, detail=True, **kwargs):
    value, details = dcf_kernel(detail=detail, **kwargs)
    if detail:
        details["probability_source"] = probability_source
        if trl is not None:
            details["trl"] = trl
            details["trl_success_probability"] = TRL_SUCCESS_PROBABILITY[trl]
            details["probability_rule"] = "p_t = 1 for spending years (CF_t < 0), P(TRL) for income years"
    return value, details


def rnpv(
    cash_flows: list,
    discount_rate: float,
    *,
    success_probabilities: list | None = None,
    trl: int | None = None,
    mid_year: bool = False,
    start_year: int | None = None,
    protection_end_year: int | None = None,
) -> dict:
    """Risk-adjusted NPV: each year's cash flow weighted by the probability that it happens.

    rNPV = Σ_{t=1..n'} p_t × CF_t / (1 + d)^t

    p_t comes from ``success_probabilities`` (one per year, the cumulative probability that the project
    is still alive in year t) or, from ``trl`` alone, p_t = 1 for years of spending (CF_t < 0, spent
    whatever happens) and P(TRL) from ``TRL_SUCCESS_PROBABILITY`` for years of income.
    """
    return _point(
        read_rnpv,
        rnpv_kernel,
        {
            "cash_flows": cash_flows,
            "discount_rate": discount_rate,
            "success_probabilities": success_probabilities,
            "trl": trl,
            "mid_year": mid_year,
            "start_year": start_year,
            "protection_end_year": protection_end_year,
        },
    )


# --- 25 % rule ---------------------------------------------------------------------------------------------
def read_rule_25(s: Sampler, inputs: dict) -> dict:
    return {
        "revenue": s.value(inputs.get("revenue"), "revenue", lo=0),
        "operating_margin": s.value(inputs.get("operating_margin"), "operating_margin", **RATE),
        "share": s.value(inputs.get("share", 0.25), "share", **RATE),
    }


def rule_25_kernel(*, revenue, operating_margin, share=0.25, detail=True):
    """r = share × m; annual royalty = revenue × r."""
    rate = share * operating_margin
    value = revenue * rate
    if not detail:
        return value, {}
    return value, {
        "formula": "r = 25 % × m;  royalty = S × r",
        "royalty_rate": round(float(rate), 6),
        "operating_margin": float(operating_margin),
        "share": float(share),
        "revenue": to_vnd(revenue),
        "note": "a rule of thumb (Goldscheider) for a first royalty hint, not a valuation",
    }


def rule_25(revenue: float, operating_margin: float, *, share: float = 0.25) -> dict:
    """The 25 % rule of thumb: the licensor gets about a quarter of the licensee's operating profit.

    r = 0.25 × m (m = licensee's operating margin on the licensed product), annual royalty = S × r
    (S = licensee's annual revenue from it). ``value`` is the annual royalty (VND),
    ``details.royalty_rate`` the rate. A negotiation hint only (courts have rejected it as proof).
    """
    return _point(
        read_rule_25,
        rule_25_kernel,
        {"revenue": revenue, "operating_margin": operating_margin, "share": share},
    )


def _point(reader, kernel, inputs: dict) -> dict:
    kwargs = reader(Sampler(), inputs)
    value, details = kernel(**kwargs)
    return {"value": to_vnd(value), "details": details}

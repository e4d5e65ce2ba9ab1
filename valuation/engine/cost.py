"""Cost approach: what it would cost today to recreate the technology, less what it has lost.

V = [Σ_i C_i × (1 + g)^(Y − y_i)] × (1 + m) × (1 − f) × (1 − τ) × (1 − e)

C_i historical R&D cost spent in year y_i (VND), g yearly cost index (price) growth, Y the valuation year,
m the developer's margin (the profit a developer would expect on the effort), f, τ, e the functional,
technological and economic obsolescence (fractions, combined multiplicatively so the value never falls
below zero). This follows the cost approach of Vietnam's valuation standard for intangible assets
(Circular 37/2024/TT-BTC): reproduction/replacement cost less obsolescence.
"""

from __future__ import annotations

import numpy as np

from .errors import ValidationError
from .uncertainty import Sampler, to_vnd

OBSOLESCENCE_KINDS = ("functional", "technological", "economic")
MAX_COSTS = 100


def read_cost(s: Sampler, inputs: dict) -> dict:
    raw = inputs.get("costs")
    if raw is None:
        raise ValidationError("costs", "is required", code="required")
    if not isinstance(raw, list):
        raise ValidationError("costs", "must be a list of {amount, year}", code="not_list")
    if not raw:
        raise ValidationError("costs", "needs at least one cost", code="empty")
    if len(raw) > MAX_COSTS:
        raise ValidationError(
            "costs", f"at most {MAX_COSTS} costs", code="too_long", params={"max": MAX_COSTS}
        )
    valuation_year = inputs.get("valuation_year")
    if valuation_year is None:
        raise ValidationError("valuation_year", "is required", code="required")
    if (
        isinstance(valuation_year, bool)
        or not isinstance(valuation_year, int)
        or not 1900 <= valuation_year <= 2200
    ):
        raise ValidationError(
            "valuation_year",
            "must be a calendar year",
            code="out_of_range",
            params={"min": 1900, "max": 2200},
        )
    amounts, years = [], []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise ValidationError(f"costs[{i}]", "must be {amount, year}", code="not_allowed")
        year = item.get("year")
        if isinstance(year, bool) or not isinstance(year, int):
            raise ValidationError(f"costs[{i}].year", "must be a calendar year", code="required")
        if year > valuation_year:
            raise ValidationError(f"costs[{i}].year", "is after the valuation year", code="order")
        amounts.append(s.value(item.get("amount"), f"costs[{i}].amount", lo=0))
        years.append(year)
    obsolescence = inputs.get("obsolescence", 0)
    if isinstance(obsolescence, dict) and not ("min" in obsolescence and "max" in obsolescence):
        unknown = set(obsolescence) - set(OBSOLESCENCE_KINDS)
        if unknown:
            raise ValidationError(
                f"obsolescence.{sorted(unknown)[0]}", "unknown kind of obsolescence", code="unknown"
            )
        obs = {
            k: s.value(obsolescence.get(k, 0), f"obsolescence.{k}", lo=0.0, hi=1.0)
            for k in OBSOLESCENCE_KINDS
        }
    else:
        obs = {
            "functional": s.value(obsolescence, "obsolescence", lo=0.0, hi=1.0),
            "technological": 0.0,
            "economic": 0.0,
        }
    if s.draws is None:
        amount_arr = np.asarray(amounts, dtype=float)
    else:
        amount_arr = np.column_stack([np.broadcast_to(a, (s.draws,)) for a in amounts])
    return {
        "amounts": amount_arr,
        "years": np.asarray(years),
        "valuation_year": valuation_year,
        "index_rate": s.value(inputs.get("index_rate", 0), "index_rate", lo=-0.5, hi=1.0),
        "margin": s.value(inputs.get("margin", 0), "margin", lo=0.0, hi=5.0),
        "obsolescence": obs,
    }


def cost_kernel(*, amounts, years, valuation_year, index_rate, margin, obsolescence, detail=True):
    g = np.asarray(index_rate, dtype=float)[..., None] if np.ndim(index_rate) else index_rate
    factors = (1.0 + g) ** (valuation_year - years)
    indexed = amounts * factors
    reproduction = indexed.sum(axis=-1)
    with_margin = reproduction * (1.0 + margin)
    remaining = 1.0
    for kind in OBSOLESCENCE_KINDS:
        remaining = remaining * (1.0 - obsolescence[kind])
    value = with_margin * remaining
    if not detail:
        return value, {}
    return value, {
        "formula": "V = Σ C_i × (1 + g)^(Y − y_i) × (1 + m) × (1 − f) × (1 − τ) × (1 − e)",
        "costs": [
            {
                "year": int(years[i]),
                "amount": to_vnd(amounts[i]),
                "index_factor": round(float(factors[i]), 6),
                "indexed": to_vnd(indexed[i]),
            }
            for i in range(len(years))
        ],
        "reproduction_cost": to_vnd(reproduction),
        "margin": float(margin),
        "with_margin": to_vnd(with_margin),
        "obsolescence": {k: float(v) for k, v in obsolescence.items()},
        "remaining_fraction": round(float(remaining), 6),
        "valuation_year": valuation_year,
        "index_rate": float(index_rate),
    }


def cost(
    costs: list[dict],
    valuation_year: int,
    *,
    index_rate: float = 0.0,
    margin: float = 0.0,
    obsolescence: float | dict = 0.0,
) -> dict:
    """Cost approach (see the module docstring for the formula).

    ``costs`` is a list of ``{"amount": VND, "year": YYYY}`` (no year after ``valuation_year``);
    ``obsolescence`` is one fraction (read as functional) or ``{"functional", "technological",
    "economic"}``. Returns ``{"value": int VND, "details": {...}}``.
    """
    kwargs = read_cost(
        Sampler(),
        {
            "costs": costs,
            "valuation_year": valuation_year,
            "index_rate": index_rate,
            "margin": margin,
            "obsolescence": obsolescence,
        },
    )
    value, details = cost_kernel(**kwargs)
    return {"value": to_vnd(value), "details": details}

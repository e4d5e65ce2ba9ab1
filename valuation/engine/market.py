"""Market approach: comparable transactions, each adjusted towards the subject technology.

For comparable j with price P_j (VND) agreed in year y_j and adjustment fractions a_jk (for differences
in field, TRL, exclusivity, territory, size… — +0.10 means "the subject is worth 10 % more"):

    A_j = P_j × (1 + g)^(Y − y_j) × Π_k (1 + a_jk)

g brings older prices to the valuation year Y (0 by default). The indicated value is the median of the
adjusted values (robust to one odd deal); their minimum and maximum give the range.
"""

from __future__ import annotations

import numpy as np

from .errors import ValidationError
from .uncertainty import Sampler, to_vnd

MAX_COMPARABLES = 200


def read_market(s: Sampler, inputs: dict) -> dict:
    raw = inputs.get("comparables")
    if raw is None:
        raise ValidationError("comparables", "is required", code="required")
    if not isinstance(raw, list):
        raise ValidationError("comparables", "must be a list", code="not_list")
    if not raw:
        raise ValidationError("comparables", "needs at least one comparable", code="empty")
    if len(raw) > MAX_COMPARABLES:
        raise ValidationError(
            "comparables", f"at most {MAX_COMPARABLES}", code="too_long", params={"max": MAX_COMPARABLES}
        )
    valuation_year = inputs.get("valuation_year")
    g = s.value(inputs.get("index_rate", 0), "index_rate", lo=-0.5, hi=1.0)
    rows = []
    for j, item in enumerate(raw):
        if not isinstance(item, dict):
            raise ValidationError(f"comparables[{j}]", "must be an object", code="not_allowed")
        value = s.value(item.get("value"), f"comparables[{j}].value", lo=0)
        year = item.get("year")
        if year is not None and (isinstance(year, bool) or not isinstance(year, int)):
            raise ValidationError(f"comparables[{j}].year", "must be a calendar year", code="not_number")
        factors = item.get("adjustments") or {}
        if not isinstance(factors, dict):
            raise ValidationError(
                f"comparables[{j}].adjustments", "must be {name: fraction}", code="not_allowed"
            )
        adj = {
            k: s.value(v, f"comparables[{j}].adjustments.{k}", lo=-0.9, hi=2.0) for k, v in factors.items()
        }
        rows.append(
            {"label": str(item.get("label", ""))[:200], "value": value, "year": year, "adjustments": adj}
        )
    if valuation_year is not None and (
        isinstance(valuation_year, bool) or not isinstance(valuation_year, int)
    ):
        raise ValidationError("valuation_year", "must be a calendar year", code="not_number")
    return {"rows": rows, "index_rate": g, "valuation_year": valuation_year}


def market_kernel(*, rows, index_rate, valuation_year, detail=True):
    adjusted = []
    table = []
    for row in rows:
        time_factor = 1.0
        if valuation_year is not None and row["year"] is not None:
            time_factor = (1.0 + index_rate) ** (valuation_year - row["year"])
        product = 1.0
        for a in row["adjustments"].values():
            product = product * (1.0 + a)
        a_j = row["value"] * time_factor * product
        adjusted.append(a_j)
        if detail:
            table.append(
                {
                    "label": row["label"],
                    "year": row["year"],
                    "value": to_vnd(row["value"]),
                    "time_factor": round(float(time_factor), 6),
                    "adjustments": {k: float(v) for k, v in row["adjustments"].items()},
                    "adjustment_factor": round(float(product), 6),
                    "adjusted_value": to_vnd(a_j),
                }
            )
    stacked = np.stack([np.asarray(a, dtype=float) for a in np.broadcast_arrays(*adjusted)], axis=-1)
    value = np.median(stacked, axis=-1)
    if not detail:
        return value, {}
    return value, {
        "formula": "A_j = P_j × (1 + g)^(Y − y_j) × Π_k (1 + a_jk);  V = median_j A_j",
        "comparables": table,
        "low": to_vnd(stacked.min()),
        "high": to_vnd(stacked.max()),
        "count": len(rows),
    }


def market(comparables: list[dict], *, index_rate: float = 0.0, valuation_year: int | None = None) -> dict:
    """Market approach over ``comparables`` = ``[{"label", "value", "year", "adjustments": {name: a}}]``.

    Returns ``{"value": median adjusted value (int VND), "details": {"comparables": table, "low",
    "high"}}``.
    """
    kwargs = read_market(
        Sampler(), {"comparables": comparables, "index_rate": index_rate, "valuation_year": valuation_year}
    )
    value, details = market_kernel(**kwargs)
    return {"value": to_vnd(value), "details": details}

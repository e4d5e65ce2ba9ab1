"""The valuation methods engine: pure Python + numpy, no Django, so it can be tested, benchmarked and
reused anywhere (a notebook, a partner's system).

``calculate(method, inputs, draws=None, seed=None)`` is the one entry point the API and the workspace
use; the methods are also callable directly (``relief_from_royalty(...)``, ``dcf(...)``…).

Conventions stated in every report: integer VND; rates as fractions; end-of-year discounting by default
(mid-year optional); the horizon never exceeds the remaining legal protection term when one is given.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from . import cost as _cost
from . import income as _income
from . import market as _market
from .cost import cost
from .errors import ValidationError
from .income import TRL_SUCCESS_PROBABILITY, dcf, relief_from_royalty, rnpv, rule_25
from .market import market
from .scoring import CATEGORIES, FACTORS, score
from .uncertainty import (
    DEFAULT_DRAWS,
    DEFAULT_SEED,
    MAX_DRAWS,
    Sampler,
    check_draws,
    check_seed,
    summarise,
    to_vnd,
)

__all__ = [
    "CATEGORIES",
    "CONVENTIONS",
    "DEFAULT_DRAWS",
    "DEFAULT_SEED",
    "FACTORS",
    "MAX_DRAWS",
    "METHODS",
    "TRL_SUCCESS_PROBABILITY",
    "ValidationError",
    "calculate",
    "cost",
    "dcf",
    "market",
    "relief_from_royalty",
    "rnpv",
    "rule_25",
    "score",
]

CONVENTIONS = (
    "integer VND",
    "rates as fractions",
    "end-of-year discounting by default, mid-year optional",
    "horizon capped by the remaining legal protection term",
)

#: method → (reader, kernel); the reader validates and reads inputs with a Sampler, the kernel computes.
METHODS: dict[str, tuple[Any, Any]] = {
    "relief_from_royalty": (_income.read_relief_from_royalty, _income.relief_from_royalty_kernel),
    "dcf": (_income.read_dcf, _income.dcf_kernel),
    "rnpv": (_income.read_rnpv, _income.rnpv_kernel),
    "rule_25": (_income.read_rule_25, _income.rule_25_kernel),
    "cost": (_cost.read_cost, _cost.cost_kernel),
    "market": (_market.read_market, _market.market_kernel),
}
ALL_METHODS = (*METHODS, "scoring")


def calculate(method: str, inputs: dict, *, draws: int | None = None, seed: int | None = None) -> dict:
    """Run one method.

    Returns ``{"method", "value": int VND (None for scoring), "details": {...}}`` and, when any input
    is a range, ``"range": {"p10", "p50", "p90"}`` plus ``"simulation": {draws, seed, mean, std, min,
    max, histogram, uncertain_inputs, seconds}``. ``value`` is computed on the most likely inputs.
    Raises ``ValidationError`` naming the input.
    """
    if method not in ALL_METHODS:
        raise ValidationError("method", f"unknown method; one of {', '.join(ALL_METHODS)}", code="unknown")
    if not isinstance(inputs, dict):
        raise ValidationError("inputs", "must be an object", code="not_allowed")
    if method == "scoring":
        result = score(inputs.get("scores"))
        return {"method": method, **result}
    draws = check_draws(draws)
    seed = check_seed(seed)
    reader, kernel = METHODS[method]
    point = Sampler()
    value, details = kernel(**reader(point, inputs))
    result: dict[str, Any] = {"method": method, "value": to_vnd(value), "details": details}
    if point.ranges:
        started = time.perf_counter()
        samples = simulate(method, inputs, draws=draws, seed=seed)
        summary = summarise(samples)
        result["range"] = summary.pop("range")
        result["simulation"] = {
            "draws": draws,
            "seed": seed,
            "uncertain_inputs": point.ranges,
            "seconds": round(time.perf_counter() - started, 4),
            **summary,
        }
    return result


def simulate(
    method: str, inputs: dict, *, draws: int = DEFAULT_DRAWS, seed: int = DEFAULT_SEED
) -> np.ndarray:
    """The ``draws`` simulated values (float VND) of a method: one vectorised kernel evaluation."""
    reader, kernel = METHODS[method]
    sampler = Sampler(draws=draws, seed=seed)
    values, _ = kernel(detail=False, **reader(sampler, inputs))
    return np.broadcast_to(np.asarray(values, dtype=float), (draws,))

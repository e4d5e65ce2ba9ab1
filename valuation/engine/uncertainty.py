"""Inputs that may be ranges, and the vectorised Monte Carlo over them.

A numeric input is either a number or a range:

* ``{"min": a, "mode": c, "max": b}`` — triangular distribution (a ≤ c ≤ b), the usual way to say
  "most likely c, surely between a and b";
* ``{"min": a, "max": b}`` — uniform distribution on [a, b].

When any input is a range, every method is evaluated once on the *most likely* inputs (the mode of a
triangular range, the midpoint of a uniform one) — that is the reported ``value`` — and once on ``draws``
joint samples at the same time (numpy arrays, one row per draw) — that gives P10/P50/P90 and a histogram.
Ranges are sampled independently, in a fixed order (the order inputs are read), from a
``numpy.random.Generator`` (PCG64) seeded with ``seed``, so the same request always gives the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import ValidationError

DEFAULT_SEED = 20260808
DEFAULT_DRAWS = 10_000
MAX_DRAWS = 100_000
HISTOGRAM_BINS = 20


def is_range(value: Any) -> bool:
    return isinstance(value, dict) and "min" in value and "max" in value


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        if isinstance(value, str):
            try:
                return _finite(float(value.strip().replace("_", "")), name)
            except ValueError:
                pass
        raise ValidationError(name, "must be a number", code="not_number")
    return _finite(float(value), name)


def _finite(value: float, name: str) -> float:
    if not np.isfinite(value):
        raise ValidationError(name, "must be a finite number", code="not_number")
    return value


@dataclass
class Sampler:
    """Reads inputs into numbers (point mode) or numpy arrays of ``draws`` samples (Monte Carlo mode).

    ``draws=None`` is the point mode: a range reads as its most likely value. The same Sampler is used
    for a whole method so the draw order is the reading order.
    """

    draws: int | None = None
    seed: int = DEFAULT_SEED
    ranges: list[str] = field(default_factory=list)
    rng: np.random.Generator | None = None

    def __post_init__(self):
        if self.draws is not None:
            self.rng = np.random.default_rng(self.seed)

    def value(self, raw: Any, name: str, *, lo: float | None = None, hi: float | None = None):
        """A number or a range, checked against [lo, hi]; returns float or an ndarray of draws."""
        if raw is None:
            raise ValidationError(name, "is required", code="required")
        if is_range(raw):
            unknown = set(raw) - {"min", "mode", "max"}
            if unknown:
                raise ValidationError(
                    name, f"unknown keys {sorted(unknown)}", code="unknown", params={"keys": sorted(unknown)}
                )
            a = _number(raw["min"], f"{name}.min")
            b = _number(raw["max"], f"{name}.max")
            c = _number(raw["mode"], f"{name}.mode") if "mode" in raw else None
            for part, v in (("min", a), ("max", b), ("mode", c)):
                if v is not None:
                    self._bounds(v, f"{name}.{part}", lo, hi)
            if a > b:
                raise ValidationError(name, "min must not exceed max", code="bad_range")
            if c is not None and not a <= c <= b:
                raise ValidationError(name, "mode must lie between min and max", code="bad_range")
            self.ranges.append(name)
            if self.draws is None:
                return c if c is not None else (a + b) / 2
            if a == b:
                return np.full(self.draws, a)
            if c is not None:
                return self.rng.triangular(a, c, b, self.draws)
            return self.rng.uniform(a, b, self.draws)
        if isinstance(raw, dict):
            raise ValidationError(name, "a range needs 'min' and 'max'", code="bad_range")
        v = _number(raw, name)
        self._bounds(v, name, lo, hi)
        return v

    @staticmethod
    def _bounds(v: float, name: str, lo: float | None, hi: float | None) -> None:
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            raise ValidationError(
                name,
                f"must be between {lo} and {hi}",
                code="out_of_range",
                params={"min": lo, "max": hi},
            )

    def series(self, raw: Any, name: str, *, lo=None, hi=None, max_len: int = 100):
        """A list of yearly values → 1-D array (point mode) or a (draws, years) array (Monte Carlo)."""
        if raw is None:
            raise ValidationError(name, "is required", code="required")
        if not isinstance(raw, (list, tuple)):
            raise ValidationError(name, "must be a list of yearly values", code="not_list")
        if not raw:
            raise ValidationError(name, "needs at least one year", code="empty")
        if len(raw) > max_len:
            raise ValidationError(name, f"at most {max_len} years", code="too_long", params={"max": max_len})
        values = [self.value(item, f"{name}[{i}]", lo=lo, hi=hi) for i, item in enumerate(raw)]
        if self.draws is None:
            return np.asarray(values, dtype=float)
        return np.column_stack([np.broadcast_to(v, (self.draws,)) for v in values])


def check_draws(draws: Any) -> int:
    if draws is None:
        return DEFAULT_DRAWS
    if isinstance(draws, bool) or not isinstance(draws, int):
        raise ValidationError("draws", "must be a whole number", code="not_number")
    if not 100 <= draws <= MAX_DRAWS:
        raise ValidationError(
            "draws",
            f"must be between 100 and {MAX_DRAWS}",
            code="out_of_range",
            params={"min": 100, "max": MAX_DRAWS},
        )
    return draws


def check_seed(seed: Any) -> int:
    if seed is None:
        return DEFAULT_SEED
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValidationError("seed", "must be a non-negative whole number", code="not_number")
    return seed


def summarise(samples: np.ndarray, *, bins: int = HISTOGRAM_BINS) -> dict[str, Any]:
    """P10/P50/P90 (integer VND), mean, standard deviation and a histogram of the simulated values.

    Percentiles use numpy's default linear interpolation between order statistics.
    """
    samples = np.asarray(samples, dtype=float)
    p10, p50, p90 = np.percentile(samples, [10, 50, 90])
    counts, edges = np.histogram(samples, bins=bins)
    return {
        "range": {"p10": to_vnd(p10), "p50": to_vnd(p50), "p90": to_vnd(p90)},
        "mean": to_vnd(samples.mean()),
        "std": to_vnd(samples.std()),
        "min": to_vnd(samples.min()),
        "max": to_vnd(samples.max()),
        "histogram": [
            {"from": to_vnd(edges[i]), "to": to_vnd(edges[i + 1]), "count": int(counts[i])}
            for i in range(bins)
        ],
    }


def to_vnd(value) -> int:
    """Integer VND: round half to even (numpy's rint), the one rounding rule of the engine."""
    return int(np.rint(value))

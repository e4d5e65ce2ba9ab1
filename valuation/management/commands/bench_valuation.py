"""``manage.py bench_valuation``: time a 100,000-draw Monte Carlo over a 10-year relief-from-royalty.

Every yearly revenue, the royalty rate and the discount rate are ranges, so 12 inputs are sampled per
draw; the timing covers sampling, the vectorised evaluation and the P10/P50/P90 + histogram summary
(the whole ``engine.calculate`` call). Prints the median of ``--runs`` runs (after one warm-up).
"""

from __future__ import annotations

import statistics
import time

from django.core.management.base import BaseCommand

from valuation.engine import calculate

INPUTS = {
    "revenues": [
        {"min": 0.8e9 * 1.15**t, "mode": 1.0e9 * 1.15**t, "max": 1.5e9 * 1.15**t} for t in range(10)
    ],
    "royalty_rate": {"min": 0.03, "mode": 0.05, "max": 0.08},
    "tax_rate": 0.2,
    "discount_rate": {"min": 0.12, "max": 0.2},
}


class Command(BaseCommand):
    help = "Time a 100,000-draw Monte Carlo over a 10-year relief-from-royalty (median of several runs)."

    def add_arguments(self, parser):
        parser.add_argument("--draws", type=int, default=100_000)
        parser.add_argument("--runs", type=int, default=7)

    def handle(self, *args, draws: int, runs: int, **options):
        calculate("relief_from_royalty", INPUTS, draws=draws)  # warm-up (imports, allocator)
        times = []
        result = None
        for _ in range(max(runs, 1)):
            started = time.perf_counter()
            result = calculate("relief_from_royalty", INPUTS, draws=draws)
            times.append(time.perf_counter() - started)
        median_ms = statistics.median(times) * 1000
        r = result["range"]
        self.stdout.write(
            f"relief_from_royalty, 10 years, {draws:,} draws, {runs} runs: "
            f"median {median_ms:.1f} ms (min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f}); "
            f"value {result['value']:,} VND, P10 {r['p10']:,}, P50 {r['p50']:,}, P90 {r['p90']:,}"
        )

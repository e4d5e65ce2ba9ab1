# ruff: noqa: S603, S311 - runs our own gunicorn and locust with fixed arguments; seeded synthetic data
"""Page benchmark (issue #10): ``make bench-pages`` or, on a THROWAWAY database only::

    SQLITE_PATH=/tmp/x/bench.sqlite3 TECHEX_VAR_DIR=/tmp/x python manage.py migrate -v0
    SQLITE_PATH=/tmp/x/bench.sqlite3 TECHEX_VAR_DIR=/tmp/x python manage.py bench_pages [--n 2000]

Seeds the demo exchange plus N synthetic published listings (``bench_search``'s generator), indexes
them, starts gunicorn on loopback with ``deploy/gunicorn.conf.py`` and persistent database connections
(``DJANGO_CONN_MAX_AGE``), then drives one page at a time with locust (headless, ``--users`` visitors in a
closed loop, no think time) for ``--seconds`` after ``--warmup`` seconds that are not counted:

- ``standard``: a plain Wagtail StandardPage ("Giới thiệu sàn") — the baseline, same process and settings;
- ``home``: the home page (counters, editors' picks, news);
- ``list``: the technology list, page 1;
- ``detail``: technology detail pages, cycling over 100 published offers (a view is counted per request,
  as in production);
- ``search``: the technology list with typed queries without diacritics (the search service answers).

Prints requests/s, p50 and p95 per page and each page's throughput as a ratio of the baseline (the aim
of issue #10: listing pages at 0.5 or better), with the machine's load average before and after, since
the machine may be shared.
"""

from __future__ import annotations

import csv
import logging
import os
import random
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from exchange.core.bench.tools import bench_executable, gunicorn_start, gunicorn_wait_ready, load_average

QUERIES = ["xu ly nuoc thai", "nang luong mat troi", "cam bien do am", "thiet bi y te", "phan bon huu co"]
DETAIL_PAGES = 100
AIM = 0.5


class Command(BaseCommand):
    help = "Page throughput benchmark under gunicorn + locust on loopback. Throwaway database only."

    def add_arguments(self, parser):
        parser.add_argument("--n", type=int, default=2000, help="synthetic listings (default 2000)")
        parser.add_argument("--seconds", type=int, default=20, help="measured seconds per page (default 20)")
        parser.add_argument("--warmup", type=int, default=5, help="uncounted seconds per page (default 5)")
        parser.add_argument("--users", type=int, default=10, help="concurrent visitors (default 10)")
        parser.add_argument("--port", type=int, default=8630)
        parser.add_argument("--workers", type=int, help="gunicorn workers (default: deploy/gunicorn.conf.py)")
        parser.add_argument("--pages", default="standard,home,list,detail,search", help="comma-separated")
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, **opts):
        self._check_throwaway()
        locust, gunicorn = bench_executable("locust"), bench_executable("gunicorn")
        self.stdout.write(f"Seeding the demo exchange and {opts['n']} listings…")
        paths = self._seed(opts["n"], random.Random(opts["seed"]))
        unknown = set(opts["pages"].split(",")) - set(paths)
        if unknown:
            raise CommandError(
                f"Unknown pages: {', '.join(sorted(unknown))} (choose from {', '.join(paths)})."
            )
        connection.close()  # the server owns the database from here on

        base = f"http://127.0.0.1:{opts['port']}"
        work = Path(tempfile.mkdtemp(prefix="bench-pages-"))
        server = gunicorn_start(gunicorn, port=opts["port"], workers=opts["workers"], work=work)
        results = {}
        try:
            gunicorn_wait_ready(base + paths["standard"][0], server)
            self.stdout.write(
                f"nproc {os.cpu_count()}, load average before {load_average()}; {opts['users']} visitors, "
                f"{opts['warmup']} s warm-up + {opts['seconds']} s per page"
            )
            names = opts["pages"].split(",")
            # Every worker process starts cold (imports, templates, first connections): warm every page
            # first, then measure, and measure the baseline again last so that its figure is not the one
            # taken while the server was coldest; ratios use the better of the two baseline runs.
            for name in names:
                if opts["warmup"]:
                    self._locust(locust, base, name, paths[name], opts["users"], opts["warmup"], work)
            runs = names + (["standard"] if "standard" in names and len(names) > 1 else [])
            for index, name in enumerate(runs):
                r = self._locust(locust, base, name, paths[name], opts["users"], opts["seconds"], work)
                key = "standard (again)" if name in results and index else name
                results[key] = r
                self.stdout.write(
                    f"  {key:<16} {r['rps']:8.1f} req/s  p50 {r['p50']:6.0f} ms  p95 {r['p95']:6.0f} ms"
                    f"  ({r['count']} requests, {r['failures']} failures, load {load_average()})"
                )
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
            log = (work / "gunicorn.log").read_text(errors="replace")
            shutil.rmtree(work, ignore_errors=True)
        self._report(results, log)

    # --- data -----------------------------------------------------------------------------------
    def _check_throwaway(self):
        """Seeding writes demo accounts and thousands of listings: only into a fresh SQLite file."""
        from listings.models import Listing

        name = str(connection.settings_dict["NAME"])
        if connection.vendor != "sqlite":
            raise CommandError(
                "bench_pages runs on a throwaway SQLite database only (use `make bench-pages`)."
            )
        if name in (str(settings.BASE_DIR / "var" / "db.sqlite3"), str(settings.VAR_DIR / "db.sqlite3")):
            raise CommandError(
                f"Refusing to use {name}: set SQLITE_PATH to a throwaway file (make bench-pages)."
            )
        if Listing.objects.exists():
            raise CommandError(f"{name} already holds listings; bench_pages needs a fresh migrated database.")

    def _seed(self, n: int, rng: random.Random) -> dict[str, list[str]]:
        """Demo data, N listings, the search index; returns page name → the paths its visitors cycle."""
        from django.db import transaction
        from django.urls import reverse
        from django.utils import translation

        from cms.context_processors import forget_demo_data_flag
        from cms.demo import seed
        from cms.models import StandardPage
        from listings.management.commands.bench_search import Command as SearchBench
        from listings.models import ListingKind
        from listings.selectors import listings_public

        logging.getLogger("wagtail").setLevel(logging.WARNING)  # one line per seeded page otherwise
        with transaction.atomic():
            seed(password="bench-pages-only")  # noqa: S106 - throwaway database
        SearchBench()._generate(n, rng)
        call_command("search_reindex", no_progress=True, stdout=open(os.devnull, "w"))  # noqa: SIM115
        forget_demo_data_flag()
        standard = StandardPage.objects.live().filter(locale__language_code="vi").first()
        if standard is None:
            raise CommandError("seed_demo made no StandardPage: the baseline page is missing.")
        offers = list(
            listings_public().filter(kind=ListingKind.OFFER).values_list("pk", flat=True)[:DETAIL_PAGES]
        )
        with translation.override("vi"):
            technologies = reverse("listings:technology_list")
            detail = [reverse("listings:technology_detail", args=[pk]) for pk in offers]
        return {
            "standard": [standard.get_url()],
            "home": ["/vi/"],
            "list": [technologies],
            "detail": detail,
            "search": [f"{technologies}?q={q.replace(' ', '+')}" for q in QUERIES],
        }

    # --- server ---------------------------------------------------------------------------------
    # --- load -----------------------------------------------------------------------------------
    def _locust(self, locust: str, base: str, name: str, paths: list[str], users: int, seconds: int, work):
        prefix = work / name
        env = {**os.environ, "BENCH_PATHS": "\n".join(paths), "BENCH_NAME": name}
        done = subprocess.run(
            [
                locust,
                "-f",
                str(Path(__file__).resolve().parents[2] / "bench" / "locustfile.py"),
                "--headless",
                "--only-summary",
                "--loglevel",
                "WARNING",
                "-u",
                str(users),
                "-r",
                str(users),
                "-t",
                f"{seconds}s",
                "-H",
                base,
                "--csv",
                str(prefix),
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        stats = Path(f"{prefix}_stats.csv")
        if not stats.exists():
            raise CommandError(f"locust wrote no statistics for {name}:\n{done.stdout}\n{done.stderr}")
        with stats.open() as handle:
            row = next((r for r in csv.DictReader(handle) if r["Name"] == name), None)
        if row is None or done.returncode not in (0, 1):  # locust exits 1 when a request failed
            raise CommandError(f"locust did not run {name}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
        failures = Path(f"{prefix}_failures.csv")
        reasons = []
        if failures.exists():
            with failures.open() as handle:
                reasons = [f"{r['Error']} ×{r['Occurrences']}" for r in csv.DictReader(handle)]
        return {
            "rps": float(row["Requests/s"]),
            "p50": float(row["50%"]),
            "p95": float(row["95%"]),
            "count": int(row["Request Count"]),
            "failures": int(row["Failure Count"]),
            "reasons": reasons,
        }

    # --- report ---------------------------------------------------------------------------------
    def _report(self, results: dict, log: str):
        baselines = [r for name, r in results.items() if name.startswith("standard")]
        baseline = max(baselines, key=lambda r: r["rps"]) if baselines else None
        self.stdout.write("")
        self.stdout.write("| page | req/s | p50 ms | p95 ms | ratio to baseline |")
        self.stdout.write("|---|---:|---:|---:|---:|")
        failed = False
        for name, r in results.items():
            ratio = r["rps"] / baseline["rps"] if baseline and baseline["rps"] else float("nan")
            is_baseline = name.startswith("standard")
            mark = "" if is_baseline else (" ✓" if ratio >= AIM else " ✗ below the aim")
            label = f"{name} (baseline)" if is_baseline else name
            self.stdout.write(
                f"| {label} | {r['rps']:.1f} | {r['p50']:.0f} | {r['p95']:.0f} | {ratio:.2f}{mark} |"
            )
            if r["failures"]:
                failed = True
                self.stdout.write(self.style.ERROR(f"  {name}: {'; '.join(r['reasons'])}"))
        self.stdout.write(f"load average after: {load_average()}")
        if failed:
            self.stdout.write(log[-4000:])
            raise CommandError("Some requests failed: the figures above are not valid.")

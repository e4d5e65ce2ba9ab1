# ruff: noqa: S603 - runs our own gunicorn and locust executables with fixed arguments
"""Bounded load test (issue #11): ``make load``, i.e. on a THROWAWAY PostgreSQL from ``scripts/pg-test.sh``::

    BENCHMARK_NO_RATE_LIMITS=1 scripts/pg-test.sh python manage.py bench_load [--users 50] [--seconds 60]

Creates the database if it is missing, migrates it, seeds the demo exchange plus N synthetic published
listings (``bench_search``'s generator) and indexes them; prepares one business account per simulated
person (its own organisation, an API token, an open deal room on a demo offer), then starts gunicorn on
loopback (``deploy/gunicorn.conf.py``, persistent connections) and runs locust headless for a bounded time
with the mix of ``exchange/core/bench/load_locustfile.py``: search, browse and deal-room reads with
messages and inquiries written meanwhile. Prints throughput, p50/p95 and errors per request kind and in
total, with the load average (the machine may be shared), and fails when any request failed.

The rate limits (inquiries, messages, sign-in) would refuse 50 people writing from one address:
``BENCHMARK_NO_RATE_LIMITS=1`` lifts them for the server this command starts, and only there.
"""

from __future__ import annotations

import csv
import json
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

INQUIRIES_PER_PERSON = 40
DETAIL_PAGES = 100


class Command(BaseCommand):
    help = "Mixed load test (search, browse, deal rooms with writes) on gunicorn + a throwaway PostgreSQL."

    def add_arguments(self, parser):
        parser.add_argument("--n", type=int, default=5000, help="synthetic listings (default 5000)")
        parser.add_argument("--users", type=int, default=50, help="concurrent people (default 50)")
        parser.add_argument("--seconds", type=int, default=60, help="measured seconds (default 60)")
        parser.add_argument("--port", type=int, default=8660)
        parser.add_argument("--workers", type=int, help="gunicorn workers (default: deploy/gunicorn.conf.py)")
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, **opts):
        locust, gunicorn = bench_executable("locust"), bench_executable("gunicorn")
        self._check_throwaway()
        self.stdout.write(
            f"Migrating and seeding the demo exchange, {opts['n']} listings, {opts['users']} people…"
        )
        call_command("migrate", verbosity=0, interactive=False)
        accounts = self._seed(opts["n"], opts["users"], random.Random(opts["seed"]))  # noqa: S311 - data
        connection.close()  # the server owns the database from here on

        work = Path(tempfile.mkdtemp(prefix="bench-load-"))
        (work / "accounts.json").write_text(json.dumps(accounts))
        base = f"http://127.0.0.1:{opts['port']}"
        server = gunicorn_start(
            gunicorn,
            port=opts["port"],
            workers=opts["workers"],
            work=work,
            extra_env={"BENCHMARK_NO_RATE_LIMITS": "1", "HUEY_IMMEDIATE": "0"},
        )
        try:
            gunicorn_wait_ready(base + accounts["technologies"], server)
            before = load_average()
            self.stdout.write(
                f"nproc {os.cpu_count()}, load average before {before}; {opts['users']} people, "
                f"{opts['seconds']} s, no think time"
            )
            rows, failures = self._locust(locust, base, opts, work)
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
            log = (work / "gunicorn.log").read_text(errors="replace")
            shutil.rmtree(work, ignore_errors=True)
        self._report(rows, failures, before, log)

    # --- data -----------------------------------------------------------------------------------
    def _check_throwaway(self):
        db = connection.settings_dict
        if connection.vendor != "postgresql" or db.get("HOST") not in ("127.0.0.1", "localhost", "::1"):
            raise CommandError(
                "bench_load runs on a throwaway PostgreSQL on loopback only (use `make load`)."
            )
        if not getattr(settings, "BENCHMARK_NO_RATE_LIMITS", False):
            raise CommandError(
                "Set BENCHMARK_NO_RATE_LIMITS=1 (make load does): the rate limits would refuse the writes."
            )
        import psycopg

        # pg-test.sh starts an empty server: create the database, and refuse one that already has tables.
        admin = psycopg.connect(
            host=db["HOST"], port=db.get("PORT") or 5432, user=db["USER"], dbname="postgres", autocommit=True
        )
        with admin:
            exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]).fetchone()
            if not exists:
                admin.execute(f'CREATE DATABASE "{db["NAME"]}"')
        if exists:
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
                if cursor.fetchone()[0]:
                    raise CommandError(
                        f"Database {db['NAME']} already has tables; bench_load needs a fresh one."
                    )

    def _seed(self, n: int, users: int, rng: random.Random) -> dict:
        from django.db import transaction
        from django.urls import reverse
        from django.utils import translation

        from cms.context_processors import forget_demo_data_flag
        from cms.demo import seed
        from exchange.accounts.models import (
            Membership,
            MembershipRole,
            MembershipStatus,
            Organization,
            OrganizationKind,
            Role,
            User,
        )
        from exchange.accounts.tokens import api_token_create
        from exchange.deals.services import deal_create_inquiry
        from listings.management.commands.bench_search import Command as SearchBench
        from listings.models import Listing, ListingKind
        from listings.selectors import listings_public

        logging.getLogger("wagtail").setLevel(logging.WARNING)
        with transaction.atomic():
            seed(password="bench-load-only")  # noqa: S106 - throwaway database
        SearchBench()._generate(n, rng)
        call_command("search_reindex", no_progress=True, stdout=open(os.devnull, "w"))  # noqa: SIM115
        forget_demo_data_flag()
        offers = list(
            listings_public().filter(kind=ListingKind.OFFER).order_by("pk").values_list("pk", flat=True)
        )
        room_listing = Listing.objects.get(pk=offers[0])
        enterprise = OrganizationKind.objects.get(code="enterprise")
        business = Role.objects.filter(code="business")
        people = []
        for i in range(users):
            with transaction.atomic():
                org = Organization.objects.create(
                    ref=f"load-org-{i}",
                    name=f"Công ty Thử tải {i}",
                    kind=enterprise,
                    country="VN",
                    verified=True,
                )
                user = User.objects.create_user(
                    email=f"load{i}@example.vn", password=None, full_name=f"Người thử tải {i}"
                )
                user.roles.set(business)
                Membership.objects.create(
                    user=user, organization=org, role=MembershipRole.MEMBER, status=MembershipStatus.ACTIVE
                )
                deal = deal_create_inquiry(
                    actor=user,
                    listing=room_listing,
                    organization=org,
                    message="Chúng tôi quan tâm (thử tải).",
                )
                _token, key = api_token_create(user=user, name="bench-load")
            start = 1 + i * INQUIRIES_PER_PERSON
            people.append(
                {
                    "token": key,
                    "deal": deal.pk,
                    "organization": org.pk,
                    "inquire": offers[start : start + INQUIRIES_PER_PERSON],
                }
            )
        with translation.override("vi"):
            technologies = reverse("listings:technology_list")
            details = [reverse("listings:technology_detail", args=[pk]) for pk in offers[:DETAIL_PAGES]]
        return {"people": people, "technologies": technologies, "details": details}

    # --- server and load ------------------------------------------------------------------------
    def _locust(self, locust: str, base: str, opts, work: Path):
        prefix = work / "load"
        done = subprocess.run(
            [
                locust,
                "-f",
                str(Path(__file__).resolve().parents[2] / "bench" / "load_locustfile.py"),
                "--headless",
                "--only-summary",
                "--loglevel",
                "WARNING",
                "-u",
                str(opts["users"]),
                "-r",
                str(max(1, opts["users"] // 5)),  # all people in within 5 s
                "-t",
                f"{opts['seconds']}s",
                "-H",
                base,
                "--csv",
                str(prefix),
            ],
            env={**os.environ, "BENCH_LOAD_ACCOUNTS": str(work / "accounts.json")},
            capture_output=True,
            text=True,
            check=False,
        )
        stats = Path(f"{prefix}_stats.csv")
        if not stats.exists() or done.returncode not in (0, 1):  # 1: some request failed
            raise CommandError(f"locust did not run:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
        with stats.open() as handle:
            rows = list(csv.DictReader(handle))
        failures = []
        path = Path(f"{prefix}_failures.csv")
        if path.exists():
            with path.open() as handle:
                failures = [f"{r['Name']}: {r['Error']} ×{r['Occurrences']}" for r in csv.DictReader(handle)]
        return rows, failures

    def _report(self, rows, failures, before: str, log: str):
        self.stdout.write("")
        self.stdout.write("| requests | count | errors | req/s | p50 ms | p95 ms |")
        self.stdout.write("|---|---:|---:|---:|---:|---:|")
        for row in sorted(rows, key=lambda r: r["Name"] == "Aggregated"):
            label = "**all**" if row["Name"] == "Aggregated" else row["Name"]
            self.stdout.write(
                f"| {label} | {row['Request Count']} | {row['Failure Count']} "
                f"| {float(row['Requests/s']):.1f} | {row['50%']} | {row['95%']} |"
            )
        self.stdout.write(f"load average before {before}, after {load_average()} (1 / 5 / 15 min)")
        if failures:
            for line in failures:
                self.stdout.write(self.style.ERROR(f"  {line}"))
            self.stdout.write(log[-4000:])
            raise CommandError("Some requests failed (see above).")

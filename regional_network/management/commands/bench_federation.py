"""Benchmark the pull: a peer pulls N listings from an empty start, then catches up M changes.

Runs two real exchanges on throwaway SQLite databases in a temporary folder (never var/db.sqlite3):
the origin serves its feed with ``runserver`` on a loopback port, the receiver pulls it over signed HTTP.

    python manage.py bench_federation --n 20000 --changes 1000

The sub-steps (``--step seed|serve-env|mutate|pull``) are this same command run in each instance's
environment; they are internal.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Command(BaseCommand):
    help = "Time a full pull of N listings and a catch-up of M changes between two throwaway instances."

    def add_arguments(self, parser):
        parser.add_argument("--n", type=int, default=20000)
        parser.add_argument("--changes", type=int, default=1000)
        parser.add_argument("--page", type=int, default=500)
        parser.add_argument("--step", choices=["seed", "mutate", "pull"], help=argparse_internal())
        parser.add_argument("--url", default="")
        parser.add_argument("--public-key", default="")

    def handle(self, *args, **options):
        step = options["step"]
        if step == "seed":
            return self.seed(options["n"], options["public_key"])
        if step == "mutate":
            return self.mutate(options["changes"])
        if step == "pull":
            return self.pull(options["url"], options["public_key"], options["page"])
        return self.orchestrate(options)

    # --- orchestration (the parent process) ------------------------------------------------------------
    def orchestrate(self, options):
        from regional_network import signatures

        n, changes = options["n"], options["changes"]
        tmp = Path(tempfile.mkdtemp(prefix="techex-bench-federation-"))
        origin_key, receiver_key = (
            signatures.generate_private_key_b64(),
            signatures.generate_private_key_b64(),
        )
        envs = {}
        for name, key, origin in (("origin", origin_key, "benchorigin"), ("receiver", receiver_key, "hcmc")):
            (tmp / name).mkdir()
            envs[name] = {
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "exchange.settings.local",
                "DJANGO_DEBUG": "0",
                "SQLITE_PATH": str(tmp / name / "db.sqlite3"),
                "TECHEX_VAR_DIR": str(tmp / name),
                "EXCHANGE_ORIGIN": origin,
                "FEDERATION_PRIVATE_KEY": key,
                "HUEY_IMMEDIATE": "0",
            }
        server = None
        try:
            self.stdout.write(f"Migrating a throwaway database in {tmp} …")
            t0 = time.perf_counter()
            self.run_step(envs["origin"], "migrate", "--noinput", "-v0", manage_only=True)
            self.stdout.write(f"  {time.perf_counter() - t0:.1f} s")
            shutil.copy(tmp / "origin" / "db.sqlite3", tmp / "receiver" / "db.sqlite3")
            receiver_public = signatures.public_key_b64(signatures.private_key_from_b64(receiver_key))
            origin_public = signatures.public_key_b64(signatures.private_key_from_b64(origin_key))
            t0 = time.perf_counter()
            self.run_step(envs["origin"], "--step", "seed", "--n", str(n), "--public-key", receiver_public)
            self.stdout.write(
                f"Seeded {n} published listings at the origin in {time.perf_counter() - t0:.1f} s"
            )
            port = _free_port()
            log = (tmp / "origin.log").open("w")
            server = subprocess.Popen(  # noqa: S603 - our own manage.py, fixed arguments
                [sys.executable, "manage.py", "runserver", "--noreload", "--skip-checks",
                 f"127.0.0.1:{port}"],
                cwd=settings.BASE_DIR, env=envs["origin"], stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
            self.wait_port(port, server)
            url = f"http://127.0.0.1:{port}"
            pull = [
                "--step",
                "pull",
                "--url",
                url,
                "--public-key",
                origin_public,
                "--page",
                str(options["page"]),
            ]
            full = json.loads(self.run_step(envs["receiver"], *pull).strip().splitlines()[-1])
            self.report("Full pull", full)
            t0 = time.perf_counter()
            self.run_step(envs["origin"], "--step", "mutate", "--changes", str(changes))
            self.stdout.write(f"Changed {changes} listings at the origin in {time.perf_counter() - t0:.1f} s")
            inc = json.loads(self.run_step(envs["receiver"], *pull).strip().splitlines()[-1])
            self.report("Catch-up", inc)
            if inc["records"]:
                self.stdout.write(
                    f"Catch-up cost per change {inc['seconds'] / inc['records'] * 1000:.2f} ms vs full pull "
                    f"{full['seconds'] / max(full['records'], 1) * 1000:.2f} ms per record; catch-up read "
                    f"{inc['records']} records of {n} ({inc['pages']} pages): "
                    "it follows the changes, not the total."
                )
        finally:
            if server is not None and server.poll() is None:
                os.killpg(server.pid, signal.SIGTERM)
                server.wait(timeout=10)
            shutil.rmtree(tmp, ignore_errors=True)

    def report(self, label, data):
        rate = data["records"] / data["seconds"] if data["seconds"] else 0
        self.stdout.write(
            f"{label}: {data['records']} records in {data['seconds']:.2f} s = {rate:,.0f} records/s "
            f"({data['pages']} pages, {data['stats']})"
        )

    def run_step(self, env, *args, manage_only=False) -> str:
        command = [sys.executable, "manage.py", *args] if manage_only else [
            sys.executable, "manage.py", "bench_federation", *args
        ]  # fmt: skip
        done = subprocess.run(  # noqa: S603 - our own manage.py, fixed arguments
            command, cwd=settings.BASE_DIR, env=env, capture_output=True, text=True
        )
        if done.returncode != 0:
            raise CommandError(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr[-3000:]}")
        return done.stdout

    @staticmethod
    def wait_port(port, proc, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    return
            except OSError:
                if proc.poll() is not None:
                    break
                time.sleep(0.1)
        raise CommandError("the origin server did not start")

    # --- steps (run inside one instance's environment) -------------------------------------------------
    def seed(self, n: int, receiver_public_key: str) -> None:
        from django.db import transaction

        from exchange.accounts.models import Organization, OrganizationKind
        from listings.interchange import listing_to_record, listings_for_records
        from listings.lifecycle import ListingState
        from listings.models import Listing, ScienceField
        from regional_network.changelog import record_hash
        from regional_network.models import ChangeEntry, Peer

        Peer.objects.create(
            name="Receiver", origin="hcmc", base_url="http://127.0.0.1:9", public_key=receiver_public_key
        )
        org = Organization.objects.create(
            ref="bench-university", name="Trường Đại học Thử nghiệm", kind=OrganizationKind.objects.first()
        )
        field = ScienceField.objects.get(code="2.07")
        for start in range(0, n, 1000):
            with transaction.atomic():
                rows = [
                    Listing(
                        origin=settings.EXCHANGE_ORIGIN,
                        ref=f"bench-{i:06d}",
                        kind="offer",
                        state=ListingState.PUBLISHED,
                        version=1,
                        title_vi=f"Công nghệ thử nghiệm số {i}",
                        summary_vi="Tóm tắt công nghệ thử nghiệm dùng để đo tốc độ đồng bộ giữa các sàn.",
                        field=field,
                        keywords=["thử nghiệm", "đồng bộ"],
                        trl=5,
                        transaction_types=["non_exclusive_license"],
                        price_min=100_000_000,
                        price_max=200_000_000,
                        organization=org,
                        inventors=["Nguyễn Văn A"],
                    )
                    for i in range(start, min(n, start + 1000))
                ]
                Listing.objects.bulk_create(rows)
                self._log(rows, listing_to_record, listings_for_records, record_hash, ChangeEntry)

    @staticmethod
    def _log(rows, listing_to_record, listings_for_records, record_hash, ChangeEntry) -> None:
        from listings.models import Listing

        listings = listings_for_records(Listing.objects.filter(pk__in=[r.pk for r in rows])).order_by("pk")
        entries = []
        for listing in listings:
            record = listing_to_record(listing)
            record["version"] = listing.version
            entries.append(
                ChangeEntry(
                    listing_id=listing.pk,
                    ref=listing.ref,
                    kind=listing.kind,
                    field=listing.field.code,
                    version=listing.version,
                    source_version=listing.version,
                    record=record,
                    record_hash=record_hash(record),
                )
            )
        ChangeEntry.objects.bulk_create(entries)

    def mutate(self, changes: int) -> None:
        """Change ``changes`` listings spread over the whole set, logged as the hook would log them."""
        from listings.models import Listing
        from regional_network.changelog import changelog_record

        total = Listing.objects.count()
        step = max(1, total // max(changes, 1))
        ids = list(Listing.objects.order_by("pk").values_list("pk", flat=True)[::step][:changes])
        for pk in ids:
            listing = Listing.objects.get(pk=pk)
            listing.title_vi += " (cập nhật)"
            listing.version += 1
            listing.save(update_fields=["title_vi", "version", "updated_at"])
            changelog_record(listing_id=pk)

    def pull(self, url: str, origin_public_key: str, page: int) -> None:
        from regional_network.models import Peer
        from regional_network.services import peer_sync

        peer, _ = Peer.objects.get_or_create(
            origin="benchorigin",
            defaults={"name": "Bench origin", "base_url": url, "public_key": origin_public_key},
        )
        Peer.objects.filter(pk=peer.pk).update(base_url=url)
        t0 = time.perf_counter()
        records = 0

        def progress(n, _peer):
            nonlocal records
            records += n

        result = peer_sync(peer_id=peer.pk, page_limit=page, progress=progress)
        seconds = time.perf_counter() - t0
        if result.status != "ok":
            raise CommandError(f"pull failed: {result.status} {result.error}")
        out = {"records": records, "seconds": seconds, "pages": result.pages, "stats": result.stats.as_dict()}
        self.stdout.write(json.dumps(out))


def argparse_internal() -> str:
    return "internal: one step of the benchmark, run in one instance's environment"

"""Compare the published listings with each search index."""

import json

from django.core.management.base import BaseCommand

from listings.search.base import backend_names, get_backend, indexing_backends, search_health
from listings.search.indexing import drift


class Command(BaseCommand):
    help = "Counts of published listings and indexed documents per backend, and the drift between them."

    def add_arguments(self, parser):
        parser.add_argument("--backend", choices=backend_names())
        parser.add_argument("--repair", action="store_true", help="Also repair the drift found.")
        parser.add_argument("--json", action="store_true", dest="as_json", help="Print one JSON object.")

    def handle(self, *args, backend=None, repair=False, as_json=False, **options):
        backends = [get_backend(backend)] if backend else indexing_backends()
        report = {"health": search_health(), "backends": {}}
        for b in backends:
            try:
                report["backends"][b.name] = drift(b, repair=repair)
            except Exception as exc:  # noqa: BLE001 - show it, keep going
                report["backends"][b.name] = {"error": str(exc)}
        if as_json:
            self.stdout.write(json.dumps(report, default=str, ensure_ascii=False))
            return
        for name, counts in report["backends"].items():
            if "error" in counts:
                self.stdout.write(self.style.ERROR(f"{name}: {counts['error']}"))
                continue
            drifted = counts["missing"] + counts["stale"] + counts["orphans"]
            line = (
                f"{name}: {counts['published']} published, {counts['indexed']} indexed; "
                f"missing {counts['missing']}, stale {counts['stale']}, orphans {counts['orphans']}"
            )
            if repair and drifted:
                line += " (repaired)"
            self.stdout.write(self.style.SUCCESS(line) if not drifted else self.style.WARNING(line))
        last = report["health"].get("last_search")
        if last and not last.get("ok"):
            self.stdout.write(self.style.WARNING(f"last search on {last['backend']} failed: {last['error']}"))

"""Rebuild a search index from every published listing, swapping it in without downtime."""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from listings.lifecycle import ListingState
from listings.models import Listing
from listings.search.base import backend_names, get_backend, indexing_backends
from listings.search.indexing import reconcile


class Command(BaseCommand):
    help = (
        "Build a new search index of the published listings and swap it in (the database backend: a new "
        "FTS table renamed over the old one; Elasticsearch: a new index behind the alias), then repair "
        "what changed meanwhile."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--backend",
            choices=backend_names(),
            help="Only this backend (default: the primary and the database fallback).",
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, backend=None, no_progress=False, **options):
        backends = [get_backend(backend)] if backend else indexing_backends()
        total = Listing.objects.filter(state=ListingState.PUBLISHED).count()
        for b in backends:
            bar = tqdm(
                total=total,
                desc=f"search_reindex {b.name}",
                unit="doc",
                disable=no_progress,
                file=self.stderr._out,
            )
            try:
                indexed = b.rebuild(progress=bar.update)
            except Exception as exc:
                raise CommandError(f"{b.name}: rebuild failed: {exc}") from exc
            finally:
                bar.close()
            report = reconcile(b.name)[b.name]
            self.stdout.write(
                f"{b.name}: {indexed} documents indexed and swapped in; "
                f"repaired after swap: {report['missing']} missing, {report['stale']} stale, "
                f"{report['orphans']} removed."
            )

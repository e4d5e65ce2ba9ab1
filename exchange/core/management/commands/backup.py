"""``manage.py backup [--destination DIR] [--keep N]``: one backup of the database and media now.

The worker runs the same thing every night (``exchange.core.tasks.backup_nightly``); see docs/deploy.md.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from exchange.core.backup import BackupError, backup_create


class Command(BaseCommand):
    help = "Back up the database (SQLite online backup / pg_dump) and both media trees, keeping the newest N."

    def add_arguments(self, parser):
        parser.add_argument("--destination", type=Path, help="Directory of backups (default BACKUP_DIR).")
        parser.add_argument("--keep", type=int, help="How many backups to keep (default BACKUP_KEEP).")

    def handle(self, *args, **options):
        try:
            path = backup_create(destination=options["destination"], keep=options["keep"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(str(path))

"""``manage.py restore_backup DIR --yes [--no-media]``: put the database and media back from a backup.

Overwrites the database: stop the web and worker processes first, and run ``search_reindex`` afterwards.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from exchange.core.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = "Restore the database and media from a backup directory made by `manage.py backup`."

    def add_arguments(self, parser):
        parser.add_argument("source", type=Path, help="A backup directory, e.g. var/backups/20261203-023000")
        parser.add_argument("--yes", action="store_true", help="Confirm overwriting the current data.")
        parser.add_argument("--no-media", action="store_true", help="Restore the database only.")

    def handle(self, *args, **options):
        if not options["yes"]:
            raise CommandError("This overwrites the database and media; add --yes to confirm.")
        try:
            manifest = backup_restore(source=options["source"], media=not options["no_media"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Restored the backup of {manifest['created_at']}; now run search_reindex.")

"""Import technology offers and requests from a JSON, JSON Lines or XLSX file (docs/import.md).

    manage.py import_technologies offers.jsonl
    manage.py import_technologies offers.xlsx --organization hcmut
    manage.py import_technologies offers.json --publish --as admin@techex.local

Everything is validated first; if any record is bad, each bad record and key is printed and nothing is
imported (exit status 1). The default actor is the system account (it may create unknown
organisations but never publishes); ``--publish`` needs ``--as`` an exchange staff member.
"""

import sys

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from exchange.accounts import permissions as perms
from exchange.accounts.models import Organization, User
from listings.importing import ImportFailed, ImportFileError, get_system_user, import_records, read_records


class Command(BaseCommand):
    help = "Nhập tin công nghệ từ tệp JSON / JSON Lines / XLSX (import technology listings)"

    def add_arguments(self, parser):
        parser.add_argument("file", help="a .json, .jsonl or .xlsx file")
        parser.add_argument("--organization", metavar="REF", help="import every record into this org")
        parser.add_argument(
            "--publish", action="store_true", help="publish at once (needs --as a staff member)"
        )
        parser.add_argument("--as", dest="as_email", metavar="EMAIL", help="act as this user")
        parser.add_argument("--demo", action="store_true", help="mark the listings as demo data")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, file, organization, publish, as_email, demo, no_progress, **options):
        if as_email:
            actor = User.objects.filter(email__iexact=as_email, is_active=True).first()
            if actor is None:
                raise CommandError(f"No active user {as_email}.")
        else:
            actor = get_system_user()
        if publish and not perms.is_staff(actor):
            raise CommandError("--publish needs --as an exchange staff member (publishing needs staff).")
        org = None
        if organization:
            org = Organization.objects.filter(ref=organization).first()
            if org is None:
                raise CommandError(f"No organisation with ref {organization!r}.")
        try:
            records = read_records(file)
        except FileNotFoundError as exc:
            raise CommandError(f"File not found: {file}") from exc
        except ImportFileError as exc:
            self._print_errors(exc.errors)
            raise CommandError(f"{len(exc.errors)} lỗi đọc tệp; không nhập gì (nothing imported).") from exc
        bar = tqdm(
            total=len(records),
            file=sys.stderr,
            unit="tin",
            disable=no_progress or len(records) < 50 or None,
            desc="import",
        )
        try:
            report = import_records(
                records, actor=actor, organization=org, publish=publish, is_demo=demo, progress=bar.update
            )
        except (PermissionDenied, ImportFailed) as exc:
            raise CommandError(str(exc)) from exc
        finally:
            bar.close()
        if report.errors:
            self._print_errors(report.errors)
            bad = len({e.record for e in report.errors})
            raise CommandError(
                f"{len(report.errors)} lỗi trong {bad} bản ghi; không nhập gì "
                f"({len(report.errors)} errors in {bad} records; nothing imported)."
            )
        self.stdout.write(self.style.SUCCESS(report.summary()))

    def _print_errors(self, errors):
        for error in errors:
            self.stderr.write(str(error))

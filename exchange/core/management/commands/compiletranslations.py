"""Compile every .po file of the project into .mo with polib.

Django's ``compilemessages`` needs GNU gettext's ``msgfmt`` on the machine; this command needs only the
virtual environment, so ``make run`` works on a machine that has nothing but Python. Fuzzy and empty
entries are left out, as msgfmt does.
"""

from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Biên dịch tệp dịch .po thành .mo / compile translations"

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Fail if a message has no translation.")

    def handle(self, *args, check: bool, **options):
        roots = [Path(p) for p in settings.LOCALE_PATHS]
        po_files = sorted(p for root in roots if root.exists() for p in root.rglob("*.po"))
        if not po_files:
            self.stdout.write("No translation files.")
            return
        missing_total = 0
        for po_path in po_files:
            catalogue = polib.pofile(str(po_path))
            missing = [e for e in catalogue if not e.obsolete and not e.translated()]
            missing_total += len(missing)
            catalogue.save_as_mofile(str(po_path.with_suffix(".mo")))
            self.stdout.write(
                f"{po_path.relative_to(settings.BASE_DIR)}: {catalogue.percent_translated()}% translated"
                + (f", {len(missing)} missing" if missing else "")
            )
        if check and missing_total:
            raise CommandError(f"{missing_total} messages have no translation.")

"""Load the demo exchange: staff, organisations with their people, and sample listings.

``--once`` makes ``make run`` idempotent: the demo data is loaded on the first run only, so a newcomer's
own changes are never overwritten. Demo passwords come from DEMO_PASSWORD (default printed below);
they are for a laptop, never for production (the command refuses to run with production settings).
"""

import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from cms.demo import DEMO_MARKER_EMAIL, seed


class Command(BaseCommand):
    help = "Tải dữ liệu mẫu của sàn (chỉ dùng cho máy phát triển) / load the demo data"

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="Do nothing if the demo data is already there."
        )

    def handle(self, *args, once: bool, **options):
        if (settings.SETTINGS_MODULE or "").endswith(".production"):
            raise CommandError("seed_demo is for development machines only.")
        from exchange.accounts.models import User

        if once and User.objects.filter(email=DEMO_MARKER_EMAIL).exists():
            self.stdout.write("Demo data already loaded.")
            return
        password = os.environ.get("DEMO_PASSWORD", "demo-techex-2026")
        with transaction.atomic():
            summary = seed(password=password)
        from cms.context_processors import forget_demo_data_flag

        forget_demo_data_flag()
        self.stdout.write(self.style.SUCCESS("Demo data loaded:"))
        for line in summary:
            self.stdout.write(f"  {line}")
        self.stdout.write(f"  password for every demo account: {password}")

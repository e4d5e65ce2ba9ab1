"""Point the default Wagtail Site at ``SITE_URL``.

Wagtail builds every absolute page URL (``sitemap.xml``, "view live" in the admin, ``page.full_url``)
from the ``Site`` row's host name and port, and its first migration leaves ``localhost:80`` there.
Compose's migrate job runs this after ``migrate`` so no operator has to remember the admin form, and
``make run`` runs it with ``http://127.0.0.1:8000``. Idempotent: a second run changes nothing.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from cms.site_url import parse_site_url


class Command(BaseCommand):
    help = "Set the default Wagtail Site's host name and port from SITE_URL (safe to run at every deploy)."

    def handle(self, *args, **options):
        from wagtail.models import Site

        try:
            address = parse_site_url(settings.SITE_URL)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc

        with transaction.atomic():
            site = Site.objects.select_for_update().filter(is_default_site=True).first()
            if site is None:
                candidates = list(Site.objects.select_for_update().order_by("pk")[:2])
                if len(candidates) != 1:
                    raise CommandError(
                        "No default Wagtail site to configure"
                        + (
                            " and several sites exist: mark one as default in the admin."
                            if candidates
                            else ": run migrate first."
                        )
                    )
                site = candidates[0]
            clash = (
                Site.objects.filter(hostname=address.hostname, port=address.port).exclude(pk=site.pk).first()
            )
            if clash is not None:
                raise CommandError(
                    f"Another Wagtail site ({clash.pk}, {clash}) already uses "
                    f"{address.hostname}:{address.port}; remove or rename it in the admin "
                    "(Settings → Sites) first."
                )
            before = (site.hostname, site.port, site.is_default_site)
            wanted = (address.hostname, address.port, True)
            if before == wanted and site.site_name:
                self.stdout.write(f"Wagtail site {site.pk} already at {address.root}; nothing changed.")
                return
            site.hostname, site.port, site.is_default_site = wanted
            site.site_name = site.site_name or settings.WAGTAIL_SITE_NAME
            site.save()  # Wagtail's post_save handler forgets its cached site root paths
        self.stdout.write(
            self.style.SUCCESS(
                f"Wagtail site {site.pk}: {before[0]}:{before[1]} → {address.hostname}:{address.port}"
            )
        )

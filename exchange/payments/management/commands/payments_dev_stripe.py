"""Wait for localstripe at STRIPE_API_BASE and register this site's webhook with it (``make run``).

localstripe 1.15 (server.py): ``POST /_config/webhooks/<id>`` with form fields ``url`` and ``secret``
(optional ``events``) registers a webhook; it signs deliveries like Stripe (``t=…,v1=HMAC-SHA256``).
"""

from __future__ import annotations

import time
import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from exchange.payments import conf


def wait_for(base: str, timeout: float) -> bool:
    if not base.startswith(("http://", "https://")):
        raise CommandError("STRIPE_API_BASE must be an http(s) URL")
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{base}/js.stripe.com/v3/", timeout=2) as response:  # noqa: S310 - http(s) base from settings
                if response.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.3)


def register_webhook(base: str, *, name: str, url: str, secret: str) -> None:
    data = urllib.parse.urlencode({"url": url, "secret": secret}).encode()
    request = urllib.request.Request(f"{base}/_config/webhooks/{name}", data=data, method="POST")  # noqa: S310
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        if response.status != 200:
            raise CommandError(f"localstripe answered {response.status}")


class Command(BaseCommand):
    help = "Wait for localstripe (STRIPE_API_BASE) and register the Stripe webhook of this site with it."

    def add_arguments(self, parser):
        parser.add_argument("--timeout", type=float, default=30)
        parser.add_argument(
            "--site-url", default="", help="Where localstripe reaches the site (default SITE_URL)."
        )
        parser.add_argument("--name", default="techex")

    def handle(self, *args, **options):
        base = conf.stripe_api_base()
        if not base:
            raise CommandError("STRIPE_API_BASE is empty: this command is for localstripe only.")
        if not wait_for(base, options["timeout"]):
            raise CommandError(f"localstripe did not answer at {base} within {options['timeout']} s")
        site = (options["site_url"] or settings.SITE_URL).rstrip("/")
        url = site + reverse("payments-stripe-webhook")
        register_webhook(base, name=options["name"], url=url, secret=conf.stripe_webhook_secret())
        self.stdout.write(f"localstripe at {base}: webhook {options['name']} → {url}")

"""``manage.py check --deploy``: the public address every absolute link is built from (cms.site_url)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.http.request import validate_host

from .site_url import parse_site_url


@register(Tags.security, deploy=True)
def check_site_url(app_configs=None, **kwargs):
    """Production links must be https and on a host this deployment answers: search engines would
    otherwise index ``http://`` or ``127.0.0.1`` addresses from the sitemap and canonical links."""
    try:
        address = parse_site_url(settings.SITE_URL)
    except ValueError as exc:
        return [Error(str(exc), hint="Set SITE_URL to https://<public host>.", id="cms.E001")]
    problems = []
    if address.scheme != "https":
        problems.append(
            Error(
                f"SITE_URL is {settings.SITE_URL!r}: sitemap.xml, canonical, hreflang and e-mail links "
                "would be published over plain http.",
                hint="Set SITE_URL to https://<public host> (deploy/env.example).",
                id="cms.E002",
            )
        )
    if not validate_host(address.hostname, settings.ALLOWED_HOSTS):
        problems.append(
            Warning(
                f"SITE_URL's host {address.hostname!r} is not in ALLOWED_HOSTS: the exchange's own links "
                "would answer 400.",
                hint="Add it to DJANGO_ALLOWED_HOSTS.",
                id="cms.W001",
            )
        )
    return problems

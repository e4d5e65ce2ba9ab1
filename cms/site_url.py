"""The exchange's public address, read from ``SITE_URL``: the one source of every absolute link that
search engines and link previews see (canonical, ``hreflang``, Open Graph, JSON-LD, ``sitemap.xml``,
``robots.txt``).

Why not the request's host: a page reached through another name that ``ALLOWED_HOSTS`` accepts (the
bare IP, a ``www.`` alias, the container name behind the proxy) would announce that name as canonical,
and the sitemap's Wagtail pages (built from the Wagtail ``Site``) and its listings (built from the
request) could disagree. ``manage.py site_configure`` copies the same address into the default
Wagtail ``Site``, so Wagtail's own page URLs agree with these.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from django.conf import settings

DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class PublicAddress:
    scheme: str
    hostname: str
    port: int

    @property
    def netloc(self) -> str:
        host = f"[{self.hostname}]" if ":" in self.hostname else self.hostname
        return host if self.port == DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"

    @property
    def root(self) -> str:
        """``scheme://host[:port]`` without a trailing slash (what Wagtail calls ``Site.root_url``)."""
        return f"{self.scheme}://{self.netloc}"


@lru_cache(maxsize=8)
def parse_site_url(url: str) -> PublicAddress:
    """``https://host[:port][/]`` → its parts; anything Wagtail's ``Site`` cannot represent is refused
    with a message naming the problem (the site is served at the root of its host, never under a path)."""
    text = (url or "").strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"SITE_URL {text!r} is not a valid URL: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise ValueError(f"SITE_URL {text!r} must start with https:// (or http:// on a laptop).")
    if not parts.hostname:
        raise ValueError(f"SITE_URL {text!r} has no host name.")
    if parts.username or parts.password:
        raise ValueError(f"SITE_URL {text!r} must not contain a user name or password.")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(
            f"SITE_URL {text!r} must be the bare address of the site (scheme, host and port only): "
            "the exchange is served at the root of its host."
        )
    return PublicAddress(scheme=scheme, hostname=parts.hostname.lower(), port=port or DEFAULT_PORTS[scheme])


def public_address() -> PublicAddress:
    return parse_site_url(settings.SITE_URL)


def absolute_url(path_or_url: str) -> str:
    """A site path (``/vi/…``) on the public address; an already absolute URL (a page of another
    Wagtail site, media on a CDN) is returned as it is."""
    parts = urlsplit(path_or_url)
    if parts.scheme:
        return path_or_url
    if parts.netloc:  # "//cdn.example.vn/…": the public address's scheme
        return f"{public_address().scheme}:{path_or_url}"
    path = path_or_url if path_or_url.startswith("/") else f"/{path_or_url}"
    return public_address().root + path

"""Keeps the current request's client IP in a context variable so the audit log can record it
without every service taking a ``request`` argument."""

import ipaddress
from contextvars import ContextVar

_client_ip: ContextVar[str | None] = ContextVar("client_ip", default=None)


def current_ip() -> str | None:
    return _client_ip.get()


def client_ip_from_request(request) -> str | None:
    """The client's address: ``REMOTE_ADDR``, unless ``TRUSTED_PROXY_COUNT`` proxies of ours stand in front.

    Each proxy appends the address it saw to ``X-Forwarded-For``, so with N trusted proxies the client is
    the N-th entry from the right; everything left of it was written by the client and proves nothing. The
    one function behind the audit log, the sign-in lockout (``AXES_CLIENT_IP_CALLABLE``), allauth's rate
    limits (``AccountAdapter.get_client_ip``) and DRF's throttles (``NUM_PROXIES``, same rule), so a forged
    header can neither dodge a limit nor put a false address in the audit log. A value that is not an IP
    address falls back to ``REMOTE_ADDR``.
    """
    from django.conf import settings

    remote_addr = request.META.get("REMOTE_ADDR") or None
    proxies = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if proxies <= 0 or not forwarded:
        return remote_addr
    hops = forwarded.split(",")
    candidate = hops[-min(proxies, len(hops))].strip()
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote_addr


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _client_ip.set(client_ip_from_request(request))
        try:
            return self.get_response(request)
        finally:
            _client_ip.reset(token)

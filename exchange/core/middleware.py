"""Keeps the current request's client IP in a context variable so the audit log can record it
without every service taking a ``request`` argument."""

from contextvars import ContextVar

_client_ip: ContextVar[str | None] = ContextVar("client_ip", default=None)


def current_ip() -> str | None:
    return _client_ip.get()


def client_ip_from_request(request) -> str | None:
    # Behind the reverse proxy, the proxy appends the real client to X-Forwarded-For; we trust only the
    # last hop (the proxy we run), never the first value a client could forge.
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if forwarded:
        return forwarded.split(",")[-1].strip() or None
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _client_ip.set(client_ip_from_request(request))
        try:
            return self.get_response(request)
        finally:
            _client_ip.reset(token)

"""Signed HTTP calls to a peer exchange (urllib3, already a dependency through the search client).

Every call is signed (``signatures.sign_request``) and classified for the retry policy:
``PeerUnavailable`` (network error, timeout, 5xx, 429: retried later with capped backoff, honouring
Retry-After) or ``PeerRefused`` (any other 4xx: not retried; staff must look, e.g. at the keys).
A 410 from ``listing()`` is an answer (a tombstone), not an error; a 404 is never read as a delete.
"""

from __future__ import annotations

import json
import urllib.parse
from dataclasses import dataclass
from typing import Any

import urllib3

from .signatures import sign_request

TIMEOUT = urllib3.Timeout(connect=3.0, read=30.0)
USER_AGENT = "techex-federation/1"
_POOL = urllib3.PoolManager(num_pools=20, maxsize=4, retries=False, timeout=TIMEOUT)


class PeerError(Exception):
    status: int | None = None
    retry_after: float | None = None

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class PeerUnavailable(PeerError):
    """Transient: try again later (backoff)."""


class PeerRefused(PeerError):
    """Permanent until someone fixes something (4xx other than 429): no automatic retry."""


@dataclass
class Response:
    status: int
    data: Any
    headers: dict


def _retry_after(headers) -> float | None:
    value = headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


class PeerClient:
    def __init__(self, base_url: str, *, timeout: urllib3.Timeout | None = None):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout or TIMEOUT

    def url(self, path: str, params: dict | None = None) -> str:
        url = self.base_url + path
        if params:
            url += "?" + urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
        return url

    def request(self, method: str, path: str, *, params=None, payload=None, ok=(200,)) -> Response:
        url = self.url(path, params)
        body = b"" if payload is None else json.dumps(payload, separators=(",", ":")).encode()
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if payload is not None:
            headers["Content-Type"] = "application/json"
        headers = sign_request(method, url, body=body, headers=headers)
        try:
            raw = _POOL.request(method, url, body=body or None, headers=headers, timeout=self.timeout)
        except urllib3.exceptions.HTTPError as exc:
            raise PeerUnavailable(f"{method} {url}: {exc.__class__.__name__}: {exc}") from exc
        status = raw.status
        try:
            data = json.loads(raw.data) if raw.data else None
        except ValueError:
            data = None
        if status in ok:
            return Response(status, data, dict(raw.headers))
        detail = (data or {}).get("error") if isinstance(data, dict) else raw.data[:200]
        message = f"{method} {url}: HTTP {status} {detail or ''}".strip()
        if status == 429 or status >= 500:
            raise PeerUnavailable(message, status=status, retry_after=_retry_after(raw.headers))
        raise PeerRefused(message, status=status)

    # --- the protocol --------------------------------------------------------------------------------
    def changes(self, *, cursor: int, limit: int = 500) -> dict:
        return self.request("GET", "/federation/v1/changes", params={"cursor": cursor, "limit": limit}).data

    def listing(self, ref: str) -> tuple[int, dict | None]:
        """``(200, record)``, ``(410, tombstone)`` or ``(404, None)`` (unknown: NOT a delete)."""
        path = "/federation/v1/listings/" + urllib.parse.quote(ref, safe="")
        response = self.request("GET", path, ok=(200, 404, 410))
        return response.status, response.data if response.status != 404 else None

    def inventory(self, *, after: str = "", limit: int = 2000) -> dict:
        return self.request("GET", "/federation/v1/inventory", params={"after": after, "limit": limit}).data

    def notify(self, *, origin: str, seq: int) -> int:
        response = self.request(
            "POST", "/federation/v1/notify", payload={"origin": origin, "seq": seq}, ok=(202,)
        )
        return response.status

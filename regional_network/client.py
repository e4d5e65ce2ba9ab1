"""Signed HTTP calls to a peer exchange (urllib3, already a dependency through the search client).

Every call is signed (``signatures.sign_request``) and classified for the retry policy:
``PeerUnavailable`` (network error, timeout, 5xx, 429: retried later with capped backoff, honouring
Retry-After) or ``PeerRefused`` (any other 4xx: not retried; staff must look, e.g. at the keys).
A 410 from ``listing()`` is an answer (a tombstone), not an error; a 404 is never read as a delete.

A peer is not trusted to behave: bodies are read in chunks and refused past
``FEDERATION_MAX_RESPONSE_BYTES`` (a misbehaving or hostile peer must not fill our memory), and a whole
response must arrive within ``FEDERATION_RESPONSE_DEADLINE`` seconds - urllib3's read timeout
(``FEDERATION_READ_TIMEOUT``) is per socket read, so a peer dripping a byte a second would never trip it.
An oversized body is a refusal (retrying soon will not shrink it); a slow one is unavailability (backoff).
"""

from __future__ import annotations

import json
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any

import urllib3
from django.conf import settings

from .signatures import sign_request

TIMEOUT = urllib3.Timeout(connect=3.0, read=30.0)
#: Defaults of the settings above; a feed page of 500 full records is a few MB.
MAX_RESPONSE_BYTES = 32 * 1024 * 1024
RESPONSE_DEADLINE = 120.0
CHUNK = 64 * 1024
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


def _read_body(raw, *, url: str, limit: int, deadline: float) -> bytes:
    """The body, at most ``limit`` bytes, complete before ``deadline`` (a ``time.monotonic()`` value)."""
    declared = raw.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PeerRefused(f"{url}: response of {declared} bytes exceeds the {limit}-byte limit")
    chunks, size = [], 0
    while True:
        chunk = raw.read1(CHUNK)  # what has arrived (read() would wait for all of it)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            raise PeerRefused(f"{url}: response exceeds the {limit}-byte limit")
        if time.monotonic() > deadline:
            raise PeerUnavailable(f"{url}: response not complete within the deadline")
        chunks.append(chunk)


class PeerClient:
    def __init__(self, base_url: str, *, timeout: urllib3.Timeout | None = None):
        self.base_url = base_url.rstrip("/")
        read = getattr(settings, "FEDERATION_READ_TIMEOUT", None)
        self.timeout = timeout or (urllib3.Timeout(connect=3.0, read=float(read)) if read else TIMEOUT)
        self.max_bytes = int(getattr(settings, "FEDERATION_MAX_RESPONSE_BYTES", MAX_RESPONSE_BYTES))
        self.deadline = float(getattr(settings, "FEDERATION_RESPONSE_DEADLINE", RESPONSE_DEADLINE))

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
        deadline = time.monotonic() + self.deadline
        raw = None
        try:
            raw = _POOL.request(
                method,
                url,
                body=body or None,
                headers=headers,
                timeout=self.timeout,
                preload_content=False,
            )
            content = _read_body(raw, url=f"{method} {url}", limit=self.max_bytes, deadline=deadline)
        except urllib3.exceptions.HTTPError as exc:
            raise PeerUnavailable(f"{method} {url}: {exc.__class__.__name__}: {exc}") from exc
        except PeerError:
            raw.close()  # unread bytes: the connection cannot be reused
            raise
        finally:
            if raw is not None:
                raw.release_conn()
        status = raw.status
        try:
            data = json.loads(content) if content else None
        except ValueError:
            data = None
        if status in ok:
            return Response(status, data, dict(raw.headers))
        detail = (data or {}).get("error") if isinstance(data, dict) else content[:200]
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

"""The federation endpoints (``/federation/v1/…``): thin views over ``changelog`` and ``services``.

Every endpoint needs a valid RFC 9421 signature from a registered, active peer (401 otherwise, with an
audit row). A small guard answers 503 when too many federation requests run at once in this process
and 429 when one peer exceeds its per-minute budget, both with Retry-After.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
import time

from django.conf import settings
from django.core.cache import cache
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from exchange.core.services import audit_record

from . import changelog, services
from .signatures import SignatureRefused, verify_django_request

logger = logging.getLogger(__name__)

SCHEMAS = ("techex.technology/1",)


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


_slots = threading.BoundedSemaphore(_setting("FEDERATION_MAX_CONCURRENT", 8))


def error(status: int, code: str, detail: str = "", **headers) -> JsonResponse:
    response = JsonResponse({"error": code, "detail": detail}, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = str(value)
    return response


def _rate_limited(origin: str) -> int | None:
    """Seconds to wait if ``origin`` used up this minute's budget, else None (fixed window, cache)."""
    budget = _setting("FEDERATION_RATE_PER_MINUTE", 600)
    window = int(time.time() // 60)
    key = f"federation-rate:{origin}:{window}"
    cache.add(key, 0, timeout=70)
    try:
        used = cache.incr(key)
    except ValueError:
        used = 1
    if used > budget:
        return 60 - int(time.time()) % 60 or 1
    return None


def signed(view):
    """Verify the signature (401 + audit when refused), then apply the load guard."""

    @csrf_exempt
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not _slots.acquire(blocking=False):
            return error(503, "busy", "too many concurrent federation requests", Retry_After=5)
        try:
            try:
                peer = verify_django_request(request)
            except SignatureRefused as refused:
                logger.warning(
                    "Federation request refused (%s) key=%r %s", refused.reason, refused.key_id, request.path
                )
                audit_record(
                    actor=None,
                    action="federation.request_refused",
                    data={
                        "reason": refused.reason[:300],
                        "key_id": refused.key_id,
                        "method": request.method,
                        "path": request.get_full_path()[:300],
                    },
                )
                response = error(401, "unauthorized", refused.reason)
                response["WWW-Authenticate"] = 'Signature realm="techex-federation"'
                return response
            wait = _rate_limited(peer.origin)
            if wait is not None:
                return error(429, "rate_limited", "too many requests this minute", Retry_After=wait)
            request.peer = peer
            return view(request, *args, **kwargs)
        finally:
            _slots.release()

    return wrapper


def _int_param(request, name: str, default: int) -> int:
    value = request.GET.get(name, "")
    if value == "":
        return default
    number = int(value)
    if number < 0:
        raise ValueError(name)
    return number


@require_GET
@signed
def changes(request):
    schema = request.GET.get("schema")
    if schema and schema not in SCHEMAS:
        return JsonResponse({"error": "unsupported_schema", "supported": list(SCHEMAS)}, status=406)
    try:
        cursor = _int_param(request, "cursor", 0)
        limit = _int_param(request, "limit", changelog.DEFAULT_PAGE)
    except ValueError:
        return error(400, "bad_request", "cursor and limit must be non-negative integers")
    return JsonResponse(changelog.feed_page(cursor=cursor, limit=limit or changelog.DEFAULT_PAGE))


@require_GET
@signed
def listing(request, ref: str):
    entry = changelog.entry_for_ref(ref)
    if entry is None:
        # LocaleMiddleware turns a 404 outside the language prefix into a redirect to /vi/…; reading
        # ``request.urlconf`` (our patterns only, no i18n) makes it leave this machine answer alone.
        request.urlconf = "regional_network.urls"
        return error(404, "not_found", "no such ref at this origin (not a deletion)")
    record = changelog.entry_record(entry)
    return JsonResponse(record, status=410 if entry.deleted else 200)


@require_GET
@signed
def inventory(request):
    try:
        limit = _int_param(request, "limit", 2000) or 2000
    except ValueError:
        return error(400, "bad_request", "limit must be a non-negative integer")
    return JsonResponse(changelog.inventory_page(after=request.GET.get("after", ""), limit=limit))


@require_POST
@signed
def notify(request):
    try:
        payload = json.loads(request.body or b"{}")
        origin, seq = payload["origin"], int(payload["seq"])
    except (ValueError, KeyError, TypeError):
        return error(400, "bad_request", 'body must be {"origin": "...", "seq": N}')
    if origin != request.peer.origin:
        return error(403, "forbidden", "origin does not match the signing key")
    queued = services.peer_notified(peer=request.peer, seq=seq)
    return JsonResponse({"accepted": True, "pull_queued": queued}, status=202)


# --- inquiries (docs/federation.md, "Inquiries") ---------------------------------------------------------
def _json_body(request):
    try:
        return json.loads(request.body or b"null")
    except ValueError:
        return None


@require_POST
@signed
def inquiries(request):
    """A peer forwards its member's interest in one of our listings: 201 new, 200 already received."""
    from .inquiries import InquiryError, incoming_inquiry_receive

    try:
        inquiry, created = incoming_inquiry_receive(peer=request.peer, payload=_json_body(request))
    except InquiryError as exc:
        if exc.status == 404:
            request.urlconf = "regional_network.urls"  # keep LocaleMiddleware from redirecting a 404
        return error(exc.status, exc.code, exc.detail)
    return JsonResponse({"id": str(inquiry.pk), "status": inquiry.status}, status=201 if created else 200)


@require_POST
@signed
def inquiry_status(request, callback_id: str):
    """The origin reports its decision on an inquiry we forwarded (only that origin may)."""
    from .inquiries import InquiryError, forwarded_inquiry_status_receive

    try:
        inquiry = forwarded_inquiry_status_receive(
            peer=request.peer, callback_id=callback_id, payload=_json_body(request)
        )
    except InquiryError as exc:
        if exc.status == 404:
            request.urlconf = "regional_network.urls"  # keep LocaleMiddleware from redirecting a 404
        return error(exc.status, exc.code, exc.detail)
    return JsonResponse({"status": inquiry.status}, status=200)

"""Lockout after repeated failed sign-ins (django-axes), wired to our identifiers, pages and audit log.

allauth's own rate limit (``ACCOUNT_RATE_LIMITS``) only slows guessing down for a few minutes; axes
remembers the failures in the database and refuses *every* sign-in — even with the right password — for
one identifier from one address after ``AXES_FAILURE_LIMIT`` failures, for ``AXES_COOLOFF_TIME``. The
lock is on the combination of identifier and IP, so an attacker cannot lock a person out from elsewhere,
and it covers every door that calls ``django.contrib.auth.authenticate`` with the request: the allauth
sign-in form, the Wagtail and Django admin sign-ins and ``POST /api/v1/auth/token/``.

The hooks axes calls by dotted path (``AXES_USERNAME_CALLABLE``, ``AXES_LOCKOUT_CALLABLE``,
``AXES_CLIENT_STR_CALLABLE``) live here, with the receivers that put lockouts in the audit log and lift a
lock once the person has reset their password (proof that they own the account's mailbox).
"""

from __future__ import annotations

import math

from axes.helpers import get_cool_off
from axes.signals import user_locked_out
from django.core.exceptions import ValidationError
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from exchange.core.ratelimit import RateLimited
from exchange.core.services import audit_record

IDENTIFIER_MAX_LENGTH = 254


def login_identifier(request, credentials: dict | None) -> str | None:
    """The identifier axes counts failures against: the typed email, trimmed and lower-cased.

    allauth passes ``email=``, Django's admin forms ``username=``, and axes' own backend fills the
    ``AXES_USERNAME_FORM_FIELD`` key; ``Nguoi@Example.vn`` and ``nguoi@example.vn`` are the same account
    (emails are stored lower-cased), so they must share one failure counter.
    """
    credentials = credentials or {}
    for key in ("email", "username", "login"):
        value = credentials.get(key)
        if value:
            return str(value).strip().lower()[:IDENTIFIER_MAX_LENGTH]
    return None


def client_description(username, ip_address, user_agent, path_info, request) -> str:
    """What axes writes in its log lines: only the path. Who and from where are in the audit log (which
    staff alone can read), not in log files that are shipped and kept far longer."""
    return f"{{path_info: {path_info!r}}}"


def cool_off_seconds() -> int:
    cool_off = get_cool_off()
    return max(1, math.ceil(cool_off.total_seconds())) if cool_off else 0


def cool_off_minutes() -> int:
    return max(1, math.ceil(cool_off_seconds() / 60))


class LoginLockedOut(RateLimited):
    """A sign-in refused because of the lockout; services raise it, the API answers 429 + Retry-After.

    Each further attempt during the lock starts the period again (axes' default), so the whole period
    is exactly how long the caller must now wait.
    """

    def __init__(self):
        self.retry_after = cool_off_seconds()
        ValidationError.__init__(self, lockout_message(), code="locked_out")


def lockout_message() -> str:
    return _(
        "Đăng nhập tạm bị khoá vì nhập sai quá nhiều lần. Hãy thử lại sau %(minutes)s phút "
        "hoặc đặt lại mật khẩu."
    ) % {"minutes": cool_off_minutes()}


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: 429 with ``Retry-After``; a JSON body for API/XHR callers, else the
    bilingual page (Vietnamese first) that says how long to wait and how to get back in sooner."""
    retry_after = cool_off_seconds()
    wants_json = request.path_info.startswith("/api/") or (
        request.headers.get("x-requested-with") == "XMLHttpRequest"
    )
    if wants_json:
        response = JsonResponse({"detail": lockout_message(), "code": "locked_out"}, status=429)
    else:
        response = render(
            request,
            "accounts/lockout.html",
            {"minutes": cool_off_minutes(), "failure_limit": _failure_limit()},
            status=429,
        )
    response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    return response


def _failure_limit() -> int:
    from django.conf import settings

    return int(settings.AXES_FAILURE_LIMIT)


def raise_if_locked_out(request) -> None:
    """After a failed ``authenticate(request, …)``: raise ``LoginLockedOut`` if axes has just locked (or
    kept locked) this identifier and address. Needed where the request is DRF's wrapper, whose flag never
    reaches axes' middleware."""
    if request is not None and getattr(request, "axes_locked_out", False):
        raise LoginLockedOut()


@receiver(user_locked_out, dispatch_uid="accounts.lockout.audit")
def _audit_locked_out(sender, request=None, username=None, ip_address=None, **kwargs):
    audit_record(
        action="account.locked_out",
        data={"identifier": str(username or "")[:IDENTIFIER_MAX_LENGTH], "path": _path(request)},
        ip=ip_address,
    )


def _path(request) -> str:
    return str(getattr(request, "path_info", "") or "")[:200]


def _unlock_after_password_reset(sender, request, user, **kwargs):
    """Resetting the password through the emailed link proves the person owns the account: lift every
    lock on their identifier (from any address) and say so in the audit log."""
    from axes.utils import reset

    removed = reset(username=(user.email or "").strip().lower())
    if removed:
        audit_record(actor=user, action="account.unlocked", target=user, data={"reason": "password_reset"})


def connect() -> None:
    from allauth.account.signals import password_reset

    password_reset.connect(_unlock_after_password_reset, dispatch_uid="accounts.lockout.password_reset")

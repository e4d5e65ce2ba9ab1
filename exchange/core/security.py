"""Response headers that protect every page, and the redaction of secrets and personal data in logs.

* ``ContentSecurityPolicyMiddleware`` is django-csp's middleware with one addition: a laxer policy scoped
  to URL prefixes (``CONTENT_SECURITY_POLICY_SCOPES``). Wagtail's and Django's admins still ship inline
  scripts and styles, so they get ``'unsafe-inline'`` there and nowhere else; the public site, the portal
  and the API keep ``script-src 'self'`` (our own JavaScript lives in static files).
* ``PermissionsPolicyMiddleware`` turns off browser features the exchange never uses (camera, microphone,
  geolocation, payment handlers outside Stripe's frames …) so that injected or third-party code cannot ask
  for them. Django sets Referrer-Policy, X-Content-Type-Options, X-Frame-Options and
  Cross-Origin-Opener-Policy itself from settings.
* ``RedactingFilter`` is a logging filter: email addresses, bearer/API tokens, passwords, cookies,
  ``Authorization`` headers and Stripe keys are replaced by ``[redacted]`` before a record reaches any
  handler, because logs are shipped and kept far longer than the data they mention.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from typing import Any

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings

# --- Content Security Policy ------------------------------------------------------------------------


def csp_hash(source: str) -> str:
    """The CSP source expression (``'sha256-…'``) allowing exactly this inline script or style text."""
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def _scope_for(path: str) -> dict[str, Any] | None:
    for prefix, directives in getattr(settings, "CONTENT_SECURITY_POLICY_SCOPES", {}).items():
        if path.startswith(prefix):
            return directives
    return None


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp, plus per-prefix replacements of directives (the admin's laxer policy).

    A view's own ``@csp_update``/``@csp_replace`` still applies on top of the scope (the card page adds
    Stripe's origins that way).
    """

    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only=report_only)
        if report_only:
            return parts
        scope = _scope_for(request.path_info)
        if scope is not None:
            parts.replace = {**scope, **(parts.replace or {})}
        return parts


# --- Permissions-Policy -----------------------------------------------------------------------------


def permissions_policy_header(policy: dict[str, list[str]]) -> str:
    """``{"camera": [], "payment": ["self"]}`` → ``camera=(), payment=(self)`` (structured-header syntax)."""
    items = []
    for feature, allow in policy.items():
        values = " ".join(value if value in ("self", "*") else f'"{value}"' for value in allow)
        items.append(f"{feature}=({values})")
    return ", ".join(items)


class PermissionsPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.header = permissions_policy_header(getattr(settings, "PERMISSIONS_POLICY", {}))

    def __call__(self, request):
        response = self.get_response(request)
        if self.header and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = self.header
        return response


# --- Logs -------------------------------------------------------------------------------------------

REDACTED = "[redacted]"

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # Authorization / Cookie / X-Api-Key header values, in "Header: value" or 'header': 'value' form.
    (
        re.compile(
            r"(?i)(\b(?:authorization|proxy-authorization|cookie|set-cookie|x-api-key|x-csrftoken)"
            r"['\"]?\s*[:=]\s*['\"]?)([^'\"\r\n,}]+)"
        ),
        r"\1" + REDACTED,
    ),
    # Bearer / Token schemes anywhere in a message.
    (re.compile(r"(?i)\b(bearer|token|basic)\s+[A-Za-z0-9._~+/=-]{8,}"), r"\1 " + REDACTED),
    # key=value pairs whose key names a secret (query strings, form dumps, reprs of dicts).
    (
        re.compile(
            r"(?i)(\b[\w-]*(?:password|passwd|secret|token|api[_-]?key|sessionid|csrfmiddlewaretoken|"
            r"client_secret|signature)[\w-]*['\"]?\s*[:=]\s*['\"]?)([^'\"&\s,}]+)"
        ),
        r"\1" + REDACTED,
    ),
    # Stripe-style keys and secrets (sk_live_…, whsec_…, pi_…_secret_…).
    (re.compile(r"\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{6,}\b"), REDACTED),
    (re.compile(r"\bwhsec_[A-Za-z0-9]{6,}\b"), REDACTED),
    (re.compile(r"\b[a-z]{2,5}_[A-Za-z0-9]+_secret_[A-Za-z0-9]+\b"), REDACTED),
    # Email addresses (personal data).
    (re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"), REDACTED),
]


def redact(text: str) -> str:
    """``text`` with every secret or email address replaced by ``[redacted]``."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites a record's message (arguments merged in) and any exception text with ``redact``.

    Installed on the handlers in ``LOGGING`` so it also covers third-party loggers (Django's request
    logger prints the request with its headers; allauth, stripe and urllib3 log URLs and bodies).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string must not lose the record
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        # Django's request logger keeps the request on the record; formatters that print it go through
        # its repr, which holds only the method and path, so nothing else needs scrubbing here.
        return True

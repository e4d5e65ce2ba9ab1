"""Payment settings, read from Django settings first and the environment second, with local defaults.

Every value can be set in ``exchange/settings/*.py`` (``PAYMENTS_BANK_BIN = ...``) or as an environment
variable of the same name; the defaults let ``make run`` work offline against localstripe on port 8420.
Read at call time (not import time) so tests can override settings.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from django.conf import settings

#: Stripe caps the amount of one charge. Its currency docs state that ``amount`` supports up to eight
#: digits (99,999,999 in the smallest unit — for zero-decimal VND that is 99,999,999 VND, about 4,000 USD)
#: and up to twelve digits for IDR. Override per currency with ``PAYMENTS_STRIPE_MAX_AMOUNT`` (a dict in
#: settings, or ``vnd=99999999,usd=99999999`` in the environment) if Stripe raises a limit for the account.
DEFAULT_STRIPE_MAX_AMOUNT = {"vnd": 99_999_999, "usd": 99_999_999, "idr": 999_999_999_999}
#: Currencies Stripe treats as zero-decimal (amount == units); VND is one of them.
ZERO_DECIMAL_CURRENCIES = frozenset(
    {
        "bif",
        "clp",
        "djf",
        "gnf",
        "jpy",
        "kmf",
        "krw",
        "mga",
        "pyg",
        "rwf",
        "ugx",
        "vnd",
        "vuv",
        "xaf",
        "xof",
        "xpf",
    }
)

_DEFAULTS = {
    # The exchange's receiving bank account (VietQR / NAPAS 247). Demo values: Vietcombank's BIN.
    "PAYMENTS_BANK_BIN": "970436",
    "PAYMENTS_BANK_ACCOUNT": "0071000888888",
    "PAYMENTS_BANK_ACCOUNT_NAME": "SAN GIAO DICH CONG NGHE TP HCM",
    "PAYMENTS_BANK_NAME": "Vietcombank",
    # Stripe: test keys that localstripe accepts (any sk_/pk_ string); production sets real ones.
    "STRIPE_SECRET_KEY": "sk_test_localstripe",
    "STRIPE_PUBLISHABLE_KEY": "pk_test_localstripe",
    "STRIPE_WEBHOOK_SECRET": "whsec_localstripe_dev_secret",
    # Empty means the real api.stripe.com; localstripe in `make run`.
    "STRIPE_API_BASE": "http://localhost:8420",
    # Value-added tax on the invoiced item, in percent. Technology transfer is not subject to VAT
    # (Law on VAT, Art. 5), hence 0; the e-invoice provider receives the rate with every line.
    "PAYMENTS_VAT_PERCENT": "0",
}


def get(name: str) -> str:
    if hasattr(settings, name):
        return getattr(settings, name)
    return os.environ.get(name, _DEFAULTS[name])


def bank_bin() -> str:
    return str(get("PAYMENTS_BANK_BIN")).strip()


def bank_account() -> str:
    return str(get("PAYMENTS_BANK_ACCOUNT")).strip()


def bank_account_name() -> str:
    return str(get("PAYMENTS_BANK_ACCOUNT_NAME")).strip()


def bank_name() -> str:
    return str(get("PAYMENTS_BANK_NAME")).strip()


def stripe_secret_key() -> str:
    return get("STRIPE_SECRET_KEY")


def stripe_publishable_key() -> str:
    return get("STRIPE_PUBLISHABLE_KEY")


def stripe_webhook_secret() -> str:
    return get("STRIPE_WEBHOOK_SECRET")


def stripe_api_base() -> str:
    """The Stripe API base URL; empty for the real Stripe."""
    return (get("STRIPE_API_BASE") or "").rstrip("/")


def stripe_js_url() -> str:
    """Stripe.js: the real one, or localstripe's fake at ``<base>/js.stripe.com/v3/``."""
    base = stripe_api_base()
    return f"{base}/js.stripe.com/v3/" if base else "https://js.stripe.com/v3/"


def stripe_csp_sources() -> dict[str, list[str]]:
    """What the card page adds to the Content Security Policy: Stripe.js, its frames and its API calls.

    Real Stripe needs js.stripe.com (script and frames), hooks.stripe.com (3-D Secure frames) and
    api.stripe.com (fetch); localstripe serves its fake Stripe.js and API from one origin.
    """
    base = stripe_api_base()
    if base:
        parts = urlsplit(base)
        origin = f"{parts.scheme}://{parts.netloc}"
        return {"script-src": [origin], "frame-src": [origin], "connect-src": [origin]}
    return {
        "script-src": ["https://js.stripe.com", "https://*.js.stripe.com"],
        "frame-src": ["https://js.stripe.com", "https://*.js.stripe.com", "https://hooks.stripe.com"],
        "connect-src": ["https://api.stripe.com"],
        "img-src": ["https://*.stripe.com"],
    }


def stripe_max_amount(currency: str) -> int | None:
    value = getattr(settings, "PAYMENTS_STRIPE_MAX_AMOUNT", None)
    if value is None and os.environ.get("PAYMENTS_STRIPE_MAX_AMOUNT"):
        value = {}
        for part in os.environ["PAYMENTS_STRIPE_MAX_AMOUNT"].split(","):
            code, _, amount = part.partition("=")
            if code.strip() and amount.strip():
                value[code.strip().lower()] = int(amount)
    caps = {**DEFAULT_STRIPE_MAX_AMOUNT, **(value or {})}
    return caps.get(currency.lower())


def vat_percent() -> str:
    return str(get("PAYMENTS_VAT_PERCENT"))

"""CSRF: every view that opts out of Django's check is known and proves who is calling by other means,
and everything a browser session can call — Django views and the API alike — needs the token.

The reviewed opt-outs are the Stripe webhook (Stripe's HMAC signature over the raw body, checked before
anything is written), the federation endpoints (RFC 9421 signatures with the peer's Ed25519 key, checked
before the view runs) and OAI-PMH (read-only; POST is a harvesting verb the protocol allows). Each test
below sends an unsigned and a forged POST and checks, from the SQL that ran, that nothing was written —
apart from the audit row that records a refused federation request.
"""

import hashlib
import hmac
import json
import time

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.authentication import SessionAuthentication
from rest_framework.views import APIView

from exchange.accounts.api_auth import TokenAuthentication
from exchange.accounts.models import ApiToken, User
from exchange.accounts.tests.factories import UserFactory
from exchange.accounts.tokens import api_token_create
from exchange.core.models import AuditLog
from regional_network import signatures
from regional_network.models import Peer

pytestmark = pytest.mark.django_db

OUR_APPS = ("exchange.", "listings.", "valuation.", "regional_network.", "cms.")
REVIEWED_EXEMPT = {
    "exchange.payments.views.stripe_webhook",
    "regional_network.oai.endpoint",
    "regional_network.views.changes",
    "regional_network.views.listing",
    "regional_network.views.inventory",
    "regional_network.views.notify",
    "regional_network.views.inquiries",
    "regional_network.views.inquiry_status",
}
PEER_KEY = signatures.generate_private_key_b64()
FORGER_KEY = signatures.generate_private_key_b64()


def _walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.callback


def _name(callback) -> str:
    cls = getattr(callback, "cls", None)  # DRF views and viewsets
    if cls is not None:
        return f"{cls.__module__}.{cls.__qualname__}"
    inner = getattr(callback, "__wrapped__", callback)
    while hasattr(inner, "__wrapped__"):
        inner = inner.__wrapped__
    return f"{inner.__module__}.{inner.__qualname__}"


def our_views():
    for route, callback in _walk(get_resolver().url_patterns):
        if _name(callback).startswith(OUR_APPS):
            yield route, callback


def writes(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]


def test_only_the_reviewed_views_skip_django_csrf_check():
    exempt = {
        _name(callback)
        for _, callback in our_views()
        if getattr(callback, "csrf_exempt", False) and not hasattr(callback, "cls")  # DRF: see below
    }
    assert exempt == REVIEWED_EXEMPT, "a new csrf_exempt view must verify a signature and be reviewed here"


def test_every_api_view_authenticates_by_token_or_by_a_csrf_checked_session():
    """DRF exempts its views from Django's middleware and checks CSRF in SessionAuthentication instead."""
    seen = 0
    for route, callback in our_views():
        cls = getattr(callback, "cls", None)
        if cls is None or not issubclass(cls, APIView):
            continue
        seen += 1
        for auth in cls().get_authenticators():
            assert type(auth) in (TokenAuthentication, SessionAuthentication), (route, type(auth))
    assert seen > 10


# --- Stripe webhook ---------------------------------------------------------------------------------
def _stripe_signature(payload: bytes, secret: str) -> str:
    t = int(time.time())
    digest = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


@pytest.mark.parametrize("signature", ["", "t=1,v1=deadbeef", "forged"])
def test_stripe_webhook_without_a_valid_signature_writes_nothing(client, signature):
    payload = json.dumps(
        {
            "id": "evt_forged",
            "object": "event",
            "type": "payment_intent.succeeded",
            "data": {"object": {"id": "pi_x", "amount": 1, "metadata": {"payment_request": "1"}}},
        }
    ).encode()
    if signature == "forged":
        signature = _stripe_signature(payload, "whsec_not_ours")
    with CaptureQueriesContext(connection) as ctx:
        response = client.post(
            reverse("payments-stripe-webhook"),
            data=payload,
            content_type="application/json",
            headers={"Stripe-Signature": signature},
        )
    assert response.status_code == 400
    assert writes(ctx.captured_queries) == []


# --- federation ---------------------------------------------------------------------------------------
@pytest.fixture
def peer(monkeypatch):
    monkeypatch.setenv("FEDERATION_PRIVATE_KEY", signatures.generate_private_key_b64())
    return Peer.objects.create(
        name="Sàn giao dịch công nghệ Đồng Nai",
        origin="dongnai",
        base_url="http://127.0.0.1:9",
        public_key=signatures.public_key_b64(signatures.private_key_from_b64(PEER_KEY)),
    )


FEDERATION_POSTS = [
    ("/federation/v1/notify", {"origin": "dongnai", "seq": 99}),
    (
        "/federation/v1/inquiries",
        {"callback_id": "cb-1", "listing": "hcmc:x", "organization": "Công ty", "message": "Xin chào"},
    ),
    ("/federation/v1/inquiries/cb-1/status", {"status": "accepted"}),
]


@pytest.mark.parametrize("path,payload", FEDERATION_POSTS)
@pytest.mark.parametrize("how", ["unsigned", "wrong key", "tampered body"])
def test_federation_posts_without_a_valid_signature_write_only_the_refusal_audit(
    client, peer, path, payload, how
):
    body = json.dumps(payload).encode()
    headers = {}
    if how != "unsigned":
        key = FORGER_KEY if how == "wrong key" else PEER_KEY
        headers = signatures.sign_request(
            "POST",
            f"http://testserver{path}",
            body=body,
            private_key=signatures.private_key_from_b64(key),
            key_id="dongnai",
        )
        if how == "tampered body":
            body = json.dumps({**payload, "extra": "chèn"}).encode()
    with CaptureQueriesContext(connection) as ctx:
        response = client.post(path, data=body, content_type="application/json", headers=headers)
    assert response.status_code == 401
    written = writes(ctx.captured_queries)
    assert len(written) == 1 and "core_auditlog" in written[0], written
    assert AuditLog.objects.get().action == "federation.request_refused"


@pytest.mark.parametrize("verb", ["Identify", "ListRecords", "ListSets"])
def test_oai_post_is_a_read_and_writes_nothing(client, verb):
    data = {"verb": verb, **({"metadataPrefix": "oai_dc"} if verb == "ListRecords" else {})}
    with CaptureQueriesContext(connection) as ctx:
        response = client.post("/oai", data)
    assert response.status_code == 200 and b"OAI-PMH" in response.content
    assert writes(ctx.captured_queries) == []


# --- sessions need the token ---------------------------------------------------------------------
@pytest.fixture
def csrf_client():
    return Client(enforce_csrf_checks=True)


def _csrf_token(client) -> str:
    client.get(reverse("accounts:delete"))  # any page with a form sets the cookie
    return client.cookies["csrftoken"].value


def test_a_session_authenticated_api_write_without_the_csrf_token_is_403(csrf_client):
    user = UserFactory()
    token, _ = api_token_create(user=user, name="ERP")
    csrf_client.force_login(user)
    url = f"/api/v1/auth/tokens/{token.pk}/"
    refused = csrf_client.delete(url)
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None
    allowed = csrf_client.delete(url, headers={"X-CSRFToken": _csrf_token(csrf_client)})
    assert allowed.status_code == 204
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None


def test_a_token_authenticated_api_write_needs_no_csrf_token(csrf_client):
    user = UserFactory()
    token, _ = api_token_create(user=user, name="old")
    _, key = api_token_create(user=user, name="caller")
    response = csrf_client.delete(
        f"/api/v1/auth/tokens/{token.pk}/", headers={"Authorization": f"Token {key}"}
    )
    assert response.status_code == 204


def test_a_session_form_post_without_the_csrf_token_is_403(csrf_client):
    user = UserFactory()
    csrf_client.force_login(user)
    response = csrf_client.post(reverse("accounts:delete"), {"password": "s3cret-pass-123", "confirm": "on"})
    assert response.status_code == 403
    assert User.objects.get(pk=user.pk).is_active

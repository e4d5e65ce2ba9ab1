"""HTTP Message Signatures (RFC 9421) with Ed25519 — the one authentication of the federation protocol.

Profile (docs/federation.md): label ``techex``; covered components ``"@method" "@authority" "@path"
"@query" "content-digest"`` (Content-Digest per RFC 9530, sha-256, also for empty bodies);
parameters ``created``, ``keyid`` (the signer's origin code), ``alg="ed25519"``, ``nonce`` (random,
single use). A request is refused (401, logged) when the key is unknown or inactive, the signature or
the digest does not verify, ``created`` is more than 5 minutes away from our clock, or the nonce was
seen before.

Our key pair: ``FEDERATION_PRIVATE_KEY`` (base64 of the raw 32-byte Ed25519 seed) or, for local use, a
key generated once into ``VAR_DIR/federation_ed25519.key``.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from http_message_signatures import (
    HTTPMessageSigner,
    HTTPMessageVerifier,
    HTTPSignatureKeyResolver,
    InvalidSignature,
    algorithms,
)
from http_message_signatures.exceptions import HTTPMessageSignaturesException

logger = logging.getLogger(__name__)

LABEL = "techex"
COVERED = ("@method", "@authority", "@path", "@query", "content-digest")
WINDOW = dt.timedelta(minutes=5)
KEY_FILE = "federation_ed25519.key"


# --- keys -------------------------------------------------------------------------------------------
def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def private_key_from_b64(value: str) -> Ed25519PrivateKey:
    raw = base64.b64decode(value.strip(), validate=True)
    if len(raw) != 32:
        raise ValueError("An Ed25519 private key is 32 raw bytes (base64 of 44 characters)")
    return Ed25519PrivateKey.from_private_bytes(raw)


def public_key_from_b64(value: str) -> Ed25519PublicKey:
    raw = base64.b64decode((value or "").strip(), validate=True)
    if len(raw) != 32:
        raise ValueError("An Ed25519 public key is 32 raw bytes (base64 of 44 characters)")
    return Ed25519PublicKey.from_public_bytes(raw)


def generate_private_key_b64() -> str:
    key = Ed25519PrivateKey.generate()
    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return base64.b64encode(raw).decode()


def public_key_b64(private_key: Ed25519PrivateKey) -> str:
    return base64.b64encode(_raw_public(private_key.public_key())).decode()


@lru_cache(maxsize=4)
def _load_private_key(env_value: str, key_path: str) -> Ed25519PrivateKey:
    if env_value:
        return private_key_from_b64(env_value)
    path = Path(key_path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(generate_private_key_b64() + "\n")
    return private_key_from_b64(path.read_text())


def our_private_key() -> Ed25519PrivateKey:
    """Read per call from the environment (tests and second instances set it); cached per value."""
    return _load_private_key(
        os.environ.get("FEDERATION_PRIVATE_KEY", "") or getattr(settings, "FEDERATION_PRIVATE_KEY", ""),
        str(Path(settings.VAR_DIR) / KEY_FILE),
    )


def our_public_key_b64() -> str:
    return public_key_b64(our_private_key())


def our_key_id() -> str:
    return settings.EXCHANGE_ORIGIN


# --- messages -----------------------------------------------------------------------------------------
@dataclass
class Message:
    """What the library reads: an uppercase method, an absolute URL and a mutable header mapping."""

    method: str
    url: str
    headers: dict


class _OurKey(HTTPSignatureKeyResolver):
    def resolve_private_key(self, key_id: str):
        return our_private_key()

    def resolve_public_key(self, key_id: str):  # pragma: no cover - signing only
        return our_private_key().public_key()


def sign_request(
    method: str,
    url: str,
    *,
    body: bytes = b"",
    headers: dict | None = None,
    private_key: Ed25519PrivateKey | None = None,
    key_id: str | None = None,
    created: dt.datetime | None = None,
    nonce: str | None = None,
) -> dict:
    """Return the headers to send (given ones + Content-Digest, Signature-Input, Signature)."""
    message = Message(method=method.upper(), url=url, headers=dict(headers or {}))

    class _Key(HTTPSignatureKeyResolver):
        def resolve_private_key(self, key_id: str):
            return private_key or our_private_key()

    signer = HTTPMessageSigner(signature_algorithm=algorithms.ED25519, key_resolver=_Key())
    signer.sign(
        message,
        key_id=key_id or our_key_id(),
        label=LABEL,
        created=created or timezone.now(),
        nonce=nonce or secrets.token_urlsafe(18),
        covered_component_ids=COVERED,
        body=body,
    )
    return message.headers


# --- verification -------------------------------------------------------------------------------------
class SignatureRefused(Exception):
    """A request that must be answered 401; ``reason`` is logged and audited, ``key_id`` if known."""

    def __init__(self, reason: str, key_id: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.key_id = key_id


class _PeerKeys(HTTPSignatureKeyResolver):
    def __init__(self, peer):
        self.peer = peer

    def resolve_public_key(self, key_id: str):
        return public_key_from_b64(self.peer.public_key)


class _Verifier(HTTPMessageVerifier):
    # Our own ±5 minute window is checked below; the library's future check uses the same width.
    max_clock_skew = WINDOW


def _key_id_of(headers) -> str:
    value = headers.get("Signature-Input", "")
    marker = 'keyid="'
    start = value.find(marker)
    if start < 0:
        return ""
    end = value.find('"', start + len(marker))
    return value[start + len(marker) : end] if end > 0 else ""


def verify_django_request(request):
    """Return the active ``Peer`` that signed ``request`` or raise ``SignatureRefused``."""
    from .models import Peer

    headers = {name: value for name, value in request.headers.items()}
    key_id = _key_id_of(headers)
    if not key_id:
        raise SignatureRefused("missing signature", "")
    peer = Peer.objects.filter(origin=key_id, active=True).first()
    if peer is None:
        raise SignatureRefused("unknown key", key_id)
    try:
        url = f"{request.scheme}://{request.get_host()}{request.get_full_path()}"
    except Exception as exc:  # DisallowedHost
        raise SignatureRefused(f"bad host: {exc}", key_id) from exc
    message = Message(method=request.method.upper(), url=url, headers=headers)
    verifier = _Verifier(signature_algorithm=algorithms.ED25519, key_resolver=_PeerKeys(peer))
    try:
        results = verifier.verify(
            message,
            max_age=None,
            expect_tag=None,
            require_components=COVERED,
            body=request.body,
        )
    except (InvalidSignature, HTTPMessageSignaturesException, ValueError) as exc:
        reason = str(exc) or exc.__class__.__name__
        if "future" in reason:
            reason = f"stale: {reason}"
        raise SignatureRefused(f"bad signature: {reason}", key_id) from exc
    params = results[0].parameters
    created = dt.datetime.fromtimestamp(params["created"], tz=dt.UTC)
    if abs(timezone.now() - created) > WINDOW:
        raise SignatureRefused("stale: created outside the 5-minute window", key_id)
    nonce = params.get("nonce")
    if not nonce or len(nonce) > 128:
        raise SignatureRefused("missing nonce", key_id)
    _remember_nonce(key_id, nonce)
    return peer


def _remember_nonce(key_id: str, nonce: str) -> None:
    from .models import SeenNonce

    now = timezone.now()
    try:
        with transaction.atomic():
            SeenNonce.objects.create(key_id=key_id, nonce=nonce, expires_at=now + 2 * WINDOW)
    except IntegrityError as exc:
        raise SignatureRefused("replayed nonce", key_id) from exc


def nonces_purge() -> int:
    """Forget nonces whose signatures can no longer be accepted anyway (older than the window)."""
    from .models import SeenNonce

    return SeenNonce.objects.filter(expires_at__lt=timezone.now()).delete()[0]

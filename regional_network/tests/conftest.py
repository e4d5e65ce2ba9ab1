import datetime as dt
import json

import pytest
from django.utils import timezone

from regional_network import signatures
from regional_network.models import Peer


@pytest.fixture(autouse=True)
def _our_key(monkeypatch):
    """A fixed key pair for "us" (hcmc) in every test: never write var/."""
    monkeypatch.setenv("FEDERATION_PRIVATE_KEY", OUR_KEY)


OUR_KEY = signatures.generate_private_key_b64()
PEER_KEY = signatures.generate_private_key_b64()
OTHER_KEY = signatures.generate_private_key_b64()


def public_of(private_b64: str) -> str:
    return signatures.public_key_b64(signatures.private_key_from_b64(private_b64))


@pytest.fixture
def peer(db):
    """Đồng Nai, registered here with its public key; it signs with PEER_KEY."""
    return Peer.objects.create(
        name="Sàn giao dịch công nghệ Đồng Nai",
        origin="dongnai",
        base_url="http://127.0.0.1:9",  # nothing listens: pushes and pulls fail fast
        public_key=public_of(PEER_KEY),
    )


def signed_headers(method, path, *, body=b"", key=PEER_KEY, key_id="dongnai", created=None, nonce=None):
    headers = signatures.sign_request(
        method,
        f"http://testserver{path}",
        body=body,
        private_key=signatures.private_key_from_b64(key),
        key_id=key_id,
        created=created,
        nonce=nonce,
    )
    return {k: v for k, v in headers.items()}


class Signed:
    """A Django test client wrapper that signs every request as a peer would."""

    def __init__(self, client):
        self.client = client

    def get(self, path, **kw):
        headers = signed_headers("GET", path, **kw)
        return self.client.get(path, headers=headers)

    def post(self, path, payload, **kw):
        body = json.dumps(payload).encode()
        headers = signed_headers("POST", path, body=body, **kw)
        return self.client.post(path, data=body, content_type="application/json", headers=headers)


@pytest.fixture
def signed(client):
    return Signed(client)


def minutes_ago(n):
    return timezone.now() - dt.timedelta(minutes=n)

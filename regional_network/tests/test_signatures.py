"""RFC 9421 signatures on the federation endpoints: who may call them and who may not."""

import json

import pytest

from exchange.core.models import AuditLog
from regional_network.models import SeenNonce

from .conftest import OTHER_KEY, PEER_KEY, minutes_ago, signed_headers

pytestmark = pytest.mark.django_db

FEED = "/federation/v1/changes?cursor=0&limit=10"


def refused(response):
    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"].startswith("Signature")
    return response.json()["detail"]


def test_a_registered_peer_reads_the_feed(signed, peer):
    response = signed.get(FEED)
    assert response.status_code == 200
    assert response.json()["origin"] == "hcmc"
    assert SeenNonce.objects.count() == 1


def test_unsigned_and_anonymous_requests_are_refused_and_logged(client, peer):
    assert "missing signature" in refused(client.get(FEED))
    row = AuditLog.objects.get(action="federation.request_refused")
    assert row.data["path"] == FEED


def test_unknown_key_id_is_refused(signed, peer):
    assert "unknown key" in refused(signed.get(FEED, key_id="binhduong"))


def test_inactive_peer_is_refused(signed, peer):
    peer.active = False
    peer.save()
    assert "unknown key" in refused(signed.get(FEED))


def test_wrong_key_is_refused(signed, peer):
    assert "bad signature" in refused(signed.get(FEED, key=OTHER_KEY))
    assert AuditLog.objects.filter(action="federation.request_refused", data__key_id="dongnai").exists()


def test_stale_and_future_timestamps_are_refused(signed, peer):
    assert "stale" in refused(signed.get(FEED, created=minutes_ago(6)))
    assert "stale" in refused(signed.get(FEED, created=minutes_ago(-6)))
    assert signed.get(FEED, created=minutes_ago(4)).status_code == 200


def test_replayed_request_is_refused(client, peer):
    headers = signed_headers("GET", FEED)
    assert client.get(FEED, headers=headers).status_code == 200
    assert "replayed" in refused(client.get(FEED, headers=headers))


def test_tampered_body_is_refused(client, peer):
    path = "/federation/v1/notify"
    body = json.dumps({"origin": "dongnai", "seq": 1}).encode()
    headers = signed_headers("POST", path, body=body)
    tampered = json.dumps({"origin": "dongnai", "seq": 999}).encode()
    assert "bad signature" in refused(
        client.post(path, data=tampered, content_type="application/json", headers=headers)
    )


def test_tampered_query_is_refused(client, peer):
    headers = signed_headers("GET", FEED)
    assert "bad signature" in refused(client.get(FEED.replace("cursor=0", "cursor=5"), headers=headers))


def test_signature_for_another_path_is_refused(client, peer):
    headers = signed_headers("GET", "/federation/v1/inventory")
    assert "bad signature" in refused(client.get(FEED, headers=headers))


def test_notify_origin_must_match_the_signer(signed, peer):
    response = signed.post("/federation/v1/notify", {"origin": "binhduong", "seq": 3})
    assert response.status_code == 403


def test_keys_round_trip():
    from regional_network import signatures

    private = signatures.generate_private_key_b64()
    public = signatures.public_key_b64(signatures.private_key_from_b64(private))
    assert len(signatures.public_key_from_b64(public).public_bytes_raw()) == 32
    with pytest.raises(ValueError):
        signatures.public_key_from_b64("c2hvcnQ=")
    assert PEER_KEY != OTHER_KEY

"""Who changed which peer, and how: creating, re-keying, enabling/disabling and deleting peers — from the
Wagtail admin or the services — each write an audit row; a key is recorded by its fingerprint only."""

import pytest
from django.urls import reverse

from exchange.accounts.tests.factories import staff_user
from exchange.core.models import AuditLog
from regional_network import services
from regional_network.models import Peer

from .conftest import OTHER_KEY, PEER_KEY, public_of

pytestmark = pytest.mark.django_db


def form_data(peer=None, **changes):
    data = {
        "name": "Sàn giao dịch công nghệ Đồng Nai",
        "origin": "dongnai",
        "base_url": "http://127.0.0.1:9",
        "public_key": public_of(PEER_KEY),
        "pull_interval": 300,
        "active": "on",
    }
    if peer is not None:
        data.update(
            name=peer.name,
            origin=peer.origin,
            base_url=peer.base_url,
            public_key=peer.public_key,
            pull_interval=peer.pull_interval,
        )
        if not peer.active:
            del data["active"]
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def rows(action):
    return AuditLog.objects.filter(action=action)  # never count all rows: force_login writes account.login


def assert_no_key_material(row, *keys):
    text = str(row.before) + str(row.after) + str(row.data) + row.target_repr
    for key in keys:
        assert key not in text


@pytest.fixture
def staff(client):
    user = staff_user()
    client.force_login(user)
    return user


def test_adding_a_peer_in_the_admin_is_audited_with_the_key_fingerprint(client, staff):
    response = client.post(reverse("federation-peers:add"), form_data())
    assert response.status_code == 302, response.content.decode()[:2000]
    peer = Peer.objects.get(origin="dongnai")
    row = rows("peer.create").get()
    assert row.actor == staff and row.target_id == str(peer.pk)
    assert row.after["key_fingerprint"] == services.key_fingerprint(peer.public_key)
    assert row.after["key_fingerprint"].startswith("sha256:") and len(row.after["key_fingerprint"]) == 71
    assert_no_key_material(row, peer.public_key, PEER_KEY)


def test_changing_the_public_key_in_the_admin_records_old_and_new_fingerprints(client, staff, peer):
    old_key, new_key = peer.public_key, public_of(OTHER_KEY)
    response = client.post(
        reverse("federation-peers:edit", args=[peer.pk]), form_data(peer, public_key=new_key)
    )
    assert response.status_code == 302
    peer.refresh_from_db()
    assert peer.public_key == new_key
    row = rows("peer.key_change").get()
    assert row.actor == staff and row.target_id == str(peer.pk) and row.data == {"origin": "dongnai"}
    assert row.before == {"key_fingerprint": services.key_fingerprint(old_key)}
    assert row.after == {"key_fingerprint": services.key_fingerprint(new_key)}
    assert row.before != row.after
    assert_no_key_material(row, old_key, new_key, PEER_KEY, OTHER_KEY)
    assert not rows("peer.update").exists() and not rows("peer.disable").exists()


def test_disabling_and_enabling_a_peer_in_the_admin_are_audited(client, staff, peer):
    url = reverse("federation-peers:edit", args=[peer.pk])
    data = form_data(peer)
    del data["active"]
    assert client.post(url, data).status_code == 302
    peer.refresh_from_db()
    assert not peer.active
    disabled = rows("peer.disable").get()
    assert (
        disabled.actor == staff
        and disabled.before == {"active": True}
        and disabled.after == {"active": False}
    )
    assert client.post(url, form_data(peer, active="on")).status_code == 302
    assert rows("peer.enable").get().after == {"active": True}
    assert not rows("peer.key_change").exists()


def test_other_edits_are_audited_as_an_update_with_the_changed_fields(client, staff, peer):
    url = reverse("federation-peers:edit", args=[peer.pk])
    assert client.post(url, form_data(peer, pull_interval=600, name="Sàn Đồng Nai")).status_code == 302
    row = rows("peer.update").get()
    assert row.before == {"name": "Sàn giao dịch công nghệ Đồng Nai", "pull_interval": 300}
    assert row.after == {"name": "Sàn Đồng Nai", "pull_interval": 600}
    # Saving the form unchanged writes nothing.
    peer.refresh_from_db()
    assert client.post(url, form_data(peer)).status_code == 302
    assert rows("peer.update").count() == 1


def test_a_malformed_key_is_a_form_error_and_changes_nothing(client, staff, peer):
    response = client.post(
        reverse("federation-peers:edit", args=[peer.pk]), form_data(peer, public_key="not-a-key")
    )
    assert response.status_code == 200
    assert "Ed25519" in response.content.decode()
    peer.refresh_from_db()
    assert peer.public_key == public_of(PEER_KEY)
    assert not AuditLog.objects.filter(action__startswith="peer.").exists()


def test_deleting_a_peer_in_the_admin_is_audited(client, staff, peer):
    url = reverse("federation-peers:delete", args=[peer.pk])
    assert client.post(url).status_code == 302
    assert not Peer.objects.exists()
    row = rows("peer.delete").get()
    assert row.actor == staff and row.before["origin"] == "dongnai"
    assert row.before["key_fingerprint"] == services.key_fingerprint(public_of(PEER_KEY))


def test_the_service_audits_a_key_change_and_a_disable_made_together(peer):
    actor = staff_user()
    services.peer_update(actor=actor, peer=peer, public_key=public_of(OTHER_KEY), active=False)
    assert rows("peer.key_change").get().actor == actor
    assert rows("peer.disable").get().actor == actor
    peer.refresh_from_db()
    assert peer.public_key == public_of(OTHER_KEY) and not peer.active
    with pytest.raises(ValueError):
        services.peer_update(actor=actor, peer=peer, cursor=0)

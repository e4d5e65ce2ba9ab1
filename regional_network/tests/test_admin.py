"""Peers in the Wagtail admin: staff only; the dashboard and "sync now"."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from exchange.accounts.tests.factories import UserFactory, staff_user
from exchange.core.models import AuditLog
from regional_network import services

pytestmark = pytest.mark.django_db


def test_staff_see_the_list_and_dashboard_and_can_sync_now(client, peer, django_capture_on_commit_callbacks):
    client.force_login(staff_user())
    assert client.get(reverse("federation-peers:index")).status_code == 200
    url = reverse("federation-peers:dashboard", args=[peer.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert "dongnai" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url).status_code == 302
    assert AuditLog.objects.filter(action="peer.sync_now").exists()
    peer.refresh_from_db()
    assert peer.consecutive_failures == 1  # the queued pull ran against a closed port


@pytest.mark.parametrize("roles", [["moderator"], ["researcher"], []])
def test_others_may_not(client, peer, roles):
    user = UserFactory(roles=roles)
    user.is_staff = False
    client.force_login(user)
    url = reverse("federation-peers:dashboard", args=[peer.pk])
    assert client.get(url).status_code in (302, 403)
    assert client.post(url).status_code in (302, 403)
    assert not AuditLog.objects.filter(action="peer.sync_now").exists()


def test_anonymous_is_sent_to_login(client, peer):
    response = client.get(reverse("federation-peers:dashboard", args=[peer.pk]))
    assert response.status_code == 302


@pytest.mark.parametrize("roles", [["moderator"], ["researcher"], []])
def test_the_service_itself_refuses_non_staff(peer, roles, django_capture_on_commit_callbacks):
    """``peer_sync_now`` checks its actor: callers other than the dashboard cannot bypass the view."""
    before = peer.next_attempt_at
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(PermissionDenied):
        services.peer_sync_now(actor=UserFactory(roles=roles), peer=peer)
    assert callbacks == []
    peer.refresh_from_db()
    assert peer.next_attempt_at == before
    assert not AuditLog.objects.filter(action="peer.sync_now").exists()


def test_the_service_refuses_anonymous(peer):
    with pytest.raises(PermissionDenied):
        services.peer_sync_now(actor=AnonymousUser(), peer=peer)
    assert not AuditLog.objects.filter(action="peer.sync_now").exists()

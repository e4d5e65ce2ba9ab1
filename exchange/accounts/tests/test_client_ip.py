"""Which address the lockout and the rate limits count (issue #11): a forged X-Forwarded-For dodges neither.

``client_ip_from_request`` believes ``TRUSTED_PROXY_COUNT`` entries of X-Forwarded-For counted from the
right (the ones our own proxies appended) and nothing else; with 0 (the default) it ignores the header.
django-axes (``AXES_CLIENT_IP_CALLABLE``), allauth (``AccountAdapter.get_client_ip``) and DRF's throttles
(``NUM_PROXIES``) all count that one address. Before, axes and the audit log took the *last* entry even
with no proxy in front (so a client sending a new header with each guess was never locked out) and DRF
keyed anonymous callers by the whole header string.
"""

import pytest
from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress
from django.conf import settings
from django.test import RequestFactory
from django.urls import reverse
from rest_framework.test import APIClient

from exchange.core.middleware import client_ip_from_request

from .factories import UserFactory

pytestmark = pytest.mark.django_db
LIMIT = settings.AXES_FAILURE_LIMIT
EMAIL = "nha.khoahoc@example.vn"
PASSWORD = "s3cret-pass-123"


@pytest.fixture
def person():
    user = UserFactory(email=EMAIL)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def _sign_in(client, password, *, remote, forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post(reverse("account_login"), {"login": EMAIL, "password": password}, **extra)


@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded", "expected"),
    [
        (0, "203.0.113.7", None, "203.0.113.7"),
        (0, "203.0.113.7", "198.51.100.9", "203.0.113.7"),  # no proxy of ours: the header is the client's
        (1, "10.0.0.2", "6.6.6.6, 198.51.100.9", "198.51.100.9"),  # Caddy appended the last entry
        (2, "10.0.0.3", "6.6.6.6, 198.51.100.9, 10.0.0.2", "198.51.100.9"),
        (2, "10.0.0.3", "198.51.100.9", "198.51.100.9"),  # fewer entries than proxies: the outermost one's
        (1, "10.0.0.2", None, "10.0.0.2"),
        (1, "10.0.0.2", "6.6.6.6, not-an-ip", "10.0.0.2"),  # garbage never reaches the audit log
        (1, "10.0.0.2", "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_ip_believes_only_the_trusted_proxies(settings, proxies, remote, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    request = RequestFactory().get("/", **extra)
    assert client_ip_from_request(request) == expected
    assert get_adapter().get_client_ip(request) == expected  # allauth's rate limits count the same one


def test_a_new_forged_header_per_guess_does_not_dodge_the_lockout(client, person):
    """No proxy in front (the default): the attacker's address is REMOTE_ADDR whatever they send."""
    for i in range(LIMIT - 1):
        assert _sign_in(client, "sai", remote="203.0.113.7", forwarded=f"198.51.100.{i}").status_code == 200
    assert _sign_in(client, "sai", remote="203.0.113.7", forwarded="198.51.100.99").status_code == 429
    locked = _sign_in(client, PASSWORD, remote="203.0.113.7", forwarded="192.0.2.1")
    assert locked.status_code == 429 and "_auth_user_id" not in client.session


def test_behind_the_proxy_a_forged_left_part_does_not_dodge_the_lockout(client, person, settings):
    """compose.yaml's Caddy (TRUSTED_PROXY_COUNT=1) appends the address it saw; what the client wrote in
    front of it changes nothing, and another real client behind the same proxy is not locked out."""
    settings.TRUSTED_PROXY_COUNT = 1
    for i in range(LIMIT):
        response = _sign_in(client, "sai", remote="10.0.0.2", forwarded=f"198.51.100.{i}, 203.0.113.7")
    assert response.status_code == 429
    assert _sign_in(client, PASSWORD, remote="10.0.0.2", forwarded="203.0.113.7").status_code == 429
    elsewhere = _sign_in(client, PASSWORD, remote="10.0.0.2", forwarded="203.0.113.7, 198.51.100.20")
    assert elsewhere.status_code == 302 and "_auth_user_id" in client.session


def test_a_new_forged_header_per_request_does_not_dodge_the_token_throttle(person):
    """``POST /api/v1/auth/token/`` allows 10 a minute per address (``API_TOKEN_OBTAIN_RATE``); each
    guess uses another email so that axes' per-email lock stays out of the way."""
    api = APIClient()
    statuses = [
        api.post(
            "/api/v1/auth/token/",
            {"email": f"khach{i}@example.vn", "password": "sai", "name": "x"},
            format="json",
            REMOTE_ADDR="192.0.2.77",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{i}",
        ).status_code
        for i in range(11)
    ]
    assert 429 not in statuses[:10]
    assert statuses[10] == 429

"""Partner API tokens: obtain with email + password, use, list, revoke."""

import pytest
from allauth.account.models import EmailAddress
from django.core.cache import cache
from rest_framework.test import APIClient

from exchange.accounts.models import ApiToken
from exchange.accounts.tokens import api_token_create, token_hash
from exchange.core.models import AuditLog

from .factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "s3cret-pass-123"
OBTAIN = "/api/v1/auth/token/"
TOKENS = "/api/v1/auth/tokens/"


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


def verified_user(**kwargs):
    user = UserFactory(**kwargs)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def with_token(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def obtain(email, password=PASSWORD, **extra):
    return APIClient().post(OBTAIN, {"email": email, "password": password, **extra}, format="json")


def test_obtain_returns_a_token_stored_only_as_a_hash_and_audited():
    user = verified_user()
    response = obtain(user.email.upper(), name="CRM sync")
    assert response.status_code == 201, response.data
    key = response.data["token"]
    assert key.startswith("tx_") and len(key) > 40
    token = ApiToken.objects.get(pk=response.data["id"])
    assert token.user == user and token.name == "CRM sync"
    assert token.key_hash == token_hash(key) and key not in token.key_hash
    assert token.prefix == key[:10] == response.data["prefix"]
    assert not ApiToken.objects.filter(key_hash=key).exists()
    log = AuditLog.objects.get(action="api_token.create")
    assert log.actor == user and log.target_id == str(token.pk)
    assert key not in str(log.data) and key not in log.target_repr


def test_wrong_password_and_unknown_email_get_the_same_generic_400():
    user = verified_user()
    wrong = obtain(user.email, "not-the-password")
    unknown = obtain("nobody@example.vn")
    assert wrong.status_code == unknown.status_code == 400
    assert wrong.data == unknown.data
    assert "non_field_errors" in wrong.data
    assert not ApiToken.objects.exists()


def test_missing_fields_are_400_with_field_messages():
    response = APIClient().post(OBTAIN, {"email": "not-an-email"}, format="json")
    assert response.status_code == 400
    assert set(response.data) == {"email", "password"}


def test_inactive_and_unverified_users_get_no_token():
    inactive = verified_user(is_active=False)
    assert obtain(inactive.email).status_code == 400
    unverified = UserFactory()
    EmailAddress.objects.create(user=unverified, email=unverified.email, verified=False, primary=True)
    response = obtain(unverified.email)
    assert response.status_code == 403
    assert "email" in str(response.data["detail"]).lower()
    assert not ApiToken.objects.exists()


def test_token_authenticates_and_records_last_use():
    user = verified_user()
    key = obtain(user.email).data["token"]
    response = with_token(key).get(TOKENS)
    assert response.status_code == 200
    assert [t["prefix"] for t in response.data] == [key[:10]]
    assert ApiToken.objects.get().last_used_at is not None


def test_list_shows_my_named_tokens_without_secrets():
    user = verified_user()
    other = verified_user()
    first, first_key = api_token_create(user=user, name="ERP")
    api_token_create(user=user, name="Website")
    api_token_create(user=other, name="Not mine")
    response = with_token(first_key).get(TOKENS)
    assert response.status_code == 200
    assert sorted(t["name"] for t in response.data) == ["ERP", "Website"]
    for item in response.data:
        assert set(item) == {"id", "name", "prefix", "created_at", "last_used_at"}
    assert first_key not in response.content.decode()


def test_revoke_stops_the_token_at_once_and_is_audited():
    user = verified_user()
    token, key = api_token_create(user=user, name="old")
    _, other_key = api_token_create(user=user, name="new")
    response = with_token(other_key).delete(f"{TOKENS}{token.pk}/")
    assert response.status_code == 204
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditLog.objects.filter(action="api_token.revoke", target_id=str(token.pk), actor=user).exists()
    revoked = with_token(key).get(TOKENS)
    assert revoked.status_code == 401
    assert revoked["WWW-Authenticate"].startswith("Token")
    # no longer listed
    assert [t["name"] for t in with_token(other_key).get(TOKENS).data] == ["new"]


def test_someone_elses_token_id_is_404_and_untouched():
    owner = verified_user()
    token, _ = api_token_create(user=owner, name="mine")
    _, intruder_key = api_token_create(user=verified_user(), name="x")
    assert with_token(intruder_key).delete(f"{TOKENS}{token.pk}/").status_code == 404
    assert with_token(intruder_key).delete(f"{TOKENS}999999/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_anonymous_cannot_list_or_revoke():
    token, _ = api_token_create(user=verified_user(), name="x")
    client = APIClient()
    listed = client.get(TOKENS)
    assert listed.status_code == 401
    assert listed["WWW-Authenticate"] == 'Token realm="api"'
    assert client.delete(f"{TOKENS}{token.pk}/").status_code == 401


@pytest.mark.parametrize(
    "header", ["Token", "Token a b", "Token tx_not-a-real-token", "Token abc", "token tx_\u00e9"]
)
def test_bad_tokens_are_401(header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    assert client.get(TOKENS).status_code == 401
    # even on endpoints open to anonymous readers: a wrong credential is never silently ignored
    assert client.get("/api/v1/technologies/").status_code == 401


def test_token_of_a_deactivated_user_stops_working():
    user = verified_user()
    _, key = api_token_create(user=user)
    user.is_active = False
    user.save()
    assert with_token(key).get(TOKENS).status_code == 401


def test_session_users_can_manage_tokens_too():
    user = verified_user()
    client = APIClient()
    client.force_login(user)
    token, _ = api_token_create(user=user, name="x")
    assert client.get(TOKENS).status_code == 200


def test_obtaining_is_throttled(settings):
    settings.API_TOKEN_OBTAIN_RATE = "2/minute"
    user = verified_user()
    assert obtain(user.email, "wrong").status_code == 400
    assert obtain(user.email, "wrong").status_code == 400
    assert obtain(user.email).status_code == 429

"""Lockout after repeated failed sign-ins (django-axes): the real allauth form, the admin sign-in and the
API token endpoint share one counter per email + IP; the lock says so in both languages, survives the right
password, ends after the cool-off, and staff or a password reset lift it — all in the audit log."""

import datetime as dt
import re

import pytest
from allauth.account.models import EmailAddress
from axes.models import AccessAttempt
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from exchange.accounts.models import ApiToken
from exchange.core.models import AuditLog

from .factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "s3cret-pass-123"
LIMIT = settings.AXES_FAILURE_LIMIT
TOKEN_URL = "/api/v1/auth/token/"


@pytest.fixture
def person():
    user = UserFactory(email="nha.khoahoc@example.vn")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def sign_in(client, login, password, ip="203.0.113.7"):
    return client.post(reverse("account_login"), {"login": login, "password": password}, REMOTE_ADDR=ip)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def fail(client, times, login="nha.khoahoc@example.vn", ip="203.0.113.7"):
    return [sign_in(client, login, "sai-mat-khau", ip=ip) for _ in range(times)]


def test_settings_lock_the_combination_of_email_and_ip_for_half_an_hour():
    assert LIMIT == 5
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 30 * 60
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"


def test_the_login_form_locks_after_five_failures_even_for_the_right_password(client, person):
    responses = fail(client, LIMIT - 1)
    assert [r.status_code for r in responses] == [200] * (LIMIT - 1)  # the form again, with its error

    locked = fail(client, 1)[0]
    assert locked.status_code == 429
    assert locked["Retry-After"] == str(30 * 60)
    assert locked["Cache-Control"] == "no-store"
    page = locked.content.decode()
    vi, en = page.index('lang="vi"', page.index("<main")), page.index('<section class="card" lang="en"')
    assert vi < en  # Vietnamese first
    assert "Tạm khoá đăng nhập" in page and "Hãy thử lại sau 30 phút" in page
    assert "Sign-in temporarily locked" in page and "Try again in 30 minutes" in page
    assert reverse("account_reset_password") in page

    right = sign_in(client, person.email, PASSWORD)
    assert right.status_code == 429 and not signed_in(client)

    # Only this email from this address is locked: the same person elsewhere gets in.
    elsewhere = sign_in(client, person.email, PASSWORD, ip="198.51.100.20")
    assert elsewhere.status_code == 302 and signed_in(client)


def test_lockout_is_audited_with_the_identifier_and_ip_never_the_password(client, person):
    fail(client, LIMIT)
    assert AuditLog.objects.filter(action="account.login_failed").count() == LIMIT
    row = AuditLog.objects.get(action="account.locked_out")
    assert row.data == {"identifier": person.email, "path": reverse("account_login")}
    assert row.ip_address == "203.0.113.7"
    attempt = AccessAttempt.objects.get()
    assert "sai-mat-khau" not in attempt.post_data and person.email not in attempt.post_data


def test_the_identifier_is_counted_whatever_its_case_or_spaces(client, person):
    fail(client, LIMIT - 1, login="Nha.KhoaHoc@Example.vn")
    assert sign_in(client, " nha.khoahoc@example.vn ", "sai-mat-khau").status_code == 429


def test_a_successful_sign_in_clears_the_count(client, person):
    fail(client, LIMIT - 1)
    assert sign_in(client, person.email, PASSWORD).status_code == 302
    client.logout()
    assert [r.status_code for r in fail(client, LIMIT - 1)] == [200] * (LIMIT - 1)


def test_the_lock_ends_after_the_cool_off(client, person):
    fail(client, LIMIT)
    assert sign_in(client, person.email, PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=31))
    assert sign_in(client, person.email, PASSWORD).status_code == 302 and signed_in(client)


def test_xhr_callers_get_json(client, person):
    fail(client, LIMIT - 1)
    response = client.post(
        reverse("account_login"),
        {"login": person.email, "password": "sai"},
        REMOTE_ADDR="203.0.113.7",
        HTTP_X_REQUESTED_WITH="XMLHttpRequest",
    )
    assert response.status_code == 429
    assert response.json()["code"] == "locked_out" and response["Retry-After"] == "1800"


def test_the_admin_sign_in_is_locked_too(client, person):
    fail(client, LIMIT)
    response = client.post(
        "/admin/login/", {"username": person.email, "password": PASSWORD}, REMOTE_ADDR="203.0.113.7"
    )
    assert response.status_code == 429 and not signed_in(client)


def api_obtain(email, password, ip="203.0.113.7"):
    return APIClient().post(TOKEN_URL, {"email": email, "password": password}, format="json", REMOTE_ADDR=ip)


def test_the_api_token_endpoint_counts_failures_and_respects_the_lock(client, person):
    from django.core.cache import cache

    cache.clear()  # the endpoint's own throttle (10/min) must not be what answers here
    fail(client, 2)  # two failures through the form, three through the API
    answers = [api_obtain(person.email, "sai").status_code for _ in range(LIMIT - 2)]
    assert answers == [400] * (LIMIT - 3) + [429]
    right = api_obtain(person.email, PASSWORD)
    assert right.status_code == 429 and right["Retry-After"] == "1800"
    assert "30" in right.json()["detail"]
    assert not ApiToken.objects.exists()
    assert sign_in(client, person.email, PASSWORD).status_code == 429  # the form is locked as well
    assert api_obtain(person.email, PASSWORD, ip="198.51.100.20").status_code == 201


def test_staff_unlock_in_the_django_admin_and_it_is_audited(client, person):
    fail(client, LIMIT)
    attempt = AccessAttempt.objects.get()
    admin = UserFactory(email="quan.tri@example.vn", is_staff=True, is_superuser=True)
    staff_client = type(client)()
    staff_client.force_login(admin)
    url = reverse("admin:axes_accessattempt_delete", args=[attempt.pk])
    assert staff_client.get(url).status_code == 200
    assert staff_client.post(url, {"post": "yes"}).status_code == 302
    assert not AccessAttempt.objects.exists()
    row = AuditLog.objects.get(action="account.unlocked")
    assert row.actor == admin
    assert row.data == {"identifier": person.email, "ip": "203.0.113.7", "failures": LIMIT, "reason": "staff"}
    assert sign_in(client, person.email, PASSWORD).status_code == 302


def test_bulk_unlock_in_the_admin_is_audited_per_row(client, person):
    fail(client, LIMIT)
    fail(client, LIMIT, ip="198.51.100.20")
    admin = UserFactory(email="quan.tri@example.vn", is_staff=True, is_superuser=True)
    staff_client = type(client)()
    staff_client.force_login(admin)
    ids = list(AccessAttempt.objects.values_list("pk", flat=True))
    response = staff_client.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    assert AuditLog.objects.filter(action="account.unlocked", actor=admin).count() == 2


def test_a_password_reset_lifts_the_lock(client, person):
    fail(client, LIMIT)
    client.post(reverse("account_reset_password"), {"email": person.email}, REMOTE_ADDR="203.0.113.7")
    link = re.search(r"https?://[^/\s]+(/\S*/password/reset/key/\S+/)", mail.outbox[-1].body).group(1)
    response = client.get(link, REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 302  # allauth moves the key into the session
    new_password = "mat-khau-moi-2026!"
    response = client.post(
        response["Location"],
        {"password1": new_password, "password2": new_password},
        REMOTE_ADDR="203.0.113.7",
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    assert AuditLog.objects.filter(action="account.unlocked", data__reason="password_reset").exists()
    assert sign_in(client, person.email, new_password).status_code == 302 and signed_in(client)

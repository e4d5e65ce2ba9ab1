"""Sign-ins, sign-outs and failed sign-ins leave audit rows; a failed one never stores the password."""

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from exchange.accounts.tests.factories import UserFactory
from exchange.core.models import AuditLog

pytestmark = pytest.mark.django_db


def test_login_logout_and_failed_login_are_audited_without_the_password(client):
    user = UserFactory(email="nguoi.dung@example.vn")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)

    login_url = reverse("account_login")
    response = client.post(login_url, {"login": "nguoi.dung@example.vn", "password": "sai-mat-khau-9"})
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    failed = AuditLog.objects.get(action="account.login_failed")
    assert failed.actor is None
    assert failed.data == {"identifier": "nguoi.dung@example.vn"}
    assert "sai-mat-khau-9" not in str(failed.data) + str(failed.before) + str(failed.after)

    response = client.post(login_url, {"login": "nguoi.dung@example.vn", "password": "s3cret-pass-123"})
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(user.pk)
    login = AuditLog.objects.get(action="account.login")
    assert login.actor == user and login.target_id == str(user.pk)

    client.post(reverse("account_logout"))
    assert AuditLog.objects.filter(action="account.logout", actor=user).count() == 1


def test_failed_login_through_the_login_form_is_audited(client):
    UserFactory(email="khach@example.vn")
    response = client.post(reverse("account_login"), {"login": "khach@example.vn", "password": "nhầm-123456"})
    assert response.status_code == 200  # the form again, with its error
    row = AuditLog.objects.get(action="account.login_failed")
    assert row.data["identifier"] == "khach@example.vn"
    assert "nhầm-123456" not in str(row.data)

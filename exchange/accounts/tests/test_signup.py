import re

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse

from exchange.accounts.models import User
from exchange.core.models import AuditLog

pytestmark = pytest.mark.django_db

PASSWORD = "Tr@nsfer-2026-x"


def signup_data(**overrides):
    data = {
        "email": "Nha.KhoaHoc@Example.vn",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "full_name": "Trần Thị Bích",
        "language": "en",
        "role": "researcher",
        "privacy_consent": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_signup_page_uses_site_layout_and_links_privacy_notice(client):
    response = client.get(reverse("account_signup"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="site-header"' in html  # our base.html
    assert reverse("accounts:privacy") in html
    assert 'name="privacy_consent"' in html
    assert 'value="broker"' not in html


def test_signup_requires_privacy_consent(client):
    response = client.post(reverse("account_signup"), signup_data(privacy_consent=None))
    assert response.status_code == 200
    assert "privacy_consent" in response.context["form"].errors
    assert not User.objects.exists()


@pytest.mark.parametrize("role", ["broker", "moderator", "staff", "appraiser"])
def test_signup_cannot_choose_a_granted_role(client, role):
    response = client.post(reverse("account_signup"), signup_data(role=role))
    assert response.status_code == 200
    assert "role" in response.context["form"].errors
    assert not User.objects.exists()


def test_signup_stores_consent_role_language_and_audits(client):
    response = client.post(reverse("account_signup"), signup_data())
    assert response.status_code == 302
    user = User.objects.get()
    assert user.email == "nha.khoahoc@example.vn"
    assert user.full_name == "Trần Thị Bích"
    assert user.language == "en"
    assert user.privacy_consent_at is not None
    assert user.privacy_consent_version == settings.PRIVACY_NOTICE_VERSION
    assert user.role_codes() == {"researcher"}
    row = AuditLog.objects.get(action="user.registered")
    assert row.actor == user and row.target_id == str(user.pk)
    assert row.data["privacy_notice_version"] == settings.PRIVACY_NOTICE_VERSION


def test_email_confirmation_is_sent_and_login_works_only_after_it(client):
    client.post(reverse("account_signup"), signup_data())
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["nha.khoahoc@example.vn"]
    confirm_url = re.search(r"https?://[^/\s]+(/\S*/confirm-email/\S+/)", message.body).group(1)
    client.logout()

    # Not confirmed yet: the credentials are right but the person is not signed in.
    response = client.post(
        reverse("account_login"), {"login": "nha.khoahoc@example.vn", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session

    assert client.get(confirm_url).status_code == 200
    response = client.post(confirm_url)
    assert response.status_code == 302
    client.logout()

    response = client.post(
        reverse("account_login"), {"login": "nha.khoahoc@example.vn", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(User.objects.get().pk)

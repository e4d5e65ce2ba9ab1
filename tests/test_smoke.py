"""The newcomer's path: demo data loads once, the home page and the admin answer."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from exchange.accounts.models import User

pytestmark = pytest.mark.django_db


def sign_in(client, email: str) -> bool:
    """Through the real sign-in form (the lockout backend needs the request client.login() lacks)."""
    response = client.post(reverse("account_login"), {"login": email, "password": "demo-techex-2026"})
    return response.status_code == 302 and "_auth_user_id" in client.session


def test_seed_demo_loads_once_and_users_can_sign_in(client):
    call_command("seed_demo", "--once")
    count = User.objects.count()
    call_command("seed_demo", "--once")
    assert User.objects.count() == count
    assert sign_in(client, "moderator@techex.local")


def test_home_page_in_both_languages(client):
    vi = client.get("/vi/")
    assert vi.status_code == 200
    assert "Sàn giao dịch công nghệ" in vi.content.decode()
    assert client.get("/en/").status_code == 200


def test_root_redirects_to_language(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/vi/")


def test_moderator_reaches_wagtail_admin_but_business_user_does_not(client):
    call_command("seed_demo", "--once")
    assert sign_in(client, "moderator@techex.local")
    assert client.get("/admin/").status_code == 200
    client.logout()
    assert sign_in(client, "business@saigonwater.techex.local")
    assert client.get("/admin/").status_code == 302

"""Security headers on representative pages (public, portal, admin, API) and log redaction."""

import logging

import pytest
from django.urls import reverse

from exchange.accounts.tests.factories import UserFactory
from exchange.core.security import RedactingFilter, csp_hash, permissions_policy_header, redact

pytestmark = pytest.mark.django_db


def _directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    out = {}
    for part in policy.split(";"):
        name, *values = part.strip().split()
        out[name] = values
    return out


def _common_headers(response):
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]


def _strict(response):
    csp = _directives(response)
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert response["X-Frame-Options"] == "DENY"


def test_public_page_has_strict_policy(client):
    response = client.get(reverse("listings:technology_list"))
    assert response.status_code == 200
    _common_headers(response)
    _strict(response)


def test_portal_page_has_strict_policy(client):
    client.force_login(UserFactory())
    response = client.get(reverse("portal:dashboard"))
    assert response.status_code == 200
    _common_headers(response)
    _strict(response)


def test_api_has_headers(client):
    response = client.get("/api/v1/technologies/")
    assert response.status_code == 200
    _common_headers(response)
    csp = _directives(response)
    assert csp["frame-ancestors"] == ["'none'"] and csp["object-src"] == ["'none'"]


def test_wagtail_admin_gets_the_laxer_scoped_policy(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.get("/admin/")
    assert response.status_code == 200
    _common_headers(response)
    csp = _directives(response)
    assert "'unsafe-inline'" in csp["script-src"]
    assert csp["frame-ancestors"] == ["'self'"]  # Wagtail's live preview frames the page


def test_no_inline_script_or_style_on_our_pages(client):
    """The strict policy would block them: our templates keep JavaScript and CSS in static files."""
    client.force_login(UserFactory())
    for url in (reverse("listings:technology_list"), reverse("portal:dashboard")):
        html = client.get(url).content.decode()
        assert "<style" not in html
        assert ' style="' not in html
        assert "<script>" not in html


def test_csp_hash_and_permissions_policy_syntax():
    assert csp_hash("") == "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
    assert permissions_policy_header({"camera": [], "payment": ["self", "https://js.stripe.com"]}) == (
        'camera=(), payment=(self "https://js.stripe.com")'
    )


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("login failed for nguyen.van.a@example.vn", "nguyen.van.a@example.vn"),
        ("Authorization: Token tx_AbCdEf1234567890", "tx_AbCdEf1234567890"),
        ("headers={'Authorization': 'Bearer eyJhbGciOiJIUzI1NiJ9.xyz'}", "eyJhbGciOiJIUzI1NiJ9"),
        ("POST data password=hunter2-secret&next=/", "hunter2-secret"),
        ("stripe key sk_live_51ABCdefGHIjkl used", "sk_live_51ABCdefGHIjkl"),
        ("webhook secret whsec_abcdef123456", "whsec_abcdef123456"),
        ("client secret pi_123abc_secret_456def", "pi_123abc_secret_456def"),
        ("Cookie: sessionid=abcdef0123456789; csrftoken=xyz", "abcdef0123456789"),
        ("?token=deadbeefcafebabe1234", "deadbeefcafebabe1234"),
    ],
)
def test_redact_removes_secrets(text, secret):
    assert secret not in redact(text)
    assert "[redacted]" in redact(text)


def test_redact_keeps_ordinary_text():
    assert redact("Đã đăng tin 42 cho tổ chức org-1") == "Đã đăng tin 42 cho tổ chức org-1"


def test_logging_filter_is_installed_and_redacts_arguments_and_tracebacks(settings):
    assert "redact" in settings.LOGGING["handlers"]["console"]["filters"]
    args = ("a@b.vn", "s3cr3tvalue")
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "user %s token=%s", args, None)
    try:
        raise ValueError("password=topsecret for a@b.vn")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    assert RedactingFilter().filter(record) is True
    formatted = logging.Formatter().format(record)
    assert "a@b.vn" not in formatted and "s3cr3tvalue" not in formatted and "topsecret" not in formatted


def test_public_pages_may_frame_only_the_video_players(client):
    """The video block's YouTube/Vimeo players are the only frames a public page may load (a policy of
    frame-src 'none' used to blank every embedded video); the card page adds Stripe's on its own."""
    csp = _directives(client.get(reverse("listings:technology_list")))
    assert "https://www.youtube.com" in csp["frame-src"]
    assert "https://player.vimeo.com" in csp["frame-src"]
    assert "'self'" not in csp["frame-src"] and "*" not in csp["frame-src"]

"""The Content Security Policy breaks nothing a person uses: no violation is reported in Chromium on the
public site, the portal and the Wagtail admin (the admin runs under its laxer, scoped policy)."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "s3cret-pass-123"


def _collect_violations(page) -> list[str]:
    violations: list[str] = []
    page.on(
        "console",
        lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    return violations


def _sign_in(page, live_server, email: str, path: str = "/vi/accounts/login/") -> None:
    page.goto(f"{live_server.url}{path}")
    page.fill("[name=login]" if "accounts" in path else "[name=username]", email)
    page.fill("[name=password]", PASSWORD)
    with page.expect_navigation():
        page.locator("form [type=submit]").last.click()


def test_public_portal_and_admin_pages_report_no_csp_violation(live_server, page, wagtail_home):
    from allauth.account.models import EmailAddress

    from exchange.accounts.tests.factories import UserFactory
    from listings.tests.factories import ListingFactory

    listing = ListingFactory(published=True, title_vi="Công nghệ lọc nước nhiễm mặn")
    user = UserFactory(is_staff=True, is_superuser=True)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    violations = _collect_violations(page)

    for path in ("/vi/", "/vi/listings/technologies/", f"/vi/listings/technologies/{listing.pk}/"):
        response = page.goto(f"{live_server.url}{path}")
        assert response.status < 400, path
        assert "script-src 'self'" in response.headers["content-security-policy"]

    _sign_in(page, live_server, user.email)
    for path in ("/vi/portal/", "/vi/portal/listings/", "/vi/portal/valuations/"):
        response = page.goto(f"{live_server.url}{path}")
        assert response.status < 400, path

    for path in ("/admin/", "/admin/pages/", f"/admin/pages/{wagtail_home.pk}/edit/"):
        response = page.goto(f"{live_server.url}{path}")
        assert response.status < 400, path
        page.wait_for_load_state("networkidle")
    page.shot("admin-edit")
    assert violations == []

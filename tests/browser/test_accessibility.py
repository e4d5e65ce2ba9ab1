"""WCAG 2.1 AA in a real browser: axe-core (bundled by ``axe-playwright-python``) audits the main pages of
every kind of user, in Vietnamese and English, on the demo exchange (``seed_demo``), so the check runs on
the content people actually see — blocks, events, forms, charts — rather than on empty templates.

Also checked, because axe cannot see them: no horizontal scrolling at 375 px (a phone), and that a
keyboard user reaches the skip link first, lands on the main content with it, and can Tab through every
link of the main navigation with a visible focus ring.

On failure each violation is printed with its rule id, impact, CSS target and help URL; every audited
page is also saved as a screenshot in build/screenshots/ like the journeys'.
"""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DEMO_PASSWORD = "demo-techex-2026"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

# Markup we do not write and cannot change. Each entry: (url substring, CSS selector, why).
EXCLUDED: list[tuple[str, str, str]] = []


def _axe():
    try:
        from axe_playwright_python.sync_playwright import Axe
    except ImportError:
        from .conftest import _missing

        _missing("axe-playwright-python is not installed (pip install -e '.[test]')")
    return Axe()


def audit(page, axe, label: str) -> list[str]:
    """Run axe-core on the page as it is now; return one readable line per failing element."""
    exclude = [[selector] for part, selector, _why in EXCLUDED if part in page.url]
    context = {"exclude": exclude} if exclude else None
    results = axe.run(
        page,
        context=context,
        options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]},
    )
    assert results.response["passes"], f"axe-core checked nothing on {page.url}"
    lines = []
    for violation in results.response["violations"]:
        for node in violation["nodes"]:
            lines.append(
                f"{label} {page.url}\n  {violation['id']} ({violation['impact']}): {violation['help']}\n"
                f"  target: {' '.join(map(str, node['target']))}\n  html: {node['html'][:200]}\n"
                f"  {node.get('failureSummary', '').replace(chr(10), ' ')[:300]}\n"
                f"  help: {violation['helpUrl']}"
            )
    return lines


def visit(page, live_server, path: str) -> None:
    response = page.goto(f"{live_server.url}{path}")
    assert response is not None and response.status < 400, (path, response and response.status)


@pytest.fixture
def demo(wagtail_home):
    """The demo exchange (accounts, organisations, listings, editorial pages) plus one deal in progress."""
    from django.core.management import call_command

    from exchange.accounts.models import Organization, User
    from exchange.deals import services as deal_services
    from exchange.deals.models import NdaTemplate
    from listings.models import Listing

    call_command("seed_demo", "--once")
    business = User.objects.get(email="business@saigonwater.techex.local")
    tto = User.objects.get(email="tto@hcmut.techex.local")
    offer = Listing.objects.filter(organization__ref="hcmut", state="published", kind="offer").first()
    deal = deal_services.deal_create_inquiry(
        actor=business,
        listing=offer,
        organization=Organization.objects.get(ref="saigon-water"),
        message="Công ty chúng tôi muốn thử nghiệm công nghệ này tại nhà máy ở Thủ Đức.",
    )
    deal_services.deal_accept(
        actor=tto,
        deal=deal,
        nda_template=NdaTemplate.objects.get(organization=None, code="standard", language="vi"),
    )
    return {"offer": offer, "deal": deal}


def _site_path(page) -> str:
    """A page's path below the home page (``/home/tin-tuc/x/`` → ``/tin-tuc/x/``), for either language."""
    return "/" + page.url_path.split("/", 2)[2]


def _public_paths(lang: str) -> list[tuple[str, str]]:
    from cms.models import (
        EventPage,
        NewsArticlePage,
        SupportServicePage,
    )
    from listings.models import Listing, ScienceField

    offer = Listing.objects.filter(state="published", kind="offer").order_by("pk").first()
    demand = Listing.objects.filter(state="published", kind="request").order_by("pk").first()
    field = ScienceField.objects.filter(listings__state="published", parent__isnull=False).first()
    article = NewsArticlePage.objects.live().filter(locale__language_code="vi").first()
    event = EventPage.objects.live().filter(locale__language_code="vi", slug="techmart-2026").first()
    service = SupportServicePage.objects.live().filter(locale__language_code="vi").first()
    p = f"/{lang}"
    return [
        ("home", f"{p}/"),
        ("technologies", f"{p}/listings/technologies/"),
        ("search", f"{p}/listings/technologies/?q=nuoc+thai"),
        ("facets", f"{p}/listings/technologies/?q=cong+nghe&field={field.pk}&trl_min=4"),
        ("technology", f"{p}/listings/technologies/{offer.pk}/"),
        ("requests", f"{p}/listings/requests/"),
        ("request", f"{p}/listings/requests/{demand.pk}/"),
        ("news", f"{p}/tin-tuc/"),
        ("article", f"{p}{_site_path(article)}"),
        ("events", f"{p}/su-kien/"),
        ("event", f"{p}{_site_path(event)}"),
        ("standard", f"{p}/gioi-thieu/"),
        ("services", f"{p}/dich-vu-ho-tro/"),
        ("service", f"{p}{_site_path(service)}"),
        ("faq", f"{p}/hoi-dap/"),
        ("contact", f"{p}/lien-he/"),
        ("library", f"{p}/van-ban-chinh-sach/"),
        ("statistics", f"{p}/thong-ke/"),
        ("login", f"{p}/accounts/login/"),
        ("signup", f"{p}/accounts/signup/"),
    ]


def _sign_in(page, live_server, email: str, lang: str) -> None:
    page.context.clear_cookies()
    visit(page, live_server, f"/{lang}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").last.click()
    assert "/accounts/login/" not in page.url, f"{email} could not sign in"


def errors_not_tied(page, label: str) -> list[str]:
    """Fields marked invalid whose error message is not among their descriptions (axe cannot tell)."""
    loose = page.evaluate(
        """() => [...document.querySelectorAll('main [aria-invalid=true]')].filter(f => {
            const ids = (f.getAttribute('aria-describedby') || '').split(/\\s+/).filter(Boolean);
            return !ids.some(id => {
                const e = document.getElementById(id);
                return e && e.classList.contains('errorlist') && e.textContent.trim();
            });
        }).map(f => f.name)"""
    )
    invalid = page.locator("main [aria-invalid=true]").count()
    assert invalid, f"{label}: expected fields marked invalid after an empty submission"
    return [f"{label} {page.url}: error of field {name!r} not tied by aria-describedby" for name in loose]


def _submit_empty(page, form: str) -> None:
    """Send a form with its required fields empty, past the browser's own checks, to see the server's
    error messages (they must be tied to their fields)."""
    page.locator(form).evaluate("f => { f.noValidate = true; }")
    with page.expect_navigation():
        page.locator(f"{form} button[type=submit]").last.click()


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_public_pages_have_no_wcag_violations(live_server, page, demo, lang):
    axe = _axe()
    problems: list[str] = []
    for name, path in _public_paths(lang):
        visit(page, live_server, path)
        problems += audit(page, axe, name)
        page.shot(name)
    # Forms after a failed submission: the errors are part of the page a person must understand.
    visit(page, live_server, f"/{lang}/lien-he/")
    _submit_empty(page, "main form")
    problems += audit(page, axe, "contact-errors") + errors_not_tied(page, "contact-errors")
    page.shot("contact-errors")
    visit(page, live_server, f"/{lang}/accounts/signup/")
    _submit_empty(page, "main form")
    problems += audit(page, axe, "signup-errors")
    page.shot("signup-errors")
    event_path = dict(_public_paths(lang))["event"]
    visit(page, live_server, event_path)
    _submit_empty(page, "#register form")
    problems += audit(page, axe, "event-registration-errors")
    problems += errors_not_tied(page, "event-registration-errors")
    page.shot("event-registration-errors")
    assert not problems, f"{len(problems)} WCAG 2.1 A/AA violations:\n" + "\n".join(problems)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_signed_in_pages_have_no_wcag_violations(live_server, page, demo, lang):
    axe = _axe()
    problems: list[str] = []

    def check(name: str, path: str) -> None:
        visit(page, live_server, path)
        problems.extend(audit(page, axe, name))
        page.shot(name)

    _sign_in(page, live_server, "researcher@hcmut.techex.local", lang)
    check("portal-listing-form", f"/{lang}/portal/listings/new/offer/")
    _submit_empty(page, "main form")
    problems.extend(audit(page, axe, "portal-listing-form-errors"))
    problems.extend(errors_not_tied(page, "portal-listing-form-errors"))
    page.shot("portal-listing-form-errors")
    check("portal-my-listings", f"/{lang}/portal/listings/")

    _sign_in(page, live_server, "business@saigonwater.techex.local", lang)
    check("business-dashboard", f"/{lang}/portal/")
    check("deal-room", f"/{lang}/deals/{demo['deal'].pk}/")

    _sign_in(page, live_server, "admin@techex.local", lang)
    check("staff-statistics", "/admin/statistics/")
    assert not problems, f"{len(problems)} WCAG 2.1 A/AA violations:\n" + "\n".join(problems)


def test_phone_width_needs_no_horizontal_scrolling(live_server, page, demo):
    page.set_viewport_size({"width": 375, "height": 812})
    paths = dict(_public_paths("vi"))
    too_wide = []
    for name in ("home", "technologies", "facets", "technology", "request", "event", "statistics"):
        visit(page, live_server, paths[name])
        widths = page.evaluate("() => [document.scrollingElement.scrollWidth, window.innerWidth]")
        if widths[0] > widths[1]:
            culprits = page.evaluate(
                """() => [...document.querySelectorAll('body *')]
                    .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
                    .slice(0, 5).map(e => e.tagName.toLowerCase() + '.' + (e.getAttribute('class') || ''))"""
            )
            too_wide.append(f"{name} {paths[name]}: scrollWidth {widths[0]} > {widths[1]} ({culprits})")
        page.shot(f"mobile-{name}")
    assert not too_wide, "\n".join(too_wide)


def test_keyboard_reaches_skip_link_and_every_main_nav_link(live_server, page, demo):
    visit(page, live_server, "/vi/")
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "() => ({cls: document.activeElement.className, href: document.activeElement.getAttribute('href'),"
        " top: document.activeElement.getBoundingClientRect().top,"
        " outline: getComputedStyle(document.activeElement).outlineStyle})"
    )
    assert focused["cls"] == "skip-link" and focused["href"] == "#main", focused
    assert focused["top"] >= 0 and focused["outline"] != "none", "the skip link must show when focused"
    page.shot("skip-link-focused")
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"

    visit(page, live_server, "/vi/")
    nav_links = page.locator(".main-nav a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert len(nav_links) >= 5, nav_links
    reached, outlines = [], set()
    for _ in range(len(nav_links) + 15):
        page.keyboard.press("Tab")
        info = page.evaluate(
            "() => { const e = document.activeElement; return {inNav: !!e.closest('.main-nav'),"
            " href: e.getAttribute('href'), outline: getComputedStyle(e).outlineStyle} }"
        )
        if info["inNav"] and info["href"]:
            reached.append(info["href"])
            outlines.add(info["outline"])
    assert [href for href in nav_links if href not in reached] == [], (nav_links, reached)
    assert "none" not in outlines, "every focused navigation link needs a visible focus ring"
    page.shot("nav-focused")


def test_the_audit_reports_what_it_finds(page):
    """The check can fail: a page with an unlabelled field and an image without text is reported with
    the rule, the element and the help URL (guards against axe silently not running, e.g. under a CSP)."""
    page.set_content(
        '<!DOCTYPE html><html lang="vi"><head><title>t</title></head><body><main>'
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><input type="text"></main></body></html>'
    )
    problems = "\n".join(audit(page, _axe(), "broken"))
    assert "image-alt (critical)" in problems and "label (critical)" in problems, problems
    assert "target: img" in problems and "help: https://dequeuniversity.com/rules/axe/" in problems

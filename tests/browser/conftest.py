"""Real-browser journeys: Debian's Chromium driven by the ``playwright`` package against live_server.

``playwright install`` cannot download browsers here, so we launch /usr/bin/chromium (override with
CHROMIUM_PATH). Without the package or the browser the journeys skip locally and FAIL under CI=true.
Screenshots of every journey go to build/screenshots/ (BROWSER_SCREENSHOTS_DIR) for people to look at.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

# Playwright's sync API keeps an event loop on the test thread; Django's ORM calls made by the test
# itself (creating data, checking results) are still synchronous and safe there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
SCREENSHOTS = Path(
    os.environ.get("BROWSER_SCREENSHOTS_DIR", Path(__file__).resolve().parents[2] / "build" / "screenshots")
)


def _missing(reason: str):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"browser journeys cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        _missing("Chromium is not installed (apt-get install chromium)")
    return path


@pytest.fixture(scope="module")
def browser(chromium_path, django_db_setup):
    """One Chromium per module, stopped after it.

    While Playwright's (sync API) event loop runs, Django's thread-critical connection handler sees a
    running loop and hands out a separate connection object. The test database is therefore set up
    first (``django_db_setup``) and its serialized contents, kept on the thread's own connection for
    ``serialized_rollback``, are handed to the loop-time connection; once the module's Playwright stops,
    later tests use the original connection again, untouched."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright package is not installed (pip install -e '.[test]')")
    from django.db import connections

    serialized = {
        alias: getattr(connections[alias], "_test_serialized_contents", None) for alias in connections
    }
    with sync_playwright() as pw:
        for alias, contents in serialized.items():
            if contents is not None:
                connections[alias]._test_serialized_contents = contents
        browser = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.shots = []  # type: ignore[attr-defined]

    def shot(name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        test = re.sub(r"[^\w-]+", "_", request.node.name)
        path = SCREENSHOTS / f"{test}-{len(page.shots) + 1:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        page.shots.append(path)

    page.shot = shot  # type: ignore[attr-defined]
    yield page
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        shot("failed")
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def wagtail_home():
    """The site's home page. Transactional tests restore the migrations' rows (serialized rollback), but
    a worker process that ran another transactional test first may lack them: rebuild the tree then."""
    from wagtail.models import Locale, Page, Site

    from cms.models import HomePage

    home = HomePage.objects.filter(depth=2, locale__language_code="vi").first()
    if home is not None:
        return home
    locale, _ = Locale.objects.get_or_create(language_code="vi")
    root = Page.get_first_root_node() or Page.add_root(
        instance=Page(title="Root", slug="root", locale=locale)
    )
    home = HomePage(title="Sàn giao dịch công nghệ TP.HCM", slug="home", locale=locale)
    root.add_child(instance=home)
    home.save_revision().publish()
    Site.objects.update_or_create(
        is_default_site=True, defaults={"hostname": "localhost", "port": 80, "root_page": home}
    )
    return home

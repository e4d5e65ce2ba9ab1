"""Journeys in a real browser that the first set (test_journeys.py) left out:

* an editor of Wagtail's "Moderators" group (not a superuser) writes and publishes a news article and a
  Techmart in the page editor; an anonymous visitor then finds both, registers for the Techmart and gets
  the confirmation by email;
* a buyer pays a milestone of a signed deal by card through localstripe's Stripe.js, under the card page's
  Content Security Policy, and the payment lands in the ledger — once with a card that needs no check and
  once with one that asks for 3D Secure in Stripe.js.

Screenshots go to build/screenshots/ like the other journeys'.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from exchange.deals.tests.conftest import PASSWORD, TERMS, nda, p  # noqa: F401 - fixtures
from exchange.payments.tests.conftest import localstripe_server, stripe_settings  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _csp_violations(page) -> list[str]:
    """Chromium prints every blocked resource or inline script to the console; collect those lines."""
    violations: list[str] = []
    page.on(
        "console",
        lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    return violations


def _directives(response) -> dict[str, list[str]]:
    header = response.headers["content-security-policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split("; ") if part.strip()}


# --- 1. An editor publishes a news article and a Techmart; a visitor registers ---------------------------
@pytest.fixture
def site_sections(wagtail_home):
    """The news and event indexes the editor writes under (one of each per home page)."""
    from cms.models import EventIndexPage, NewsIndexPage

    news = NewsIndexPage(title="Tin tức", slug="tin-tuc")
    wagtail_home.add_child(instance=news)
    news.save_revision().publish()
    events = EventIndexPage(title="Sự kiện", slug="su-kien")
    wagtail_home.add_child(instance=events)
    events.save_revision().publish()
    return news, events


@pytest.fixture
def editor():
    """A member of Wagtail's "Moderators" group: may enter the admin and add, edit and publish pages.

    The exchange has no editors' role of its own (platform roles cover listings, not pages); Wagtail's
    migrations create the group with these permissions on the root page. Transactional tests restore them
    by serialized rollback, but a worker that ran another transactional test first may have lost them, so
    they are ensured here rather than assumed."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth.models import Group, Permission
    from wagtail.models import GroupPagePermission, Page

    from exchange.accounts.tests.factories import UserFactory

    group, _ = Group.objects.get_or_create(name="Moderators")
    group.permissions.add(
        Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    )
    root = Page.get_first_root_node()
    for codename in ("add_page", "change_page", "publish_page"):
        GroupPagePermission.objects.get_or_create(
            group=group,
            page=root,
            permission=Permission.objects.get(content_type__app_label="wagtailcore", codename=codename),
        )
    user = UserFactory(email="bientap@example.vn", full_name="Trần Biên Tập")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    user.groups.add(group)
    assert not user.is_superuser and not user.is_staff
    return user


@pytest.fixture
def visitor(browser, page, request):
    """A second, anonymous browser context; its screenshots are numbered with the editor's."""
    from .conftest import SCREENSHOTS

    context = browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    visitor = context.new_page()

    def shot(name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        test = re.sub(r"[^\w-]+", "_", request.node.name)
        path = SCREENSHOTS / f"{test}-{len(page.shots) + 1:02d}-{name}.png"
        visitor.screenshot(path=str(path), full_page=True)
        page.shots.append(path)

    visitor.shot = shot  # type: ignore[attr-defined]
    yield visitor
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        shot("visitor-failed")
    context.close()


def _sign_in_to_admin(page, live_server, user) -> None:
    page.goto(f"{live_server.url}/admin/")
    page.wait_for_url("**/admin/login/**")
    page.fill("[name=username]", user.email)
    page.fill("[name=password]", PASSWORD)
    page.shot("admin-login")
    with page.expect_navigation():
        page.locator("form [type=submit]").last.click()
    assert page.url.rstrip("/").endswith("/admin")


def _publish(page) -> None:
    """The editor footer's "Publish" sits in the dropdown next to "Save draft"."""
    page.locator("footer .w-dropdown__toggle").click()
    with page.expect_navigation():
        page.locator("footer button[name=action-publish]").click()


def _admin_datetime(value: dt.datetime) -> str:
    """The text Wagtail's date-time widget takes (WAGTAIL_DATETIME_FORMAT's default), in local time."""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def test_editor_publishes_news_and_a_techmart_and_a_visitor_registers(
    live_server, page, visitor, site_sections, editor, mailoutbox, settings
):
    """With Wagtail's autosave on, as editors have it: a Publish clicked during the first autosave is
    held by cms/static/cms/autosave_guard.js (the race itself is the next test)."""
    from playwright.sync_api import expect

    from cms.models import EventPage, EventRegistration, NewsArticlePage

    assert getattr(settings, "WAGTAIL_AUTOSAVE_INTERVAL", 500) > 0
    news, events = site_sections
    violations = _csp_violations(page)
    visitor_violations = _csp_violations(visitor)

    # 1. The editor signs in to the Wagtail admin.
    _sign_in_to_admin(page, live_server, editor)
    page.shot("admin-dashboard")

    # 2. A news article under the news index: title, sapo and a paragraph of rich text in the body.
    page.goto(f"{live_server.url}/admin/pages/{news.pk}/")
    page.shot("news-index-in-explorer")
    page.locator(f"a[href$='/admin/pages/{news.pk}/add_subpage/']").first.click()
    page.wait_for_url("**/add/cms/newsarticlepage/**")  # the only child type: straight to its form
    title = "Sàn công bố 50 công nghệ xử lý nước thải"
    page.fill("#id_title", title)
    page.fill("#id_intro", "Các trường đại học chào bán công nghệ đã thử nghiệm tại khu công nghiệp.")
    page.locator("#body-root .c-sf-add-button").first.click()
    page.get_by_role("option", name="đoạn văn").click()
    editor_box = page.locator("#body-root .Draftail-Editor [contenteditable=true]").first
    editor_box.click()
    expect(editor_box).to_be_focused()  # Draftail is up before anything is typed
    page.keyboard.type("Danh mục gồm màng lọc sinh học và bể phản ứng kỵ khí, ")
    page.keyboard.press("Control+b")
    page.keyboard.type("giá từ 300 triệu đồng")
    page.keyboard.press("Control+b")
    page.keyboard.type(".")
    expect(editor_box).to_contain_text("kỵ khí, giá từ 300 triệu đồng.")
    # Draftail writes its content to the form's hidden input a moment later (and on blur): a Publish
    # sent before that would post an empty paragraph, which no editor could do by hand.
    page.locator("#id_intro").click()
    expect(page.locator("input[name=body-0-value]")).to_have_value(re.compile("300 triệu đồng"))
    page.shot("article-form")
    _publish(page)
    assert f"'{title}'" in page.locator(".messages").inner_text()
    page.shot("article-published")
    article = NewsArticlePage.objects.get(title=title)
    assert article.live and article.get_parent().pk == news.pk
    assert article.owner_id == editor.pk
    (block,) = article.body
    assert block.block_type == "paragraph"
    assert "<b>giá từ 300 triệu đồng</b>" in block.value.source

    # 3. A Techmart under the event index: dates, place and capacity.
    start = timezone.localtime(timezone.now() + dt.timedelta(days=30)).replace(
        hour=8, minute=0, second=0, microsecond=0
    )
    page.goto(f"{live_server.url}/admin/pages/{events.pk}/")
    page.locator(f"a[href$='/admin/pages/{events.pk}/add_subpage/']").first.click()
    page.wait_for_url("**/add/cms/eventpage/**")
    techmart = "Techmart Công nghệ xanh 2027"
    page.fill("#id_title", techmart)
    page.fill("#id_start", _admin_datetime(start))
    page.fill("#id_end", _admin_datetime(start + dt.timedelta(hours=9)))
    page.fill("#id_venue", "Nhà văn hóa Thanh niên")
    page.fill("#id_address", "4 Phạm Ngọc Thạch, Quận 1")
    page.fill("#id_intro", "Hơn 200 công nghệ xanh được trình diễn và kết nối với doanh nghiệp.")
    page.fill("#id_capacity", "150")
    page.locator("#id_title").click()  # away from the date picker, so the screenshot shows the form
    page.shot("techmart-form")
    _publish(page)
    assert f"'{techmart}'" in page.locator(".messages").inner_text()
    page.shot("techmart-published")
    event = EventPage.objects.get(title=techmart)
    assert event.live and event.get_parent().pk == events.pk
    assert event.capacity == 150 and event.venue == "Nhà văn hóa Thanh niên"
    assert event.start == start and event.end == start + dt.timedelta(hours=9)

    # 4. An anonymous visitor finds the article on the news index and the Techmart on the event index.
    response = visitor.goto(f"{live_server.url}{news.url}")
    script_src = _directives(response)["script-src"]
    assert "'self'" in script_src and "'unsafe-inline'" not in script_src
    visitor.locator(".news-list a", has_text=title).wait_for()
    visitor.shot("visitor-news-index")
    visitor.locator(".news-list a", has_text=title).click()
    visitor.wait_for_url(f"**{article.url}")
    assert title in visitor.locator("h1").inner_text()
    assert "giá từ 300 triệu đồng" in visitor.locator("main b, main strong").first.inner_text()
    visitor.shot("visitor-article")
    visitor.goto(f"{live_server.url}{events.url}")
    visitor.locator(".card-list a", has_text=techmart).click()
    visitor.wait_for_url(f"**{event.url}")
    assert techmart in visitor.locator("h1").inner_text()
    facts = visitor.locator(".facts").inner_text()
    assert "Nhà văn hóa Thanh niên" in facts
    assert f"08:00 {start:%d/%m/%Y} – 17:00 {start:%d/%m/%Y}" in facts  # the editor's local times
    assert "0 / 150" in visitor.locator(".seats").inner_text()
    visitor.shot("visitor-techmart")

    # 5. The visitor registers with the guest form and sees the confirmation.
    visitor.fill("#id_name", "Lê Văn Hùng")
    visitor.fill("#id_email", "hung@example.vn")
    visitor.fill("#id_organization_name", "Công ty Môi trường Xanh")
    visitor.shot("visitor-registration-form")
    visitor.locator("#register button[type=submit]").click()
    visitor.wait_for_url(f"**{event.url}?registered=1")
    assert "Đăng ký thành công" in visitor.locator(".messages").inner_text()
    assert "1 / 150" in visitor.locator(".seats").inner_text()
    visitor.shot("visitor-registered")
    registration = EventRegistration.objects.get(event=event, email="hung@example.vn")
    assert registration.status == "confirmed" and registration.user_id is None
    (email,) = mailoutbox
    assert email.to == ["hung@example.vn"] and email.subject == f"Đã xác nhận chỗ: {techmart}"
    assert email.attachments[0][0] == f"{event.slug}.ics"
    assert f"{event.url}cancel/{registration.token}/" in email.body

    # Nothing was blocked by the Content Security Policy, in the admin or on the public pages.
    assert violations == [] and visitor_violations == []


def test_publish_clicked_during_the_first_autosave_publishes_the_autosaved_page(
    live_server, page, site_sections, editor
):
    """Wagtail 8.0.1's first autosave of a new page creates it, and only its answer points the form at
    the page's edit URL. Here the server has already created the page from that autosave but its answer
    is held back from the browser (Playwright's route interception) while the editor clicks Publish.
    Without cms/static/cms/autosave_guard.js the Publish goes to the create URL and Wagtail refuses it
    ("slug in use"; a 500 when both requests are validated before either saves): the editor is left on
    the create form and the page stays an unpublished draft. With it, the Publish waits for the autosave
    and publishes the page that autosave created — one page, live."""
    from cms.models import NewsArticlePage

    news, _events = site_sections
    held: list = []

    def hold_first_autosave(route) -> None:
        request = route.request
        if request.method == "POST" and "application/json" in request.headers.get("accept", "") and not held:
            held.append((route, route.fetch()))  # the server has answered; the browser does not know yet
        else:
            route.continue_()

    _sign_in_to_admin(page, live_server, editor)
    page.route(re.compile(r"/admin/pages/add/"), hold_first_autosave)
    # Wagtail's w-unsaved takes the form's initial state 2 s after loading and autosaves changes from
    # it; an editor types after that, and so does this test.
    page.add_init_script(
        "document.addEventListener('w-unsaved:watch-edits', () => { window.watchingEdits = true; });"
    )
    page.goto(f"{live_server.url}/admin/pages/add/cms/newsarticlepage/{news.pk}/")
    page.wait_for_function("() => window.watchingEdits === true")
    title = "Hội thảo chuyển giao công nghệ sinh học"
    page.fill("#id_title", title)
    page.fill("#id_intro", "Mười hai viện nghiên cứu giới thiệu kết quả đã sẵn sàng chuyển giao.")
    for _ in range(150):  # the autosave fires 0.5 s after the last change (WAGTAIL_AUTOSAVE_INTERVAL)
        if held:
            break
        page.wait_for_timeout(100)
    assert held, "the page editor sent no autosave"
    draft = NewsArticlePage.objects.get(title=title)  # created by the autosave, not yet published
    assert not draft.live
    page.shot("autosave-held")

    page.locator("footer .w-dropdown__toggle").click()
    page.locator("footer button[name=action-publish]").click()
    page.wait_for_timeout(1_500)  # time enough for an unguarded Publish to reach the create URL
    page.shot("publish-clicked-during-autosave")
    route, response = held[0]
    route.fulfill(response=response)
    page.wait_for_url(f"**/admin/pages/{news.pk}/")
    assert f"'{title}'" in page.locator(".messages").inner_text()
    page.shot("published-after-autosave")
    (article,) = NewsArticlePage.objects.filter(title=title)
    assert article.pk == draft.pk and article.live and article.get_parent().pk == news.pk


# --- 2. A buyer pays a milestone by card through localstripe's Stripe.js ----------------------------------
# Stripe caps one charge at 99,999,999 VND (exchange/payments/conf.py), so this deal's terms are small
# enough to be paid by card; the rest of the terms are the deals tests' own.
CARD_TERMS = {
    **TERMS,
    "upfront_fee_vnd": 40_000_000,
    "milestones": [{"label": "Nghiệm thu pilot", "amount_vnd": 25_000_000, "due": "2027-06-30"}],
}


@pytest.fixture
def payment_request(p, nda, stripe_settings):  # noqa: F811 - the imported fixtures
    """A signed deal in execution (driven through the deals services) whose seller asked the buyer to
    pay the upfront fee."""
    from allauth.account.models import EmailAddress

    from exchange.deals import services as deals
    from exchange.payments import services as payments

    deal = deals.deal_create_inquiry(
        actor=p.buyer, listing=p.listing, organization=p.buyer_org, message="Chúng tôi quan tâm."
    )
    deals.deal_accept(actor=p.researcher, deal=deal, nda_template=nda)
    deals.deal_accept_nda(actor=p.buyer, deal=deal, text_sha256=nda.sha256)
    sheet = deals.deal_propose_terms(actor=p.researcher, deal=deal, terms=CARD_TERMS)
    deals.deal_accept_terms(actor=p.buyer, deal=deal, term_sheet=sheet)
    deals.deal_generate_contract(actor=p.researcher, deal=deal)
    deals.deal_sign(actor=p.seller_signatory, deal=deal, password=PASSWORD)
    deals.deal_sign(actor=p.buyer_signatory, deal=deal, password=PASSWORD)
    deals.deal_start_execution(actor=p.researcher, deal=deal)
    upfront = deal.milestones.filter(kind="payment").order_by("position").first()
    assert upfront.amount_vnd == 40_000_000
    EmailAddress.objects.create(user=p.buyer, email=p.buyer.email, verified=True, primary=True)
    return payments.payment_request_create(actor=p.seller_signatory, milestone=upfront)


def _sign_in_to_payment(page, live_server, email, pr) -> None:
    """The buyer follows the payment link while signed out: allauth's sign-in, then the payment."""
    page.goto(f"{live_server.url}/vi/accounts/login/?next={pr.get_absolute_url()}")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(f"**{pr.get_absolute_url()}")


def _open_card_page(page):
    page.locator("a.btn", has_text="Thanh toán bằng thẻ quốc tế").click()
    page.locator("#card-element input[placeholder=number]").wait_for()


def _enter_card(page, number: str) -> None:
    """localstripe's fake card element: five plain inputs (the number without spaces, two-digit year)."""
    page.fill("#card-element input[placeholder=number]", number)
    page.fill("#card-element input[placeholder=exp_month]", "12")
    page.fill("#card-element input[placeholder=exp_year]", "34")
    page.fill("#card-element input[placeholder=cvc]", "123")
    page.fill("#card-element input[placeholder=postal_code]", "70000")


def test_buyer_pays_a_milestone_by_card_through_stripe_js(
    live_server,
    page,
    p,  # noqa: F811 - the imported fixture
    payment_request,
    localstripe_server,  # noqa: F811 - the imported fixture
):
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    from exchange.payments import selectors
    from exchange.payments.models import AccountKind, JournalEntry

    pr = payment_request
    violations = _csp_violations(page)
    stripe_js = f"{localstripe_server}/js.stripe.com/v3/"
    scripts: list[str] = []
    requests: list[str] = []
    page.on("response", lambda r: scripts.append(r.url) if r.request.resource_type == "script" else None)
    page.on("request", lambda r: requests.append(r.url))

    _sign_in_to_payment(page, live_server, p.buyer.email, pr)
    assert pr.reference in page.locator("h1").inner_text()
    assert "40.000.000" in page.locator("#remaining").inner_text()
    page.shot("payment-request")

    # The buyer chooses the card; the card page loads localstripe's Stripe.js and our card.js, and only
    # this page's policy lets Stripe's origin in.
    with page.expect_response(lambda r: "/card/" in r.url and r.request.resource_type == "document") as card:
        _open_card_page(page)
    csp = _directives(card.value)
    assert localstripe_server in csp["script-src"] and "'unsafe-inline'" not in csp["script-src"]
    assert localstripe_server in csp["connect-src"]
    assert stripe_js in scripts and any(url.endswith("/static/payments/card.js") for url in scripts)
    _enter_card(page, "4242424242424242")  # 4242 4242 4242 4242, Stripe's test Visa
    page.shot("card-form")
    page.locator("#card-submit").click()
    try:
        page.wait_for_url(f"**{pr.get_absolute_url()}")
    except PlaywrightTimeoutError:
        pytest.fail(f"the card payment did not go through: {page.locator('#card-errors').inner_text()!r}")
    # Stripe.js (localstripe's) turned the card into a token in the browser; our server confirmed it.
    assert f"{localstripe_server}/v1/tokens" in requests
    assert any(url.endswith(f"/payments/{pr.reference}/card/confirm/") for url in requests)
    assert page.locator("#remaining").inner_text().split()[0] == "0"
    assert page.locator("main .facts .badge").inner_text() == "Đã thanh toán"
    page.shot("paid")

    pr.refresh_from_db()
    assert pr.status == "paid" and pr.paid_vnd == 40_000_000
    (payment,) = pr.payments.all()
    assert payment.provider == "stripe" and payment.external_id == pr.stripe_payment_intent
    (entry,) = JournalEntry.objects.filter(payment_request=pr)
    assert entry.kind == "receipt"
    clearing = entry.lines.get(account__kind=AccountKind.PROVIDER_CLEARING, account__provider="stripe")
    assert clearing.amount_vnd == 40_000_000
    assert selectors.ledger_check()["balanced"]
    assert violations == []


def test_buyer_completes_3d_secure_in_stripe_js_and_the_payment_is_recorded(
    live_server,
    page,
    p,  # noqa: F811 - the imported fixture
    payment_request,
):
    """A card that asks for 3D Secure: our server's confirmation answers ``requires_action`` and card.js
    hands the client secret to Stripe.js (real Stripe.js: ``handleNextAction``; localstripe lacks it, so
    ``confirmCardPayment``, which shows localstripe's own authentication dialog). Afterwards the card
    page reads the PaymentIntent, so the buyer sees the payment recorded rather than still awaited."""
    from exchange.payments import selectors

    pr = payment_request
    violations = _csp_violations(page)
    _sign_in_to_payment(page, live_server, p.buyer.email, pr)
    _open_card_page(page)
    _enter_card(page, "4000002500003155")  # Stripe's test card that always asks for 3D Secure
    page.shot("3ds-card")
    page.locator("#card-submit").click()
    authenticate = page.locator("button", has_text="Complete authentication")
    authenticate.wait_for()
    page.shot("3ds-dialog")
    pr.refresh_from_db()
    assert pr.status == "open"  # nothing is recorded before the bank's check
    authenticate.click()
    # Straight to the payment, already recorded: no waiting for Stripe's webhook.
    page.wait_for_url(f"**{pr.get_absolute_url()}")
    assert page.locator("main .facts .badge").inner_text() == "Đã thanh toán"
    page.shot("3ds-paid")
    pr.refresh_from_db()
    assert pr.status == "paid" and pr.paid_vnd == 40_000_000
    (payment,) = pr.payments.all()
    assert payment.external_id == pr.stripe_payment_intent
    assert selectors.ledger_check()["balanced"]
    assert violations == []

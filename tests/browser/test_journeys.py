"""Journeys in a real browser: search without diacritics and open a technology, a business expresses
interest, a visitor registers for an event, and switching vi→en keeps the page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "s3cret-pass-123"


@pytest.fixture
def catalogue():
    from exchange.accounts.tests.factories import OrganizationFactory
    from listings.models import ScienceField
    from listings.tests.factories import ListingFactory

    org = OrganizationFactory(name="Trường Đại học Bách khoa")
    wanted = ListingFactory(
        published=True, organization=org, title_vi="Công nghệ xử lý nước thải dệt nhuộm", trl=7
    )
    low_trl = ListingFactory(published=True, organization=org, title_vi="Xử lý nước thải bằng tảo", trl=3)
    other_field = ScienceField.objects.exclude(code="2.07").filter(parent__isnull=False).first()
    unrelated = ListingFactory(
        published=True, title_vi="Cảm biến độ ẩm đất", field=other_field, keywords=["nông nghiệp"]
    )
    return wanted, low_trl, unrelated


def test_visitor_searches_without_diacritics_filters_and_opens_a_technology(live_server, page, catalogue):
    wanted, low_trl, unrelated = catalogue
    page.goto(f"{live_server.url}/vi/listings/technologies/")
    page.fill("form.filters [name=q]", "xu ly nuoc thai")
    page.select_option("form.filters [name=trl_min]", "6")
    page.shot("filters")
    with page.expect_navigation():
        page.locator("form.filters button[type=submit]").click()
    results = page.locator(".listing-grid .listing-title")
    titles = results.all_inner_texts()
    page.shot("results")
    assert any("xử lý nước thải dệt nhuộm" in t for t in titles), titles
    assert not any("tảo" in t for t in titles)  # TRL 3 filtered out
    assert not any("Cảm biến" in t for t in titles)
    assert "q=xu+ly+nuoc+thai" in page.url and "trl_min=6" in page.url
    page.locator(".listing-grid .listing-title a").first.click()
    page.wait_for_url(f"**/listings/technologies/{wanted.pk}/")
    assert "Công nghệ xử lý nước thải dệt nhuộm" in page.locator("h1").inner_text()
    page.shot("detail")


def test_business_signs_in_and_expresses_interest(live_server, page, catalogue):
    from allauth.account.models import EmailAddress

    from exchange.accounts.models import OrganizationKind
    from exchange.accounts.tests.factories import MembershipFactory, OrganizationFactory, UserFactory
    from exchange.deals.models import Deal

    wanted = catalogue[0]
    buyer_org = OrganizationFactory(
        name="Công ty Nước Sạch", kind=OrganizationKind.objects.get(code="enterprise")
    )
    business = UserFactory(email="doanhnghiep@example.vn", roles=["business"])
    EmailAddress.objects.create(user=business, email=business.email, verified=True, primary=True)
    MembershipFactory(user=business, organization=buyer_org)

    page.goto(f"{live_server.url}/vi/listings/technologies/{wanted.pk}/")
    page.locator(".detail-actions a.btn-primary").click()  # anonymous → sign-in page, back afterwards
    page.wait_for_url("**/accounts/login/**")
    page.fill("input[name=login]", business.email)
    page.fill("input[name=password]", PASSWORD)
    page.shot("sign-in")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(f"**/deals/listing/{wanted.pk}/inquire/")
    page.select_option("#id_organization", str(buyer_org.pk))
    page.fill("#id_message", "Công ty chúng tôi muốn ứng dụng cho nhà máy dệt ở Bình Dương.")
    page.shot("inquiry")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/deals/*/")
    deal = Deal.objects.get(listing=wanted)
    assert deal.buyer_organization_id == buyer_org.pk and deal.state == "inquiry"
    assert f"/deals/{deal.pk}/" in page.url
    page.shot("deal-room")


@pytest.fixture
def event(wagtail_home):
    from cms.models import EventIndexPage, EventPage

    home = wagtail_home
    index = EventIndexPage(title="Sự kiện", slug="su-kien")
    home.add_child(instance=index)
    index.save_revision().publish()
    start = timezone.now() + dt.timedelta(days=20)
    event = EventPage(
        title="Demo Day nông nghiệp",
        slug="demo-day",
        start=start,
        end=start + dt.timedelta(hours=4),
        venue="Khu Công nghệ cao",
        capacity=1,
    )
    index.add_child(instance=event)
    event.save_revision().publish()
    return event


def test_visitor_registers_for_an_event(live_server, page, event, mailoutbox):
    from cms.models import EventRegistration

    page.goto(f"{live_server.url}{event.url}")
    assert "Demo Day nông nghiệp" in page.locator("h1").inner_text()
    page.fill("#id_name", "Nguyễn Thị Lan")
    page.fill("#id_email", "lan@example.vn")
    page.fill("#id_organization_name", "Hợp tác xã Củ Chi")
    page.shot("form")
    page.locator("#register button[type=submit]").click()
    page.wait_for_url("**/demo-day/?registered=1")
    assert "Đăng ký thành công" in page.locator(".messages").inner_text()
    assert "1 / 1" in page.locator(".seats").inner_text()
    page.shot("registered")
    registration = EventRegistration.objects.get(email="lan@example.vn")
    assert registration.status == "confirmed"
    # The calendar file is offered for download.
    with page.expect_download() as download:
        page.locator("a[download]").first.click()
    assert download.value.suggested_filename == "demo-day.ics"
    # Without an account, the confirmation comes by email, with the calendar file and a cancel link
    # that works in the browser.
    (email,) = mailoutbox
    assert email.to == ["lan@example.vn"] and email.subject == "Đã xác nhận chỗ: Demo Day nông nghiệp"
    assert email.attachments[0][0] == "demo-day.ics"
    cancel_path = f"{event.url}cancel/{registration.token}/"
    assert cancel_path in email.body
    page.goto(f"{live_server.url}{cancel_path}")
    page.shot("cancel-from-email")
    page.locator("button", has_text="Xác nhận hủy đăng ký").click()
    page.wait_for_url(f"**{event.url}")
    assert "Đã hủy đăng ký" in page.locator(".messages").inner_text()
    registration.refresh_from_db()
    assert registration.status == "cancelled"


def test_language_switch_keeps_the_page(live_server, page, settings, wagtail_home):
    from wagtail.models import Locale

    from cms.models import NewsArticlePage, NewsIndexPage, StandardPage

    settings.WAGTAIL_I18N_ENABLED = True
    english = Locale.objects.get_or_create(language_code="en")[0]
    home = wagtail_home
    news = NewsIndexPage(title="Tin tức", slug="tin-tuc")
    home.add_child(instance=news)
    news.save_revision().publish()
    article = NewsArticlePage(title="Sàn ra mắt phiên bản mới", slug="ra-mat", intro="Tìm không dấu.")
    news.add_child(instance=article)
    article.save_revision().publish()
    about = StandardPage(title="Giới thiệu sàn", slug="gioi-thieu")
    home.add_child(instance=about)
    about.save_revision().publish()
    home.copy_for_translation(english).save_revision().publish()
    translated = article.copy_for_translation(english, copy_parents=True)
    translated.title = "The exchange launches a new version"
    translated.save_revision().publish()

    def switch_to_english():
        page.select_option("#lang-select", "en")
        with page.expect_navigation():
            page.locator(".lang-switch button[type=submit]").click()

    page.goto(f"{live_server.url}/vi/tin-tuc/ra-mat/")
    assert page.locator("html").get_attribute("lang") == "vi"
    page.shot("vi")
    switch_to_english()
    assert page.url == f"{live_server.url}/en/tin-tuc/ra-mat/"
    assert page.locator("html").get_attribute("lang") == "en"
    assert "The exchange launches a new version" in page.locator("h1").inner_text()
    page.shot("en")
    # A page without an English translation stays the same page, with the English interface.
    page.goto(f"{live_server.url}/vi/gioi-thieu/")
    switch_to_english()
    assert page.url == f"{live_server.url}/en/gioi-thieu/"
    assert "Giới thiệu sàn" in page.locator("h1").inner_text()
    assert page.locator("html").get_attribute("lang") == "en"


def _sign_in(page, live_server, email):
    """Sign in through allauth's form (a fresh session: the previous person's cookies are dropped)."""
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/vi/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


@pytest.fixture
def university_people():
    from allauth.account.models import EmailAddress

    from exchange.accounts.models import MembershipRole, OrganizationKind
    from exchange.accounts.tests.factories import MembershipFactory, OrganizationFactory, UserFactory

    def person(email, roles=(), organization=None, role=None):
        user = UserFactory(email=email, roles=list(roles))
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        if organization is not None:
            MembershipFactory(user=user, organization=organization, **({"role": role} if role else {}))
        return user

    university = OrganizationFactory(name="Trường Đại học Khoa học Tự nhiên")
    company = OrganizationFactory(
        name="Công ty Dệt nhuộm Thắng Lợi", kind=OrganizationKind.objects.get(code="enterprise")
    )
    return {
        "university": university,
        "company": company,
        "researcher": person("nhakhoahoc@example.vn", ["researcher"], university),
        "tto": person("tto@example.vn", (), university, MembershipRole.TTO_MANAGER),
        "moderator": person("kiemduyet@example.vn", ["moderator"]),
        "business": person("mua@example.vn", ["business"], company),
    }


def test_technology_goes_from_researcher_to_tto_to_moderator_and_is_found_by_a_business(
    live_server, page, university_people
):
    from exchange.deals.models import Deal
    from listings.models import Listing, ScienceField

    people = university_people
    title = "Màng lọc sinh học xử lý nước thải dệt nhuộm"

    # 1. The researcher creates a draft in the portal and submits it.
    _sign_in(page, live_server, people["researcher"].email)
    page.goto(f"{live_server.url}/vi/portal/listings/new/offer/")
    if page.locator("#id_organization").count():
        page.select_option("#id_organization", str(people["university"].pk))
    page.fill("#id_title_vi", title)
    page.fill("#id_summary_vi", "Giảm 80% COD của nước thải dệt nhuộm bằng màng sinh học.")
    page.fill("#id_advantages_vi", "Rẻ hơn 30% so với công nghệ nhập khẩu.")
    page.fill("#id_applications_vi", "Nhà máy dệt nhuộm, khu công nghiệp.")
    page.select_option("#id_field", str(ScienceField.objects.get(code="2.07").pk))
    page.fill("#id_keywords", "xử lý nước thải, màng sinh học")
    page.select_option("#id_trl", "6")
    page.locator("input[name=transaction_types][value=exclusive_license]").check()
    page.fill("#id_inventors", "Nguyễn Văn A")
    page.shot("researcher-form")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/portal/listings/*/")
    listing = Listing.objects.get(title_vi=title)
    assert listing.state == "draft" and listing.organization_id == people["university"].pk
    page.locator(".actions-bar button", has_text="Gửi duyệt").click()
    page.wait_for_load_state()
    page.locator(".notice", has_text="TTO").wait_for()
    page.shot("researcher-submitted")
    listing.refresh_from_db()
    assert listing.state == "submitted"

    # 2. The TTO manager of the same university approves it from the TTO queue.
    _sign_in(page, live_server, people["tto"].email)
    page.goto(f"{live_server.url}/vi/portal/tto/")
    card = page.locator("article.card", has_text=title)
    page.shot("tto-queue")
    card.locator("button", has_text="Duyệt, chuyển kiểm duyệt viên").click()
    page.locator("#h-new", has_text="(0)").wait_for()
    page.shot("tto-approved")
    listing.refresh_from_db()
    assert listing.state == "awaiting_moderation" and listing.tto_approved_by_id == people["tto"].pk

    # 3. A moderator publishes it from the Wagtail moderation queue (“Kiểm duyệt tin”).
    _sign_in(page, live_server, people["moderator"].email)
    page.goto(f"{live_server.url}/admin/")
    page.locator("a", has_text="Kiểm duyệt tin").first.click()
    page.wait_for_url("**/admin/listing-moderation/**")
    page.shot("moderation-queue")
    page.locator("a", has_text=title).first.click()
    page.wait_for_url(f"**/admin/listing-moderation/review/{listing.pk}/")
    page.shot("moderation-review")
    page.locator("button", has_text="Duyệt và đăng").click()
    page.wait_for_url(lambda url: url.rstrip("/").endswith("/admin/listing-moderation"))
    assert "Đã đăng tin." in page.locator(".messages").inner_text()
    page.shot("moderation-published")
    listing.refresh_from_db()
    assert listing.state == "published"

    # 4. A business searches without diacritics, finds it and expresses interest.
    _sign_in(page, live_server, people["business"].email)
    page.goto(f"{live_server.url}/vi/listings/technologies/")
    page.fill("form.filters [name=q]", "mang loc sinh hoc det nhuom")
    with page.expect_navigation():
        page.locator("form.filters button[type=submit]").click()
    result = page.locator(".listing-grid .listing-title a", has_text=title)
    result.wait_for()
    page.shot("business-search")
    result.click()
    page.wait_for_url(f"**/listings/technologies/{listing.pk}/")
    page.locator(".detail-actions a.btn-primary").click()
    page.wait_for_url(f"**/deals/listing/{listing.pk}/inquire/")
    page.select_option("#id_organization", str(people["company"].pk))
    page.fill("#id_message", "Chúng tôi muốn thử nghiệm tại nhà máy ở Long An.")
    page.shot("business-inquiry")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/deals/*/")
    deal = Deal.objects.get(listing=listing)
    assert deal.buyer_organization_id == people["company"].pk and f"/deals/{deal.pk}/" in page.url
    page.shot("business-deal-room")

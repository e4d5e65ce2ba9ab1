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


def test_visitor_registers_for_an_event(live_server, page, event):
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

"""Page types: parent/child rules, rendering, support links, library, FAQ, contact form, navigation,
Open Graph, hreflang alternates and the language fallback."""

import pytest
from django.core.files.base import ContentFile
from wagtail.documents import get_document_model
from wagtail.models import Locale, Page

from cms.models import (
    ContactFormField,
    ContactPage,
    DocumentLibraryPage,
    EventIndexPage,
    EventPage,
    FaqPage,
    FooterLink,
    HomePage,
    MenuItem,
    NewsArticlePage,
    NewsIndexPage,
    PolicyDocument,
    SectionIndexPage,
    SiteNavigation,
    StandardPage,
    StatisticsPage,
    SupportServicePage,
)
from listings.tests.factories import ListingFactory

from .conftest import SITE, add

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("site_context")]


def allowed(parent_model, child_model) -> bool:
    return (
        child_model in parent_model.allowed_subpage_models()
        and parent_model in child_model.allowed_parent_page_models()
    )


@pytest.mark.parametrize(
    "parent, child, ok",
    [
        (HomePage, NewsIndexPage, True),
        (HomePage, EventIndexPage, True),
        (HomePage, SectionIndexPage, True),
        (HomePage, StatisticsPage, True),
        (HomePage, NewsArticlePage, False),
        (HomePage, EventPage, False),
        (NewsIndexPage, NewsArticlePage, True),
        (NewsIndexPage, EventPage, False),
        (NewsIndexPage, StandardPage, False),
        (EventIndexPage, EventPage, True),
        (EventIndexPage, NewsArticlePage, False),
        (SectionIndexPage, SupportServicePage, True),
        (SectionIndexPage, DocumentLibraryPage, True),
        (SectionIndexPage, FaqPage, True),
        (SectionIndexPage, ContactPage, True),
        (SectionIndexPage, SectionIndexPage, True),
        (SectionIndexPage, NewsIndexPage, False),
        (SectionIndexPage, EventPage, False),
        (StandardPage, StandardPage, False),
        (NewsArticlePage, StandardPage, False),
        (EventPage, StandardPage, False),
        (FaqPage, StandardPage, False),
    ],
)
def test_parent_child_rules(parent, child, ok):
    assert allowed(parent, child) is ok


def test_indexes_once_per_home_and_one_home_without_localisation(home, settings):
    settings.WAGTAIL_I18N_ENABLED = False
    add(home, NewsIndexPage(title="Tin tức", slug="tin-tuc"))
    assert not NewsIndexPage.can_create_at(home)
    assert EventIndexPage.can_create_at(home)
    assert not HomePage.can_create_at(Page.get_first_root_node())


def test_a_second_home_allowed_per_content_language(i18n):
    assert HomePage.can_create_at(Page.get_first_root_node())


def test_news_index_and_article(client, home):
    news = add(home, NewsIndexPage(title="Tin tức", slug="tin-tuc", intro="Tin của sàn"))
    article = add(
        news,
        NewsArticlePage(
            title="Sàn ra mắt phiên bản mới",
            slug="ra-mat",
            intro="Tìm không dấu.",
            body=[{"type": "paragraph", "value": "<p>Nội dung chi tiết bài viết.</p>"}],
        ),
    )
    index = client.get("/vi/tin-tuc/").content.decode()
    assert "Sàn ra mắt phiên bản mới" in index and 'href="/vi/tin-tuc/ra-mat/"' in index
    detail = client.get(article.url)
    assert detail.status_code == 200
    html = detail.content.decode()
    assert "Nội dung chi tiết bài viết." in html
    assert '<meta property="og:title" content="Sàn ra mắt phiên bản mới">' in html
    assert '<meta property="og:type" content="article">' in html
    assert '<meta property="og:description" content="Tìm không dấu.">' in html
    assert '<meta property="og:locale" content="vi_VN">' in html


def test_home_blocks_featured_query_counters_and_cta(client, home):
    chosen = ListingFactory(published=True, title_vi="Công nghệ được chọn")
    ListingFactory(published=True, title_vi="Công nghệ khác")
    hidden = ListingFactory(title_vi="Bản nháp bí mật")
    section = add(home, SectionIndexPage(title="Dịch vụ", slug="dich-vu"))
    home.content = [
        {"type": "hero", "value": {"heading": "Khối hero mới", "text": "Lời dẫn", "show_search": True}},
        {
            "type": "featured_technologies",
            "value": {
                "heading": "Biên tập chọn",
                "listing_ids": [chosen.pk, hidden.pk],
                "kind": "",
                "field_code": "",
                "limit": 6,
            },
        },
        {
            "type": "featured_technologies",
            "value": {
                "heading": "Theo lĩnh vực",
                "listing_ids": [],
                "kind": "offer",
                "field_code": "2",
                "limit": 1,
            },
        },
        {"type": "counters", "value": {"heading": "Con số", "counters": ["offers", "organizations"]}},
        {
            "type": "cta",
            "value": {
                "heading": "Cần hỗ trợ?",
                "text": "",
                "button_text": "Xem dịch vụ",
                "page": section.pk,
                "url": "",
            },
        },
    ]
    home.save_revision().publish()
    html = client.get("/vi/").content.decode()
    assert "Khối hero mới" in html and "Biên tập chọn" in html and "Theo lĩnh vực" in html
    assert "Công nghệ được chọn" in html and "Bản nháp bí mật" not in html
    assert 'data-counter="offers">2<' in html and 'data-counter="organizations">2<' in html
    assert 'href="/vi/dich-vu/">Xem dịch vụ</a>' in html
    # The existing home page parts are still there.
    assert 'for="home-q"' in html and "Công nghệ mới đăng" in html


def test_support_service_page_links_to_the_request_form_with_kind(client, home):
    section = add(home, SectionIndexPage(title="Dịch vụ hỗ trợ", slug="dich-vu-ho-tro"))
    page = add(
        section, SupportServicePage(title="Định giá công nghệ", slug="dinh-gia", service_kind="valuation")
    )
    html = client.get(page.url).content.decode()
    assert 'href="/vi/support/new/?kind=valuation"' in html
    assert "Định giá công nghệ" in client.get(section.url).content.decode()


def test_document_library_lists_downloadable_documents(client, home):
    Document = get_document_model()
    doc = Document(title="Luật CGCN")
    doc.file.save("luat.txt", ContentFile(b"noi dung"), save=False)
    doc.save()
    library = add(home, DocumentLibraryPage(title="Văn bản", slug="van-ban"))
    PolicyDocument.objects.create(
        page=library, document=doc, title="Luật Chuyển giao công nghệ", number="07/2017/QH14", category="law"
    )
    html = client.get(library.url).content.decode()
    assert "07/2017/QH14" in html and f'href="{doc.url}"' in html and "Luật" in html
    assert client.get(doc.url).status_code == 200


def test_faq_page_has_faq_jsonld(client, home):
    faq = add(
        home,
        FaqPage(
            title="Hỏi đáp",
            slug="hoi-dap",
            faqs=[{"type": "faq", "value": {"question": "Phí <đăng> tin?", "answer": "<p>Miễn phí.</p>"}}],
        ),
    )
    html = client.get(faq.url).content.decode()
    assert '<script type="application/ld+json">' in html and '"@type":"FAQPage"' in html
    assert "Phí \\u003cđăng\\u003e tin?" in html  # escaped inside the script


def test_contact_form_submission_is_stored_and_emailed(client, home, mailoutbox):
    contact = ContactPage(
        title="Liên hệ",
        slug="lien-he",
        to_address="lienhe@example.vn",
        from_address="no-reply@example.vn",
        subject="Liên hệ",
    )
    home.add_child(instance=contact)
    ContactFormField.objects.create(page=contact, label="Họ và tên", field_type="singleline", required=True)
    ContactFormField.objects.create(page=contact, label="Nội dung", field_type="multiline", required=True)
    contact.save_revision().publish()
    assert client.get(contact.url).status_code == 200
    response = client.post(contact.url, {"ho_va_ten": "Trần Văn B", "noi_dung": "Xin tư vấn"})
    assert response.status_code == 200
    assert contact.get_submission_class().objects.filter(page=contact).count() == 1
    assert len(mailoutbox) == 1 and "Xin tư vấn" in mailoutbox[0].body


def test_navigation_menu_and_footer_managed_by_editors(client, home):
    from wagtail.models import Site

    news = add(home, NewsIndexPage(title="Tin tức", slug="tin-tuc"))
    nav = SiteNavigation.for_site(Site.objects.get(is_default_site=True))
    MenuItem.objects.create(setting=nav, label_vi="Tin tức sàn", label_en="Exchange news", link_page=news)
    FooterLink.objects.create(
        setting=nav, label_vi="Cổng dịch vụ công", link_url="https://dichvucong.gov.vn/"
    )
    nav.footer_text_vi = "Địa chỉ: 244 Điện Biên Phủ"
    nav.save()
    html = client.get("/vi/").content.decode()
    assert '<a href="/vi/tin-tuc/">Tin tức sàn</a>' in html
    assert 'href="https://dichvucong.gov.vn/">Cổng dịch vụ công</a>' in html and "244 Điện Biên Phủ" in html
    en = client.get("/en/").content.decode()
    assert ">Exchange news</a>" in en
    # Listing pages (not Wagtail pages) show the same menu.
    assert "Tin tức sàn" in client.get("/vi/listings/technologies/").content.decode()


def test_statistics_and_standard_pages_render(client, home):
    stats = add(home, StatisticsPage(title="Số liệu", slug="so-lieu"))
    about = add(home, StandardPage(title="Giới thiệu", slug="gioi-thieu", intro="Về sàn"))
    assert client.get(about.url).status_code == 200
    response = client.get(stats.url + "?start=2026-01-01&end=2026-12-31")
    assert response.status_code == 200
    assert "<svg" in response.content.decode()
    assert response.context["period"].start.isoformat() == "2026-01-01"


class TestLocalisation:
    def test_hreflang_alternates_point_to_translations(self, client, i18n, home):
        english = Locale.objects.get(language_code="en")
        news = add(home, NewsIndexPage(title="Tin tức", slug="tin-tuc"))
        article = add(news, NewsArticlePage(title="Bài tiếng Việt", slug="bai-viet"))
        translated = article.copy_for_translation(english, copy_parents=True).specific
        translated.title = "English article"
        translated.slug = "english-article"
        translated.save_revision().publish()  # parents were created as live aliases of the vi pages
        vi_html = client.get("/vi/tin-tuc/bai-viet/").content.decode()
        assert f'hreflang="en" href="{SITE}/en/tin-tuc/english-article/"' in vi_html
        assert f'hreflang="vi" href="{SITE}/vi/tin-tuc/bai-viet/"' in vi_html
        en = client.get("/en/tin-tuc/english-article/")
        assert en.status_code == 200 and "English article" in en.content.decode()
        assert '<html lang="en">' in en.content.decode()

    def test_untranslated_page_falls_back_to_vietnamese_under_en(self, client, i18n, home):
        english = Locale.objects.get(language_code="en")
        home_en = home.copy_for_translation(english)
        home_en.save_revision().publish()
        about = add(home, StandardPage(title="Giới thiệu", slug="gioi-thieu"))
        response = client.get("/en/gioi-thieu/")
        assert response.status_code == 200
        html = response.content.decode()
        assert "Giới thiệu" in html and '<html lang="en">' in html
        assert f'<link rel="canonical" href="{SITE}/en/gioi-thieu/">' in html
        assert f'hreflang="vi" href="{SITE}{about.url}"' in html
        assert client.get("/en/khong-co/").status_code == 404

    def test_language_switch_keeps_the_page(self, client, i18n, home):
        add(home, StandardPage(title="Giới thiệu", slug="gioi-thieu"))
        response = client.post("/i18n/setlang/", {"language": "en", "next": "/vi/gioi-thieu/"})
        assert response.status_code == 302 and response["Location"] == "/en/gioi-thieu/"
        assert client.get(response["Location"]).status_code == 200

    def test_switch_keeps_the_page_whatever_the_language_cookie(self, client, i18n, home):
        add(home, StandardPage(title="Giới thiệu", slug="gioi-thieu"))
        client.cookies["django_language"] = "en"  # chose English once before
        response = client.post("/i18n/setlang/", {"language": "en", "next": "/vi/gioi-thieu/"})
        assert response["Location"] == "/en/gioi-thieu/"
        back = client.post("/i18n/setlang/", {"language": "vi", "next": "/en/gioi-thieu/?x=1"})
        assert back["Location"] == "/vi/gioi-thieu/?x=1"
        assert (
            client.post("/i18n/setlang/", {"language": "en", "next": "/vi/listings/technologies/"})[
                "Location"
            ]
            == "/en/listings/technologies/"
        )

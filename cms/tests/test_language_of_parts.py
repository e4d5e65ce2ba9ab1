"""WCAG 3.1.2 (language of parts): Vietnamese text shown on the English site carries ``lang="vi"``;
translated text does not. The document stays ``<html lang="en">``: the interface is English."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import Locale, Site

from cms.models import FooterLink, MenuItem, NewsArticlePage, NewsIndexPage, SiteNavigation, StandardPage
from exchange.accounts.tests.factories import UserFactory
from listings.models import ExpertProfile
from listings.tests.factories import ListingFactory

from .conftest import add

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("site_context", "i18n")]

HERO = {"type": "hero", "value": {"heading": "Khối giới thiệu", "text": "Lời dẫn", "show_search": True}}


def english():
    return Locale.objects.get(language_code="en")


def translate_home(home):
    home_en = home.copy_for_translation(english())
    home_en.title = "Home"
    home_en.save_revision().publish()
    return home_en


def main(html: str) -> str:
    return html[html.index('<main id="main"') : html.index("</main>")]


def test_untranslated_page_under_en_marks_its_text_vietnamese(client, home):
    translate_home(home)
    add(
        home,
        StandardPage(
            title="Giới thiệu",
            slug="gioi-thieu",
            intro="Về sàn giao dịch",
            body=[{"type": "paragraph", "value": "<p>Nội dung tiếng Việt.</p>"}, HERO],
        ),
    )
    html = client.get("/en/gioi-thieu/").content.decode()
    assert '<html lang="en">' in html  # the interface (menus, forms, buttons) is English
    body = main(html)
    assert '<h1 lang="vi">Giới thiệu</h1>' in body
    assert '<p class="lead" lang="vi">Về sàn giao dịch</p>' in body
    assert '<span aria-current="page" lang="vi">Giới thiệu</span>' in body
    assert '<div lang="vi"><p>Nội dung tiếng Việt.</p>' in body
    # The hero's search form is interface text inside the Vietnamese body: it says so.
    assert 'class="hero-search" role="search" lang="en">' in body
    assert re.search(r'<label for="hero-q-[^"]+">Find technologies</label>', body), body
    # The Vietnamese site marks nothing.
    vi = main(client.get("/vi/gioi-thieu/").content.decode())
    assert "<h1>Giới thiệu</h1>" in vi and '<div lang="vi">' not in vi


def test_translated_page_is_not_marked(client, home):
    translate_home(home)
    about = add(home, StandardPage(title="Giới thiệu", slug="gioi-thieu", intro="Về sàn"))
    about_en = about.copy_for_translation(english()).specific
    about_en.title, about_en.slug, about_en.intro = "About", "about", "About the exchange"
    about_en.body = [{"type": "paragraph", "value": "<p>English text.</p>"}]
    about_en.save_revision().publish()
    body = main(client.get("/en/about/").content.decode())
    assert "<h1>About</h1>" in body and '<p class="lead">About the exchange</p>' in body
    assert 'lang="vi"' not in body


def test_alias_parents_are_vietnamese_and_lists_mark_each_item(client, home):
    news = add(home, NewsIndexPage(title="Tin tức", slug="tin-tuc"))
    article = add(news, NewsArticlePage(title="Bài tiếng Việt", slug="bai-viet", intro="Tóm tắt"))
    translated = article.copy_for_translation(english(), copy_parents=True).specific
    translated.title, translated.slug, translated.intro = "English article", "english-article", "Summary"
    translated.save_revision().publish()  # the English home and news index are aliases of the vi pages
    index_en = NewsIndexPage.objects.get(locale=english())
    assert index_en.alias_of_id == news.pk
    # The English article: its own text unmarked, its alias parent (still Vietnamese) marked.
    body = main(client.get("/en/tin-tuc/english-article/").content.decode())
    assert "<h1>English article</h1>" in body
    assert re.search(r'<a href="/en/tin-tuc/" lang="vi">Tin tức</a>', body), body
    # The alias index page itself is Vietnamese, the English article listed in it is not.
    listing = main(client.get("/en/tin-tuc/").content.decode())
    assert '<h1 lang="vi">Tin tức</h1>' in listing
    assert '<a href="/en/tin-tuc/english-article/">English article</a>' in listing
    # One query for the whole list, however many aliases it holds.
    for n in range(3):
        extra = add(news, NewsArticlePage(title=f"Bài {n}", slug=f"bai-{n}"))
        extra.create_alias(recursive=False, parent=index_en, update_locale=english(), update_slug=f"bai-{n}")
    with CaptureQueriesContext(connection) as few:
        client.get("/en/tin-tuc/")
    extra = add(news, NewsArticlePage(title="Bài thêm", slug="bai-them"))
    extra.create_alias(recursive=False, parent=index_en, update_locale=english(), update_slug="bai-them")
    with CaptureQueriesContext(connection) as more:
        html = main(client.get("/en/tin-tuc/").content.decode())
    assert '<a href="/en/tin-tuc/bai-them/" lang="vi">Bài thêm</a>' in html
    assert len(more.captured_queries) == len(few.captured_queries)


def test_no_english_home_serves_the_vietnamese_home_marked(client, home):
    home.intro_vi, home.intro_en = "Chào mừng", ""
    home.save_revision().publish()
    body = main(client.get("/en/").content.decode())
    assert f'<h1 lang="vi">{home.title}</h1>' in body
    assert '<p class="lead" lang="vi">Chào mừng</p>' in body


def test_home_intro_falls_back_field_by_field(client, home):
    home_en = translate_home(home)
    home_en.intro_vi, home_en.intro_en = "Chào mừng", ""
    home_en.save_revision().publish()
    body = main(client.get("/en/").content.decode())
    assert "<h1>Home</h1>" in body and '<p class="lead" lang="vi">Chào mừng</p>' in body
    home_en.intro_en = "Welcome"
    home_en.save_revision().publish()
    assert '<p class="lead">Welcome</p>' in main(client.get("/en/").content.decode())


def test_menu_labels_and_footer_without_english_are_marked(client, home):
    nav = SiteNavigation.for_site(Site.objects.get(is_default_site=True))
    MenuItem.objects.create(setting=nav, label_vi="Tin tức sàn", label_en="", link_url="/vi/tin/")
    MenuItem.objects.create(setting=nav, label_vi="Sự kiện", label_en="Events", link_url="/vi/su-kien/")
    FooterLink.objects.create(
        setting=nav, label_vi="Cổng dịch vụ công", link_url="https://dichvucong.gov.vn/"
    )
    nav.footer_text_vi = "Sở Khoa học và Công nghệ"
    nav.save()
    html = client.get("/en/listings/technologies/").content.decode()
    assert '<a href="/vi/tin/" lang="vi">Tin tức sàn</a>' in html
    assert '<a href="/vi/su-kien/">Events</a>' in html
    assert '<a href="https://dichvucong.gov.vn/" lang="vi">Cổng dịch vụ công</a>' in html
    assert '<p class="footer-text" lang="vi">Sở Khoa học và Công nghệ</p>' in html
    vi = client.get("/vi/listings/technologies/").content.decode()
    assert '<a href="/vi/tin/">Tin tức sàn</a>' in vi and '<p class="footer-text">' in vi


def test_listing_without_english_fields_is_marked_on_the_english_page(client):
    vietnamese = ListingFactory(published=True, title_en="", summary_en="", title_vi="Màng lọc sinh học")
    html = main(client.get(f"/en/listings/technologies/{vietnamese.pk}/").content.decode())
    assert '<h1 lang="vi">Màng lọc sinh học</h1>' in html
    assert re.search(r'<h2 id="h-summary">Summary</h2><div lang="vi">', html), html
    bilingual = ListingFactory(published=True, title_en="Biofilter membrane", summary_en="In English.")
    html = main(client.get(f"/en/listings/technologies/{bilingual.pk}/").content.decode())
    assert '<h1 lang="en">Biofilter membrane</h1>' in html
    assert re.search(r'<h2 id="h-summary">Summary</h2><div lang="en">', html), html


def test_expert_bio_without_english_is_marked(client):
    profile = ExpertProfile.objects.create(
        user=UserFactory(), slug="tran-b", public=True, bio_vi="Giảng viên."
    )
    html = main(client.get(f"/en/listings/experts/{profile.slug}/").content.decode())
    assert '<div lang="vi"><p>Giảng viên.</p></div>' in html
    profile.bio_en = "Lecturer."
    profile.save()
    html = main(client.get(f"/en/listings/experts/{profile.slug}/").content.decode())
    assert '<div lang="en"><p>Lecturer.</p></div>' in html

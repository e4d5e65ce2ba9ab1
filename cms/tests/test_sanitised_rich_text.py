"""Rich text and editor-typed addresses reach the public pages without scripts, event handlers or
javascript: links — whatever was stored, because code and imports can write past Wagtail's editor."""

import pytest
from wagtail.models import Site

from cms.models import FooterLink, HomePage, MenuItem, SiteNavigation, StandardPage

from .conftest import add

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("site_context")]

EVIL = (
    '<p onclick="steal()">Nội dung an toàn <script>alert("home")</script>'
    '<a href="javascript:alert(1)" onmouseover="steal()">bấm vào đây</a>'
    '<img src="/media/x.png" onerror="steal()"><span style="position:fixed">che</span></p>'
)


def assert_inert(html: str) -> None:
    lowered = html.lower()
    assert 'alert("home")' not in html and "alert(1)" not in html
    for marker in ("onclick=", "onmouseover=", "onerror=", "javascript:", "position:fixed"):
        assert marker not in lowered, marker


@pytest.fixture
def home():
    return HomePage.objects.get()


def publish(page):
    page.save_revision().publish()
    page.refresh_from_db()
    return page


def test_a_rich_text_field_written_past_the_editor_renders_inert(client, home):
    home.body = EVIL
    publish(home)
    html = client.get("/vi/").content.decode()
    assert "Nội dung an toàn" in html and ">bấm vào đây</a>" in html
    assert_inert(html)


def test_rich_text_blocks_in_a_stream_field_render_inert(client, home):
    page = add(
        home, StandardPage(title="Giới thiệu", slug="gioi-thieu", body=[{"type": "paragraph", "value": EVIL}])
    )
    html = client.get(page.url).content.decode()
    assert "Nội dung an toàn" in html
    assert_inert(html)


def test_legitimate_rich_text_keeps_its_links_and_formatting(client, home):
    home.body = '<h2>Về sàn</h2><p><b>Sàn</b> kết nối <a href="https://most.gov.vn/">Bộ KH&amp;CN</a>.</p>'
    publish(home)
    html = client.get("/vi/").content.decode()
    assert "<h2>Về sàn</h2>" in html and "<b>Sàn</b>" in html
    assert '<a href="https://most.gov.vn/" rel="noopener noreferrer">Bộ KH&amp;CN</a>' in html


def test_hero_and_call_to_action_buttons_never_link_to_javascript(client, home):
    home.content = [
        {
            "type": "hero",
            "value": {"heading": "Chào", "button_text": "Nút hero", "button_url": "javascript:alert(1)"},
        },
        {
            "type": "cta",
            "value": {"heading": "Tham gia", "button_text": "Nút cta", "url": " JavaScript:alert(1)"},
        },
        {
            "type": "cta",
            "value": {"heading": "Đăng ký", "button_text": "Nút thật", "url": "/vi/accounts/signup/"},
        },
    ]
    publish(home)
    html = client.get("/vi/").content.decode()
    assert "javascript:" not in html.lower()
    assert "Nút hero" not in html and "Nút cta" not in html  # no link rather than a dangerous one
    assert 'href="/vi/accounts/signup/">Nút thật</a>' in html


def test_menu_and_footer_links_typed_by_editors_are_checked(client, home):
    nav = SiteNavigation.for_site(Site.objects.get(is_default_site=True))
    MenuItem.objects.create(setting=nav, label_vi="Mục độc", link_url="javascript:alert(document.cookie)")
    FooterLink.objects.create(
        setting=nav, label_vi="Cổng dịch vụ công", link_url="https://dichvucong.gov.vn/"
    )
    nav.save()
    html = client.get("/vi/").content.decode()
    assert "javascript:" not in html.lower() and ">Mục độc</a>" in html
    assert 'href="https://dichvucong.gov.vn/">Cổng dịch vụ công</a>' in html

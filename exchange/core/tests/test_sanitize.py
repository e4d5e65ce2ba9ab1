"""The allow-lists of exchange.core.sanitize, and what Wagtail's own editor already drops."""

import json

import pytest

from exchange.core.sanitize import clean_contract_html, clean_rich_text, safe_url

ATTACK = (
    '<p onclick="steal()">Xin chào <script>alert("x")</script>'
    '<a href="javascript:alert(1)" onmouseover="steal()">bấm</a>'
    '<a href="JaVa\tScRiPt:alert(2)">tab</a>'
    '<img src="data:text/html;base64,PHNjcmlwdD4=" onerror="steal()">'
    '<iframe srcdoc="&lt;script&gt;alert(3)&lt;/script&gt;"></iframe>'
    '<style>body{display:none}</style><span style="position:fixed">s</span>'
    '<svg onload="steal()"><use href="#x"/></svg><form action="/x"><input name="q"></form></p>'
)


def assert_inert(html: str) -> None:
    lowered = html.lower()
    assert "<script" not in lowered and "alert(" not in lowered
    assert " on" not in lowered.replace(" one", "")  # no onclick / onerror / onload … attribute left
    assert "javascript:" not in lowered and "data:" not in lowered
    assert "style" not in lowered and "srcdoc" not in lowered
    assert "<svg" not in lowered and "<form" not in lowered and "<input" not in lowered


def test_rich_text_loses_scripts_event_handlers_and_dangerous_urls():
    cleaned = clean_rich_text(ATTACK)
    assert_inert(cleaned)
    assert "Xin chào" in cleaned and ">bấm</a>" in cleaned


def test_rich_text_keeps_what_wagtail_writes():
    html = (
        '<h2>Tiêu đề</h2><p>Chữ <b>đậm</b>, <i>nghiêng</i>, <a href="/vi/gioi-thieu/">trang</a>, '
        '<a href="https://most.gov.vn/">ngoài</a>, <a href="mailto:lienhe@techex.vn">thư</a>.</p>'
        '<ul><li>một</li></ul><ol start="2"><li>hai</li></ol><hr>'
        '<img alt="Sơ đồ" class="richtext-image left" height="300" src="/media/images/a.png" width="400">'
    )
    cleaned = clean_rich_text(html)
    for kept in (
        "<h2>Tiêu đề</h2>",
        "<b>đậm</b>",
        "<i>nghiêng</i>",
        'href="/vi/gioi-thieu/"',
        'href="https://most.gov.vn/"',
        'href="mailto:lienhe@techex.vn"',
        "<li>một</li>",
        'start="2"',
        "<hr>",
        'class="richtext-image left"',
        'src="/media/images/a.png"',
    ):
        assert kept in cleaned, kept
    assert 'rel="noopener noreferrer"' in cleaned


def test_contract_html_keeps_its_structure_and_loses_the_rest():
    html = (
        '<article class="contract" lang="vi" data-deal="7" data-terms-version="2"><header><h1>HỢP ĐỒNG</h1>'
        '</header><section id="art23-price"><h2>Giá</h2><p>500.000.000 đồng</p><ul><li>Mốc</li></ul>'
        '</section><script>alert(1)</script><a href="javascript:alert(1)">x</a><p onclick="x()">y</p>'
        "</article>"
    )
    cleaned = clean_contract_html(html)
    assert '<article class="contract" lang="vi" data-deal="7" data-terms-version="2">' in cleaned
    assert '<section id="art23-price"><h2>Giá</h2><p>500.000.000 đồng</p>' in cleaned
    assert "<script" not in cleaned and "alert" not in cleaned and "onclick" not in cleaned
    assert "<a " not in cleaned and "href" not in cleaned and "javascript" not in cleaned


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        " JaVaScRiPt:alert(1)",
        "java\tscript:alert(1)",
        "java\nscript:alert(1)",
        "\x01javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "java&#58;script:alert(1)",
        "file:///etc/passwd",
    ],
)
def test_safe_url_refuses_schemes_that_run_code(url):
    assert safe_url(url) == ""


@pytest.mark.parametrize(
    "url",
    [
        "/vi/listings/",
        "https://most.gov.vn/a?b=1",
        "http://x.vn",
        "mailto:a@b.vn",
        "tel:+842838",
        "#top",
        "?p=2",
    ],
)
def test_safe_url_keeps_ordinary_addresses(url):
    assert safe_url(url) == url


def test_wagtails_editor_already_drops_javascript_links_and_escapes_typed_markup():
    """What Wagtail writes from its editor (Draftail contentstate → database HTML) is already safe: typed
    tags are text and a javascript: link loses its address. Our render-time allow-list is for the rest."""
    from wagtail.fields import RichTextField

    widget = RichTextField().formfield().widget
    text = "<script>alert(1)</script> <img src=x onerror=alert(2)> link"
    contentstate = {
        "blocks": [
            {
                "key": "a1",
                "type": "unstyled",
                "depth": 0,
                "text": text,
                "inlineStyleRanges": [],
                "entityRanges": [{"offset": len(text) - 4, "length": 4, "key": 0}],
            }
        ],
        "entityMap": {"0": {"type": "LINK", "mutability": "MUTABLE", "data": {"url": "javascript:alert(3)"}}},
    }
    stored = widget.value_from_datadict({"body": json.dumps(contentstate)}, {}, "body")
    assert "<script" not in stored and "<img" not in stored
    assert "&lt;script&gt;" in stored
    assert "javascript:" not in stored
    assert ">link</a>" in stored

"""The deal room shows what parties type as text, and the stored contract HTML — the one value shown
with its markup — only with the contract's own elements, even if the stored row was tampered with."""

import re

import pytest
from django.urls import reverse

from exchange.deals import services
from exchange.deals.models import Contract

pytestmark = pytest.mark.django_db

EVIL = '<script>alert("x")</script><img src=x onerror="steal()"><a href="javascript:alert(1)">bấm</a>'


def test_a_generated_contract_renders_with_every_section_after_cleaning(client, p, flow):
    deal = flow.contract_ready()
    contract = deal.contracts.get(superseded_at__isnull=True)
    client.force_login(p.researcher)
    html = client.get(reverse("deals:contract", args=[deal.pk])).content.decode()
    body = html[html.index('<div class="card contract-body">') :]
    stored_sections = re.findall(r'<section id="(art23-[a-z_]+)">', contract.content_html)
    assert len(stored_sections) == 15
    assert re.findall(r'<section id="(art23-[a-z_]+)">', body) == stored_sections
    assert "HỢP ĐỒNG CHUYỂN GIAO CÔNG NGHỆ" in body and "500.000.000" in body


def test_a_tampered_contract_row_renders_without_scripts_or_javascript_links(client, p, flow):
    deal = flow.contract_ready()
    contract = deal.contracts.get(superseded_at__isnull=True)
    Contract.objects.filter(pk=contract.pk).update(
        content_html=contract.content_html.replace("</h1>", f"</h1>{EVIL}<p onclick='steal()'>chèn</p>", 1)
    )
    client.force_login(p.researcher)
    html = client.get(reverse("deals:contract", args=[deal.pk])).content.decode()
    assert "nội dung không khớp mã băm" in html  # the integrity check still tells
    assert 'alert("x")' not in html and "onerror" not in html and "onclick" not in html
    assert "javascript:" not in html
    assert "chèn" in html  # text survives, markup does not


def test_messages_and_inquiries_are_shown_as_text(client, p, flow):
    deal = flow.negotiating()
    services.deal_send_message(actor=p.buyer, deal=deal, body=EVIL)
    client.force_login(p.researcher)
    html = client.get(reverse("deals:room", args=[deal.pk])).content.decode()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "<script>alert" not in html and "<img src=x" not in html and '<a href="javascript' not in html

"""The workspace pages: who may see and do what (anonymous, other user, owner, appraiser, staff), the
inputs form, versions and their comparison, reports (HTML and PDF), sharing into a deal room."""

import pytest
from django.urls import reverse

from exchange.accounts.tests.factories import UserFactory
from exchange.deals import services as deal_services
from exchange.deals.models import Message
from valuation import services
from valuation.models import Comparable, Valuation, ValuationReport, ValuationVersion

pytestmark = [pytest.mark.django_db]


def client_for(client, user):
    if user is not None and user.is_authenticated:
        client.force_login(user)
    return client


def url(name, *args):
    return reverse(f"valuation:{name}", args=args)


def test_anonymous_is_sent_to_sign_in(client, p):
    version = services.valuation_save_version(actor=p.owner, valuation=p.valuation)
    for target in (
        url("list"),
        url("create"),
        url("comparables"),
        url("detail", p.valuation.pk),
        url("report", p.valuation.pk),
        url("report_pdf", p.valuation.pk),
        url("compare", p.valuation.pk) + f"?a={version.number}&b={version.number}",
        url("share", p.valuation.pk),
    ):
        r = client.get(target)
        assert r.status_code == 302 and "/accounts/login/" in r["Location"], target


@pytest.mark.parametrize("who", ["other", "stranger", "other_appraiser"])
def test_other_people_get_404(client, p, who):
    services.valuation_save_version(actor=p.owner, valuation=p.valuation)
    c = client_for(client, p[who])
    pk = p.valuation.pk
    for target in (
        url("detail", pk),
        url("report", pk),
        url("report_pdf", pk),
        url("share", pk),
        url("compare", pk) + "?a=1&b=1",
    ):
        assert c.get(target).status_code == 404, target
    for target in (
        url("detail", pk),
        url("version_save", pk),
        url("publish", pk),
        url("delete", pk),
        url("assign", pk),
    ):
        assert c.post(target, {}).status_code == 404, target
    assert Valuation.objects.filter(pk=pk).exists()
    assert p.valuation.title not in c.get(url("list")).content.decode()


def test_owner_workspace_shows_results_and_charts(client, p):
    c = client_for(client, p.owner)
    r = c.get(url("detail", p.valuation.pk))
    html = r.content.decode()
    assert r.status_code == 200
    assert "<svg" in html and "football" in html  # football field title
    assert "hist-relief_from_royalty" in html  # Monte Carlo histogram (a revenue is a range)
    assert 'id="radar-t"' in html  # scoring radar
    assert "không thay thế chứng thư thẩm định giá" in html
    assert p.valuation.title in c.get(url("list")).content.decode()


def test_create_with_my_technology_or_none(client, p):
    c = client_for(client, p.owner)
    r = c.post(url("create"), {"title": "Mới", "listing": p.listing.pk, "methods": ["dcf", "rule_25"]})
    valuation = Valuation.objects.get(title="Mới")
    assert r.status_code == 302 and valuation.listing == p.listing and valuation.methods == ["dcf", "rule_25"]
    r = client_for(client, p.stranger).post(
        url("create"), {"title": "Lạ", "listing": p.listing.pk, "methods": ["dcf"]}
    )
    assert r.status_code == 200 and not Valuation.objects.filter(title="Lạ").exists()  # not their listing
    client_for(client, p.stranger).post(url("create"), {"title": "Không gắn", "methods": ["dcf"]})
    assert Valuation.objects.get(title="Không gắn").listing is None


def test_inputs_form_parses_numbers_ranges_and_lists(client, p):
    c = client_for(client, p.owner)
    valuation = services.valuation_create(
        actor=p.owner, title="Form", methods=["relief_from_royalty", "cost", "rnpv"]
    )
    data = {
        "relief_from_royalty__revenues": "1.000.000.000\n800000000..1000000000..1500000000",
        "relief_from_royalty__royalty_rate": "0,05",
        "relief_from_royalty__tax_rate": "0.2",
        "relief_from_royalty__discount_rate": "0.1..0.2",
        "relief_from_royalty__start_year": "2027",
        "relief_from_royalty__protection_end_year": "2040",
        "cost__costs": "2024: 500000000\n2025: 100000000",
        "cost__valuation_year": "2026",
        "cost__index_rate": "0.04",
        "cost__obsolescence.economic": "0.1",
        "rnpv__cash_flows": "-100000000; 500000000",
        "rnpv__discount_rate": "0.15",
        "rnpv__trl": "6",
        "simulation__draws": "1000",
    }
    r = c.post(url("detail", valuation.pk), data)
    assert r.status_code == 302, r.content.decode()[:2000]
    valuation.refresh_from_db()
    rfr = valuation.inputs["relief_from_royalty"]
    assert rfr["revenues"] == [
        1_000_000_000,
        {"min": 800_000_000, "mode": 1_000_000_000, "max": 1_500_000_000},
    ]
    assert rfr["royalty_rate"] == 0.05 and rfr["discount_rate"] == {"min": 0.1, "max": 0.2}
    assert valuation.inputs["cost"]["obsolescence"] == {"economic": 0.1}
    assert valuation.results["methods"]["relief_from_royalty"]["simulation"]["draws"] == 1000
    assert valuation.results["methods"]["rnpv"]["value"] == round(-100e6 / 1.15 + 0.45 * 500e6 / 1.15**2)
    # the form shows back what was saved
    html = c.get(url("detail", valuation.pk)).content.decode()
    assert "800000000..1000000000..1500000000" in html
    # a typo is an error on its field
    r = c.post(url("detail", valuation.pk), {**data, "relief_from_royalty__royalty_rate": "năm phần trăm"})
    assert r.status_code == 200 and "không phải là số" in r.content.decode()


def test_engine_errors_are_shown_naming_the_input(client, p):
    valuation = services.valuation_create(
        actor=p.owner, title="Lỗi", methods=["dcf"], inputs={"dcf": {"cash_flows": [1], "discount_rate": 3}}
    )
    html = client_for(client, p.owner).get(url("detail", valuation.pk)).content.decode()
    assert "discount_rate" in html and 'role="alert"' in html


def test_versions_are_immutable_and_compared(client, p):
    c = client_for(client, p.owner)
    assert c.post(url("version_save", p.valuation.pk), {"note": "một"}).status_code == 302
    services.valuation_update(
        actor=p.owner,
        valuation=p.valuation,
        inputs={"cost": {"costs": [{"amount": 900_000_000, "year": 2024}], "valuation_year": 2026}},
    )
    c.post(url("version_save", p.valuation.pk), {"note": "hai"})
    v1, v2 = ValuationVersion.objects.filter(valuation=p.valuation).order_by("number")
    assert v1.results["methods"]["cost"]["value"] != v2.results["methods"]["cost"]["value"]
    with pytest.raises(Exception):
        v1.note = "sửa"
        v1.save()
    r = c.get(url("compare", p.valuation.pk) + "?a=1&b=2")
    html = r.content.decode()
    assert r.status_code == 200 and "v1 một" in html and "v2 hai" in html
    assert c.get(url("compare", p.valuation.pk) + "?a=1&b=9").status_code == 404


def test_report_html_and_pdf(client, p):
    services.valuation_save_version(actor=p.owner, valuation=p.valuation)
    c = client_for(client, p.owner)
    html = c.get(url("report", p.valuation.pk)).content.decode()
    assert "<svg" in html and "Báo cáo định giá công nghệ" in html and "Σ" in html
    assert "không thay thế chứng thư thẩm định giá" in html
    assert '<html lang="en">' in c.get(url("report", p.valuation.pk) + "?lang=en").content.decode()
    r = c.get(url("report_pdf", p.valuation.pk))
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert r.content.startswith(b"%PDF") and len(r.content) > 5_000
    assert c.get(url("report", p.valuation.pk) + "?version=7").status_code == 404


def test_report_inline_css_is_allowed_by_its_hash_only(client, p):
    """The report keeps its CSS inline (one sealed document); CSP allows exactly that text by hash."""
    import re

    from exchange.core.security import csp_hash

    services.valuation_save_version(actor=p.owner, valuation=p.valuation)
    r = client_for(client, p.owner).get(url("report", p.valuation.pk))
    css = re.search(r"<style>(.*?)</style>", r.content.decode(), re.S).group(1)
    policy = r["Content-Security-Policy"]
    style_src = next(part for part in policy.split("; ") if part.startswith("style-src "))
    assert csp_hash(css) in style_src.split()
    assert "'unsafe-inline'" not in style_src


def test_report_needs_a_saved_version(client, p):
    assert client_for(client, p.owner).get(url("report", p.valuation.pk)).status_code == 404


def test_assigned_appraiser_works_and_publishes_a_signed_report(client, p):
    version = services.valuation_save_version(actor=p.owner, valuation=p.valuation)
    c = client_for(client, p.appraiser)
    assert c.get(url("detail", p.valuation.pk)).status_code == 200
    assert c.post(url("version_save", p.valuation.pk), {}).status_code == 302
    r = c.post(
        url("publish", p.valuation.pk), {"version": version.pk, "opinion": "Hợp lý.", "language": "vi"}
    )
    assert r.status_code == 302
    report = ValuationReport.objects.get(valuation=p.valuation)
    assert report.appraiser_name == "Đoàn Thị Thẩm Định" and services.report_verify(report)
    assert "Hợp lý." in report.content_html and "Đoàn Thị Thẩm Định" in report.content_html
    for user in (p.owner, p.appraiser, p.staff):
        r = client_for(client, user).get(url("published_report", report.pk))
        assert r.status_code == 200 and r["X-Content-SHA256"] == report.sha256
    pdf = client_for(client, p.owner).get(url("published_report_pdf", report.pk))
    assert pdf.content.startswith(b"%PDF")
    assert client_for(client, p.stranger).get(url("published_report", report.pk)).status_code == 404
    # the owner cannot delete a valuation with a published report; nobody can change the report
    client_for(client, p.owner).post(url("delete", p.valuation.pk))
    assert Valuation.objects.filter(pk=p.valuation.pk).exists()
    report.content_html += "<p>thêm</p>"
    assert not services.report_verify(report)


def test_only_the_assigned_appraiser_publishes(client, p):
    version = services.valuation_save_version(actor=p.owner, valuation=p.valuation)
    data = {"version": version.pk, "language": "vi"}
    assert client_for(client, p.owner).post(url("publish", p.valuation.pk), data).status_code == 403
    assert client_for(client, p.staff).post(url("publish", p.valuation.pk), data).status_code == 403
    assert not ValuationReport.objects.exists()


def test_staff_read_and_assign_but_do_not_edit(client, p):
    c = client_for(client, p.staff)
    assert c.get(url("detail", p.valuation.pk)).status_code == 200
    assert c.post(url("detail", p.valuation.pk), {}).status_code == 403
    assert c.post(url("version_save", p.valuation.pk), {}).status_code == 403
    assert c.post(url("delete", p.valuation.pk)).status_code == 403
    assert c.get(url("share", p.valuation.pk)).status_code == 403
    r = c.post(url("assign", p.valuation.pk), {"appraiser": p.other_appraiser.pk})
    assert r.status_code == 302
    p.valuation.refresh_from_db()
    assert p.valuation.appraiser == p.other_appraiser
    # not an appraiser: refused
    c.post(url("assign", p.valuation.pk), {"appraiser": p.stranger.pk})
    p.valuation.refresh_from_db()
    assert p.valuation.appraiser == p.other_appraiser
    # the owner may not assign
    assert (
        client_for(client, p.owner)
        .post(url("assign", p.valuation.pk), {"appraiser": p.appraiser.pk})
        .status_code
        == 403
    )


def test_owner_deletes(client, p):
    assert client_for(client, p.appraiser).post(url("delete", p.valuation.pk)).status_code == 403
    assert client_for(client, p.owner).post(url("delete", p.valuation.pk)).status_code == 302
    assert not Valuation.objects.filter(pk=p.valuation.pk).exists()


def test_share_into_a_deal_room(client, p):
    deal = deal_services.deal_create_inquiry(
        actor=p.buyer, listing=p.listing, organization=p.buyer_org, message="Quan tâm"
    )
    version = services.valuation_save_version(actor=p.owner, valuation=p.valuation)
    c = client_for(client, p.owner)
    assert f'value="{deal.pk}"' in c.get(url("share", p.valuation.pk)).content.decode()
    r = c.post(url("share", p.valuation.pk), {"deal": deal.pk, "version": version.pk, "language": "vi"})
    assert r.status_code == 302 and r["Location"] == reverse("deals:room", args=[deal.pk])
    message = Message.objects.filter(deal=deal, author=p.owner).get()
    assert "Định giá thử" in message.body and "không thay thế" in message.body
    assert message.attachment_name.endswith(".pdf")


def test_cannot_share_into_someone_elses_deal(client, p):
    outsider_deal = deal_services.deal_create_inquiry(
        actor=p.buyer, listing=p.listing, organization=p.buyer_org, message="Quan tâm"
    )
    version = services.valuation_save_version(actor=p.owner, valuation=p.valuation)
    mine = services.valuation_create(actor=p.stranger, title="Của người lạ", methods=["rule_25"])
    v2 = services.valuation_save_version(actor=p.stranger, valuation=mine)
    r = client_for(client, p.stranger).post(
        url("share", mine.pk), {"deal": outsider_deal.pk, "version": v2.pk, "language": "vi"}
    )
    assert r.status_code == 200  # the deal is not among their choices
    with pytest.raises(Exception):
        services.valuation_share_to_deal(actor=p.stranger, valuation=mine, version=v2, deal=outsider_deal)
    # the assigned appraiser edits the valuation but is no party to the deal
    with pytest.raises(Exception):
        services.valuation_share_to_deal(
            actor=p.appraiser, valuation=p.valuation, version=version, deal=outsider_deal
        )
    assert not Message.objects.filter(deal=outsider_deal).exclude(author=p.buyer).exists()


def test_comparables_entered_by_appraisers_only(client, p):
    data = {
        "title": "Li-xăng A",
        "field_code": "2.07",
        "trl": 6,
        "transaction_type": "exclusive_license",
        "value_vnd": 1_000_000_000,
        "year": 2025,
    }
    assert client_for(client, p.owner).post(url("comparables"), data).status_code == 403
    assert client_for(client, p.appraiser).post(url("comparables"), data).status_code == 302
    assert client_for(client, p.staff).post(url("comparables"), {**data, "title": "B"}).status_code == 302
    assert Comparable.objects.count() == 2
    html = client_for(client, p.owner).get(url("comparables") + "?field=2.07&trl=6").content.decode()
    assert "Li-xăng A" in html
    assert client_for(client, UserFactory()).get(url("comparables")).status_code == 200

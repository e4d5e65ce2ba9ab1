"""Every payments page and API endpoint: who may (parties, staff) and who may not (anonymous, third party)."""

import pytest
from django.urls import reverse

from exchange.payments import services
from exchange.payments.models import BankStatementImport

pytestmark = pytest.mark.django_db
VIEWERS = {"buyer": 200, "seller_signatory": 200, "staff": 200, "third": 404, "stranger": 404}


@pytest.fixture
def pr(p, milestones):
    return services.payment_request_create(actor=p.seller_signatory, milestone=milestones[1])


def as_(client, user):
    client.logout()
    if user is not None and getattr(user, "is_authenticated", False):
        client.force_login(user)
    return client


def test_detail_qr_invoice_and_api_visibility(client, p, pr):
    urls = [
        reverse("payments:detail", args=[pr.reference]),
        reverse("payments:qr", args=[pr.reference]),
        reverse("payments:invoice", args=[pr.reference]),
        f"/api/v1/payment-requests/{pr.reference}/",
        f"/api/v1/deals/{pr.deal_id}/payment-requests/",
    ]
    for url in urls[:3]:
        assert as_(client, p.anonymous).get(url).status_code == 302  # to login
    for url in urls[3:]:
        assert as_(client, p.anonymous).get(url).status_code in (401, 403)
    for who, expected in VIEWERS.items():
        for url in urls:
            assert as_(client, p[who]).get(url).status_code == expected, (who, url)
    page = as_(client, p.buyer).get(urls[0]).content.decode()
    # Bank transfer with the QR for the buyer; 200,000,000 VND is above Stripe's cap: refused, with why.
    assert pr.reference in page and "qr.svg" in page and "99.999.999" in page
    seller_page = as_(client, p.seller_signatory).get(urls[0]).content.decode()
    assert "card/" not in seller_page
    assert as_(client, p.buyer).get(urls[1])["Content-Type"] == "image/svg+xml"
    data = as_(client, p.buyer).get(urls[4]).json()
    assert (
        data["results"][0]["reference"] == pr.reference and data["results"][0]["remaining_vnd"] == 200_000_000
    )


def test_request_payment_view(client, p, milestones, executing):
    url = reverse("payments:request", args=[executing.pk, milestones[0].pk])
    assert as_(client, p.anonymous).post(url).status_code == 302
    assert as_(client, p.third).post(url).status_code == 404
    assert as_(client, p.buyer).post(url).status_code == 403
    response = as_(client, p.seller_signatory).post(url)
    assert response.status_code == 302 and "/payments/TX" in response["Location"]
    # The panel in the deal room shows it with a pay button for the buyer.
    from django.template import Context, Template
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = p.buyer
    html = Template("{% load payments_tags %}{% payment_panel deal %}").render(
        Context({"deal": executing, "request": request})
    )
    assert (
        "TX" in html and reverse("payments:detail", args=[executing.payment_requests.get().reference]) in html
    )
    request.user = p.seller_signatory
    html = Template("{% load payments_tags %}{% payment_panel deal %}").render(
        Context({"deal": executing, "request": request})
    )
    assert reverse("payments:request", args=[executing.pk, milestones[1].pk]) in html


def test_card_page_buyer_only(client, p, pr):
    url = reverse("payments:card", args=[pr.reference])
    confirm = reverse("payments:card_confirm", args=[pr.reference])
    assert as_(client, p.third).get(url).status_code == 404
    for who in ("seller_signatory", "staff"):
        assert as_(client, p[who]).get(url).status_code == 403
        assert as_(client, p[who]).post(confirm, data={}).status_code == 403
    assert as_(client, p.third).post(confirm, data={}).status_code == 404


def test_staff_actions_on_request(client, p, pr):
    confirm = reverse("payments:confirm_receipt", args=[pr.reference])
    cancel = reverse("payments:cancel", args=[pr.reference])
    for who in ("buyer", "seller_signatory"):
        assert as_(client, p[who]).post(confirm, {"amount_vnd": 1, "bank_txn_id": "X"}).status_code == 403
        assert as_(client, p[who]).post(cancel, {"reason": "x"}).status_code == 403
    assert as_(client, p.third).post(confirm, {"amount_vnd": 1, "bank_txn_id": "X"}).status_code == 404
    as_(client, p.staff).post(confirm, {"amount_vnd": 50_000_000, "bank_txn_id": "FT1"})
    pr.refresh_from_db()
    assert pr.status == "partially_paid"
    as_(client, p.staff).post(cancel, {"reason": "Hủy mốc", "bank_refund_reference": "OUT-9"})
    pr.refresh_from_db()
    assert pr.status == "refunded"


@pytest.mark.parametrize("name", ["staff_list", "statement_import", "ledger", "invoices_export"])
def test_staff_pages(client, p, pr, name):
    url = reverse(f"payments:{name}")
    assert as_(client, p.anonymous).get(url).status_code == 302
    for who in ("buyer", "seller_signatory", "third", "broker"):
        assert as_(client, p[who]).get(url).status_code == 403
    assert as_(client, p.staff).get(url).status_code == 200


def test_statement_upload_and_report(client, p, pr):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = (
        "date,amount,description,bank transaction id\n"
        f"2026-11-20,200000000,{pr.reference},FT7\n2026-11-20,5,?,FT8\n"
    ).encode()
    url = reverse("payments:statement_import")
    upload = SimpleUploadedFile("s.csv", data, content_type="text/csv")
    assert as_(client, p.seller_signatory).post(url, {"file": upload}).status_code == 403
    upload = SimpleUploadedFile("s.csv", data, content_type="text/csv")
    response = as_(client, p.staff).post(url, {"file": upload})
    statement = BankStatementImport.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/staff/import/{statement.pk}/")
    report = as_(client, p.staff).get(response["Location"])
    assert "FT8" in report.content.decode()
    assert as_(client, p.buyer).get(response["Location"]).status_code == 403
    pr.refresh_from_db()
    assert pr.status == "paid"


def test_ledger_payout_form(client, p, pr):
    services.payment_confirm_receipt(
        actor=p.staff, payment_request=pr, amount_vnd=200_000_000, bank_txn_id="FT1"
    )
    from exchange.payments.models import Account

    seller = Account.objects.get(kind="seller")
    url = reverse("payments:ledger")
    assert (
        as_(client, p.seller_signatory)
        .post(url, {"account": seller.pk, "amount_vnd": 1, "bank_reference": "O"})
        .status_code
        == 403
    )
    response = as_(client, p.staff).post(
        url, {"account": seller.pk, "amount_vnd": 1_000_000, "bank_reference": "OUT1"}
    )
    assert response.status_code == 302
    page = as_(client, p.staff).get(url).content.decode()
    assert "189.000.000" in page


def test_openapi_documents_payment_endpoints():
    from types import SimpleNamespace

    from django.urls import include, path
    from drf_spectacular.generators import SchemaGenerator

    urlconf = SimpleNamespace(urlpatterns=[path("api/v1/", include("exchange.payments.api_urls"))])
    schema = SchemaGenerator(urlconf=urlconf).get_schema(request=None, public=True)
    assert "/api/v1/deals/{deal_pk}/payment-requests/" in schema["paths"]
    assert "/api/v1/payment-requests/{reference}/" in schema["paths"]


@pytest.mark.parametrize(
    ("name", "data", "fragment"),
    [
        ("s.csv", b"MZ\x90\x00\x03\x00 windows exe", "tệp văn bản CSV"),
        ("s.csv", b"PK\x03\x04 a spreadsheet", "tệp văn bản CSV"),
        ("s.csv", b"date,amount\n" + b"x" * (5 * 1024 * 1024), "quá lớn"),
    ],
)
def test_statement_upload_refused_by_size_and_content(client, p, name, data, fragment):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = reverse("payments:statement_import")
    response = as_(client, p.staff).post(
        url, {"file": SimpleUploadedFile(name, data, content_type="text/csv")}
    )
    assert response.status_code == 200
    assert fragment in response.context["form"].errors["file"][0]
    assert not BankStatementImport.objects.exists()


def test_statement_filename_is_sanitised(client, p, pr):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = f"date,amount,description,bank transaction id\n2026-11-20,5,{pr.reference},FT9\n".encode()
    upload = SimpleUploadedFile("../../etc/sao-kê\x00.csv", data, content_type="text/csv")
    as_(client, p.staff).post(reverse("payments:statement_import"), {"file": upload})
    assert BankStatementImport.objects.get().filename == "sao-kê.csv"

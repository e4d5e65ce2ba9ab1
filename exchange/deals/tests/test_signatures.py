"""Signing with an emailed one-time code and with a PDF signed by a digital certificate."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from exchange.core.models import AuditLog
from exchange.deals import services
from exchange.deals.lifecycle import DealState, NotPermitted, WrongState
from exchange.deals.models import Signature, SignatureCode, SignatureMethod

from .conftest import PASSWORD, TERMS
from .pki import make_pki

pytestmark = pytest.mark.django_db


def request_code(actor, deal, capture, **kwargs):
    mail.outbox.clear()
    with capture(execute=True):
        record = services.deal_request_signature_code(actor=actor, deal=deal, **kwargs)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [actor.email]
    return record, re.search(r"\b(\d{6})\b", mail.outbox[0].body).group(1)


# --- one-time code --------------------------------------------------------------------------------------
def test_sign_with_emailed_code(p, flow, django_capture_on_commit_callbacks):
    deal = flow.contract_ready()
    record, code = request_code(p.seller_signatory, deal, django_capture_on_commit_callbacks)
    assert record.code_hash and code not in record.code_hash and record.side == "seller"
    assert abs(record.expires_at - record.created_at - dt.timedelta(minutes=10)) < dt.timedelta(seconds=5)
    signature = services.deal_sign_with_code(actor=p.seller_signatory, deal=deal, code=code, ip="192.0.2.4")
    assert (
        signature.method == SignatureMethod.OTP and signature.is_valid and signature.ip_address == "192.0.2.4"
    )
    assert SignatureCode.objects.get(pk=record.pk).used_at
    assert AuditLog.objects.filter(action="deal.signature_code_requested", data__deal=deal.pk).exists()
    assert AuditLog.objects.get(action="deal.sign", data__deal=deal.pk).data["method"] == "otp"
    # used once only
    with pytest.raises(ValidationError):
        services.deal_sign_with_code(actor=p.buyer_signatory, deal=deal, code=code)


def test_code_email_in_the_users_language(p, flow, django_capture_on_commit_callbacks):
    p.buyer_signatory.language = "en"
    p.buyer_signatory.save()
    deal = flow.contract_ready()
    request_code(p.buyer_signatory, deal, django_capture_on_commit_callbacks)
    assert mail.outbox[0].subject.startswith("Your code to sign contract")
    request_code(p.seller_signatory, deal, django_capture_on_commit_callbacks)
    assert mail.outbox[0].subject.startswith("Mã xác thực ký hợp đồng")


def test_wrong_code_counts_and_locks_after_five(p, flow, django_capture_on_commit_callbacks):
    deal = flow.contract_ready()
    record, code = request_code(p.seller_signatory, deal, django_capture_on_commit_callbacks)
    wrong = "000000" if code != "000000" else "111111"
    for _i in range(5):
        with pytest.raises(ValidationError):
            services.deal_sign_with_code(actor=p.seller_signatory, deal=deal, code=wrong)
    assert SignatureCode.objects.get(pk=record.pk).attempts == 5
    assert AuditLog.objects.filter(action="deal.signature_code_failed").count() == 5
    with pytest.raises(ValidationError, match="quá số lần"):
        services.deal_sign_with_code(actor=p.seller_signatory, deal=deal, code=code)
    assert not Signature.objects.filter(contract__deal=deal).exists()


def test_expired_code_refused(p, flow, django_capture_on_commit_callbacks):
    deal = flow.contract_ready()
    record, code = request_code(p.seller_signatory, deal, django_capture_on_commit_callbacks)
    SignatureCode.objects.filter(pk=record.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(ValidationError, match="hết hạn"):
        services.deal_sign_with_code(actor=p.seller_signatory, deal=deal, code=code)


def test_new_code_voids_the_previous_one(p, flow, django_capture_on_commit_callbacks):
    deal = flow.contract_ready()
    first, first_code = request_code(p.seller_signatory, deal, django_capture_on_commit_callbacks)
    second, second_code = request_code(p.seller_signatory, deal, django_capture_on_commit_callbacks)
    assert SignatureCode.objects.get(pk=first.pk).revoked_at
    assert SignatureCode.objects.filter(used_at=None, revoked_at=None).count() == 1
    if first_code != second_code:
        with pytest.raises(ValidationError):
            services.deal_sign_with_code(actor=p.seller_signatory, deal=deal, code=first_code)
    services.deal_sign_with_code(actor=p.seller_signatory, deal=deal, code=second_code)


def test_code_request_limited_per_hour(p, flow, django_capture_on_commit_callbacks):
    deal = flow.contract_ready()
    for _i in range(services.SIGNATURE_CODE_HOURLY_LIMIT):
        request_code(p.seller_signatory, deal, django_capture_on_commit_callbacks)
    with pytest.raises(ValidationError):
        services.deal_request_signature_code(actor=p.seller_signatory, deal=deal)


@pytest.mark.parametrize("who", ["buyer", "researcher", "third", "stranger", "staff", "broker"])
def test_code_request_refused_to_non_signatories(p, flow, who):
    deal = flow.contract_ready()
    with pytest.raises(NotPermitted):
        services.deal_request_signature_code(actor=p[who], deal=deal)


def test_code_request_refused_before_contract(p, flow):
    deal = flow.agreed()
    with pytest.raises(WrongState):
        services.deal_request_signature_code(actor=p.seller_signatory, deal=deal)


def test_code_of_another_user_is_useless(p, flow, django_capture_on_commit_callbacks):
    deal = flow.contract_ready()
    _record, code = request_code(p.seller_signatory, deal, django_capture_on_commit_callbacks)
    with pytest.raises(ValidationError):
        services.deal_sign_with_code(actor=p.buyer_signatory, deal=deal, code=code)


def test_new_terms_kill_the_code(p, flow, django_capture_on_commit_callbacks):
    deal = flow.contract_ready()
    _record, code = request_code(p.seller_signatory, deal, django_capture_on_commit_callbacks)
    services.deal_propose_terms(actor=p.buyer, deal=deal, terms={**TERMS, "term_months": 48})
    with pytest.raises(WrongState):
        services.deal_sign_with_code(actor=p.seller_signatory, deal=deal, code=code)


def test_code_flow_through_views(client, p, flow, django_capture_on_commit_callbacks):
    deal = flow.contract_ready()
    client.force_login(p.seller_signatory)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("deals:signature_code", args=[deal.pk]), {"side": "seller"})
    assert response.status_code == 302
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    client.post(reverse("deals:sign", args=[deal.pk]), {"side": "seller", "method": "code", "code": code})
    assert Signature.objects.get(contract__deal=deal).method == "otp"
    client.force_login(p.third)
    assert client.post(reverse("deals:signature_code", args=[deal.pk]), {"side": "seller"}).status_code == 404


# --- digital certificate --------------------------------------------------------------------------------
@pytest.fixture
def pki(settings):
    pki = make_pki()
    settings.DEALS_SIGNATURE_TRUST_ROOTS = [pki.ca_pem]
    return pki


def signing_pdf(deal):
    contract = services._active_contract(deal)
    return contract, services.contract_signing_pdf(contract=contract)


def test_certificate_signature_accepted(p, flow, pki):
    deal = flow.contract_ready()
    contract, original = signing_pdf(deal)
    assert services.contract_signing_pdf(contract=contract) == original  # frozen: always the same bytes
    signed = pki.sign(original)
    signature = services.deal_sign_certificate(actor=p.seller_signatory, deal=deal, signed_pdf=signed)
    assert signature.method == SignatureMethod.CERTIFICATE and signature.is_valid
    assert "Nguyễn Văn Ký" in signature.certificate_subject
    assert "Test Root CA" in signature.certificate_issuer
    assert signature.certificate_signing_time is not None and signature.signed_pdf_sha256
    with signature.signed_pdf.open("rb") as handle:
        assert handle.read() == signed
    # the other side signs the already-signed file (a second incremental signature)
    buyer_pki = make_pki("Trần Thị Mua")
    from django.conf import settings

    settings.DEALS_SIGNATURE_TRUST_ROOTS = [pki.ca_pem, buyer_pki.ca_pem]
    twice = buyer_pki.sign(signed, field="Signature2")
    second = services.deal_sign_certificate(actor=p.buyer_signatory, deal=deal, signed_pdf=twice)
    assert "Trần Thị Mua" in second.certificate_subject
    deal.refresh_from_db()
    assert deal.state == DealState.SIGNED


def test_tampered_signed_pdf_refused(p, flow, pki):
    deal = flow.contract_ready()
    _contract, original = signing_pdf(deal)
    signed = bytearray(pki.sign(original))
    # flip one byte inside the signed range (the original part), keeping the length
    position = len(original) // 2
    signed[position] = (signed[position] + 1) % 256
    with pytest.raises(ValidationError) as exc:
        services.deal_sign_certificate(actor=p.seller_signatory, deal=deal, signed_pdf=bytes(signed))
    assert "không phải là bản PDF hợp đồng" in str(exc.value) or "thay đổi" in str(exc.value)
    assert AuditLog.objects.filter(action="deal.certificate_refused", data__deal=deal.pk).exists()
    assert not Signature.objects.filter(contract__deal=deal).exists()


def test_signature_bytes_tampered_refused(p, flow, pki):
    deal = flow.contract_ready()
    _contract, original = signing_pdf(deal)
    signed = pki.sign(original)
    # change a byte of the appended revision, outside the signature value: the digest no longer matches
    index = signed.index(b"/Type /Sig") if b"/Type /Sig" in signed else signed.index(b"/Sig")
    tampered = signed[:index] + signed[index:].replace(b"/Sig", b"/Siq", 1)
    with pytest.raises(ValidationError):
        services.deal_sign_certificate(actor=p.seller_signatory, deal=deal, signed_pdf=tampered)


def test_modification_after_signing_refused(p, flow, pki):
    from io import BytesIO

    from pyhanko.pdf_utils.generic import pdf_name
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    deal = flow.contract_ready()
    _contract, original = signing_pdf(deal)
    writer = IncrementalPdfFileWriter(BytesIO(pki.sign(original)))
    writer.root["/Foo"] = pdf_name("/Bar")
    writer.update_root()
    out = BytesIO()
    writer.write(out)
    with pytest.raises(ValidationError, match="sửa đổi"):
        services.deal_sign_certificate(actor=p.seller_signatory, deal=deal, signed_pdf=out.getvalue())


def test_other_document_refused(p, flow, pki):
    from fpdf import FPDF

    deal = flow.contract_ready()
    signing_pdf(deal)
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="Another contract")
    with pytest.raises(ValidationError, match="không phải là bản PDF hợp đồng"):
        services.deal_sign_certificate(
            actor=p.seller_signatory, deal=deal, signed_pdf=pki.sign(bytes(pdf.output()))
        )


def test_untrusted_certificate_refused(p, flow, pki, settings):
    deal = flow.contract_ready()
    _contract, original = signing_pdf(deal)
    settings.DEALS_SIGNATURE_TRUST_ROOTS = [make_pki().ca_pem]  # another CA
    with pytest.raises(ValidationError, match="tin cậy"):
        services.deal_sign_certificate(actor=p.seller_signatory, deal=deal, signed_pdf=pki.sign(original))


def test_no_trust_roots_configured(p, flow, pki, settings):
    deal = flow.contract_ready()
    _contract, original = signing_pdf(deal)
    settings.DEALS_SIGNATURE_TRUST_ROOTS = []
    with pytest.raises(ValidationError, match="chưa cấu hình"):
        services.deal_sign_certificate(actor=p.seller_signatory, deal=deal, signed_pdf=pki.sign(original))


def test_certificate_upload_refused_to_non_signatory(p, flow, pki):
    deal = flow.contract_ready()
    _contract, original = signing_pdf(deal)
    with pytest.raises(NotPermitted):
        services.deal_sign_certificate(actor=p.buyer, deal=deal, signed_pdf=pki.sign(original))


def test_new_terms_void_certificate_signature(p, flow, pki):
    deal = flow.contract_ready()
    _contract, original = signing_pdf(deal)
    signature = services.deal_sign_certificate(
        actor=p.seller_signatory, deal=deal, signed_pdf=pki.sign(original)
    )
    services.deal_propose_terms(actor=p.buyer, deal=deal, terms={**TERMS, "term_months": 48})
    signature.refresh_from_db()
    assert signature.voided_at and not signature.is_valid


def test_certificate_through_views(client, p, flow, pki):
    deal = flow.contract_ready()
    client.force_login(p.seller_signatory)
    response = client.get(reverse("deals:contract", args=[deal.pk]) + "?format=signing-pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    signed = pki.sign(response.content)
    upload = SimpleUploadedFile("signed.pdf", signed, content_type="application/pdf")
    client.post(reverse("deals:sign_certificate", args=[deal.pk]), {"side": "seller", "signed_pdf": upload})
    signature = Signature.objects.get(contract__deal=deal)
    assert signature.method == "certificate"
    url = reverse("deals:signature_pdf", args=[deal.pk, signature.pk])
    assert b"".join(client.get(url).streaming_content) == signed
    assert AuditLog.objects.filter(
        action="deal.confidential_file_viewed", actor=p.seller_signatory, data__ref=signature.pk
    ).exists()
    services.deal_sign(actor=p.buyer_signatory, deal=deal, password=PASSWORD)
    client.force_login(p.third)
    assert client.get(url).status_code == 404
    assert client.get(reverse("deals:contract", args=[deal.pk]) + "?format=signing-pdf").status_code == 404
    # a tampered upload is refused with a clear message
    client.force_login(p.buyer_signatory)

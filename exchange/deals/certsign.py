"""Checking a contract PDF signed with a digital certificate (pyHanko), and the OTP hash.

What "the signed document is our contract" means here, and why: the exchange freezes one PDF rendering
of the contract (``Contract.signing_pdf``, hashed in ``signing_pdf_sha256``) and hands out exactly those
bytes for signing. A PDF signature is an *incremental update*: the signer's software appends a revision
and the signature covers every byte before it. So an uploaded file is accepted only when

1. its first ``len(frozen)`` bytes are byte-for-byte the frozen PDF (the document signed is ours and
   the frozen rendering carries the contract HTML's SHA-256 on its last lines);
2. it holds at least one signature, and every signature is cryptographically intact and valid, chains
   to a configured trust root, and pyHanko's difference analysis finds no change after it other than
   further signatures (``bottom_line``);
3. the last signature covers the entire file (nothing was appended after the last signature).

Comparing a hash "somewhere in the text" would accept a different document that merely quotes our hash;
the prefix rule does not. Two parties may sign the same file one after the other (the second signs the
first one's output): the prefix is still the frozen PDF.

Trust roots come from ``settings.DEALS_SIGNATURE_TRUST_ROOTS`` (a list of PEM/DER file paths or PEM
strings; env ``DEALS_SIGNATURE_TRUST_ROOTS``, paths separated by ``:``) — e.g. the Vietnamese root
CA (NEAC) bundle in production. Revocation is checked in soft-fail mode without network fetching unless
``settings.DEALS_SIGNATURE_ALLOW_FETCHING`` is true.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

MAX_SIGNED_PDF_BYTES = 20 * 1024 * 1024


class CertificateSignatureError(Exception):
    """The uploaded file is not an acceptable signed copy of the contract; ``str()`` says why."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class CertificateCheck:
    subject: str
    issuer: str
    serial: str
    signing_time: dt.datetime | None
    signatures: int
    sha256: str


def _trust_root_sources() -> list[str]:
    configured = getattr(settings, "DEALS_SIGNATURE_TRUST_ROOTS", None)
    if configured is None:
        env = os.environ.get("DEALS_SIGNATURE_TRUST_ROOTS", "")
        configured = [p for p in env.split(":") if p.strip()]
    if isinstance(configured, (str, bytes)):
        configured = [configured]
    return list(configured)


def trust_roots() -> list:
    """The configured roots as asn1crypto certificates (a file may hold several PEM blocks)."""
    from asn1crypto import pem
    from asn1crypto import x509 as ax

    roots = []
    for source in _trust_root_sources():
        if isinstance(source, str) and "-----BEGIN" in source:
            data = source.encode()
        elif isinstance(source, bytes):
            data = source
        else:
            data = Path(source).read_bytes()
        if pem.detect(data):
            roots.extend(ax.Certificate.load(der) for _t, _h, der in pem.unarmor(data, multiple=True))
        else:
            roots.append(ax.Certificate.load(data))
    return roots


def _validation_context():
    from pyhanko_certvalidator import ValidationContext

    roots = trust_roots()
    if not roots:
        raise CertificateSignatureError(
            _("Sàn chưa cấu hình tổ chức chứng thực gốc tin cậy; chưa thể nhận hợp đồng ký số."),
            code="no_trust_roots",
        )
    return ValidationContext(
        trust_roots=roots,
        allow_fetching=bool(getattr(settings, "DEALS_SIGNATURE_ALLOW_FETCHING", False)),
        revocation_mode="soft-fail",
    )


def verify_signed_contract_pdf(*, signed: bytes, original: bytes) -> CertificateCheck:
    """Check ``signed`` against the frozen ``original`` as described in the module docstring."""
    from pyhanko.pdf_utils.misc import PdfReadError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    if len(signed) > MAX_SIGNED_PDF_BYTES:
        raise CertificateSignatureError(_("Tệp quá lớn."), code="too_large")
    if not signed.startswith(b"%PDF"):
        raise CertificateSignatureError(_("Tệp tải lên không phải là PDF."), code="not_pdf")
    if not original or len(signed) <= len(original) or signed[: len(original)] != original:
        raise CertificateSignatureError(
            _(
                "Tệp không phải là bản PDF hợp đồng do sàn cung cấp được ký thêm (ký số kiểu gia tăng). "
                "Vui lòng tải bản PDF để ký số từ phòng giao dịch và ký trên chính tệp đó."
            ),
            code="not_our_contract",
        )
    context = _validation_context()
    try:
        reader = PdfFileReader(io.BytesIO(signed), strict=False)
        embedded = list(reader.embedded_signatures)
    except (PdfReadError, ValueError, KeyError) as exc:
        raise CertificateSignatureError(_("Không đọc được tệp PDF."), code="unreadable") from exc
    if not embedded:
        raise CertificateSignatureError(_("Tệp PDF không có chữ ký số."), code="unsigned")
    statuses = []
    for signature in embedded:
        try:
            status = validate_pdf_signature(signature, context)
        except Exception as exc:  # pyHanko raises many kinds on malformed signatures
            logger.info("signature validation failed: %s", exc)
            raise CertificateSignatureError(
                _("Chữ ký số trong tệp không kiểm tra được."), code="invalid"
            ) from exc
        if not status.intact or not status.valid:
            raise CertificateSignatureError(
                _("Chữ ký số không toàn vẹn: nội dung tệp đã bị thay đổi sau khi ký."), code="tampered"
            )
        if not status.trusted:
            raise CertificateSignatureError(
                _("Chứng thư số của người ký không thuộc tổ chức chứng thực tin cậy."), code="untrusted"
            )
        if not status.bottom_line:
            raise CertificateSignatureError(_("Tệp đã bị sửa đổi sau khi ký số."), code="modified")
        statuses.append(status)
    last = statuses[-1]
    if last.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        raise CertificateSignatureError(_("Tệp đã bị sửa đổi sau chữ ký số cuối cùng."), code="modified")
    cert = last.signing_cert
    return CertificateCheck(
        subject=cert.subject.human_friendly[:500],
        issuer=cert.issuer.human_friendly[:500],
        serial=format(cert.serial_number, "x")[:100],
        signing_time=last.signer_reported_dt,
        signatures=len(statuses),
        sha256=hashlib.sha256(signed).hexdigest(),
    )

"""Bank transfer with a VietQR code: the EMVCo merchant-presented QR payload of NAPAS 247, the exchange's
account from settings, and the payment reference as the purpose of the transfer.

Payload (EMVCo MPM as profiled by NAPAS for VietQR), each field ``ID`` + 2-digit length + value:

    00 "01"                       payload format indicator
    01 "12"                       point of initiation: dynamic (an amount is set)
    38 merchant account info      00 GUID "A000000727" (NAPAS)
                                  01 beneficiary: 00 acquirer BIN, 01 account number
                                  02 service code "QRIBFTTA" (transfer to an account)
    53 "704"                      currency VND (ISO 4217 numeric)
    54 amount                     integer VND
    58 "VN"                       country
    62 additional data            08 purpose of transaction = our reference
    63 CRC                        CRC-16/CCITT-FALSE over everything before it, including "6304"
"""

from __future__ import annotations

import io
from typing import Any

import segno
from django.utils.translation import gettext as _

from .. import conf
from .base import PaymentProvider

NAPAS_GUID = "A000000727"
SERVICE_TO_ACCOUNT = "QRIBFTTA"


def tlv(tag: str, value: str) -> str:
    if len(tag) != 2 or not tag.isdigit():
        raise ValueError(f"bad EMVCo tag {tag!r}")
    if len(value) > 99:
        raise ValueError(f"EMVCo field {tag} longer than 99 characters")
    return f"{tag}{len(value):02d}{value}"


def crc16_ccitt(data: bytes) -> int:
    """CRC-16/CCITT-FALSE: polynomial 0x1021, initial 0xFFFF, no reflection, no final XOR."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _bit in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def vietqr_payload(*, bin_code: str, account: str, amount_vnd: int | None, purpose: str) -> str:
    if not (bin_code.isdigit() and len(bin_code) == 6):
        raise ValueError("The bank BIN is six digits.")
    if not account or not account.isalnum() or len(account) > 19:
        raise ValueError("The account number is 1–19 letters or digits.")
    if amount_vnd is not None and (isinstance(amount_vnd, bool) or amount_vnd <= 0):
        raise ValueError("The amount is a positive integer of VND.")
    beneficiary = tlv("00", bin_code) + tlv("01", account)
    merchant = tlv("00", NAPAS_GUID) + tlv("01", beneficiary) + tlv("02", SERVICE_TO_ACCOUNT)
    payload = (
        tlv("00", "01") + tlv("01", "12" if amount_vnd else "11") + tlv("38", merchant) + tlv("53", "704")
    )
    if amount_vnd:
        payload += tlv("54", str(int(amount_vnd)))
    payload += tlv("58", "VN")
    if purpose:
        payload += tlv("62", tlv("08", purpose))
    payload += "6304"
    return payload + f"{crc16_ccitt(payload.encode('ascii')):04X}"


def qr_svg(payload: str, *, scale: int = 4) -> str:
    out = io.BytesIO()
    segno.make(payload, error="m", micro=False).save(out, kind="svg", scale=scale, border=2, xmldecl=False)
    return out.getvalue().decode("utf-8")


class BankTransferProvider(PaymentProvider):
    code = "bank_transfer"

    @property
    def label(self) -> str:
        return _("Chuyển khoản ngân hàng (VietQR)")

    def payload(self, payment_request) -> str:
        return vietqr_payload(
            bin_code=conf.bank_bin(),
            account=conf.bank_account(),
            amount_vnd=payment_request.remaining_vnd or None,
            purpose=payment_request.reference,
        )

    def instructions(self, payment_request) -> dict[str, Any]:
        return {
            "bank_name": conf.bank_name(),
            "bank_bin": conf.bank_bin(),
            "account": conf.bank_account(),
            "account_name": conf.bank_account_name(),
            "amount_vnd": payment_request.remaining_vnd,
            "reference": payment_request.reference,
            "payload": self.payload(payment_request),
        }

    def refund(self, refund, *, external_id: str = "") -> tuple[bool, str, str]:
        """Staff made the outgoing transfer themselves; recording it needs the bank's transaction id."""
        if not external_id.strip():
            return False, "", _("Cần mã giao dịch của lệnh chuyển tiền hoàn lại.")
        return True, external_id.strip(), ""

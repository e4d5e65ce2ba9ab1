"""The VietQR payload against the published EMVCo / NAPAS structure, with an independently computed CRC."""

import binascii

import pytest

from exchange.payments import references
from exchange.payments.providers.bank_transfer import crc16_ccitt, qr_svg, vietqr_payload


def parse_tlv(text: str) -> dict[str, str]:
    fields, i = {}, 0
    while i < len(text):
        tag, length = text[i : i + 2], int(text[i + 2 : i + 4])
        fields[tag] = text[i + 4 : i + 4 + length]
        i += 4 + length
    return fields


def test_crc_known_check_value():
    # The catalogued check value of CRC-16/CCITT-FALSE for "123456789".
    assert crc16_ccitt(b"123456789") == 0x29B1


def test_payload_structure_and_crc():
    payload = vietqr_payload(
        bin_code="970436", account="0071000888888", amount_vnd=500_000_000, purpose="TX7K3M9QA"
    )
    top = parse_tlv(payload)
    assert list(top) == ["00", "01", "38", "53", "54", "58", "62", "63"]
    assert top["00"] == "01" and top["01"] == "12"
    merchant = parse_tlv(top["38"])
    assert merchant["00"] == "A000000727"
    assert parse_tlv(merchant["01"]) == {"00": "970436", "01": "0071000888888"}
    assert merchant["02"] == "QRIBFTTA"
    assert top["53"] == "704" and top["54"] == "500000000" and top["58"] == "VN"
    assert parse_tlv(top["62"]) == {"08": "TX7K3M9QA"}
    # CRC over everything up to and including "6304", computed with the standard library (crc_hqx is
    # the same polynomial, unreflected, here with the 0xFFFF initial value).
    body, crc = payload[:-4], payload[-4:]
    assert body.endswith("6304")
    assert crc == f"{binascii.crc_hqx(body.encode('ascii'), 0xFFFF):04X}"


def test_static_payload_without_amount():
    top = parse_tlv(vietqr_payload(bin_code="970436", account="123", amount_vnd=None, purpose="X"))
    assert top["01"] == "11" and "54" not in top


@pytest.mark.parametrize(
    "kwargs",
    [
        {"bin_code": "97043", "account": "1", "amount_vnd": 1, "purpose": "x"},
        {"bin_code": "970436", "account": "12-3", "amount_vnd": 1, "purpose": "x"},
        {"bin_code": "970436", "account": "1", "amount_vnd": -5, "purpose": "x"},
    ],
)
def test_bad_inputs_refused(kwargs):
    with pytest.raises(ValueError):
        vietqr_payload(**kwargs)


def test_svg_renders():
    svg = qr_svg(vietqr_payload(bin_code="970436", account="1", amount_vnd=1000, purpose="TX"))
    assert svg.lstrip().startswith("<svg") and "</svg>" in svg


def test_references_are_typable_and_checked():
    ref = references.new_reference()
    assert references.is_valid(ref) and len(ref) == 9 and ref.startswith("TX")
    assert not set(ref[2:]) & set("ILOU")
    wrong = ref[:-1] + references.ALPHABET[(references.ALPHABET.index(ref[-1]) + 1) % 31]
    assert not references.is_valid(wrong)
    # Found in a bank note however it was typed: lower case, spaced, with other words around.
    note = f"CT DEN:123 cong ty abc thanh toan {ref[:4].lower()} {ref[4:].lower()} GD-5"
    assert references.find_references(note) == [ref]
    assert references.find_references("TX1234567 no check") == [] or references.is_valid("TX1234567")

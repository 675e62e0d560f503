"""VietQR payloads: the string a customer's banking app scans to pay a sale by transfer."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from pos import vietqr
from pos.vietqr import (
    VietQRError,
    build_payload,
    normalise_reference,
    parse_payload,
    payment_reference,
    qr_matrix,
    qr_svg,
)

# Published payloads from public repositories, reproduced byte for byte below.
#
# xuannghia/vietnam-qr-pay (npm "vietnam-qr-pay"), README.md, "VietQR Động":
# ACB (BIN 970416), account 257678859, 10 000 đ, purpose "Chuyen tien".
XUANNGHIA_DYNAMIC = (
    "00020101021238530010A0000007270123000697041601092576788590208QRIBFTTA"
    "53037045405100005802VN62150811Chuyen tien630453E6"
)
# Same README, build() example: amount 999 999 đ, purpose "Cam on nhe".
XUANNGHIA_REBUILT = (
    "00020101021238530010A0000007270123000697041601092576788590208QRIBFTTA"
    "530370454069999995802VN62140810Cam on nhe6304E786"
)
# xuannghia/vietnam-qr-pay, test/test-vietqr.spec.ts: a payload their decoder accepts
# (amount 1 000 đ) and the same one with the last CRC digit changed, which it refuses.
XUANNGHIA_DECODE = (
    "00020101021238530010A0000007270123000697041601092576788590208QRIBFTTA"
    "5303704540410005802VN62150811Chuyen tien6304BBB8"
)
XUANNGHIA_BAD_CRC = XUANNGHIA_DECODE[:-4] + "BBB5"
# subiz/vietqr (Go), vietqr_test.go: MB (BIN 970422), account 0023457923442,
# 40 123 đ, message "chuyển khoản" written without diacritics by the generator.
SUBIZ_DIACRITICS = (
    "00020101021238570010A00000072701270006970422011300234579234420208QRIBFTTA"
    "53037045405401235802VN62160812chuyen khoan6304722F"
)


def independent_crc16_ccitt_false(data: bytes) -> int:
    """CRC-16/CCITT-FALSE by lookup table, written apart from pos.vietqr's bitwise loop."""
    table = []
    for i in range(256):
        value = i << 8
        for _ in range(8):
            value = (value << 1) ^ 0x1021 if value & 0x8000 else value << 1
        table.append(value & 0xFFFF)
    crc = 0xFFFF
    for byte in data:
        crc = ((crc << 8) & 0xFFFF) ^ table[(crc >> 8) ^ byte]
    return crc


# --- matches what banks and other implementations produce ---------------------


def test_the_independent_crc_gives_the_published_ccitt_false_check_value():
    # The CRC catalogue's check value for CRC-16/CCITT-FALSE (a.k.a. IBM-3740).
    assert independent_crc16_ccitt_false(b"123456789") == 0x29B1
    assert vietqr.crc16_ccitt("123456789") == "29B1"


def test_payload_carries_amount_and_crc_a_bank_app_accepts():
    payload = build_payload("970416", "257678859", 10_000, "Chuyen tien")
    assert payload == XUANNGHIA_DYNAMIC


@pytest.mark.parametrize(
    "args, published",
    [
        (("970416", "257678859", 999_999, "Cam on nhe"), XUANNGHIA_REBUILT),
        (("970416", "257678859", 1_000, "Chuyen tien"), XUANNGHIA_DECODE),
        (("970422", "0023457923442", 40_123, "chuyển khoản"), SUBIZ_DIACRITICS),
    ],
)
def test_other_published_payloads_are_reproduced_byte_for_byte(args, published):
    assert build_payload(*args) == published


def test_the_crc_field_matches_the_independent_implementation():
    payload = build_payload("970436", "1234567890", 1_250_000, "X20B07T1000123")
    body, crc = payload[:-4], payload[-4:]
    assert body.endswith("6304")
    assert crc == f"{independent_crc16_ccitt_false(body.encode('ascii')):04X}"
    assert crc == crc.upper() and len(crc) == 4


# --- parse_payload ------------------------------------------------------------


def test_fields_round_trip_through_parse_payload():
    payload = build_payload("970436", "0011001932418", 125_000, "TT X20B07T1000123")
    assert parse_payload(payload) == {
        "00": "01",
        "01": "12",
        "38": {
            "00": "A000000727",
            "01": {"00": "970436", "01": "0011001932418"},
            "02": "QRIBFTTA",
        },
        "53": "704",
        "54": "125000",
        "58": "VN",
        "62": {"08": "TT X20B07T1000123"},
        "63": payload[-4:],
    }


def test_fields_are_written_in_emvco_order_with_lengths_in_characters():
    payload = build_payload("970416", "257678859", 10_000, "Chuyen tien")
    assert list(parse_payload(payload)) == ["00", "01", "38", "53", "54", "58", "62", "63"]
    assert "5405" + "10000" in payload  # 54, length 05, value 10000


def test_a_published_payload_parses_to_its_bank_account_and_amount():
    fields = parse_payload(XUANNGHIA_DECODE)
    assert fields["38"]["01"] == {"00": "970416", "01": "257678859"}
    assert fields["54"] == "1000"
    assert fields["62"]["08"] == "Chuyen tien"


def test_a_tampered_amount_fails_the_crc_check():
    payload = build_payload("970416", "257678859", 10_000, "Chuyen tien")
    # Same length, so only the CRC can notice: 10000 -> 90000.
    tampered = payload.replace("540510000", "540590000")
    assert tampered != payload
    with pytest.raises(VietQRError, match="CRC"):
        parse_payload(tampered)


def test_a_published_payload_with_a_wrong_crc_is_refused():
    with pytest.raises(VietQRError, match="CRC"):
        parse_payload(XUANNGHIA_BAD_CRC)


def test_a_payload_without_a_crc_field_is_refused():
    with pytest.raises(VietQRError):
        parse_payload(XUANNGHIA_DECODE[:-8])


def test_a_lower_case_crc_from_another_generator_is_still_accepted():
    payload = build_payload("970416", "257678859", 10_000, "Chuyen tien")
    assert parse_payload(payload[:-4] + payload[-4:].lower())["54"] == "10000"


# --- validation -----------------------------------------------------------------


@pytest.mark.parametrize("bank_bin", ["97041", "9704160", "97041A", "", "９７０４１６", 970416, None])
def test_a_bank_bin_that_is_not_six_digits_is_refused(bank_bin):
    with pytest.raises(VietQRError, match="BIN") as excinfo:
        build_payload(bank_bin, "257678859", 10_000, "")
    assert excinfo.value.field == "bank_bin"
    assert isinstance(excinfo.value, ValueError)


@pytest.mark.parametrize("account", ["", "12345678901234567890", "0123-456", "0123 456", "số123", None])
def test_an_account_that_is_not_1_to_19_letters_or_digits_is_refused(account):
    with pytest.raises(VietQRError, match="Số tài khoản") as excinfo:
        build_payload("970416", account, 10_000, "")
    assert excinfo.value.field == "account"


def test_an_account_of_19_letters_and_digits_is_accepted():
    payload = build_payload("970454", "99MM24011M348750800", 10_000, "")
    assert parse_payload(payload)["38"]["01"]["01"] == "99MM24011M348750800"


@pytest.mark.parametrize("amount", [0, -1, -125_000])
def test_an_amount_of_zero_or_less_is_refused_with_a_message(amount):
    with pytest.raises(VietQRError) as excinfo:
        build_payload("970416", "257678859", amount, "Chuyen tien")
    assert str(excinfo.value) == "Số tiền chuyển khoản phải lớn hơn 0"
    assert excinfo.value.field == "amount_vnd"


@pytest.mark.parametrize("amount", [10_000.0, "10000", True, None])
def test_an_amount_that_is_not_a_whole_number_of_dong_is_refused(amount):
    with pytest.raises(VietQRError, match="số nguyên"):
        build_payload("970416", "257678859", amount, "")


def test_an_amount_of_more_than_13_digits_is_refused():
    assert parse_payload(build_payload("970416", "257678859", 9_999_999_999_999, ""))["54"] == "9999999999999"
    with pytest.raises(VietQRError, match="13 chữ số"):
        build_payload("970416", "257678859", 10_000_000_000_000, "")


def test_a_message_longer_than_25_characters_once_reduced_is_refused():
    with pytest.raises(VietQRError, match="25") as excinfo:
        build_payload("970416", "257678859", 10_000, "Thanh toán hóa đơn X20B07T1000123")
    assert excinfo.value.field == "message"


def test_an_empty_message_leaves_the_additional_data_field_out():
    fields = parse_payload(build_payload("970416", "257678859", 10_000, " -- "))
    assert "62" not in fields


# --- message and reference ---------------------------------------------------------


def test_diacritics_are_stripped_from_the_message():
    payload = build_payload("970416", "257678859", 10_000, "Đặc sản Đà Lạt")
    assert parse_payload(payload)["62"]["08"] == "Dac san Da Lat"
    payload.encode("ascii")  # raises if anything non-ASCII slipped through


def test_the_message_keeps_only_letters_digits_and_single_spaces():
    payload = build_payload("970416", "257678859", 10_000, "  TT:\tX20-B07/T1 #000123 ☕ ")
    assert parse_payload(payload)["62"]["08"] == "TT X20B07T1 000123"


def test_a_receipt_number_becomes_a_reference_of_letters_and_digits():
    assert payment_reference("X20-B07-T1-000123") == "X20B07T1000123"
    assert payment_reference("x20-b07-t1-000123") == "X20B07T1000123"


def test_a_reference_fits_the_message_field_of_a_payload():
    ref = payment_reference("X20-B07-T1-000123")
    assert parse_payload(build_payload("970416", "257678859", 10_000, ref))["62"]["08"] == ref


@pytest.mark.parametrize("receipt_no", ["", "---", "X" * 26, None])
def test_a_receipt_number_that_gives_no_usable_reference_is_refused(receipt_no):
    with pytest.raises(VietQRError):
        payment_reference(receipt_no)


@pytest.mark.parametrize(
    "bank_line",
    [
        "X20B07T1000123",
        "x20b07t1000123",
        "X20 B07 T1 000123",
        "X20-B07-T1-000123",
        "MBVCB.1234.TT x20-b07-t1 000123.CT tu 0011001932418",
    ],
)
def test_reference_normalisation_ignores_case_spaces_and_dashes(bank_line):
    ref = payment_reference("X20-B07-T1-000123")
    assert ref in normalise_reference(bank_line)


def test_normalise_reference_folds_vietnamese_letters_like_banks_do():
    assert normalise_reference("Thanh toán đơn Đ-01") == "THANHTOANDOND01"
    assert normalise_reference("") == ""


# --- QR images ---------------------------------------------------------------------


def test_the_svg_is_an_svg_element_with_a_path():
    svg = qr_svg(build_payload("970416", "257678859", 10_000, "X20B07T1000123"))
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == ns + "svg"
    assert root.get("viewBox")
    paths = root.findall(ns + "path")
    assert len(paths) == 1 and paths[0].get("d", "").startswith("M")
    # No id: two codes on one page must not clash.
    assert paths[0].get("id") is None
    assert not svg.startswith("<?xml")  # inline in HTML, no declaration


def test_the_svg_box_size_sets_its_physical_size():
    payload = build_payload("970416", "257678859", 10_000, "Chuyen tien")
    modules = len(qr_matrix(payload))  # quiet zone included, as in the SVG
    root = ET.fromstring(qr_svg(payload, box_size=10))
    assert root.get("width") == f"{modules}mm"  # box_size 10 = 1 mm per module


def test_the_matrix_is_a_square_qr_symbol_with_a_quiet_zone():
    matrix = qr_matrix(build_payload("970416", "257678859", 10_000, "Chuyen tien"))
    size = len(matrix)
    assert all(len(row) == size for row in matrix)
    assert all(isinstance(m, bool) for row in matrix for m in row)
    symbol = size - 8
    assert symbol >= 21 and (symbol - 17) % 4 == 0  # QR versions are 17 + 4v modules wide
    assert not any(matrix[0]) and not any(row[0] for row in matrix)  # light border
    # Top-left finder pattern: a dark 7x7 ring starting right after the 4-module border.
    assert all(matrix[4][4:11]) and all(matrix[10][4:11])
    assert not any(matrix[5][5:10])  # ring's light inner band
    assert all(matrix[6][6:9])  # dark 3x3 centre


def test_the_matrix_border_can_be_left_to_the_printer():
    payload = build_payload("970416", "257678859", 10_000, "Chuyen tien")
    with_border = qr_matrix(payload)
    bare = qr_matrix(payload, border=0)
    assert len(bare) == len(with_border) - 8
    assert bare == [row[4:-4] for row in with_border[4:-4]]


def test_the_same_payload_always_gives_the_same_code():
    payload = build_payload("970416", "257678859", 10_000, "Chuyen tien")
    assert qr_svg(payload) == qr_svg(payload)
    assert qr_matrix(payload) == qr_matrix(payload)


def test_an_empty_payload_has_no_qr_code():
    with pytest.raises(VietQRError):
        qr_svg("")
    with pytest.raises(VietQRError):
        qr_matrix("")


def test_the_module_itself_needs_neither_flask_nor_a_database():
    import subprocess
    import sys
    from pathlib import Path

    # pos/__init__.py builds the Flask app, so load vietqr.py on its own, in a fresh
    # interpreter where importing Flask, SQLAlchemy or another pos module fails.
    source = Path(__file__).resolve().parents[2] / "pos" / "vietqr.py"
    code = f"""
import importlib.abc, importlib.util, sys
class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("flask", "flask_babel", "flask_sqlalchemy", "sqlalchemy", "pos"):
            raise ImportError("vietqr must not import " + name)
sys.meta_path.insert(0, Refuse())
spec = importlib.util.spec_from_file_location("vietqr_alone", {str(source)!r})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
assert module.build_payload("970416", "257678859", 10000, "Chuyen tien").endswith("53E6")
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr

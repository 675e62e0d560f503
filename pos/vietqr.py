"""VietQR (NAPAS 247) payment QR codes, built offline, for a bank transfer of an exact amount.

The payload is an EMVCo merchant-presented QR (MPM): a flat string of fields,
each written ID (2 digits) + length (2 digits, in characters) + value. A
VietQR transfer to an account carries:

    00 = "01"                 payload format indicator
    01 = "12"                 dynamic QR: it carries an amount, so it is for one sale
    38 = merchant account     00 = A000000727 (NAPAS GUID)
                              01 = beneficiary: 00 = bank BIN (6 digits), 01 = account
                              02 = QRIBFTTA (inter-bank transfer to an account)
    53 = "704"                currency: VND
    54 = amount               whole đồng, digits only
    58 = "VN"                 country
    62 = additional data      08 = purpose (the transfer message)
    63 = CRC                  CRC-16/CCITT-FALSE over everything before it, "6304" included

Nothing here needs Flask, a database or the network: the booth may have no
internet, and the customer's banking app is what goes online.

Errors are VietQRError (a ValueError) with a Vietnamese message for the cashier
and the name of the offending argument in `field`.
"""
from __future__ import annotations

import re
import unicodedata

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # qrcode (and Pillow under it) loads when a code is drawn, not at start
    import qrcode

__all__ = [
    "VietQRError",
    "build_payload",
    "crc16_ccitt",
    "normalise_message",
    "normalise_reference",
    "parse_payload",
    "payment_reference",
    "qr_matrix",
    "qr_svg",
]

NAPAS_GUID = "A000000727"
SERVICE_TRANSFER_TO_ACCOUNT = "QRIBFTTA"
CURRENCY_VND = "704"
COUNTRY_VN = "VN"

# Limits of the fields banks accept (NAPAS VietQR spec; banks truncate or refuse beyond).
MAX_ACCOUNT_LEN = 19
MAX_AMOUNT_DIGITS = 13
MAX_MESSAGE_LEN = 25
MAX_REFERENCE_LEN = 25

_BIN = re.compile(r"[0-9]{6}")
_ACCOUNT = re.compile(r"[A-Za-z0-9]{1,%d}" % MAX_ACCOUNT_LEN)
_NOT_MESSAGE_CHAR = re.compile(r"[^A-Za-z0-9 ]")
_NOT_REFERENCE_CHAR = re.compile(r"[^A-Z0-9]")
_WHITESPACE = re.compile(r"\s+")

# Templates whose value is itself a list of ID-length-value fields.
_TEMPLATE_IDS = {"38", "62"}


class VietQRError(ValueError):
    """A VietQR payload could not be built or read; `message` is for the cashier."""

    def __init__(self, message: str, field: str | None = None):
        self.message = message
        self.field = field
        super().__init__(message)


# --- CRC ---------------------------------------------------------------------


def crc16_ccitt(data: str) -> str:
    """CRC-16/CCITT-FALSE of data's UTF-8 bytes as 4 upper-case hex digits.

    Polynomial 0x1021, initial value 0xFFFF, no reflection, no final XOR: the
    checksum EMVCo QR codes (and so VietQR) end with. "123456789" -> "29B1".
    """
    crc = 0xFFFF
    for byte in data.encode("utf-8"):
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return f"{crc:04X}"


# --- text reductions ---------------------------------------------------------


def _ascii_fold(text: str) -> str:
    """Drop Vietnamese diacritics, keeping the case: "Đồ ăn" -> "Do an".

    đ/Đ are letters of their own, not d + a mark, so NFD leaves them alone and
    they are replaced by hand.
    """
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return stripped.replace("đ", "d").replace("Đ", "D")


def normalise_message(message: str) -> str:
    """Reduce a transfer message to what banks keep: ASCII letters, digits and single spaces.

    Diacritics are dropped ("Thanh toán" -> "Thanh toan"), other characters
    (punctuation, dashes, emoji) removed, runs of whitespace become one space,
    and the ends are trimmed. Case is kept. Raises VietQRError if message is
    not a string or is still longer than 25 characters after the reduction
    (cutting it would silently cut the payment reference off).
    """
    if not isinstance(message, str):
        raise VietQRError("Nội dung chuyển khoản phải là chữ", field="message")
    # Whitespace first, so a tab or a newline separates words instead of gluing them.
    text = _WHITESPACE.sub(" ", _ascii_fold(message))
    text = _NOT_MESSAGE_CHAR.sub("", text)
    text = _WHITESPACE.sub(" ", text).strip()
    if len(text) > MAX_MESSAGE_LEN:
        raise VietQRError(
            f"Nội dung chuyển khoản dài quá {MAX_MESSAGE_LEN} ký tự (không dấu): {text}",
            field="message",
        )
    return text


def normalise_reference(text: str) -> str:
    """Upper case, ASCII letters and digits only: " x20-b07 t1/000123 " -> "X20B07T1000123".

    This is the reduction banks apply to a transfer message (they drop
    diacritics, punctuation and often spaces, and some upper-case it), so a
    reference and a statement line both normalised this way can be compared
    with `reference in normalise_reference(line)`. Never raises for a string;
    None gives "".
    """
    return _NOT_REFERENCE_CHAR.sub("", _ascii_fold(text or "").upper())


def payment_reference(receipt_no: str) -> str:
    """The reference to put in the transfer message for a sale: its receipt number, normalised.

    Separators are dropped and letters upper-cased: "X20-B07-T1-000123" ->
    "X20B07T1000123" (fair X20, booth B07, till T1, receipt 000123). The
    receipt number already identifies the sale, so nothing is hashed or cut:
    the reference can be read back by a human from the bank statement.
    Raises VietQRError if nothing is left or the result exceeds 25 characters
    (a bank message holds 25; a cut reference could match the wrong sale).
    """
    if not isinstance(receipt_no, str):
        raise VietQRError("Số hóa đơn phải là chữ", field="receipt_no")
    ref = normalise_reference(receipt_no)
    if not ref:
        raise VietQRError("Số hóa đơn không có chữ hoặc số nào", field="receipt_no")
    if len(ref) > MAX_REFERENCE_LEN:
        raise VietQRError(
            f"Mã tham chiếu dài quá {MAX_REFERENCE_LEN} ký tự: {ref}", field="receipt_no"
        )
    return ref


# --- build -------------------------------------------------------------------


def _field(tag: str, value: str) -> str:
    """One EMVCo field: ID + 2-digit length in characters + value."""
    if not 1 <= len(value) <= 99:
        # A field of 0 or 100+ characters cannot be written; the checks above prevent it.
        raise VietQRError(f"Trường {tag} dài {len(value)} ký tự, không hợp lệ", field=tag)
    return f"{tag}{len(value):02d}{value}"


def _check_bin(bank_bin) -> str:
    if not isinstance(bank_bin, str) or not _BIN.fullmatch(bank_bin.strip()):
        raise VietQRError("Mã BIN ngân hàng phải gồm đúng 6 chữ số", field="bank_bin")
    return bank_bin.strip()


def _check_account(account) -> str:
    if not isinstance(account, str) or not _ACCOUNT.fullmatch(account.strip()):
        raise VietQRError(
            f"Số tài khoản phải gồm 1 đến {MAX_ACCOUNT_LEN} chữ cái hoặc chữ số, không dấu cách",
            field="account",
        )
    return account.strip()


def _check_amount(amount_vnd) -> str:
    # bool is an int in Python; True must not become a 1 đồng transfer.
    if isinstance(amount_vnd, bool) or not isinstance(amount_vnd, int):
        raise VietQRError("Số tiền chuyển khoản phải là số nguyên đồng", field="amount_vnd")
    if amount_vnd <= 0:
        raise VietQRError("Số tiền chuyển khoản phải lớn hơn 0", field="amount_vnd")
    digits = str(amount_vnd)
    if len(digits) > MAX_AMOUNT_DIGITS:
        raise VietQRError(
            f"Số tiền chuyển khoản quá lớn (tối đa {MAX_AMOUNT_DIGITS} chữ số)",
            field="amount_vnd",
        )
    return digits


def build_payload(bank_bin: str, account: str, amount_vnd: int, message: str) -> str:
    """The VietQR payload asking for a transfer of exactly amount_vnd đồng to account at bank_bin.

    message goes in the purpose field (62/08) after normalise_message(); an
    empty message leaves field 62 out (EMVCo has no empty fields). Surrounding
    whitespace of bank_bin and account is ignored.

    Raises VietQRError when bank_bin is not 6 digits, account is not 1-19
    ASCII letters/digits, amount_vnd is not an int, is 0 or negative ("Số tiền
    chuyển khoản phải lớn hơn 0") or has more than 13 digits, or the message
    is longer than 25 characters once reduced.
    """
    bank_bin = _check_bin(bank_bin)
    account = _check_account(account)
    amount = _check_amount(amount_vnd)
    purpose = normalise_message(message)

    beneficiary = _field("00", bank_bin) + _field("01", account)
    merchant_account = (
        _field("00", NAPAS_GUID)
        + _field("01", beneficiary)
        + _field("02", SERVICE_TRANSFER_TO_ACCOUNT)
    )
    parts = [
        _field("00", "01"),
        # 12 = dynamic: a code with an amount is for one sale, not to be reused.
        _field("01", "12"),
        _field("38", merchant_account),
        _field("53", CURRENCY_VND),
        _field("54", amount),
        _field("58", COUNTRY_VN),
    ]
    if purpose:
        parts.append(_field("62", _field("08", purpose)))
    # The CRC covers its own ID and length, so "6304" is appended before computing it.
    body = "".join(parts) + "6304"
    return body + crc16_ccitt(body)


# --- parse -------------------------------------------------------------------


def _split_fields(data: str, where: str) -> dict:
    """Split ID-length-value fields into {id: value}; raises VietQRError on a malformed string."""
    fields: dict = {}
    pos = 0
    while pos < len(data):
        head = data[pos:pos + 4]
        if len(head) < 4 or not head.isdigit() or not head.isascii():
            raise VietQRError(f"Mã QR hỏng: trường không đọc được ở vị trí {pos} ({where})")
        tag, length = head[:2], int(head[2:])
        value = data[pos + 4:pos + 4 + length]
        if len(value) != length:
            raise VietQRError(f"Mã QR hỏng: trường {tag} bị cắt ngắn ({where})")
        if tag in fields:
            raise VietQRError(f"Mã QR hỏng: trường {tag} lặp lại ({where})")
        fields[tag] = value
        pos += 4 + length
    return fields


def parse_payload(payload: str) -> dict:
    """Split a VietQR / EMVCo payload into its fields after checking its CRC.

    Returns {field id: value} in payload order, all values strings, with the
    templates 38 and 62 split into dicts of their own, and inside 38 the
    beneficiary (01) split too when 38 carries the NAPAS GUID:

        {"00": "01", "01": "12",
         "38": {"00": "A000000727", "01": {"00": "970416", "01": "257678859"}, "02": "QRIBFTTA"},
         "53": "704", "54": "10000", "58": "VN", "62": {"08": "Chuyen tien"}, "63": "53E6"}

    Raises VietQRError if the payload does not end with a CRC field (63, 4
    characters), the CRC does not match (the code was mistyped, damaged or
    tampered with), or a field is malformed.
    """
    if not isinstance(payload, str):
        raise VietQRError("Mã QR phải là chữ")
    payload = payload.strip()
    if len(payload) < 8 or payload[-8:-4] != "6304":
        raise VietQRError("Mã QR không có mã kiểm tra CRC ở cuối")
    expected = crc16_ccitt(payload[:-4])
    # Some generators write the CRC in lower case; the value is what counts.
    if payload[-4:].upper() != expected:
        raise VietQRError(
            f"Mã kiểm tra CRC sai (ghi {payload[-4:]}, tính được {expected}): mã QR bị hỏng hoặc bị sửa"
        )
    fields = _split_fields(payload, "gốc")
    for tag in _TEMPLATE_IDS & fields.keys():
        fields[tag] = _split_fields(fields[tag], tag)
    merchant = fields.get("38")
    if isinstance(merchant, dict) and merchant.get("00") == NAPAS_GUID and "01" in merchant:
        merchant["01"] = _split_fields(merchant["01"], "38.01")
    return fields


# --- QR images ---------------------------------------------------------------


def _qr(payload: str, box_size: int = 10, border: int = 4, image_factory=None) -> qrcode.QRCode:
    """The QR symbol for payload: error correction M, smallest version that fits.

    M (15 % recoverable) is what the VietQR samples use: it survives a
    scratched or glare-hit screen while keeping the code small enough to scan
    from a phone held at arm's length.
    """
    if not isinstance(payload, str) or not payload:
        raise VietQRError("Không có nội dung để tạo mã QR")
    import qrcode
    import qrcode.constants

    qr = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        box_size=box_size,
        border=border,
        image_factory=image_factory,
    )
    qr.add_data(payload)
    qr.make(fit=True)
    return qr


def qr_svg(payload: str, *, box_size: int = 8) -> str:
    """An inline SVG (a str, no XML declaration) of the QR code for payload, for the cashier's screen.

    One <path> for the dark modules on a white <rect>, with a 4-module quiet
    zone; box_size is tenths of a millimetre per module in the width/height
    attributes (8 -> 0.8 mm), and the viewBox lets CSS scale it freely.
    Raises VietQRError for an empty payload.
    """
    if isinstance(box_size, bool) or not isinstance(box_size, int) or box_size < 1:
        raise VietQRError("Kích thước ô mã QR phải là số nguyên dương", field="box_size")
    # The filled variant of the path factory: a transparent background would put
    # black modules on a dark-mode screen, which no phone can scan.
    from qrcode.image.svg import SvgPathFillImage

    image = _qr(payload, box_size=box_size, image_factory=SvgPathFillImage).make_image()
    if image.path is not None:
        # qrcode names the path id="qr-path"; two codes on one page would share an id.
        image.path.attrib.pop("id", None)
    return image.to_string(encoding="unicode")


def qr_matrix(payload: str, *, border: int = 4) -> list[list[bool]]:
    """The QR code for payload as rows of modules, True = dark, for printers that draw it themselves.

    The same symbol as qr_svg (error correction M), including a quiet zone of
    `border` light modules on each side (4 is the minimum the QR standard asks
    for; pass 0 if the printer adds its own margin). Raises VietQRError for an
    empty payload or a negative border.
    """
    if isinstance(border, bool) or not isinstance(border, int) or border < 0:
        raise VietQRError("Lề mã QR phải là số nguyên không âm", field="border")
    return [[bool(m) for m in row] for row in _qr(payload, border=border).get_matrix()]

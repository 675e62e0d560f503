"""Test helpers: an ESC/POS stream reader with its own code page tables, and sample receipts.

The reader is deliberately independent of pos.printing: it knows the standard
TCVN-3 (VN3) tables and Windows-1258 by itself and follows the ESC t selections
in the byte stream, the way a printer would. If the printing code used a wrong
byte or forgot a code page switch, the decoded text would differ.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timezone

from pos.printing import ReceiptData, ReceiptLine, ReceiptPayment

# Every Vietnamese letter with a diacritic, written out: 66 vowel forms and đ in
# lower case, the same in upper case (134 letters in all).
LOWER_LETTERS = [
    "à", "á", "ả", "ã", "ạ",
    "ă", "ằ", "ắ", "ẳ", "ẵ", "ặ",
    "â", "ầ", "ấ", "ẩ", "ẫ", "ậ",
    "è", "é", "ẻ", "ẽ", "ẹ",
    "ê", "ề", "ế", "ể", "ễ", "ệ",
    "ì", "í", "ỉ", "ĩ", "ị",
    "ò", "ó", "ỏ", "õ", "ọ",
    "ô", "ồ", "ố", "ổ", "ỗ", "ộ",
    "ơ", "ờ", "ớ", "ở", "ỡ", "ợ",
    "ù", "ú", "ủ", "ũ", "ụ",
    "ư", "ừ", "ứ", "ử", "ữ", "ự",
    "ỳ", "ý", "ỷ", "ỹ", "ỵ",
    "đ",
]
UPPER_LETTERS = [
    "À", "Á", "Ả", "Ã", "Ạ",
    "Ă", "Ằ", "Ắ", "Ẳ", "Ẵ", "Ặ",
    "Â", "Ầ", "Ấ", "Ẩ", "Ẫ", "Ậ",
    "È", "É", "Ẻ", "Ẽ", "Ẹ",
    "Ê", "Ề", "Ế", "Ể", "Ễ", "Ệ",
    "Ì", "Í", "Ỉ", "Ĩ", "Ị",
    "Ò", "Ó", "Ỏ", "Õ", "Ọ",
    "Ô", "Ồ", "Ố", "Ổ", "Ỗ", "Ộ",
    "Ơ", "Ờ", "Ớ", "Ở", "Ỡ", "Ợ",
    "Ù", "Ú", "Ủ", "Ũ", "Ụ",
    "Ư", "Ừ", "Ứ", "Ử", "Ữ", "Ự",
    "Ỳ", "Ý", "Ỷ", "Ỹ", "Ỵ",
    "Đ",
]
ALL_LETTERS = LOWER_LETTERS + UPPER_LETTERS

# TCVN 5712:1993 VN3, bytes 0xA0-0xFF of the lower-case font, one string per row
# of 16; "·" marks a byte with no letter.
_VN3_ROWS = [
    "·ĂÂÊÔƠƯĐăâêôơưđ·",  # A0
    "·····àảãáạ·ằẳẵắ·",  # B0
    "······ặầẩẫấậè·ẻẽ",  # C0
    "éẹềểễếệìỉ···ĩíịò",  # D0
    "·ỏõóọồổỗốộờởỡớợù",  # E0
    "·ủũúụừửữứựỳỷỹýỵ·",  # F0
]
# The capital font holds the capitals at the bytes of the lower-case letters.
TCVN3_LOWER_TABLE = {0xA0 + 16 * r + c: ch for r, row in enumerate(_VN3_ROWS) for c, ch in enumerate(row) if ch != "·"}
TCVN3_UPPER_TABLE = {byte: ch.upper() for byte, ch in TCVN3_LOWER_TABLE.items()}

ESC, GS, FS = 0x1B, 0x1D, 0x1C
_ESC_ARGS = {ord("@"): 0, ord("t"): 1, ord("!"): 1, ord("E"): 1, ord("a"): 1, ord("d"): 1, ord("-"): 1,
             ord("M"): 1, ord("p"): 3, ord("2"): 0, ord("3"): 1, ord("G"): 1}


@dataclass
class Stream:
    """What a printer would make of a byte stream."""

    text: str = ""
    commands: list = field(default_factory=list)  # (name, argument bytes)
    rasters: list = field(default_factory=list)  # (bytes per row, rows, bitmap)
    qr_payloads: list = field(default_factory=list)
    selected_pages: list = field(default_factory=list)
    # Per printed line, the bytes the print head advances on (every byte of text, tone bytes included).
    line_columns: list = field(default_factory=list)

    def names(self) -> list[str]:
        return [name for name, _ in self.commands]

    def lines(self) -> list[str]:
        return self.text.split("\n")


def read_stream(data: bytes, pages: dict[int, str] | None = None) -> Stream:
    """Decode data as an ESC/POS printer would, following ESC t n.

    pages maps a slot n to "tcvn3_lower", "tcvn3_upper" or "cp1258"; a byte of 0x80
    or more with no page selected, or with no letter in the page, fails the test.
    CP1258 text is NFC-normalised after decoding (it carries tones as combining marks).
    """
    pages = pages or {}
    out = Stream()
    chars: list[str] = []
    page = None
    column = 0
    i = 0
    while i < len(data):
        b = data[i]
        if b == 0x0A:
            out.line_columns.append(column)
            column = 0
        elif b >= 0x20 and b not in (ESC, GS, FS) and not (b == 0x10 and data[i + 1:i + 2] == b"\x04"):
            column += 1  # a text byte (a command's own bytes are skipped below, never counted)
        if b == ESC:
            cmd = data[i + 1]
            if cmd not in _ESC_ARGS:
                raise AssertionError(f"unknown command ESC {cmd:#x} at byte {i}")
            args = data[i + 2:i + 2 + _ESC_ARGS[cmd]]
            out.commands.append(("ESC " + chr(cmd), args))
            if cmd == ord("t"):
                page = args[0]
                out.selected_pages.append(page)
            elif cmd == ord("@"):
                page = None
            i += 2 + _ESC_ARGS[cmd]
        elif b == GS:
            cmd = data[i + 1]
            if cmd == ord("!"):
                out.commands.append(("GS !", data[i + 2:i + 3]))
                i += 3
            elif cmd == ord("V"):
                m = data[i + 2]
                size = 3 if m in (0, 1, 48, 49) else 4
                out.commands.append(("GS V", data[i + 2:i + size]))
                i += size
            elif cmd == ord("v"):
                assert data[i + 2] == ord("0"), "only GS v 0 is expected"
                width = data[i + 4] + 256 * data[i + 5]
                height = data[i + 6] + 256 * data[i + 7]
                bitmap = data[i + 8:i + 8 + width * height]
                assert len(bitmap) == width * height, "raster data cut short"
                out.commands.append(("GS v 0", data[i + 3:i + 8]))
                out.rasters.append((width, height, bitmap))
                i += 8 + width * height
            elif cmd == ord("("):
                kind = data[i + 2]
                length = data[i + 3] + 256 * data[i + 4]
                body = data[i + 5:i + 5 + length]
                out.commands.append((f"GS ( {chr(kind)}", body))
                # QR: cn = '1', fn = 'P' (store data), m = '0', then the payload.
                if kind == ord("k") and body[:2] == b"1P":
                    out.qr_payloads.append(body[3:])
                i += 5 + length
            else:
                raise AssertionError(f"unknown command GS {cmd:#x} at byte {i}")
        elif b == 0x10 and data[i + 1] == 0x04:  # DLE EOT n: a real-time status query, prints nothing
            out.commands.append(("DLE EOT", data[i + 2:i + 3]))
            i += 3
        elif b == FS:
            out.commands.append(("FS " + chr(data[i + 1]), b""))
            i += 2
        elif b == 0x0A or 0x20 <= b < 0x80:
            chars.append(chr(b))
            i += 1
        else:
            chars.append(_decode_byte(b, page, pages, i))
            i += 1
    text = "".join(chars)
    if "cp1258" in pages.values():
        text = unicodedata.normalize("NFC", text)
    out.text = text
    return out


def _decode_byte(b: int, page, pages: dict[int, str], at: int) -> str:
    table = pages.get(page)
    if table is None:
        raise AssertionError(f"byte {b:#x} at {at} sent with no known code page selected (page {page})")
    if table == "cp1258":
        return bytes([b]).decode("cp1258")
    letters = TCVN3_LOWER_TABLE if table == "tcvn3_lower" else TCVN3_UPPER_TABLE
    if b not in letters:
        raise AssertionError(f"byte {b:#x} at {at} has no letter in {table}")
    return letters[b]


def raster_rows(stream: Stream) -> tuple[int, bytes]:
    """(bytes per row, all raster rows one after the other) of the GS v 0 images in a stream."""
    widths = {width for width, _, _ in stream.rasters}
    assert len(widths) == 1, f"rasters of different widths: {widths}"
    return widths.pop(), b"".join(bitmap for _, _, bitmap in stream.rasters)


def make_receipt(**overrides) -> ReceiptData:
    """A sale of three lines at the Quảng Ninh fair, paid in cash and by transfer; fields overridable."""
    lines = [
        ReceiptLine("Mật ong rừng Bình Liêu", 2, 120_000, 240_000, ocop_stars=3),
        ReceiptLine("Miến dong Bình Liêu 500g", 1, 65_000, 60_000, line_discount_vnd=5_000, ocop_stars=4),
        ReceiptLine("Trà hoa vàng Ba Chẽ", 1, 250_000, 250_000),
    ]
    values = dict(
        fair_name="Hội chợ OCOP Quảng Ninh – Xuân 2020",
        booth_name="Gian hàng B07 – Bình Liêu",
        receipt_no="X20-B07-T1-000123",
        created_at=datetime(2020, 1, 18, 7, 35, tzinfo=timezone.utc),  # 14:35 in Vietnam
        till_name="Quầy 1",
        cashier_name="Nguyễn Thị Lan",
        lines=lines,
        order_discount_vnd=10_000,
        total_vnd=540_000,
        payments=[
            ReceiptPayment("Tiền mặt", 300_000, tendered_vnd=500_000, change_vnd=200_000),
            ReceiptPayment("Chuyển khoản", 240_000, reference="FT20018123456"),
        ],
        footer="Cảm ơn quý khách!",
    )
    values.update(overrides)
    return ReceiptData(**values)

"""The slip is complete: the booth's header, the stamp code under its line, and text lines that fit
the paper counting every byte the printer advances on (in CP1258 a tone mark is a byte of its own)."""
import pytest

from pos.printing import PrinterSettings, build_receipt, slip_to_bytes
from pos.printing.receipt import ReceiptLine
from tests.unit.printing.support import make_receipt, read_stream

# Names heavy with tone marks: in CP1258 "Nước mắm" is 8 letters but 10 bytes.
LONG_LINES = [
    ReceiptLine("Nước mắm truyền thống Cái Rồng Vân Đồn hạng đặc biệt 500ml", 1, 185_000, 185_000, ocop_stars=4,
                stamp_code="QN-NM-0042"),
    ReceiptLine("Miến dong Bình Liêu 500g", 3, 60_000, 180_000, ocop_stars=4, stamp_code="BL-MD-500"),
    ReceiptLine("Trà hoa vàng Ba Chẽ hộp quà Tết được ưa chuộng nhất", 1, 450_000, 450_000),
]
HEADER = dict(organisation="HTX Thảo mộc Tuệ Lâm", address="Thôn Khe Mò, xã Đồng Văn, huyện Bình Liêu, Quảng Ninh",
              phone="0203 3878 123", tax_code="5701234567")
PAGES = {"tcvn3": {30: "tcvn3_lower", 31: "tcvn3_upper"}, "cp1258": {52: "cp1258"}, "ascii": {}}


def printed(codepage, paper_mm):
    """The slip's bytes decoded; codepage "ascii" is the ascii mode (no diacritics)."""
    mode = "ascii" if codepage == "ascii" else "codepage"
    settings = PrinterSettings(url="none", mode=mode, codepage="tcvn3" if mode == "ascii" else codepage,
                               paper_mm=paper_mm)
    data = make_receipt(lines=LONG_LINES, total_vnd=805_000, order_discount_vnd=10_000, **HEADER)
    return settings, read_stream(slip_to_bytes(build_receipt(data), settings), PAGES[codepage])


@pytest.mark.parametrize("codepage", ["cp1258", "tcvn3", "ascii"])
@pytest.mark.parametrize("paper_mm", [58, 80])
def test_every_printed_line_fits_the_paper_counting_each_byte(codepage, paper_mm):
    settings, stream = printed(codepage, paper_mm)
    assert stream.line_columns, "no text line was printed"
    too_wide = [(n, text) for n, text in zip(stream.line_columns, stream.lines()) if n > settings.columns]
    assert not too_wide, f"wider than {settings.columns} columns: {too_wide}"


def test_in_cp1258_a_line_is_broken_by_its_bytes_not_its_letters():
    settings, stream = printed("cp1258", 80)
    widths = dict(zip(stream.lines(), stream.line_columns))
    # Letters alone would say this header line fits in 48; its tone bytes make it wider, so it wraps.
    assert any(len(line.strip()) < n for line, n in widths.items() if "Đồng Văn" in line)
    assert max(stream.line_columns) <= 48


@pytest.mark.parametrize("codepage", ["cp1258", "tcvn3"])
def test_the_slip_carries_the_booth_header_and_each_stamp_code_under_its_line(codepage):
    _, stream = printed(codepage, 80)
    lines = [line.strip() for line in stream.lines()]
    text = "\n".join(lines)
    assert "HTX Thảo mộc Tuệ Lâm" in lines and "ĐT: 0203 3878 123" in lines and "MST: 5701234567" in lines
    assert HEADER["address"] in " ".join(lines)  # wrapped over two lines, whole
    number = next(i for i, line in enumerate(lines) if line.startswith("Số phiếu:"))
    assert lines.index("HTX Thảo mộc Tuệ Lâm") < lines.index("MST: 5701234567") < number  # a header, above the number
    mien = next(i for i, line in enumerate(lines) if line.startswith("Miến dong Bình Liêu 500g"))
    assert lines[mien + 2] == "Tem: BL-MD-500"  # under its line ("3 x 60.000 ₫ ... 180.000 ₫" between)
    assert text.count("Tem: ") == 2  # the tea has no stamp scanned: no stamp line


def test_a_booth_without_header_settings_prints_no_empty_header_lines():
    settings = PrinterSettings(url="none", mode="codepage", codepage="tcvn3", paper_mm=80)
    stream = read_stream(slip_to_bytes(build_receipt(make_receipt()), settings), PAGES["tcvn3"])
    assert "ĐT:" not in stream.text and "MST:" not in stream.text


def test_in_ascii_mode_the_header_and_stamp_come_out_without_diacritics():
    _, stream = printed("ascii", 58)
    lines = [line.strip() for line in stream.lines()]
    assert "HTX Thao moc Tue Lam" in lines and "MST: 5701234567" in lines and "Tem: BL-MD-500" in lines

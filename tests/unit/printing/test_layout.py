"""The layout engine: widths, wrapping and alignment at 32 and 48 columns."""
from __future__ import annotations

import pytest

from pos.printing import PrinterSettings, Slip, build_receipt, lay_out, preview_text, render_image, slip_to_bytes
from pos.printing.charsets import display_width
from pos.printing.layout import Item, Row, Text, Title, lay_out_lines, wrap

from .support import make_receipt
from pos.printing.receipt import ReceiptLine

LONG_NAME = ("Mật ong rừng nguyên chất Bình Liêu thu hoạch vụ xuân từ những cánh rừng già "
             "trên núi cao biên giới Việt – Trung, đóng chai thủy tinh 500ml có tem truy xuất "
             "nguồn gốc, sản phẩm OCOP cấp tỉnh Quảng Ninh năm 2019 đạt hạng ba sao")[:200]
TEXT_MODES = [
    {"mode": "codepage", "codepage": "tcvn3"},
    {"mode": "codepage", "codepage": "cp1258"},
    {"mode": "ascii"},
    {"mode": "image"},
]


def test_the_long_name_used_here_is_200_characters():
    assert len(LONG_NAME) == 200


@pytest.mark.parametrize("columns", [32, 48])
def test_columns_align_exactly_at_32_and_48_characters(columns):
    slip = Slip().row("Tiền mặt", "120.000 ₫").row("TỔNG CỘNG", "99.999.999 ₫", bold=True)
    slip.item("Mật ong", 2, "120.000 ₫", "240.000 ₫")
    lines = lay_out(slip, columns)
    assert lines == [
        "Tiền mặt" + " " * (columns - 8 - 9) + "120.000 ₫",
        "TỔNG CỘNG" + " " * (columns - 9 - 12) + "99.999.999 ₫",
        "Mật ong",
        "2 x 120.000 ₫" + " " * (columns - 13 - 9) + "240.000 ₫",
    ]
    assert all(display_width(line) == columns for line in lines if "₫" in line)


def test_widths_count_characters_of_the_nfc_string():
    decomposed = "Tie\u0302\u0300n"  # "Tiền" typed with combining marks
    assert display_width(decomposed) == 4
    assert lay_out(Slip().row(decomposed, "1 ₫"), 10) == ["Tiền" + " " * 3 + "1 ₫"]


@pytest.mark.parametrize("columns", [32, 48])
def test_receipt_amounts_end_in_the_last_column(columns):
    lines = lay_out(build_receipt(make_receipt()), columns)
    amounts = [line for line in lines if line.endswith("₫")]
    assert len(amounts) >= 8
    assert all(display_width(line) == columns for line in amounts)


def test_centred_and_right_aligned_text():
    lines = lay_out(Slip().title("PHIẾU").text("ab", align="right").text("ab", align="center"), 10)
    assert lines == ["  PHIẾU", "        ab", "    ab"]


def test_separator_fills_the_width_and_blank_is_empty():
    assert lay_out(Slip().separator().blank().separator("="), 32) == ["-" * 32, "", "=" * 32]


def test_qr_shows_as_a_marker_and_cut_adds_no_line():
    assert lay_out(Slip().qr("payload").cut(), 12) == ["    [QR]"]


def test_wrapping_keeps_words_whole_and_breaks_only_overlong_words():
    assert wrap("Mật ong rừng Bình Liêu", 10) == ["Mật ong", "rừng Bình", "Liêu"]
    assert wrap("X" * 25, 10) == ["X" * 10, "X" * 10, "X" * 5]
    assert wrap("", 10) == [""]
    assert wrap("dòng một\ndòng hai", 32) == ["dòng một", "dòng hai"]


def test_a_no_break_space_keeps_an_amount_whole():
    assert wrap("Giá 1.200.000\u00a0₫", 14) == ["Giá", "1.200.000\u00a0₫"]


def test_leading_spaces_indent_every_wrapped_line():
    assert wrap("  Mã giao dịch FT20018123456", 16) == ["  Mã giao dịch", "  FT20018123456"]


def test_a_row_too_long_for_one_line_wraps_its_label_beside_the_amount():
    lines = lay_out(Slip().row("Giảm giá đơn hàng nhân dịp Tết Canh Tý", "-10.000 ₫"), 32)
    assert lines[-1].endswith("-10.000 ₫") and display_width(lines[-1]) == 32
    assert all(display_width(line) <= 32 for line in lines)


def test_a_row_whose_right_part_is_wide_puts_it_on_its_own_line_flush_right():
    lines = lay_out(Slip().row("Thu ngân", "Nguyễn Thị Thanh Hương Giang Lan"), 32)
    assert lines == ["Thu ngân", "Nguyễn Thị Thanh Hương Giang Lan"]
    lines = lay_out(Slip().row("1 x 99.999.999 VND", "99.999.999 VND"), 32)
    assert lines == ["1 x 99.999.999 VND", " " * 18 + "99.999.999 VND"]


@pytest.mark.parametrize("columns", [32, 48])
@pytest.mark.parametrize("options", TEXT_MODES)
def test_a_200_character_name_an_emoji_and_99_999_999_dong_stay_within_the_paper(columns, options):
    lines = [
        ReceiptLine(LONG_NAME, 1, 99_999_999, 99_999_999, ocop_stars=5),
        ReceiptLine("Bánh gai 🍘🎉 Tiên Yên", 999, 99_999_999, 99_899_999_001, line_discount_vnd=99_999, ocop_stars=3),
    ]
    data = make_receipt(lines=lines, total_vnd=99_999_999, order_discount_vnd=99_999_999,
                        buyer_name=LONG_NAME, buyer_tax_code="0101234567-001", footer=LONG_NAME)
    slip = build_receipt(data)
    paper = 58 if columns == 32 else 80
    config = PrinterSettings(paper_mm=paper, **options)
    printed = preview_text(slip, config)
    assert all(display_width(line) <= columns for line in printed)
    assert any("99.999.999" in line for line in printed)
    assert slip_to_bytes(slip, config)
    assert render_image(slip, config).width == config.dots


def test_odd_text_never_raises_in_any_mode():
    slip = Slip().title("").text("\t\x00\x07 tab và ký tự điều khiển\r\n").row("", "").row("", "x" * 300)
    slip.text("שלום مرحبا 你好 👨‍👩‍👧 e\u0301\u0323 ǅ ﬁ", align="nowhere").item("", 0, "", "").separator("")
    slip.add(Row("a" * 500, "b" * 500)).add(Text("\n\n\n")).add(Title("Đ" * 100))
    for options in TEXT_MODES:
        for paper in (58, 80):
            config = PrinterSettings(paper_mm=paper, **options)
            assert slip_to_bytes(slip, config)
            assert all(display_width(line) <= config.columns for line in preview_text(slip, config))


def test_lay_out_lines_measures_with_any_unit():
    # The image renderer lays out in dots with the same engine: here 10 "dots" per character.
    lines = lay_out_lines(Slip().add(Item("Mật ong", 2, "1 ₫", "2 ₫")), 200, lambda text, style: 10 * len(text), 10)
    assert [(line.left, line.right) for line in lines] == [("Mật ong", ""), ("2 x 1 ₫", "2 ₫")]

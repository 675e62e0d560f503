"""Code page mode, judged by the bytes the printer receives, decoded by an independent reader."""
from __future__ import annotations

import pytest

from pos.printing import PrinterSettings, Slip, build_receipt, preview_text, slip_to_bytes
from pos.printing.charsets import VIETNAMESE_LETTERS

from .support import ALL_LETTERS, LOWER_LETTERS, UPPER_LETTERS, make_receipt, read_stream

TCVN3_PAGES = {30: "tcvn3_lower", 31: "tcvn3_upper"}
CP1258_PAGES = {52: "cp1258"}


def letters_slip() -> Slip:
    """Every letter on its own, in words, mixed with ASCII, and in a two-column row."""
    slip = Slip().title("TỔNG CỘNG ĐƠN")
    slip.text(" ".join(LOWER_LETTERS))
    slip.text(" ".join(UPPER_LETTERS))
    slip.text("".join(ALL_LETTERS))
    slip.text("Đặc sản ĐÔNG TRIỀU: Mật ong, RƯỢU ba kích, ĐĐđđ, aĐbđ")
    slip.row("Tiền thừa", "120.000 ₫")
    return slip


def settings(**kwargs) -> PrinterSettings:
    return PrinterSettings(mode="codepage", paper_mm=58, **kwargs)


def test_the_written_letter_list_has_all_134_letters_and_matches_the_module():
    assert len(ALL_LETTERS) == len(set(ALL_LETTERS)) == 134
    assert "".join(ALL_LETTERS) == VIETNAMESE_LETTERS


@pytest.mark.parametrize("codepage, pages", [("tcvn3", TCVN3_PAGES), ("cp1258", CP1258_PAGES)])
def test_codepage_mode_decodes_every_vietnamese_letter_back(codepage, pages):
    slip = letters_slip()
    config = settings(codepage=codepage)
    stream = read_stream(slip_to_bytes(slip, config), pages)
    printed = stream.text
    for letter in ALL_LETTERS:
        assert letter in printed, f"{letter!r} did not come out of {codepage}"
    # Line by line, the paper says exactly what the preview says.
    printed_lines = [line for line in stream.lines() if line.strip()]
    assert printed_lines == [line for line in preview_text(slip, config) if line.strip()]


@pytest.mark.parametrize("codepage, pages", [("tcvn3", TCVN3_PAGES), ("cp1258", CP1258_PAGES)])
def test_capital_d_with_stroke_comes_out_as_vietnamese_d_not_icelandic_eth(codepage, pages):
    stream = read_stream(slip_to_bytes(Slip().text("ĐÔNG TRIỀU Đ đ"), settings(codepage=codepage)), pages)
    assert "ĐÔNG TRIỀU Đ đ" in stream.text
    assert "\u00d0" not in stream.text


@pytest.mark.parametrize("codepage, pages", [("tcvn3", TCVN3_PAGES), ("cp1258", CP1258_PAGES)])
def test_a_whole_receipt_decodes_to_its_preview(codepage, pages):
    slip = build_receipt(make_receipt())
    config = settings(codepage=codepage)
    stream = read_stream(slip_to_bytes(slip, config), pages)
    assert [line for line in stream.lines() if line.strip()] == [line for line in preview_text(slip, config) if line.strip()]
    assert "PHIẾU THANH TOÁN" in stream.text


def test_tcvn3_switches_to_the_capital_page_only_for_capitals_with_diacritics():
    stream = read_stream(slip_to_bytes(Slip().text("TỔNG CỘNG abc"), settings(codepage="tcvn3")), TCVN3_PAGES)
    # lower page at the start, capital page for Ổ (and stays for "NG CỘNG"), lower page again for "abc".
    assert stream.selected_pages == [30, 31, 30]


def test_tcvn3_prints_the_dong_sign_as_d_with_stroke():
    stream = read_stream(slip_to_bytes(Slip().row("TỔNG CỘNG", "120.000 ₫"), settings(codepage="tcvn3")), TCVN3_PAGES)
    assert "120.000 đ" in stream.text


def test_cp1258_prints_the_dong_sign_itself():
    stream = read_stream(slip_to_bytes(Slip().row("TỔNG CỘNG", "120.000 ₫"), settings(codepage="cp1258")), CP1258_PAGES)
    assert "120.000 ₫" in stream.text


def test_code_page_slot_numbers_come_from_the_settings():
    clone = settings(codepage="tcvn3", slot_tcvn3_lower=74, slot_tcvn3_upper=75)
    stream = read_stream(slip_to_bytes(Slip().text("Mật ong ĐẶC SẢN"), clone), {74: "tcvn3_lower", 75: "tcvn3_upper"})
    assert "Mật ong ĐẶC SẢN" in stream.text
    assert set(stream.selected_pages) == {74, 75}

    clone = settings(codepage="cp1258", slot_cp1258=94)
    stream = read_stream(slip_to_bytes(Slip().text("Mật ong ĐẶC SẢN"), clone), {94: "cp1258"})
    assert "Mật ong ĐẶC SẢN" in stream.text
    assert stream.selected_pages == [94]


def test_chinese_mode_is_cancelled_first_when_the_settings_ask():
    stream = read_stream(slip_to_bytes(Slip().text("Mật ong"), settings()), TCVN3_PAGES)
    assert stream.names()[:2] == ["ESC @", "FS ."]
    stream = read_stream(slip_to_bytes(Slip().text("Mật ong"), settings(cancel_chinese=False)), TCVN3_PAGES)
    assert "FS ." not in stream.names()


@pytest.mark.parametrize("codepage, pages", [("tcvn3", TCVN3_PAGES), ("cp1258", CP1258_PAGES)])
def test_emoji_and_chinese_become_question_marks_and_the_rest_prints(codepage, pages):
    stream = read_stream(slip_to_bytes(Slip().text("Mật ong 🍯 hảo hạng 蜂蜜 ❤️ xong"), settings(codepage=codepage)), pages)
    assert "Mật ong ? hảo hạng ?? ? xong" in stream.text


def test_ascii_mode_prints_plain_letters_only():
    slip = build_receipt(make_receipt())
    data = slip_to_bytes(slip, PrinterSettings(mode="ascii", paper_mm=58))
    stream = read_stream(data)  # any byte of 0x80 or more would fail here
    assert "PHIEU THANH TOAN" in stream.text
    assert "Mat ong rung Binh Lieu (OCOP 3*)" in stream.text
    assert "TONG CONG" in stream.text and "540.000 VND" in stream.text
    assert "ESC t" not in stream.names()


def test_text_modes_print_ocop_stars_as_a_number_and_a_star():
    for config in (settings(codepage="tcvn3"), settings(codepage="cp1258"), PrinterSettings(mode="ascii")):
        assert any("(OCOP 3*)" in line for line in preview_text(build_receipt(make_receipt()), config))


def test_titles_print_bold_and_double_height_in_text_modes():
    stream = read_stream(slip_to_bytes(Slip().title("PHIẾU").text("x"), settings()), TCVN3_PAGES)
    assert ("ESC !", b"\x10") in stream.commands  # double height
    assert ("ESC E", b"\x01") in stream.commands  # bold

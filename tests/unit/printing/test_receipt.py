"""What the receipt and the pre-bill say."""
from __future__ import annotations

from datetime import datetime, timezone

from pos.printing import PrinterSettings, build_prebill, build_receipt, build_test_page, lay_out, preview_text
from pos.printing.layout import QR, Cut, Title
from pos.printing.receipt import ReceiptPayment, item_name

from .support import ALL_LETTERS, make_receipt


def text_of(slip, columns=48) -> str:
    return "\n".join(lay_out(slip, columns))


def test_the_slip_is_a_payment_slip_never_a_tax_invoice():
    slip = build_receipt(make_receipt(buyer_name="Công ty TNHH Du lịch Bình Liêu", buyer_tax_code="5701234567"))
    assert slip.blocks[0] == Title("PHIẾU THANH TOÁN")
    for mode in ("image", "codepage", "ascii"):
        printed = "\n".join(preview_text(slip, PrinterSettings(mode=mode)))
        assert "HÓA ĐƠN" not in printed and "HOA DON" not in printed


def test_the_receipt_shows_the_sale_header():
    printed = text_of(build_receipt(make_receipt()))
    for expected in ("Hội chợ OCOP Quảng Ninh – Xuân 2020", "Gian hàng B07 – Bình Liêu", "X20-B07-T1-000123",
                     "Quầy: Quầy 1", "Thu ngân: Nguyễn Thị Lan"):
        assert expected in printed


def test_the_time_is_shown_in_vietnam_time_as_day_month_year_hour_minute():
    # 07:35 UTC is 14:35 in Vietnam.
    assert "18/01/2020 14:35" in text_of(build_receipt(make_receipt()))
    naive = make_receipt(created_at=datetime(2020, 1, 18, 9, 5))  # naive: already Vietnam wall time
    assert "18/01/2020 09:05" in text_of(build_receipt(naive))


def test_lines_show_stars_quantities_discounts_and_the_total():
    lines = lay_out(build_receipt(make_receipt()), 48)
    assert "Mật ong rừng Bình Liêu (OCOP ★★★)" in lines
    assert any(line.startswith("2 x 120.000 ₫") and line.endswith("240.000 ₫") for line in lines)
    assert any(line.startswith("1 x 65.000 ₫") and line.endswith("65.000 ₫") for line in lines)
    assert any(line.strip().startswith("Giảm giá") and line.endswith("-5.000 ₫") for line in lines)
    assert any(line.startswith("Cộng tiền hàng") and line.endswith("550.000 ₫") for line in lines)
    assert any(line.startswith("Giảm giá đơn hàng") and line.endswith("-10.000 ₫") for line in lines)
    assert any(line.startswith("TỔNG CỘNG") and line.endswith("540.000 ₫") for line in lines)


def test_cash_shows_tendered_and_change_and_a_transfer_shows_its_reference():
    lines = lay_out(build_receipt(make_receipt()), 48)
    assert any(line.startswith("Tiền mặt") and line.endswith("300.000 ₫") for line in lines)
    assert any(line.strip().startswith("Tiền khách đưa") and line.endswith("500.000 ₫") for line in lines)
    assert any(line.strip().startswith("Tiền thừa") and line.endswith("200.000 ₫") for line in lines)
    assert any(line.startswith("Chuyển khoản") and line.endswith("240.000 ₫") for line in lines)
    assert any("Mã giao dịch: FT20018123456" in line for line in lines)


def test_a_card_payment_prints_its_label_and_amount():
    data = make_receipt(payments=[ReceiptPayment("Thẻ", 540_000)])
    assert any(line.startswith("Thẻ") and line.endswith("540.000 ₫") for line in lay_out(build_receipt(data), 48))


def test_the_buyer_block_appears_only_when_a_vat_invoice_is_wanted():
    assert "Thông tin xuất hóa đơn VAT" not in text_of(build_receipt(make_receipt()))
    data = make_receipt(buyer_name="Công ty TNHH Du lịch Bình Liêu", buyer_tax_code="5701234567")
    printed = text_of(build_receipt(data), 80)
    assert "Thông tin xuất hóa đơn VAT: Công ty TNHH Du lịch Bình Liêu, MST 5701234567" in printed


def test_a_reprint_says_so_with_its_time_and_the_original_does_not():
    assert "BẢN IN LẠI" not in text_of(build_receipt(make_receipt()))
    reprint = make_receipt(reprinted_at=datetime(2020, 1, 19, 2, 0, tzinfo=timezone.utc))  # 09:00 in Vietnam
    assert "BẢN IN LẠI 19/01/2020 09:00" in text_of(build_receipt(reprint))


def test_the_footer_is_printed_centred():
    lines = lay_out(build_receipt(make_receipt(footer="Cảm ơn quý khách!\nHẹn gặp lại")), 32)
    assert "       Cảm ơn quý khách!" in lines and "          Hẹn gặp lại" in lines


def test_the_receipt_ends_with_a_cut():
    assert isinstance(build_receipt(make_receipt()).blocks[-1], Cut)


def test_ocop_stars_are_shown_only_for_ratings_of_one_to_five():
    line = make_receipt().lines[0]
    assert item_name(line) == "Mật ong rừng Bình Liêu (OCOP\u00a0★★★)"
    for stars in (None, 0, 6, -1):
        assert item_name(type(line)(line.name, 1, 1, 1, ocop_stars=stars)) == line.name


def test_the_prebill_carries_the_total_and_the_vietqr_payload_and_says_it_is_not_a_receipt():
    slip = build_prebill(make_receipt(), "000201010212...6304ABCD")
    assert slip.blocks[0] == Title("PHIẾU TẠM TÍNH")
    assert QR("000201010212...6304ABCD") in slip.blocks
    printed = text_of(slip, 80)
    assert "TỔNG CỘNG" in printed and "540.000 ₫" in printed
    assert "không phải phiếu thanh toán" in printed
    assert "PHIẾU THANH TOÁN" not in printed
    assert "Tiền khách đưa" not in printed  # nothing is paid yet


def test_a_prebill_without_payload_has_no_qr():
    assert not any(isinstance(block, QR) for block in build_prebill(make_receipt(), ""))


def test_the_test_page_holds_every_vietnamese_letter_and_the_dong_sign():
    printed = text_of(build_test_page(PrinterSettings()))
    for letter in ALL_LETTERS + ["₫"]:
        assert letter in printed

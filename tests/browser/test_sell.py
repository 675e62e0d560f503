"""The sell screen in a real browser, as a cashier uses it: a scanner typing codes and Enter,
searching without diacritics, cash and VietQR, a sale never doubled, parked carts, a phone."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser

MIEN_DONG = "8936123451011"  # Miến dong Bình Liêu 500g, 60.000 ₫, stamp BL-MD-500
QUE = "8936123450014"  # Tinh dầu quế Tuệ Lâm 10ml, 95.000 ₫
MAT_ONG = "8936123452018"  # Mật ong rừng Bình Liêu 500ml, 250.000 ₫


# The demo holds the fair's earlier sales too, so today's first receipt at T1 is not number 1.
RECEIPT_T1 = re.compile(r"^X20-B07-T1-\d{6}$")


def open_sell_screen(page, base_url, username="thungan", till="T1"):
    """Log in and open the sell screen, telling the server which till this browser is the first time."""
    log_in(page, base_url, username)
    page.goto(f"{base_url}/sell")
    if "/sell/till" in page.url:
        page.locator("button[name=till_id]", has_text=till).click()
    expect(page.locator("#scan")).to_be_focused()


def scan(page, code):
    """What a keyboard-wedge scanner does: type the code into the focused field, then Enter."""
    page.keyboard.type(code)
    page.keyboard.press("Enter")


def cart_line(page, name):
    return page.locator("#lines li.line", has_text=name)


def pay_cash_exactly(page):
    page.keyboard.press("F2")
    expect(page.locator("#pay-dialog")).to_be_visible()
    expect(page.locator("#tendered")).to_be_focused()
    page.keyboard.press("Control+Enter")  # Enter alone never confirms: a scanner sends it too
    expect(page.locator("#done-dialog")).to_be_visible()


def sales_today(page, base_url):
    response = page.request.get(f"{base_url}/api/v1/sales")
    assert response.ok, response.text()
    return response.json()["sales"]


def test_cashier_scans_codes_and_the_same_code_twice_makes_quantity_two(page, live_demo):
    open_sell_screen(page, live_demo)
    scan(page, MIEN_DONG)
    scan(page, MIEN_DONG)
    scan(page, MAT_ONG)

    mien = cart_line(page, "Miến dong Bình Liêu 500g")
    expect(mien.locator(".q-input")).to_have_value("2")
    expect(mien.locator(".l-total")).to_have_text("120.000 ₫")
    expect(page.locator("#lines li.line")).to_have_count(2)
    expect(page.locator("#t-total")).to_have_text("370.000 ₫")
    expect(page.locator("#scan")).to_be_focused()

    # A traceability stamp's code finds the product too, and is kept on the line.
    scan(page, "BL-MD-500")
    expect(mien.locator(".q-input")).to_have_value("3")
    expect(mien.locator(".l-stamp")).to_contain_text("BL-MD-500")

    # Keys on the line last touched: + and - change its quantity, Delete removes it.
    page.keyboard.press("+")
    expect(mien.locator(".q-input")).to_have_value("4")
    page.keyboard.press("-")
    page.keyboard.press("-")
    expect(mien.locator(".q-input")).to_have_value("2")
    mien.locator(".q-plus").click()
    expect(mien.locator(".q-input")).to_have_value("3")
    expect(page.locator("#scan")).to_be_focused()
    page.keyboard.press("Delete")
    expect(page.locator("#lines li.line")).to_have_count(1)


def test_an_unknown_code_is_said_loudly_and_adds_nothing(page, live_demo):
    open_sell_screen(page, live_demo)
    scan(page, QUE)
    expect(page.locator("#lines li.line")).to_have_count(1)

    scan(page, "8930000000000")
    message = page.locator("#scan-msg")
    expect(message).to_be_visible()
    expect(message).to_have_class(re.compile(r"\berror\b"))
    expect(message).to_contain_text("8930000000000")
    expect(page.locator("#lines li.line")).to_have_count(1)
    expect(page.locator("#t-total")).to_have_text("95.000 ₫")
    expect(page.locator("#scan")).to_be_focused()


def test_cashier_searches_mien_dong_without_diacritics_and_taps_the_result(page, live_demo):
    open_sell_screen(page, live_demo)
    page.locator("#search").fill("mien dong")
    tiles = page.locator("#tiles .tile")
    expect(tiles).to_have_count(2)
    expect(page.locator("#tiles-title")).to_contain_text("Kết quả tìm kiếm")
    tiles.filter(has_text="Miến dong Bình Liêu 500g").click()
    expect(cart_line(page, "Miến dong Bình Liêu 500g")).to_be_visible()
    expect(page.locator("#scan")).to_be_focused()

    # Words typed into the scan field and Enter search by name as well.
    scan(page, "mat ong rung")
    expect(tiles.filter(has_text="Mật ong rừng Bình Liêu 500ml")).to_be_visible()

    # Filter by producer.
    page.locator("#search").fill("")
    page.locator(".producers .chip", has_text="HTX Thảo mộc Tuệ Lâm").click()
    expect(page.locator("#tiles-title")).to_contain_text("HTX Thảo mộc Tuệ Lâm")
    expect(tiles.filter(has_text="Tinh dầu quế Tuệ Lâm 10ml")).to_be_visible()
    expect(tiles.filter(has_text="Miến dong")).to_have_count(0)


def test_cashier_sells_for_cash_with_the_200000_note_and_sees_the_change_and_receipt(page, live_demo):
    open_sell_screen(page, live_demo)
    scan(page, MIEN_DONG)
    scan(page, MIEN_DONG)
    expect(page.locator("#t-total")).to_have_text("120.000 ₫")

    page.get_by_role("button", name=re.compile("Tiền mặt")).first.click()
    dialog = page.locator("#pay-dialog")
    expect(dialog.locator("#pay-total")).to_have_text("120.000 ₫")
    dialog.get_by_role("button", name="+200.000").click()
    expect(dialog.locator("#tendered")).to_have_value("200.000")
    expect(dialog.locator("#change-label")).to_have_text("Tiền thừa trả khách")
    expect(dialog.locator("#change")).to_have_text("80.000 ₫")
    dialog.get_by_role("button", name=re.compile("Xác nhận thanh toán")).click()

    done = page.locator("#done-dialog")
    expect(done.locator("#done-receipt")).to_have_text(RECEIPT_T1)
    expect(done.locator("#done-change")).to_have_text("80.000 ₫")
    expect(done.locator("#done-link")).to_have_attribute("href", re.compile(r"/sell/sales/\d+$"))

    page.keyboard.press("Enter")  # the next customer
    expect(done).to_be_hidden()
    expect(page.locator("#lines li.line")).to_have_count(0)
    expect(page.locator("#t-total")).to_have_text("0 ₫")
    expect(page.locator("#scan")).to_be_focused()
    expect(page.locator("#last-sale")).to_contain_text(re.compile(r"X20-B07-T1-\d{6}"))

    [sale] = sales_today(page, live_demo)
    assert (sale["total_vnd"], sale["change_vnd"]) == (120_000, 80_000)
    assert sale["payments"][0]["tendered_vnd"] == 200_000


def test_cashier_sells_by_vietqr_and_gets_the_next_receipt_number(page, live_demo):
    open_sell_screen(page, live_demo)
    scan(page, MIEN_DONG)
    pay_cash_exactly(page)
    expect(page.locator("#done-receipt")).to_have_text(RECEIPT_T1)
    first = page.locator("#done-receipt").inner_text()
    following = f"X20-B07-T1-{int(first[-6:]) + 1:06d}"
    page.keyboard.press("Enter")

    scan(page, QUE)
    expect(page.locator("#t-total")).to_have_text("95.000 ₫")
    page.keyboard.press("F3")
    dialog = page.locator("#pay-dialog")
    expect(dialog.locator("#qr-svg svg")).to_be_visible()
    expect(dialog.locator("#qr-amount")).to_have_text("95.000 ₫")
    reference = dialog.locator("#qr-ref")
    expect(reference).to_have_text(re.compile(r"^[A-Z0-9]{6,25}$"))
    shown_reference = reference.inner_text()
    dialog.get_by_role("button", name=re.compile("Đã nhận tiền")).click()

    done = page.locator("#done-dialog")
    expect(done.locator("#done-receipt")).to_have_text(following)
    expect(done.locator("#done-change-box")).to_be_hidden()  # no cash, no change

    by_receipt = {s["receipt_no"]: s for s in sales_today(page, live_demo)}
    [payment] = by_receipt[following]["payments"]
    assert payment["method"] == "transfer" and payment["amount_vnd"] == 95_000
    assert payment["reference"] == shown_reference


def test_split_payment_part_transfer_rest_cash(page, live_demo):
    open_sell_screen(page, live_demo)
    scan(page, MAT_ONG)
    page.keyboard.press("F3")
    dialog = page.locator("#pay-dialog")
    expect(dialog.locator("#qr-svg svg")).to_be_visible()
    dialog.locator("#transfer-amount").fill("100.000")
    page.keyboard.press("Enter")  # a new QR for the amount typed
    expect(dialog.locator("#qr-amount")).to_have_text("100.000 ₫")
    page.keyboard.press("Control+Enter")  # the money arrived
    expect(dialog.locator("#pay-list")).to_contain_text("100.000 ₫")
    expect(dialog.locator("#pay-remaining")).to_have_text("150.000 ₫")
    dialog.get_by_role("button", name="+200.000").click()
    expect(dialog.locator("#change")).to_have_text("50.000 ₫")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#done-change")).to_have_text("50.000 ₫")
    [sale] = sales_today(page, live_demo)
    assert sorted((p["method"], p["amount_vnd"]) for p in sale["payments"]) == [("cash", 150_000), ("transfer", 100_000)]


def test_double_clicking_confirm_makes_exactly_one_sale(page, live_demo):
    open_sell_screen(page, live_demo)
    scan(page, QUE)
    page.keyboard.press("F2")
    page.locator("#pay-confirm").dblclick()
    expect(page.locator("#done-receipt")).to_have_text(RECEIPT_T1)
    assert len(sales_today(page, live_demo)) == 1


def test_a_sale_whose_answer_is_lost_is_retried_with_the_same_key_and_made_once(page, live_demo):
    open_sell_screen(page, live_demo)
    scan(page, MIEN_DONG)
    keys = []

    def lose_the_first_answer(route):
        keys.append(route.request.headers["idempotency-key"])
        if len(keys) == 1:
            route.fetch()  # the server writes the sale...
            route.abort("connectionreset")  # ...and the answer never reaches the till
        else:
            route.continue_()

    page.route("**/api/v1/sales", lose_the_first_answer)
    page.keyboard.press("F2")
    expect(page.locator("#tendered")).to_be_focused()
    page.keyboard.press("Control+Enter")
    error = page.locator("#pay-error")
    expect(error).to_contain_text("Thử lại")
    retry = page.locator("#pay-confirm")
    expect(retry).to_contain_text("Thử lại")

    # The cart cannot change until the sale is known.
    page.keyboard.press("Escape")
    expect(page.locator("#pending-banner")).to_be_visible()
    page.locator("#pending-banner").get_by_role("button", name="Thử lại").click()
    expect(page.locator("#done-receipt")).to_have_text(RECEIPT_T1)
    assert len(keys) == 2 and keys[0] == keys[1]
    assert len(sales_today(page, live_demo)) == 1


def test_cashier_parks_a_cart_sells_something_else_and_resumes_it(page, live_demo):
    open_sell_screen(page, live_demo)
    scan(page, MAT_ONG)
    scan(page, MAT_ONG)
    page.keyboard.press("F6")
    page.locator("#park-label").fill("chị áo đỏ")
    page.keyboard.press("Enter")
    expect(page.locator("#scan-msg")).to_contain_text("chị áo đỏ")
    expect(page.locator("#lines li.line")).to_have_count(0)
    expect(page.locator("#parked-count")).to_have_text("1")

    scan(page, QUE)
    pay_cash_exactly(page)
    expect(page.locator("#done-receipt")).to_have_text(RECEIPT_T1)
    page.keyboard.press("Enter")

    page.keyboard.press("F8")
    parked = page.locator("#parked-list li", has_text="chị áo đỏ")
    expect(parked).to_contain_text("500.000 ₫")
    parked.get_by_role("button", name="Lấy lại").click()
    expect(page.locator("#parked-dialog")).to_be_hidden()
    expect(cart_line(page, "Mật ong rừng Bình Liêu 500ml").locator(".q-input")).to_have_value("2")
    expect(page.locator("#parked-count")).to_be_hidden()
    pay_cash_exactly(page)
    expect(page.locator("#done-receipt")).to_have_text(RECEIPT_T1)
    assert len(sales_today(page, live_demo)) == 2


def test_a_discount_over_the_cashier_limit_needs_the_manager_pin(page, live_demo):
    open_sell_screen(page, live_demo)
    scan(page, MAT_ONG)
    page.locator("#order-disc-mode").select_option("pct")
    page.locator("#order-disc").fill("20")
    page.keyboard.press("Enter")
    expect(page.locator("#t-total")).to_have_text("200.000 ₫")
    expect(page.locator("#limit-hint")).to_be_visible()

    pay_dialog = page.locator("#pay-dialog")
    page.keyboard.press("F2")
    expect(pay_dialog).to_be_visible()
    expect(page.locator("#tendered")).to_be_focused()
    page.keyboard.press("Control+Enter")
    pin = page.locator("#pin-dialog")
    expect(pin.locator("#pin-msg")).to_contain_text("PIN")
    page.locator("#pin").fill("9999")
    page.keyboard.press("Enter")
    expect(pin.locator("#pin-msg")).to_contain_text("không đúng")
    page.locator("#pin").fill("1234")
    page.keyboard.press("Enter")
    expect(page.locator("#done-receipt")).to_have_text(RECEIPT_T1)
    [sale] = sales_today(page, live_demo)
    assert (sale["discount_vnd"], sale["total_vnd"]) == (50_000, 200_000)


def test_the_cart_survives_a_reload(page, live_demo):
    open_sell_screen(page, live_demo)
    scan(page, QUE)
    scan(page, QUE)
    expect(page.locator("#t-total")).to_have_text("190.000 ₫")
    page.reload()
    expect(cart_line(page, "Tinh dầu quế Tuệ Lâm 10ml").locator(".q-input")).to_have_value("2")
    expect(page.locator("#t-total")).to_have_text("190.000 ₫")


def test_a_sale_completes_on_a_phone_sized_screen(browser, live_demo):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN")
    phone = context.new_page()
    phone.set_default_timeout(10_000)
    try:
        open_sell_screen(phone, live_demo, till="T2")
        tiles = phone.locator("#tiles .tile")
        first, second, third = (tiles.nth(i).bounding_box() for i in range(3))
        assert first["y"] == second["y"] and third["y"] > first["y"]  # two tiles per row
        assert first["height"] >= 44 and first["width"] > 150  # big enough for a thumb

        tiles.filter(has_text="Tinh dầu quế Tuệ Lâm 10ml").click()
        tiles.filter(has_text="Tinh dầu quế Tuệ Lâm 10ml").click()
        paybar = phone.locator("#phone-paybar")
        expect(paybar).to_be_in_viewport()
        expect(paybar.locator("#pb-total")).to_have_text("190.000 ₫")
        paybar.get_by_role("button", name="Thanh toán").click()

        dialog = phone.locator("#pay-dialog")
        dialog.get_by_role("button", name="+200.000").click()
        expect(dialog.locator("#change")).to_have_text("10.000 ₫")
        confirm = dialog.get_by_role("button", name=re.compile("Xác nhận thanh toán"))
        expect(confirm).to_be_in_viewport()
        confirm.click()
        expect(phone.locator("#done-receipt")).to_have_text(re.compile(r"^X20-B07-T2-\d{6}$"))
        expect(phone.locator("#done-change")).to_have_text("10.000 ₫")
        phone.get_by_role("button", name=re.compile("Khách tiếp theo")).click()
        expect(paybar.locator("#pb-total")).to_have_text("0 ₫")
    finally:
        context.close()


def test_a_printer_that_is_off_is_shown_without_blocking_the_next_customer(page, live_demo):
    import socket

    with socket.socket() as s:  # a port nothing listens on: the receipt printer is "off"
        s.bind(("127.0.0.1", 0))
        dead_port = s.getsockname()[1]
    log_in(page, live_demo, "quanly")
    page.goto(f"{live_demo}/setup/printer")
    page.fill("input[name=url]", f"tcp://127.0.0.1:{dead_port}")
    page.fill("input[name=timeout]", "1")
    page.click("form.form-grid button.primary")
    expect(page.locator(".flash.success")).to_be_visible()
    page.click("text=Đăng xuất")

    open_sell_screen(page, live_demo)
    scan(page, "8936123451011")
    pay_cash_exactly(page)
    expect(page.locator("#done-receipt")).to_have_text(re.compile(r"X20-B07-T1-\d{6}"))
    expect(page.locator("#done-print")).to_contain_text("Máy in lỗi", timeout=20_000)
    page.keyboard.press("Enter")
    expect(page.locator("#print-alert")).to_be_visible()
    scan(page, "8936123450014")  # the next customer is served at once
    expect(cart_line(page, "Tinh dầu quế Tuệ Lâm 10ml")).to_be_visible()
    page.click("#print-alert")
    expect(page.locator("#print-jobs")).to_contain_text("127.0.0.1")

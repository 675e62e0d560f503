"""A keyboard-wedge scanner inside the payment dialogs: its digits and Enter never record a payment.

A scan while paying is handled as a scan: the item is added and the amount due (and the VietQR)
is redrawn. The sales are counted in the booth's database file itself, not through the API.
"""
import re
import sqlite3

import pytest
from playwright.sync_api import expect

from tests.browser.test_sell import MAT_ONG, MIEN_DONG, QUE, open_sell_screen, scan

pytestmark = pytest.mark.browser


def sales_in_db(tmp_path) -> int:
    with sqlite3.connect(tmp_path / "instance" / "demo.sqlite") as db:
        return db.execute("SELECT count(*) FROM sale").fetchone()[0]


def test_a_scan_into_the_cash_dialog_adds_the_item_and_records_no_sale(page, live_demo, tmp_path):
    before = sales_in_db(tmp_path)
    open_sell_screen(page, live_demo)
    scan(page, MIEN_DONG)
    page.keyboard.press("F2")
    dialog = page.locator("#pay-dialog")
    expect(page.locator("#tendered")).to_be_focused()
    expect(dialog.locator("#pay-total")).to_have_text("60.000 ₫")

    scan(page, QUE)  # the customer hands over one more bottle; the scanner's Enter follows the digits

    expect(dialog.locator("#pay-total")).to_have_text("155.000 ₫")
    expect(dialog.locator("#pay-scan-msg")).to_contain_text("Tinh dầu quế")
    expect(page.locator("#tendered")).to_have_value("")  # the code is not taken as the cash handed over
    expect(dialog).to_be_visible()
    expect(page.locator("#done-dialog")).to_be_hidden()
    page.wait_for_timeout(500)
    assert sales_in_db(tmp_path) == before

    page.keyboard.press("Enter")  # a plain Enter says how to confirm, and confirms nothing
    expect(dialog.locator("#pay-scan-msg")).to_contain_text("Ctrl+Enter")
    page.wait_for_timeout(300)
    assert sales_in_db(tmp_path) == before

    page.keyboard.press("Control+Enter")
    expect(page.locator("#done-total")).to_have_text("155.000 ₫")
    assert sales_in_db(tmp_path) == before + 1


def test_a_scan_into_the_transfer_dialog_redraws_the_qr_and_never_says_the_money_arrived(page, live_demo, tmp_path):
    before = sales_in_db(tmp_path)
    open_sell_screen(page, live_demo)
    scan(page, QUE)
    page.keyboard.press("F3")
    dialog = page.locator("#pay-dialog")
    expect(dialog.locator("#qr-amount")).to_have_text("95.000 ₫")
    expect(dialog.locator("#transfer-wait")).to_contain_text("Đang chờ tiền về")
    # Whatever has the focus, a scan must not press «Đã nhận tiền»: try it on the button itself too.
    # Each scan as a customer hands over one more pack: the next comes once the screen showed the last.
    for focus, total in (("#transfer-amount", "155.000 ₫"), ("#transfer-ok", "215.000 ₫")):
        page.locator(focus).focus()
        scan(page, MIEN_DONG)
        expect(dialog.locator("#pay-total")).to_have_text(total)
        expect(dialog.locator("#qr-amount")).to_have_text(total)
    expect(dialog.locator("#qr-amount")).to_have_text("215.000 ₫")  # the QR asks for the new amount
    expect(dialog.locator("#transfer-amount")).to_have_value("215.000")
    expect(dialog.locator("#pay-list")).to_be_empty()  # no transfer recorded as received
    page.wait_for_timeout(500)
    assert sales_in_db(tmp_path) == before
    expect(page.locator("#done-dialog")).to_be_hidden()

    dialog.get_by_role("button", name=re.compile("Đã nhận tiền")).click()  # the deliberate act
    expect(page.locator("#done-total")).to_have_text("215.000 ₫")
    assert sales_in_db(tmp_path) == before + 1


def test_a_scan_into_the_card_dialog_and_the_pin_dialog_records_no_sale(page, live_demo, tmp_path):
    before = sales_in_db(tmp_path)
    open_sell_screen(page, live_demo)
    scan(page, QUE)
    page.keyboard.press("F4")
    dialog = page.locator("#pay-dialog")
    expect(page.locator("#card-amount")).to_be_focused()
    scan(page, QUE)
    expect(dialog.locator("#pay-total")).to_have_text("190.000 ₫")
    expect(page.locator("#card-amount")).to_have_value("190.000")
    page.locator("#card-ok").focus()
    scan(page, QUE)
    expect(dialog.locator("#pay-total")).to_have_text("285.000 ₫")
    page.wait_for_timeout(500)
    assert sales_in_db(tmp_path) == before

    # A discount over the cashier's limit: the PIN dialog. A scan there is refused, not sent as a PIN.
    page.keyboard.press("Escape")
    scan(page, MAT_ONG)
    page.locator("#order-disc-mode").select_option("pct")
    page.locator("#order-disc").fill("20")
    page.keyboard.press("Enter")
    page.keyboard.press("F2")
    # As a cashier would: confirm once the dialog is open (its keys are only heard inside it).
    expect(page.locator("#tendered")).to_be_focused()
    page.keyboard.press("Control+Enter")
    pin = page.locator("#pin-dialog")
    expect(pin).to_be_visible()
    scan(page, MIEN_DONG)
    expect(pin.locator("#pin-msg")).to_contain_text(MIEN_DONG)
    expect(page.locator("#pin")).to_have_value("")
    page.wait_for_timeout(500)
    assert sales_in_db(tmp_path) == before

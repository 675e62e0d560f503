"""Two tills sell from one shelf: each sell screen knows what is on hand, and a scan beyond it is loud at once."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.browser.test_sell import QUE, cart_line, open_sell_screen, pay_cash_exactly, scan

pytestmark = pytest.mark.browser

QUE_NAME = "Tinh dầu quế Tuệ Lâm 10ml"


def count_shelf(page, base_url, barcode, qty):
    """The manager counts the shelf: this many left (an adjustment in the stock ledger)."""
    log_in(page, base_url, "quanly")
    page.goto(f"{base_url}/sell/till")
    token = page.locator("meta[name=csrf-token]").get_attribute("content")
    product = page.request.get(f"{base_url}/api/v1/products/by-code?code={barcode}").json()
    response = page.request.post(f"{base_url}/api/v1/stock/documents", headers={"X-CSRFToken": token},
                                 data={"kind": "count", "reason": "kiểm kệ", "lines": [{"product_id": product["id"], "qty": qty}]})
    assert response.status == 201, response.text()


def test_two_tills_see_the_shelf_empty_and_a_scan_beyond_it_is_refused_loudly(browser, live_demo):
    contexts = [browser.new_context(viewport={"width": 1280, "height": 800}, locale="vi-VN") for _ in range(3)]
    manager, till_1, till_2 = (c.new_page() for c in contexts)
    for p in (manager, till_1, till_2):
        p.set_default_timeout(10_000)
    try:
        count_shelf(manager, live_demo, QUE, 2)
        open_sell_screen(till_1, live_demo, "thungan", "T1")
        open_sell_screen(till_2, live_demo, "quanly", "T2")

        scan(till_1, QUE)  # till 1 has one bottle in its cart, not yet paid
        expect(cart_line(till_1, QUE_NAME).locator(".q-input")).to_have_value("1")

        scan(till_2, QUE)
        scan(till_2, QUE)
        scan(till_2, QUE)  # a third: the shelf holds two, refused at the scan, before paying
        msg = till_2.locator("#scan-msg")
        expect(msg).to_have_class("scan-msg error")
        expect(msg).to_contain_text("chỉ còn 2")
        expect(cart_line(till_2, QUE_NAME).locator(".q-input")).to_have_value("2")
        pay_cash_exactly(till_2)

        # Till 1 learns within seconds that the shelf is empty: its line turns red with the number left.
        line = cart_line(till_1, QUE_NAME)
        expect(line.locator(".l-warn")).to_have_text("Trong kho chỉ còn 0", timeout=8_000)
        expect(line).to_have_class(re.compile(r"\bshort\b"))
        expect(till_1.locator("#scan-msg")).to_contain_text("quầy khác vừa bán")
        scan(till_1, QUE)
        expect(till_1.locator("#scan-msg")).to_contain_text("chỉ còn 0")
        expect(till_1.locator("#scan-msg")).to_have_class("scan-msg error")
        expect(line.locator(".q-input")).to_have_value("1")  # nothing added
    finally:
        for c in contexts:
            c.close()


def test_where_the_booth_allows_negative_stock_a_scan_beyond_the_shelf_is_added_but_said_in_red(browser, live_demo,
                                                                                               tmp_path):
    import sqlite3

    with sqlite3.connect(tmp_path / "instance" / "demo.sqlite") as db:  # Cài đặt → Gian hàng: allow below zero
        db.execute("UPDATE booth SET allow_negative_stock = 1")
    contexts = [browser.new_context(viewport={"width": 1280, "height": 800}, locale="vi-VN") for _ in range(2)]
    manager, till = (c.new_page() for c in contexts)
    try:
        count_shelf(manager, live_demo, QUE, 1)
        open_sell_screen(till, live_demo, "thungan", "T1")
        scan(till, QUE)
        expect(till.locator("#scan-msg")).to_have_class("scan-msg ok")
        scan(till, QUE)
        msg = till.locator("#scan-msg")
        expect(msg).to_have_class("scan-msg error")
        expect(msg).to_contain_text("chỉ còn 1")
        line = cart_line(till, QUE_NAME)
        expect(line.locator(".q-input")).to_have_value("2")  # added: the booth records it and flags the sale
        expect(line.locator(".l-warn")).to_have_text("Trong kho chỉ còn 1")
    finally:
        for c in contexts:
            c.close()

"""The customer display follows a sale on a second page: first scan, the VietQR, the change, the thank-you."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_sell import MIEN_DONG, QUE, open_sell_screen, scan

pytestmark = pytest.mark.browser


def test_the_customer_display_follows_a_sale_from_the_first_scan_to_the_thank_you(browser, live_demo):
    contexts = [browser.new_context(viewport=size, locale="vi-VN")
                for size in ({"width": 1280, "height": 800}, {"width": 800, "height": 1280}, {"width": 1280, "height": 800})]
    till, display, other_till = (c.new_page() for c in contexts)
    for p in (till, display, other_till):
        p.set_default_timeout(10_000)
    try:
        open_sell_screen(till, live_demo, "thungan", "T1")
        open_sell_screen(other_till, live_demo, "quanly", "T2")

        # One step at the till: «Màn hình khách» shows the code; the tablet (not logged in) types it.
        till.click("#btn-display")
        code = till.locator("#display-code").inner_text().strip()
        assert re.fullmatch(r"\d{6}", code)
        till.keyboard.press("Escape")
        display.goto(f"{live_demo}/display")
        display.fill("input[name=code]", code)
        display.click("#pair-form button")
        expect(display.locator("#d-idle")).to_be_visible()
        expect(display.locator("#d-idle")).to_contain_text("Xin chào quý khách!")

        # The other till sells too: none of it reaches this display.
        scan(other_till, QUE)

        scan(till, MIEN_DONG)
        lines = display.locator("#d-lines li")
        expect(lines).to_have_count(1, timeout=1_500)  # within a second or so of the scan
        expect(lines.first).to_contain_text("Miến dong Bình Liêu 500g")
        expect(display.locator("#d-total")).to_have_text("60.000 ₫")
        scan(till, MIEN_DONG)
        expect(display.locator("#d-total")).to_have_text("120.000 ₫", timeout=1_500)
        expect(lines.first).to_contain_text("× 2")
        expect(display.locator("#d-lines")).not_to_contain_text("Tinh dầu quế")

        # Transfer chosen: the VietQR, large, for the exact amount.
        till.keyboard.press("F3")
        expect(till.locator("#qr-amount")).to_have_text("120.000 ₫")
        expect(display.locator("#d-transfer")).to_be_visible(timeout=1_500)
        expect(display.locator("#d-qr svg")).to_be_visible()
        assert display.locator("#d-qr").bounding_box()["width"] >= 400
        expect(display.locator("#d-qr-amount")).to_have_text("120.000 ₫")
        expect(display.locator("#d-qr-ref")).to_have_text(till.locator("#qr-ref").inner_text())

        # The customer pays cash instead: 200.000, the change, then the thank-you.
        till.keyboard.press("F2")
        expect(display.locator("#d-cart")).to_be_visible(timeout=1_500)
        till.locator("#pay-dialog").get_by_role("button", name="+200.000").click()
        till.keyboard.press("Control+Enter")
        expect(till.locator("#done-change")).to_have_text("80.000 ₫")
        expect(display.locator("#d-done")).to_be_visible(timeout=1_500)
        expect(display.locator("#d-done")).to_contain_text("Cảm ơn quý khách!")
        expect(display.locator("#d-change")).to_have_text("80.000 ₫")

        # The next customer: the display greets again.
        till.keyboard.press("Enter")
        expect(display.locator("#d-idle")).to_be_visible(timeout=1_500)
    finally:
        for c in contexts:
            c.close()

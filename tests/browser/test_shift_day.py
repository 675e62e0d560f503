"""A manager's shift in a real browser on the demo booth: sell, void with the PIN, count the cash, read the Z report."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser

MIEN_DONG = "8936123451011"  # Miến dong Bình Liêu 500g, 60.000 ₫


def test_sell_void_with_the_pin_then_close_the_shift_with_a_counted_difference(page, live_demo):
    log_in(page, live_demo, "quanly")
    page.goto(f"{live_demo}/sell")
    if "/sell/till" in page.url:
        page.locator("button[name=till_id]", has_text="T1").click()
    expect(page.locator("#scan")).to_be_focused()

    # Two sales paid in exact cash: 60.000 and 120.000.
    for qty in (1, 2):
        for _ in range(qty):
            page.keyboard.type(MIEN_DONG)
            page.keyboard.press("Enter")
        expect(page.locator("#t-total")).to_have_text(f"{60 * qty}.000 ₫")
        page.keyboard.press("F2")
        expect(page.locator("#tendered")).to_be_focused()
        page.keyboard.press("Control+Enter")
        expect(page.locator("#done-dialog")).to_be_visible()
        page.keyboard.press("Escape")
        page.goto(f"{live_demo}/sell")

    # The shift page lists both; void the first with the manager's PIN (a wrong one first).
    page.goto(f"{live_demo}/shifts")
    page.locator("#tills tr", has_text="T1").get_by_role("link").click()
    # The demo's earlier days were other shifts: today's shift lists only today's two sales.
    row = page.locator("#shift-sales tbody tr").last
    row.get_by_role("link", name="Hủy đơn").click()
    page.fill("input[name=reason]", "Khách đổi ý")
    page.fill("input[name=manager_pin]", "9999")
    page.locator("#void-form button.primary").click()
    expect(page.locator(".flash.error")).to_contain_text("Mã PIN của quản lý không đúng")
    page.fill("input[name=manager_pin]", "1234")
    page.locator("#void-form button.primary").click()
    expect(page.locator("#return-slip")).to_contain_text("PHIẾU HỦY ĐƠN")

    # Expected: float 1.000.000 + 60.000 + 120.000 − 60.000 voided = 1.120.000. Count 1.100.000.
    page.goto(f"{live_demo}/shifts")
    page.locator("#tills tr", has_text="T1").get_by_role("link").click()
    expect(page.locator("#expected-cash")).to_have_text("1.120.000 ₫")
    page.get_by_role("link", name=re.compile("Đóng ca")).click()
    page.fill("input[name=count-500000]", "2")
    page.fill("input[name=count-100000]", "1")
    page.locator("button[value=check]").click()
    expect(page.locator("#check")).to_contain_text("-20.000 ₫")
    page.locator("button[value=close]").click()

    expect(page.locator("#report")).to_contain_text("BÁO CÁO CHỐT CA (Z)")
    expect(page.locator("#counted-cash")).to_have_text("1.100.000 ₫")
    expect(page.locator("#difference")).to_have_text("-20.000 ₫")
    expect(page.locator("#report .signatures")).to_contain_text("Trưởng gian hàng")

    # The sell screen now sends this till to open a new shift first.
    page.goto(f"{live_demo}/sell")
    expect(page).to_have_url(re.compile(r"/shifts/tills/\d+$"))
    expect(page.locator("#open-shift")).to_be_visible()

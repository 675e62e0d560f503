"""Amounts typed on the sell screen follow the server's rule: a separator only splits groups of three
digits, so "1.5" tendered is refused on the screen, never sent as 15 đồng."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_sell import MIEN_DONG, open_sell_screen, sales_today, scan

pytestmark = pytest.mark.browser


def test_an_ambiguous_tendered_amount_is_refused_and_a_grouped_one_is_read(page, live_demo):
    open_sell_screen(page, live_demo)
    scan(page, MIEN_DONG)
    expect(page.locator("#t-total")).to_have_text("60.000 ₫")
    page.get_by_role("button", name=re.compile("Tiền mặt")).first.click()
    dialog = page.locator("#pay-dialog")
    for typed in ("100.000,00", "1.5", "60.00"):
        dialog.locator("#tendered").fill(typed)
        expect(dialog.locator("#change-label")).to_have_text("Số tiền không hợp lệ.")
    dialog.get_by_role("button", name=re.compile("Xác nhận thanh toán")).click()
    expect(dialog.locator("#pay-error")).to_contain_text("Số tiền không hợp lệ.")
    assert sales_today(page, live_demo) == []

    dialog.locator("#tendered").fill("100,000")
    expect(dialog.locator("#change")).to_have_text("40.000 ₫")
    dialog.get_by_role("button", name=re.compile("Xác nhận thanh toán")).click()
    expect(page.locator("#done-dialog #done-change")).to_have_text("40.000 ₫")
    [sale] = sales_today(page, live_demo)
    assert sale["payments"][0]["tendered_vnd"] == 100_000

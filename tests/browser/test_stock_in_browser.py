"""The demo booth in a real browser: a manager logs in, sees the catalogue and receives goods."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def test_manager_logs_in_sees_the_catalogue_and_receives_goods(page, live_demo):
    log_in(page, live_demo, "quanly")
    expect(page.locator("h1")).to_have_text("Tồn kho theo chủ thể")
    tuelam = page.locator("section.producer-stock", has_text="HTX Thảo mộc Tuệ Lâm")
    row = tuelam.locator("tr", has_text="Tinh dầu quế Tuệ Lâm 10ml")
    expect(row.locator(".on-hand")).to_contain_text("40")

    page.click("text=Nhập hàng")
    page.select_option("select[name=producer_id]", label="HTX Thảo mộc Tuệ Lâm")
    page.get_by_label("Tinh dầu quế Tuệ Lâm 10ml").fill("12")
    page.click("text=Ghi phiếu")
    expect(page.locator(".paper-title")).to_have_text("PHIẾU NHẬP HÀNG")
    expect(page.locator(".paper")).to_contain_text("Đại diện chủ thể")

    page.goto(f"{live_demo}/stock")
    expect(row.locator(".on-hand")).to_contain_text("52")


def test_products_page_finds_mien_dong_typed_without_diacritics(page, live_demo):
    log_in(page, live_demo, "thungan")
    page.goto(f"{live_demo}/products")
    page.fill("input[name=q]", "mien dong")
    page.keyboard.press("Enter")
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text(re.compile("Miến dong Bình Liêu"))

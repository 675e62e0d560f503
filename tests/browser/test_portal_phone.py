"""The producer portal on a phone (390 × 844, an iPhone 12-14): no page scrolls sideways, tables fit or
scroll in their own box, and chart text is at least 12 px. The demo's producer walks every page; the
booth manager first records a payment from a phone, so the payment slip is walked too."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}

# The page's width against the screen's, and the smallest chart text as drawn (font size × the SVG's scale).
MEASURE = """() => {
  const wide = document.scrollingElement.scrollWidth, screen = window.innerWidth;
  let smallest = null;
  for (const svg of document.querySelectorAll('svg.chart')) {
    const box = svg.getBoundingClientRect();
    if (!box.width || !svg.viewBox.baseVal || !svg.viewBox.baseVal.width) continue;  // hidden (the other size)
    const scale = box.width / svg.viewBox.baseVal.width;
    for (const t of svg.querySelectorAll('text')) {
      const px = parseFloat(getComputedStyle(t).fontSize) * scale;
      if (smallest === null || px < smallest) smallest = px;
    }
  }
  return {wide, screen, smallest};
}"""


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, locale="vi-VN", device_scale_factor=2, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def _fits(page, url, *, charts=False):
    page.goto(url)
    m = page.evaluate(MEASURE)
    assert m["wide"] <= m["screen"], (url, m)
    if charts:
        assert m["smallest"] is not None and m["smallest"] >= 12, (url, m)
    return m


def test_every_producer_page_fits_a_390_px_phone_with_readable_charts(phone, live_demo):
    # The booth manager pays the producer part of what is owed, from a phone.
    log_in(phone, live_demo, "quanly")
    _fits(phone, f"{live_demo}/reports/settlements")
    phone.locator("#settlements a", has_text="HTX Thảo mộc Tuệ Lâm").first.click()
    expect(phone.locator("#record-payment")).to_be_visible()
    phone.wait_for_load_state()  # measured once the page has loaded, as _fits does after goto (once 513 px before)
    assert phone.evaluate(MEASURE)["wide"] <= PHONE["width"]
    phone.fill("input[name=amount_vnd]", "100.000")
    phone.fill("input[name=reference]", "FT20011800001")
    phone.fill("input[name=received_by]", "Nguyễn Thị Lâm")
    phone.click("#record-payment-button")
    expect(phone.locator("#payment-amount")).to_have_text("100.000 ₫")
    phone.wait_for_load_state()
    assert phone.evaluate(MEASURE)["wide"] <= PHONE["width"]
    phone.context.clear_cookies()

    log_in(phone, live_demo, "tuelam")
    home = f"{live_demo}/portal"
    _fits(phone, home)
    # Every figure of the statements table is on screen (it was cut off at "CÒN T…").
    for cell in ("td.owed", "td.paid", "td.num b"):
        box = phone.locator(f"#portal-statements tbody tr >> nth=0 >> {cell}").first.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (cell, box)
    statement = phone.locator("#portal-statements a.btn").first.get_attribute("href")
    sales = f"{live_demo}/portal/sales"
    _fits(phone, sales, charts=True)
    expect(phone.locator("#chart-day .chart-narrow svg.chart")).to_be_visible()
    expect(phone.locator("#chart-day .chart-wide svg.chart")).to_be_hidden()
    drill = phone.locator("#table-product tbody a").first.get_attribute("href")
    _fits(phone, f"{live_demo}{drill}")
    _fits(phone, f"{live_demo}/portal/sales/list")
    _fits(phone, f"{live_demo}/portal/invoices")
    _fits(phone, f"{live_demo}{statement}")
    # The settlement reads whole: the sum to pay and what is still owed are on screen, not cut off.
    for cell in ("#statement-summary td.payable", "#statement-owed"):
        box = phone.locator(cell).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (cell, box)
    expect(phone.locator("#statement-owed")).to_contain_text("₫")
    slip = phone.locator("#statement-payments a").first.get_attribute("href")
    _fits(phone, f"{live_demo}{slip}")
    expect(phone.locator(".paper-title")).to_have_text("PHIẾU CHI TRẢ CHỦ THỂ")
    phone.screenshot(path="/tmp/portal_shots/slip.png", full_page=True)


def test_the_statement_prints_on_a4_from_a_phone_with_its_sum_and_signatures(phone, live_demo):
    log_in(phone, live_demo, "tuelam")
    phone.goto(f"{live_demo}/portal")
    phone.locator("#portal-statements a.btn").first.click()
    # The statement, not the page being left: a PDF taken mid-navigation is a blank sheet.
    expect(phone.locator("#statement-summary td.payable")).to_be_visible()
    pdf = phone.pdf(format="A4")
    assert pdf[:4] == b"%PDF" and len(pdf) > 10_000
    phone.emulate_media(media="print")
    expect(phone.locator(".no-print").first).to_be_hidden()
    expect(phone.locator(".signatures")).to_be_visible()
    expect(phone.locator("#statement-summary td.payable")).to_be_visible()

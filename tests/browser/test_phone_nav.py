"""On a 390 px phone every link of the menu can be reached: none cut off, none off the screen."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def test_the_menu_opens_whole_on_a_390_px_phone(browser, live_demo):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN")
    phone = context.new_page()
    phone.set_default_timeout(10_000)
    try:
        log_in(phone, live_demo, "quanly")  # the manager has the longest menu
        phone.goto(f"{live_demo}/sell/till")
        phone.locator("button[name=till_id]", has_text="T2").click()
        expect(phone.locator("#scan")).to_be_visible()
        for path in ("/stock", "/sell"):
            phone.goto(f"{live_demo}{path}")
            links = phone.locator("#mainnav a")
            expect(links.first).to_be_hidden()  # folded: the page starts right under the bar
            phone.click("#nav-toggle-btn")
            count = links.count()
            assert count >= 10
            for i in range(count):
                link = links.nth(i)
                expect(link).to_be_visible()
                box = link.bounding_box()
                assert box["x"] >= 0 and box["x"] + box["width"] <= 390, (link.inner_text(), box)
                assert box["height"] >= 40  # big enough for a thumb
            assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # nothing sticks out sideways
        phone.locator("#mainnav a", has_text="Tồn kho").click()
        expect(phone).to_have_url(f"{live_demo}/stock")
    finally:
        context.close()

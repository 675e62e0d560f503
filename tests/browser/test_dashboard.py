"""The organiser's dashboard in a real browser: the demo fair's totals, its charts, a drill-down and
two fairs compared; the producer sees its statement."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def _amount(text: str) -> int:
    return int(re.sub(r"[^\d]", "", text))


def test_the_organiser_sees_the_fair_with_its_charts_drills_down_and_compares_two_fairs(page, live_demo):
    blocked = []
    page.on("console", lambda msg: blocked.append(msg.text) if "Content Security Policy" in msg.text else None)
    log_in(page, live_demo, "btc")
    page.goto(f"{live_demo}/reports/dashboard")
    expect(page.locator("h1")).to_have_text("Hội chợ OCOP Quảng Ninh – Xuân 2020")
    revenue = _amount(page.locator("#kpi-revenue").inner_text())
    assert revenue > 0
    assert int(page.locator("#kpi-transactions").inner_text().replace(".", "")) > 100
    # Every chart is drawn, as SVG, with its marks: a line with a point per fair day, bars for the rest.
    expect(page.locator("svg.chart")).to_have_count(8)
    day_chart = page.locator("#chart-day svg.chart")
    expect(day_chart.locator("path")).to_have_count(1)
    expect(day_chart.locator("circle")).to_have_count(11)
    assert page.locator("#chart-hour svg.chart rect").count() >= 10
    producer_bars = page.locator("#chart-producer svg.chart g.bar")
    assert producer_bars.count() == 4
    box = page.locator("#chart-producer svg.chart").bounding_box()
    assert box and box["width"] > 300 and box["height"] > 80

    # The producers' table adds up to the fair's revenue; its first total drills down to sales that add up to it.
    rows = page.locator("#table-producer tbody tr")
    totals = [_amount(rows.nth(i).locator("td.num b").inner_text()) for i in range(rows.count())]
    assert sum(totals) == revenue
    first_bar = producer_bars.first
    first_bar.locator("a").click()
    expect(page.locator("h1")).to_have_text("Các đơn hàng")
    assert _amount(page.locator("#drill-revenue").inner_text()) == totals[0]
    expect(page.locator("#drill-sales tbody tr").first).to_be_visible()

    # Xuân 2020 against Hè 2019.
    page.goto(f"{live_demo}/reports/dashboard")
    page.select_option("select[name=compare]", label="Hội chợ OCOP Quảng Ninh – Hè 2019")
    page.click("#dashboard-filters button")
    expect(page.locator("#comparison")).to_be_visible()
    expect(page.locator("#chart-compare svg.chart path")).to_have_count(2)
    # Both fairs in the cards and in the charts by producer, product and district, near the top.
    expect(page.locator('#kpis [data-compare="revenue"]')).to_contain_text("%")
    for name in ("producer", "product", "district"):
        assert page.locator(f"#chart-compare-{name} svg.chart g.pair").count() >= 1, name
    assert page.locator("#comparison").bounding_box()["y"] < page.locator("#chart-day").bounding_box()["y"]
    expect(page.locator("#compare-metrics tbody tr").first).to_contain_text("Doanh thu")
    assert blocked == [], blocked


def test_the_producer_sees_its_statement_matching_its_portal_figures(page, live_demo):
    log_in(page, live_demo, "tuelam")
    page.goto(f"{live_demo}/portal")
    row = page.locator("#portal-statements tbody tr").first
    payable = row.locator("td.num b").inner_text()
    row.locator("a").click()
    expect(page.locator(".paper-title")).to_have_text("BẢNG QUYẾT TOÁN HÀNG KÝ GỬI")
    expect(page.locator("#statement-summary td.payable")).to_have_text(payable)
    expect(page.locator(".paper")).not_to_contain_text("Miến dong")
    page.goto(f"{live_demo}/portal/sales")
    expect(page.locator("#chart-day .chart-wide svg.chart circle")).to_have_count(11)

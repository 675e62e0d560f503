"""One fair against another on the dashboard: both fairs in the cards and the charts, day by day of the
fair (day 1, day 2 … aligned), by producer, product and district, with the change in percent, near
the top of the page; the same in Excel."""
from __future__ import annotations

import io
import re
from datetime import datetime

import pytest
from openpyxl import load_workbook

from pos.db import unit_of_work
from pos.extensions import db
from tests.app.test_reports import fair  # noqa: F401 - a fixture
from tests.conftest import login


def _sell_at(app, booth_id, lines, at, key):
    from pos.models import Booth, Till, User
    from pos.services import sales, sales_summary

    with app.app_context(), unit_of_work(db.session) as s:
        booth = s.get(Booth, booth_id)
        till = s.query(Till).filter_by(booth_id=booth_id).one()
        cashier = s.query(User).filter_by(username="ca.h19").one()
        items = [dict(product_id=p, qty=q) for p, q in lines]
        total = sales.price_cart(s, sales.Cart.of(lines=items)).total_vnd
        sale = sales.record_sale(s, booth, cashier, sales.Checkout.of(
            till_id=till.id, lines=items, payments=[dict(method="cash", tendered_vnd=total)]), key).sale
        sales_summary.redate_sale(s, sale, at)
        for m in sale.movements:
            m.created_at = at
        return total


@pytest.fixture
def two(app, world, fair):  # noqa: F811 - the fixture imported above
    """Xuân 2020 (the fixture: day 1 = 10/01 240.000 + 00:30 on 11/01 ...) against Hè 2019 at its own booth."""
    from datetime import date

    from pos.models import Booth, User
    from pos.services import booths, shifts, stock, users

    with app.app_context(), unit_of_work(db.session) as s:
        old = booths.save_fair(s, dict(code="H19", name="Hội chợ OCOP Quảng Ninh – Hè 2019",
                                       starts_on="01/06/2019", ends_on="05/06/2019"))
        b = booths.save_booth(s, dict(fair_id=old.id, code="B01", name="Gian hàng Hè"))
        till = booths.save_till(s, b, dict(code="T1", name="Quầy hè"))
        cashier = users.save_user(s, dict(username="ca.h19", full_name="Thu ngân hè", role="cashier",
                                          password="matkhau123"), booth_id=b.id)
        shifts.open_shift(s, b, cashier, shifts.NewShift(till_id=till.id))
        manager = s.query(User).filter_by(username="quanly").one()
        for producer, product in ((fair["tl"], fair["que"]), (fair["md"], fair["mien"])):
            stock.record_document(s, b, manager, stock.NewDocument.of(
                "receive", producer_id=producer, lines=[dict(product_id=product, qty=50)]))
        old_id, booth_id = old.id, b.id
        assert old.starts_on == date(2019, 6, 1)
    # Day 1 (01/06): 2 quế; day 2 (02/06): 4 miến. Xuân 2020 day 1 (10/01) has 285.000 of quế and miến.
    h1 = _sell_at(app, booth_id, [(fair["que"], 2)], datetime(2019, 6, 1, 3, 0), "h1")
    h2 = _sell_at(app, booth_id, [(fair["mien"], 4)], datetime(2019, 6, 2, 3, 0), "h2")
    return dict(fair, old=old_id, h1=h1, h2=h2, old_revenue=h1 + h2)


def _pct(a, b) -> str:
    from pos.services.reporting.reports import change_bp
    from pos.money import format_percent_bp

    c = change_bp(a, b)
    return ("+" if c > 0 else "−" if c < 0 else "") + format_percent_bp(abs(c)) + "\u00a0%"


def test_the_comparison_is_near_the_top_and_the_cards_show_both_fairs_with_the_change(client, two):
    login(client, "btc")
    html = client.get(f"/reports/dashboard?compare={two['old']}").get_data(as_text=True)
    assert html.index('id="comparison"') < html.index('id="chart-day"') < html.index('id="table-producer"')
    assert html.index('id="kpis"') < html.index('id="comparison"')
    card = re.search(r'data-compare="revenue">(.*?)</span>', html, re.S).group(1)
    old = f"{two['old_revenue']:,}".replace(",", ".") + " ₫"
    assert f"H19: {old}" in card and _pct(two["revenue"], two["old_revenue"]) in card
    units = re.search(r'data-compare="units">(.*?)</span>', html, re.S).group(1)
    assert "H19: 6" in units and _pct(2 + 1 + 3 + 1, 6) in units  # 7 units against 6
    # Without a comparison, no card names another fair.
    assert "data-compare=" not in client.get("/reports/dashboard").get_data(as_text=True)


def test_the_charts_show_both_fairs_by_fair_day_producer_product_and_district(client, two):
    login(client, "btc")
    html = client.get(f"/reports/dashboard?compare={two['old']}").get_data(as_text=True)
    days = re.search(r'id="chart-compare">(.*?)</svg>', html, re.S).group(1)
    assert days.count("<path") == 2 and "Ngày 1" in days and "Ngày 2" in days
    # Day 1 of each fair is its first day: 10/01/2020 and 01/06/2019, side by side.
    x20_day1 = 2 * 95_000 + 60_000
    assert f"Ngày 1: {x20_day1:,}".replace(",", ".") in days and f"Ngày 1: {two['h1']:,}".replace(",", ".") in days
    for name, labels in (("producer", ["HTX Thảo mộc Tuệ Lâm", "HTX Miến dong Đồng Tâm"]),
                         ("product", ["Tinh dầu quế 10ml", "Miến dong 500g"]),
                         ("district", ["Bình Liêu"])):
        svg = re.search(rf'id="chart-compare-{name}">(.*?)</svg>', html, re.S).group(1)
        assert svg.count('<g class="pair">') == len(labels), name
        assert all(label in svg for label in labels), name
        assert svg.count("<rect") >= 2 * len(labels) and "Hè 2019" in svg and "Xuân 2020" in svg
    # The producer table: each fair's revenue and the change.
    row = re.search(r'id="compare-producers">.*?<td>HTX Thảo mộc Tuệ Lâm</td>(.*?)</tr>', html, re.S).group(1)
    tl_now, tl_then = 3 * 95_000 - 5000, two["h1"]
    assert _pct(tl_now, tl_then) in row and "up" in row


def test_the_comparison_downloads_with_products_and_districts_and_percentages(client, two):
    login(client, "btc")
    data = client.get(f"/reports/dashboard?compare={two['old']}&format=xlsx").data
    wb = load_workbook(io.BytesIO(data))
    assert {"Theo sản phẩm", "Theo huyện", "Theo ngày hội chợ"} <= set(wb.sheetnames)
    rows = list(wb["Theo sản phẩm"].iter_rows(values_only=True))
    que = next(r for r in rows if r[0] == "Tinh dầu quế 10ml")
    assert que[1] == 3 * 95_000 - 5000 and que[2] == two["h1"]
    assert que[3] == pytest.approx((que[1] - que[2]) / que[2], abs=0.0001)

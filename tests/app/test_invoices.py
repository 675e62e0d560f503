"""Buyers who need a VAT invoice: sales where the buyer left a name and tax code, listed per producer for
the producer's accountant (page and Excel), at the booth, for the organiser, and in the producer's portal."""
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

BUYER, TAX = "Công ty TNHH Du lịch Hạ Long Xanh", "5701234567"


def _sell(app, lines, at, key, buyer="", tax=""):
    from pos.models import Till, User
    from pos.services import booths, sales, sales_summary

    with app.app_context(), unit_of_work(db.session) as s:
        items = [dict(product_id=p, qty=q) for p, q in lines]
        total = sales.price_cart(s, sales.Cart.of(lines=items)).total_vnd
        till = s.query(Till).filter_by(code="T1").one()
        sale = sales.record_sale(s, booths.current_booth(s), s.query(User).filter_by(username="ca.t1").one(),
                                 sales.Checkout.of(till_id=till.id, lines=items, buyer_name=buyer, buyer_tax_code=tax,
                                                   payments=[dict(method="cash", tendered_vnd=total)]), key).sale
        sales_summary.redate_sale(s, sale, at)
        return sale.id, [ln.id for ln in sale.lines]


@pytest.fixture
def invoices(app, world, fair):  # noqa: F811 - the fixture imported above
    from pos.models import Booth, User
    from pos.services import returns

    wanted, lines = _sell(app, [(fair["que"], 2), (fair["mien"], 3)], datetime(2020, 1, 12, 3, 0), "inv1",
                          BUYER, TAX)
    voided, _l = _sell(app, [(fair["que"], 1)], datetime(2020, 1, 12, 4, 0), "inv2", "Khách Hủy", "5700000001")
    with app.app_context(), unit_of_work(db.session) as s:
        booth, manager = s.query(Booth).one(), s.query(User).filter_by(username="quanly").one()
        returns.void_sale(s, booth, manager, voided, returns.NewVoid(reason="Khách đổi ý", manager_pin="2468"))
        returns.refund_sale(s, booth, manager, wanted, returns.NewRefund.of(lines=[dict(sale_line_id=lines[1], qty=1)],
                                                            reason="Vỡ gói", method="transfer", manager_pin="2468"))
    return dict(fair, sale=wanted)


def test_the_booth_lists_buyers_with_a_tax_code_per_producer_with_what_to_invoice(client, invoices):
    login(client, "quanly")
    html = client.get("/reports/invoices").get_data(as_text=True)
    assert html.count(TAX) == 2 and BUYER in html
    assert "Khách Hủy" not in html  # voided: nothing to invoice
    tl = re.search(rf'data-producer="{invoices["tl"]}">(.*?)</section>', html, re.S).group(1)
    md = re.search(rf'data-producer="{invoices["md"]}">(.*?)</section>', html, re.S).group(1)
    assert "Tinh dầu quế 10ml" in tl and "Miến dong" not in tl and "190.000 ₫" in tl
    # 3 packs of miến, one refunded: 120.000 to invoice.
    assert "Miến dong 500g" in md and re.search(r'class="num amount"[^>]*><b>120.000 ₫</b>', md)
    assert html.index("HTX Miến dong Đồng Tâm") < html.index("HTX Thảo mộc Tuệ Lâm")  # Vietnamese order


def test_the_invoice_list_downloads_to_excel_with_dates_and_numbers(client, invoices):
    login(client, "btc")
    wb = load_workbook(io.BytesIO(client.get("/reports/invoices?format=xlsx").data))
    ws = wb.active
    header_row = ws[ws.freeze_panes].row - 1
    header = [c.value for c in ws[header_row]]
    rows = [r for r in ws.iter_rows(min_row=header_row + 1, values_only=True) if r[0] != "Cộng"]
    assert [(r[0], r[5], r[6], r[8], r[-1]) for r in rows] == [
        ("HTX Miến dong Đồng Tâm", TAX, "Miến dong 500g", 3, 120_000),
        ("HTX Thảo mộc Tuệ Lâm", TAX, "Tinh dầu quế 10ml", 2, 190_000)]
    at = rows[0][header.index("Thời gian")]
    assert isinstance(at, datetime) and at == datetime(2020, 1, 12, 10, 0)  # Vietnam time
    assert ws.cell(row=header_row + 1, column=len(header)).number_format == "#,##0"


def test_the_producer_sees_only_its_own_buyers_lines_in_the_portal(app, client, invoices):
    with app.app_context(), unit_of_work(db.session) as s:
        from pos.services import users
        users.save_user(s, dict(username="tuelam", full_name="Tuệ Lâm", role="producer", password="matkhau123",
                                producer_id=invoices["tl"]))
    login(client, "tuelam")
    html = client.get("/portal/invoices").get_data(as_text=True)
    assert BUYER in html and TAX in html and "Tinh dầu quế 10ml" in html
    assert "Miến dong" not in html and "120.000" not in html
    data = client.get("/portal/invoices?format=xlsx")
    cells = [c for r in load_workbook(io.BytesIO(data.data)).active.iter_rows(values_only=True) for c in r if c]
    assert "Tinh dầu quế 10ml" in cells and "Miến dong 500g" not in cells and 190_000 in cells


def test_cashiers_cannot_see_the_buyers_list(client, invoices):
    login(client, "ca.t1")
    assert client.get("/reports/invoices").status_code == 403

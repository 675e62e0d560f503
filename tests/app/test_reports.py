"""Reports through the pages, downloads, JSON and CLI: the daily report, statements, closing the fair,
the organiser's dashboard and drill-down, catalogue import and barcode labels."""
from __future__ import annotations

import io
import re
from datetime import datetime

import pytest
from openpyxl import Workbook, load_workbook

from pos.db import unit_of_work
from pos.extensions import db
from tests.conftest import login


def sell(app, lines, at: datetime, key: str, method="cash", order_discount=0):
    """A sale at the booth's till T1, made at a given UTC time. Returns (sale id, total)."""
    from pos.models import Till, User
    from pos.services import booths, sales, sales_summary

    with app.app_context(), unit_of_work(db.session) as s:
        booth = booths.current_booth(s)
        till = s.query(Till).filter_by(code="T1").one()
        cashier = s.query(User).filter_by(username="ca.t1").one()
        items = [dict(product_id=p, qty=q) for p, q in lines]
        total = sales.price_cart(s, sales.Cart.of(lines=items, order_discount_vnd=order_discount)).total_vnd
        pay = [dict(method="cash", tendered_vnd=total)] if method == "cash" else [dict(method=method, amount_vnd=total)]
        sale = sales.record_sale(s, booth, cashier, sales.Checkout.of(till_id=till.id, lines=items, payments=pay,
                                                         order_discount_vnd=order_discount), key).sale
        sales_summary.redate_sale(s, sale, at)
        for m in sale.movements:
            m.created_at = at
        return sale.id, sale.total_vnd


@pytest.fixture
def fair(app, world):
    world.booth()
    tl = world.producer("HTX Thảo mộc Tuệ Lâm", district="Bình Liêu", commune="Thị trấn Bình Liêu")
    md = world.producer("HTX Miến dong Đồng Tâm", district="Bình Liêu", commune="Đồng Tâm")
    que = world.product("Tinh dầu quế 10ml", 95_000, stock=20, producer_id=tl, ocop_stars=4, category="Tinh dầu")
    mien = world.product("Miến dong 500g", 60_000, stock=30, producer_id=md, ocop_stars=3, category="Đặc sản khô")
    world.user("manager", username="quanly")
    world.user("organiser", username="btc")
    s1 = sell(app, [(que, 2), (mien, 1)], datetime(2020, 1, 10, 3, 0), "k1")                        # 10:00 on 10/01
    s2 = sell(app, [(mien, 3)], datetime(2020, 1, 10, 17, 30), "k2", method="transfer")            # 00:30 on 11/01
    s3 = sell(app, [(que, 1)], datetime(2020, 1, 11, 8, 15), "k3", method="card", order_discount=5000)  # 15:15
    return dict(tl=tl, md=md, que=que, mien=mien, s1=s1, s2=s2, s3=s3,
                revenue=s1[1] + s2[1] + s3[1])


def _money(n: int) -> str:
    return f"{n:,}".replace(",", ".") + " ₫"


def _xlsx(response):
    assert response.status_code == 200, response.data[:300]
    assert response.mimetype.endswith("spreadsheetml.sheet")
    return load_workbook(io.BytesIO(response.data))


def test_the_daily_report_shows_money_per_payment_method_and_sales_per_producer(client, fair):
    login(client, "quanly")
    page = client.get("/reports/daily?day=11/01/2020")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    card = re.search(r'data-method="card">(.*?)</tr>', html, re.S).group(1)
    transfer = re.search(r'data-method="transfer">(.*?)</tr>', html, re.S).group(1)
    assert _money(fair["s3"][1]) in card and _money(fair["s2"][1]) in transfer
    assert "HTX Thảo mộc Tuệ Lâm" in html and "HTX Miến dong Đồng Tâm" in html
    assert _money(fair["s2"][1] + fair["s3"][1]) in html


def test_a_day_that_is_not_a_date_gets_a_message_and_a_4xx(client, fair):
    login(client, "quanly")
    page = client.get("/reports/daily?day=31/02/2020")
    assert page.status_code == 422 and "Ngày không hợp lệ" in page.get_data(as_text=True)


def test_the_daily_report_downloads_to_excel_and_csv_with_the_same_numbers(client, fair):
    login(client, "quanly")
    wb = _xlsx(client.get("/reports/daily?day=10/01/2020&format=xlsx"))
    rows = [[c.value for c in r] for r in wb["Theo sản phẩm"].iter_rows()]
    assert rows[-1][0] == "Cộng" and rows[-1][-1] == fair["s1"][1]
    csv_page = client.get("/reports/daily?day=10/01/2020&format=csv&table=methods")
    assert csv_page.mimetype == "text/csv" and "attachment" in csv_page.headers["Content-Disposition"]
    assert f"Tiền mặt,1,{fair['s1'][1]},0,{fair['s1'][1]}" in csv_page.data.decode("utf-8-sig")


@pytest.mark.parametrize("user", ["quanly", "ca.t1"])
def test_the_dashboard_is_for_organisers_only(client, fair, user):
    login(client, user)
    assert client.get("/reports/dashboard").status_code == 403
    assert client.get("/api/v1/reports/dashboard").status_code == 403


def test_the_dashboard_shows_the_fairs_totals_with_charts_and_each_total_drills_to_its_sales(client, fair):
    login(client, "btc")
    html = client.get("/reports/dashboard").get_data(as_text=True)
    assert _money(fair["revenue"]) in html
    assert html.count('<svg class="chart"') >= 8
    assert 'id="kpi-transactions">3<' in html
    # The producer table links each total to its sales, and the sales add up to it.
    row = re.search(r'<tr data-key="(\d+)"><td class="drill"><a href="([^"]+)">HTX Miến dong Đồng Tâm</a>', html)
    assert row, "no drill-down link for the producer"
    drill = client.get(row.group(2).replace("&amp;", "&")).get_data(as_text=True)
    mien_revenue = 60_000 + 3 * 60_000
    assert f'id="drill-revenue">{_money(mien_revenue)}<' in drill
    assert 'id="drill-count">2<' in drill and "HTX Miến dong Đồng Tâm" in drill


def test_reversed_dates_on_the_dashboard_get_a_message_and_a_4xx(client, fair):
    login(client, "btc")
    page = client.get("/reports/dashboard?start=20/01/2020&end=10/01/2020")
    assert page.status_code == 422 and "trước ngày bắt đầu" in page.get_data(as_text=True)
    api = client.get("/api/v1/reports/dashboard?start=01/01/1900")
    assert api.status_code == 422 and api.json["field"] == "start"


def test_the_dashboard_in_excel_carries_the_pages_numbers(client, fair):
    login(client, "btc")
    wb = _xlsx(client.get("/reports/dashboard?format=xlsx"))
    summary = {r[0].value: r[1].value for r in wb["Tổng quan"].iter_rows() if r[1].value is not None}
    assert summary["Doanh thu (đồng)"] == fair["revenue"] and summary["Số đơn"] == 3
    producers = [[c.value for c in r] for r in wb["Chủ thể"].iter_rows()]
    header = next(i for i, r in enumerate(producers) if r[0] == "Chủ thể")
    assert sum(r[2] for r in producers[header + 1:]) == fair["revenue"]
    one = _xlsx(client.get("/reports/dashboard?format=xlsx&table=hour"))
    assert one.sheetnames == ["Giờ"]
    assert client.get("/reports/dashboard?format=xlsx&table=nope").status_code == 404


def test_the_dashboard_json_has_the_figures_and_refuses_unknown_parameters(client, fair):
    login(client, "btc")
    data = client.get("/api/v1/reports/dashboard").json
    assert (data["revenue_vnd"], data["transactions"], data["units"]) == (fair["revenue"], 3, 7)
    assert sum(r["revenue_vnd"] for r in data["breakdowns"]["day"]) == fair["revenue"]
    assert [r["key"] for r in data["breakdowns"]["day"]] == ["2020-01-10", "2020-01-11"]
    bad = client.get("/api/v1/reports/dashboard?fiar_id=1")
    assert bad.status_code == 422 and bad.json["field"] == "fiar_id"
    sales = client.get(f"/api/v1/reports/dashboard/sales?producer_id={fair['tl']}").json
    assert sales["revenue_vnd"] == 2 * 95_000 + 95_000 - 5000 and sales["sales_count"] == 2


def test_the_statement_prints_for_signature_and_the_closing_page_remembers_it(client, fair):
    login(client, "quanly")
    page = client.get(f"/reports/settlements/{fair['tl']}").get_data(as_text=True)
    net = 3 * 95_000 - 5000
    assert "BẢNG QUYẾT TOÁN HÀNG KÝ GỬI" in page and _money(net) in page
    assert "Đại diện chủ thể" in page and "Trưởng gian hàng" in page
    printed = client.post(f"/reports/settlements/{fair['tl']}/printed")
    assert printed.status_code == 302 and "print=1" in printed.location
    assert "window.print()" in client.get(printed.location).get_data(as_text=True)
    closing = client.get("/reports/closing").get_data(as_text=True)
    row = re.search(r"<tr><td>HTX Thảo mộc Tuệ Lâm</td>(.*?)</tr>", closing, re.S).group(1)
    assert "chưa in" not in row
    listing = client.get("/reports/settlements").get_data(as_text=True)
    assert "HTX Miến dong Đồng Tâm" in listing
    wb = _xlsx(client.get(f"/reports/settlements/{fair['tl']}?format=xlsx"))
    summary = {r[0].value: r[1].value for r in wb["Tổng hợp"].iter_rows()}
    assert summary["Doanh thu thuần"] == net


def test_closing_is_refused_until_the_steps_are_done_then_the_booth_is_read_only(app, client, world, fair):
    from pos.errors import FairClosed
    from pos.models import Booth, Fair, Shift, User
    from pos.models.fair import ensure_open
    from pos.services import shifts, stock

    login(client, "quanly")
    early = client.post("/reports/closing/close", data={"confirm": "1"})
    text = early.get_data(as_text=True)
    assert early.status_code == 409 and "Chưa đóng được hội chợ" in text and "Đóng ca bán hàng" in text
    with app.app_context(), unit_of_work(db.session) as s:
        booth = s.get(Booth, world.booth_id)
        manager = s.query(User).filter_by(username="quanly").one()
        shift = s.query(Shift).filter(Shift.closed_at.is_(None)).one()
        shifts.close_shift(s, booth, manager, shift.id, shifts.CashCount.of({"500000": 1}))
        levels = stock.on_hand(s, booth.id)
        stock.record_count(s, booth, manager, stock.NewDocument.of("count", lines=[dict(product_id=p, qty=q) for p, q in levels.items()]))
    for producer in (fair["tl"], fair["md"]):
        back = client.post(f"/reports/closing/return/{producer}")
        assert back.status_code == 302 and "/stock/documents/" in back.location
    assert world.on_hand(fair["que"]) == 0 and world.on_hand(fair["mien"]) == 0
    unconfirmed = client.post("/reports/closing/close", data={})
    assert unconfirmed.status_code == 422 and "xác nhận" in unconfirmed.get_data(as_text=True)
    done = client.post("/reports/closing/close", data={"confirm": "1"})
    assert done.status_code == 302
    page = client.get("/reports/closing").get_data(as_text=True)
    assert 'id="closed-banner"' in page
    with app.app_context():
        booth = db.session.get(Booth, world.booth_id)
        assert db.session.get(Fair, booth.fair_id).closed_at is not None
        with pytest.raises(FairClosed):
            ensure_open(booth)
    again = client.post(f"/reports/closing/return/{fair['tl']}")
    assert again.status_code == 409 and "Hội chợ đã đóng" in again.get_data(as_text=True)
    # An organiser may reopen it, with a reason.
    login(client, "btc")
    assert client.post("/reports/closing/reopen", data={"reason": ""}).status_code == 422
    assert client.post("/reports/closing/reopen", data={"reason": "Nhận thêm hàng"}).status_code == 302
    with app.app_context():
        assert db.session.get(Booth, world.booth_id).fair.closed_at is None


def test_closing_through_the_api_names_what_remains(client, fair):
    login(client, "quanly")
    state = client.get("/api/v1/reports/closing").json
    assert state["can_close"] is False and state["unpushed"] is None
    assert {s["key"]: s["done"] for s in state["steps"]}["returns"] is False
    refused = client.post("/api/v1/reports/closing/close", json={"confirm": True})
    assert refused.status_code == 409 and refused.json["error"] == "CannotCloseYet"
    unknown = client.post("/api/v1/reports/closing/close", json={"confirm": True, "force": True})
    assert unknown.status_code == 422 and unknown.json["field"] == "force"


def _sheet(rows) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_a_catalogue_sheet_with_errors_imports_nothing_unless_bad_rows_are_skipped(app, client, fair):
    from pos.models import Product

    login(client, "btc")
    sheet = _sheet([["Chủ thể", "Tên sản phẩm", "Đơn vị tính", "Giá bán (đồng)", "Mã vạch"],
                    ["HTX Thảo mộc Tuệ Lâm", "Tinh dầu hồi 10ml", "lọ", 110000, "8936123450021"],
                    ["HTX Không Có", "Chè", "gói", "năm chục", ""]])

    def post(**extra):
        return client.post("/reports/import", data=dict(kind="products", file=(io.BytesIO(sheet), "sp.xlsx"), **extra),
                           content_type="multipart/form-data")

    with app.app_context():
        before = db.session.query(Product).count()
    refused = post(action="import")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'data-row="3"' in html and "HTX Không Có" in html
    checked = post(action="check")
    assert checked.status_code == 422 and "chưa nhập gì" in checked.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(Product).count() == before
    done = post(action="import", skip_bad_rows="1")
    assert done.status_code == 200 and "Đã nhập 1 dòng" in done.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(Product).count() == before + 1
    template = client.get("/reports/import/template?kind=producers")
    assert template.status_code == 200 and load_workbook(io.BytesIO(template.data)).active["A1"].value == "Tên chủ thể *"


def test_products_without_a_barcode_get_one_and_print_on_an_a4_label_sheet(app, client, world, fair):
    from pos.models import Product
    from pos.services import labels

    plain = world.product("Trà hoa vàng", 120_000, producer_id=fair["tl"], barcodes=[])
    login(client, "btc")
    page = client.get("/reports/labels").get_data(as_text=True)
    assert "Trà hoa vàng" in re.search(r'id="missing">(.*?)</table>', page, re.S).group(1)
    assert client.post("/reports/labels", data={"product_id": str(plain)}).status_code == 302
    with app.app_context():
        code = db.session.get(Product, plain).barcode_list[0]
    assert code.startswith("200") and labels.is_ean13(code)
    sheet = client.get(f"/reports/labels/sheet?copies-{plain}=26").get_data(as_text=True)
    assert sheet.count('class="label"') == 26 and sheet.count('class="label-page"') == 2
    assert sheet.count('<svg class="ean13"') == 26 and "120.000 ₫" in sheet
    bad = client.get(f"/reports/labels/sheet?copies-{plain}=nhiều", follow_redirects=True)
    assert "Số tem phải là số nguyên" in bad.get_data(as_text=True)


def test_the_report_commands_write_a_statement_and_check_a_sheet(app, fair, tmp_path):
    runner = app.test_cli_runner()
    out = tmp_path / "qt.xlsx"
    result = runner.invoke(args=["report", "settlement", str(fair["tl"]), "--out", str(out)])
    assert result.exit_code == 0, result.output
    summary = {r[0].value: r[1].value for r in load_workbook(out)["Tổng hợp"].iter_rows()}
    assert summary["Doanh thu thuần"] == 3 * 95_000 - 5000
    sheet = tmp_path / "cp.csv"
    sheet.write_text("Tên chủ thể,Loại hình\nHTX Mới,HTX\nHTX Mới,HTX\n", encoding="utf-8")
    check = runner.invoke(args=["report", "import", "producers", str(sheet), "--check"])
    assert check.exit_code == 1 and "dòng 3" in check.output
    missing = runner.invoke(args=["report", "settlement", "999"])
    assert missing.exit_code != 0 and "Không tìm thấy chủ thể" in missing.output
    closed = runner.invoke(args=["report", "close-fair"])
    assert closed.exit_code != 0 and "xác nhận" in closed.output


def test_dashboard_and_daily_report_agree_with_the_tables_on_postgresql(any_app):
    from sqlalchemy import text

    from tests.conftest import World

    world = World(any_app)
    world.booth()
    que = world.product("Tinh dầu quế 10ml", 95_000, stock=20)
    world.user("organiser", username="btc")
    sell(any_app, [(que, 2)], datetime(2020, 1, 10, 17, 30), "p1")   # 00:30 on 11/01, Vietnam
    sell(any_app, [(que, 1)], datetime(2020, 1, 11, 2, 0), "p2", method="transfer")
    client = any_app.test_client()
    login(client, "btc")
    data = client.get("/api/v1/reports/dashboard").json
    with any_app.app_context():
        total = db.session.execute(text("SELECT SUM(total_vnd) FROM sale")).scalar()
    assert data["revenue_vnd"] == total == 3 * 95_000
    assert [(r["key"], r["transactions"]) for r in data["breakdowns"]["day"]] == [("2020-01-11", 2)]
    assert {r["key"]: r["transactions"] for r in data["breakdowns"]["hour"] if r["transactions"]} == {"0": 1, "9": 1}
    daily = client.get("/api/v1/reports/daily?day=11/01/2020").json
    methods = {m["method"]: m["received_vnd"] for m in daily["methods"]}
    assert methods == {"cash": 2 * 95_000, "transfer": 95_000, "card": 0}

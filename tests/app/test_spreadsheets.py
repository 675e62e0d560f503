"""Every Excel download opens with real dates, numbers and percentages: an organiser sorts and sums
them without retyping. The walk finds every route that answers ?format=xlsx for an organiser, a booth
manager and a producer, opens each workbook with openpyxl and checks each cell's type and format."""
from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from pos.db import unit_of_work
from pos.extensions import db
from tests.app.test_reports import fair  # noqa: F401 - the fixture
from tests.conftest import login

NUMBER_FORMATS = {"#,##0", "0.00%", "dd/mm/yyyy", "dd/mm/yyyy hh:mm"}
# Text that should have been a number or a date: 10/01/2020, 34,75, 1.250.000, 10 %.
LOOKS_LIKE_A_VALUE = re.compile(r"^[+-]?(\d{1,2}/\d{1,2}/\d{4}( \d\d:\d\d)?|\d+([.,]\d+)*\s*%?)$")


@pytest.fixture
def two_fairs(app, fair):  # noqa: F811 - the fixture imported above
    """The fixture's fair (12,5 % commission), and last summer's to compare with."""
    from pos.models import Fair
    with app.app_context(), unit_of_work(db.session) as s:
        s.query(Fair).one().commission_bp = 1250
        old = Fair(code="H19", name="Hội chợ OCOP Quảng Ninh – Hè 2019", starts_on=date(2019, 6, 1))
        s.add(old)
        s.flush()
        fair["old_fair"] = old.id
    from pos.models import Booth, User
    from pos.services.reporting import producer_payments
    with app.app_context(), unit_of_work(db.session) as s:  # a payment, so the statements carry one
        producer_payments.record_payment(s, s.query(Booth).one(), s.query(User).filter_by(username="quanly").one(),
                                         fair["tl"], dict(method="cash", amount_vnd="50.000"))
    return fair


def _ids(app) -> dict[str, int]:
    from pos.models import Booth, Fair, Producer, Product
    with app.app_context():
        return {"booth_id": db.session.query(Booth).first().id, "fair_id": db.session.query(Fair).first().id,
                "producer_id": db.session.query(Producer).first().id,
                "product_id": db.session.query(Product).first().id}


def _excel_urls(app, client, extra_queries=("",)):
    """Each GET route with its path ids filled in, asked for .xlsx: those that answer with a workbook."""
    ids = _ids(app)
    found = {}
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static" or rule.rule.startswith("/api/"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(ids.get(m.group(1), 1)), rule.rule)
        for extra in extra_queries:
            url = f"{path}?format=xlsx{extra}"
            response = client.get(url)
            if response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet"):
                found[url] = response.data
    return found


def _check_workbook(url: str, data: bytes) -> int:
    """Each sheet: header frozen, sensible widths, and every cell under it a value of the right type and
    format. Returns the number of value cells checked."""
    wb = load_workbook(io.BytesIO(data))
    checked = 0
    for ws in wb.worksheets:
        assert ws.freeze_panes, (url, ws.title, "no frozen header")
        header_row = ws[ws.freeze_panes].row - 1
        header = [c.value for c in ws[header_row]]
        assert all(isinstance(h, str) and h for h in header), (url, ws.title, header)
        assert all(ws[header_row][i].font.b for i in range(len(header))), (url, ws.title, "header not bold")
        for i in range(1, len(header) + 1):
            width = ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width
            assert 10 <= width <= 62, (url, ws.title, header[i - 1], width)
        for row in ws.iter_rows(min_row=header_row + 1):
            for col, cell in zip(header, row):
                if cell.value is None or cell.value == "":
                    continue
                checked += 1
                where = (url, ws.title, col, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert cell.data_type == "s", where
                    # A code (barcode, tax code, phone) is digits that must stay text: long or led by 0.
                    is_code = cell.value.isdigit() and (len(cell.value) >= 8 or cell.value.startswith("0"))
                    assert is_code or not LOOKS_LIKE_A_VALUE.match(cell.value.strip()), ("a value as text",) + where
                    assert "%" not in col or cell.value in ("Cộng",), ("a percentage as text",) + where
                    continue
                assert cell.number_format in NUMBER_FORMATS, ("format", cell.number_format) + where
                if isinstance(cell.value, datetime):
                    assert cell.number_format.startswith("dd/mm/yyyy"), where
                elif "%" in col:  # a share or a rate: a fraction shown as a percentage (0 % reads back as 0)
                    assert isinstance(cell.value, (int, float)) and cell.number_format == "0.00%", where
                else:
                    assert isinstance(cell.value, int) and cell.number_format == "#,##0", where
    return checked


def test_every_excel_download_has_real_dates_numbers_and_percentages(app, client, two_fairs):
    login(client, "btc")
    organiser = _excel_urls(app, client, ("", f"&compare={two_fairs['old_fair']}"))
    client.post("/logout")
    login(client, "quanly")
    manager = _excel_urls(app, client)
    client.post("/logout")
    with app.app_context(), unit_of_work(db.session) as s:
        from pos.services import users
        users.save_user(s, dict(username="tuelam", full_name="Tuệ Lâm", role="producer", password="matkhau123",
                                producer_id=two_fairs["tl"]))
    login(client, "tuelam")
    producer = _excel_urls(app, client)
    found = {**organiser, **manager, **producer}
    paths = {u.split("?")[0] for u in found}
    # The downloads a user would reach from the pages, by each role.
    for expected in ("/reports/daily", "/reports/settlements", "/reports/dashboard", "/reports/dashboard/sales",
                     "/portal/sales", "/portal/sales/list"):
        assert expected in paths, (expected, sorted(paths))
    assert any(p.startswith("/reports/settlements/") for p in paths)
    assert any(p.startswith("/portal/settlements/") for p in paths)
    assert any("Chi trả chủ thể" in load_workbook(io.BytesIO(d)).sheetnames for d in found.values())
    assert any("compare=" in u for u in organiser)
    checked = sum(_check_workbook(url, data) for url, data in found.items())
    assert checked > 200


def test_days_are_dates_in_vietnam_time_and_shares_are_percentages(app, client, two_fairs):
    login(client, "btc")
    wb = load_workbook(io.BytesIO(client.get("/reports/dashboard?format=xlsx").data))
    days = [r for r in wb["Ngày"].iter_rows(values_only=True) if isinstance(r[0], datetime)]
    # The 17:30 UTC sale of 10/01 is on 11/01 in Vietnam.
    assert [d[0].date() for d in days] == [date(2020, 1, 10), date(2020, 1, 11)]
    assert wb["Ngày"]["A" + str(wb["Ngày"][wb["Ngày"].freeze_panes].row)].number_format == "dd/mm/yyyy"
    shares = [r[-1] for r in wb["Chủ thể"].iter_rows(values_only=True) if isinstance(r[-1], float)]
    assert sum(shares) == pytest.approx(1.0, abs=0.001)
    drill = load_workbook(io.BytesIO(client.get("/reports/dashboard/sales?format=xlsx").data)).active
    times = sorted(c.value for c in drill["B"] if isinstance(c.value, datetime))
    assert times[0] == datetime(2020, 1, 10, 10, 0)  # 03:00 UTC
    rate = load_workbook(io.BytesIO(client.get("/reports/settlements?format=xlsx").data)).active
    header = next(r for r in rate.iter_rows() if r[0].value == "Chủ thể")
    col = next(c.column - 1 for c in header if c.value == "Hoa hồng (%)")
    rates = [r[col] for r in rate.iter_rows(min_row=header[0].row + 1) if r[0].value != "Cộng"]
    assert [c.value for c in rates] == [0.125, 0.125] and all(c.number_format == "0.00%" for c in rates)


def test_csv_writes_percentages_as_plain_decimals_and_keeps_text_formula_safe(app, client, two_fairs):
    login(client, "btc")
    text = client.get("/reports/dashboard?format=csv&table=producer").data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    header_at = next(i for i, r in enumerate(rows) if r and r[0] == "Chủ thể")
    shares = [float(r[-1]) for r in rows[header_at + 1:] if r]
    assert sum(shares) == pytest.approx(100, abs=0.1)
    day_csv = client.get("/reports/dashboard?format=csv&table=day").data.decode("utf-8-sig")
    assert "\r\n10/01/2020," in day_csv and "\r\n11/01/2020," in day_csv
    assert not any(c.startswith(("=", "+", "@")) for r in rows for c in r)

"""Exports to Excel and CSV carry the same numbers and never turn text into formulas;
barcode labels and charts, the other things the reports draw, are checked here too."""
from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook

from pos.services.reporting import charts, exports, reports, settlement
from pos.services import labels
from pos.services.reporting.exports import Column, Table
from tests.unit.test_settlement import Fairground

DANGEROUS = ["=1+2", "=HYPERLINK(\"http://evil\",\"x\")", "+84 912 345 678", "-5 chai", "@SUM(A1:A2)", "\tTab", "\rCR"]


def _table():
    t = Table("Danh sách", [Column("name", "Tên"), Column("qty", "Số lượng", "int"), Column("amount", "Tiền", "vnd")],
              heading=["Hội chợ OCOP Quảng Ninh – Xuân 2020"])
    for i, text in enumerate(DANGEROUS):
        t.add(text, i - 2, 1_000_000 * i)
    t.add("Mật ong rừng Bình Liêu", 3, 750_000)
    t.footer = ["Cộng", sum(r[1] for r in t.rows), sum(r[2] for r in t.rows)]
    return t


def _sheet_rows(data: bytes, sheet=0):
    wb = load_workbook(io.BytesIO(data))
    ws = wb.worksheets[sheet]
    return ws, [[c for c in row] for row in ws.iter_rows()]


def test_text_that_looks_like_a_formula_stays_text_in_excel():
    ws, rows = _sheet_rows(exports.to_xlsx(_table()))
    cells = {row[0].value: row[0] for row in rows if row and row[0].value is not None}
    for text in DANGEROUS:
        if text.startswith("\r"):
            continue  # XML itself turns a carriage return into a line feed; it is text either way
        cell = cells[text]
        assert cell.data_type == "s", text
        assert cell.value == text
    # Nothing in the workbook is a formula.
    assert all(c.data_type != "f" for row in rows for c in row)


def test_text_that_looks_like_a_formula_gets_an_apostrophe_in_csv_but_numbers_stay_numbers():
    data = exports.to_csv(_table())
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    by_name = {r[0]: r for r in rows if r}
    for text in DANGEROUS:
        assert ("'" + text) in by_name, text
    assert by_name["'=1+2"][1] == "-2"  # a negative number is a number, never given an apostrophe
    assert by_name["Mật ong rừng Bình Liêu"] == ["Mật ong rừng Bình Liêu", "3", "750000"]
    assert not any(cell.startswith(("=", "+", "@")) for r in rows for cell in r)


def test_excel_keeps_amounts_as_integer_dong_that_add_up():
    table = _table()
    ws, rows = _sheet_rows(exports.to_xlsx(table))
    header_at = next(i for i, r in enumerate(rows) if r[0].value == "Tên")
    body = rows[header_at + 1: header_at + 1 + len(table.rows)]
    amounts = [r[2].value for r in body]
    assert amounts == [r[2] for r in table.rows] and all(isinstance(a, int) for a in amounts)
    assert rows[header_at + 1 + len(table.rows)][2].value == sum(amounts)
    assert rows[header_at + 1][2].number_format == "#,##0"
    assert ws.cell(row=1, column=1).value == "Hội chợ OCOP Quảng Ninh – Xuân 2020"


def test_several_tables_make_several_sheets_with_short_unique_names():
    long = Table("Doanh thu theo chủ thể: tháng [1/2020] rất dài", [Column("a", "A")])
    wb = load_workbook(io.BytesIO(exports.to_xlsx(long, long, _table())))
    names = wb.sheetnames
    assert len(names) == len(set(names)) == 3
    assert all(len(n) <= 31 and not re.search(r"[\[\]:*?/\\]", n) for n in names)


def test_file_names_are_plain_ascii():
    assert exports.file_name("Quyết toán", "HTX Thảo mộc Tuệ Lâm", "2020-01-20", ext="xlsx") == \
        "quyet-toan_htx-thao-moc-tue-lam_2020-01-20.xlsx"


def test_a_row_of_the_wrong_length_is_a_programming_error():
    with pytest.raises(ValueError):
        _table().add("x")


# --- the reports' own exports, opened again ---

@pytest.fixture
def ground(session):
    return Fairground(session).history()


def test_a_statement_exported_to_excel_has_the_statements_numbers(ground):
    st = settlement.statement(ground.s, ground.b07, ground.tuelam.id)
    wb = load_workbook(io.BytesIO(exports.to_xlsx(*settlement.statement_tables(st))))
    lines, summary = wb.worksheets
    values = [[c.value for c in row] for row in lines.iter_rows()]
    header = next(i for i, r in enumerate(values) if r[0] == "Sản phẩm")
    cols = values[header]
    body = values[header + 1: header + 1 + len(st.lines)]
    net = cols.index("Doanh thu thuần")
    on_hand = cols.index("Tồn cuối")
    assert [r[0] for r in body] == [ln.name for ln in st.lines]
    assert [r[net] for r in body] == [ln.net_vnd for ln in st.lines]
    assert [r[on_hand] for r in body] == [ln.on_hand for ln in st.lines]
    assert values[header + 1 + len(st.lines)][net] == st.net_vnd
    figures = {row[0].value: row[1].value for row in summary.iter_rows() if row[1].value is not None}
    assert figures["Số tiền trả chủ thể"] == st.payable_vnd
    assert figures["Doanh thu thuần"] == st.net_vnd
    assert figures[f"Hoa hồng ({st.commission_bp // 100} %)"] == st.commission_vnd


def test_the_dashboards_tables_in_csv_add_up_to_the_fairs_revenue(ground):
    board = reports.dashboard(ground.s, ground.x20)
    tables = reports.dashboard_tables(board)
    for name in ("producer", "product", "day", "hour", "commune"):
        text = exports.to_csv(tables[name]).decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text)))
        header = next(i for i, r in enumerate(rows) if "Doanh thu" in r)
        col = rows[header].index("Doanh thu")
        assert sum(int(r[col]) for r in rows[header + 1:] if r) == board.revenue_vnd, name
    summary = {r[0]: r[1] for r in tables["summary"].rows}
    assert summary["Doanh thu (đồng)"] == board.revenue_vnd and summary["Số đơn"] == board.transactions


def test_the_daily_report_in_excel_has_one_sheet_per_table(ground):
    from datetime import date

    report = reports.daily_report(ground.s, ground.b07, date(2020, 1, 11))
    wb = load_workbook(io.BytesIO(exports.to_xlsx(*reports.daily_tables(report).values())))
    assert wb.sheetnames == ["Theo cách thanh toán", "Theo chủ thể", "Theo sản phẩm"]
    methods = [[c.value for c in r] for r in wb["Theo cách thanh toán"].iter_rows()]
    totals = methods[-1]
    assert totals[0] == "Cộng" and totals[2] == report.received_vnd


# --- barcode labels ---

# The EAN-13 tables as the GS1 specification prints them, typed apart from the module under test.
_SPEC_L = {"0001101": 0, "0011001": 1, "0010011": 2, "0111101": 3, "0100011": 4, "0110001": 5, "0101111": 6,
           "0111011": 7, "0110111": 8, "0001011": 9}
_SPEC_G = {"0100111": 0, "0110011": 1, "0011011": 2, "0100001": 3, "0011101": 4, "0111001": 5, "0000101": 6,
           "0010001": 7, "0001001": 8, "0010111": 9}
_SPEC_R = {"1110010": 0, "1100110": 1, "1101100": 2, "1000010": 3, "1011100": 4, "1001110": 5, "1010000": 6,
           "1000100": 7, "1001000": 8, "1110100": 9}
_SPEC_FIRST = {"LLLLLL": 0, "LLGLGG": 1, "LLGGLG": 2, "LLGGGL": 3, "LGLLGG": 4, "LGGLLG": 5, "LGGGLL": 6,
               "LGLGLG": 7, "LGLGGL": 8, "LGGLGL": 9}


def _decode(modules: str) -> str:
    """Read 95 modules back into 13 digits, as a scanner would."""
    assert len(modules) == 95 and modules[:3] == "101" and modules[45:50] == "01010" and modules[-3:] == "101"
    left = [modules[3 + 7 * i: 10 + 7 * i] for i in range(6)]
    right = [modules[50 + 7 * i: 57 + 7 * i] for i in range(6)]
    parity = "".join("L" if w in _SPEC_L else "G" for w in left)
    digits = [(_SPEC_L.get(w) if w in _SPEC_L else _SPEC_G[w]) for w in left] + [_SPEC_R[w] for w in right]
    return str(_SPEC_FIRST[parity]) + "".join(map(str, digits))


@pytest.mark.parametrize("code", ["5901234123457", "4006381333931", "9780306406157", "2000000000015"])
def test_an_ean13_is_drawn_so_that_a_scanner_reads_the_same_digits(code):
    assert labels.is_ean13(code)
    assert _decode(labels.ean13_modules(code)) == code
    svg = str(labels.ean13_svg(code))
    assert svg.startswith("<svg") and "style=" not in svg and code[1:7] in svg


def test_check_digits_and_in_store_codes():
    assert labels.check_digit("590123412345") == "7"
    assert labels.check_digit("978030640615") == "7"
    assert not labels.is_ean13("5901234123458")  # wrong check digit
    assert not labels.is_ean13("59012341234")
    code = labels.in_store_code(42)
    assert code.startswith("200000000042") and labels.is_ean13(code)


def test_products_without_a_barcode_get_the_next_in_store_codes(ground):
    s = ground.s
    from pos.services import catalogue

    plain = catalogue.save_product(s, dict(producer_id=ground.tuelam.id, name="Trà hoa vàng", unit="gói",
                                           price_vnd=120_000))
    other = catalogue.save_product(s, dict(producer_id=ground.tuelam.id, name="Chè Bình Liêu", unit="gói",
                                           price_vnd=80_000))
    missing = labels.products_without_barcode(s)
    assert {p.name for p in missing} >= {"Trà hoa vàng", "Chè Bình Liêu"}
    given = dict((p.name, code) for p, code in labels.assign_codes(s, [plain.id]))
    assert list(given) == ["Trà hoa vàng"] and labels.is_ean13(given["Trà hoa vàng"])
    second = labels.assign_codes(s, [other.id])[0][1]
    assert int(second[3:12]) == int(given["Trà hoa vàng"][3:12]) + 1
    assert labels.assign_codes(s, [plain.id]) == []  # it has one now
    pages, skipped = labels.label_sheet(s, {plain.id: 30, ground.products["que"].id: 2})
    assert [len(p) for p in pages] == [24, 6]
    assert skipped == ["Tinh dầu quế 10ml"]  # no EAN-13 to draw


def test_a_label_count_that_is_not_a_number_is_refused_naming_the_field():
    from pos.errors import InvalidInput

    with pytest.raises(InvalidInput) as info:
        labels.parse_copies({"copies-3": "ba"})
    assert info.value.field == "copies-3"
    assert labels.parse_copies({"copies-3": "2", "copies-4": "", "copies-5": "0", "other": "x"}) == {3: 2}


# --- charts ---

def test_charts_are_svg_with_escaped_labels_and_links():
    svg = str(charts.bar_chart([charts.Bar("<script>alert(1)</script>", 1_500_000, "/reports/x?a=1&b=2"),
                                charts.Bar("Miến dong", 500_000)], title="Doanh thu"))
    assert svg.startswith("<svg") and "<script>" not in svg and "&lt;script&gt;" in svg
    assert 'href="/reports/x?a=1&amp;b=2"' in svg and svg.count("<rect") == 2
    line = str(charts.line_chart([charts.Series("Xuân 2020", [("10/01", 100, None), ("11/01", 300, None)]),
                                  charts.Series("Hè 2019", [("10/01", 200, None), ("11/01", None, None)])],
                                 title="So sánh"))
    assert line.count("<path") == 1 and line.count("<circle") == 3
    assert "Chưa có số liệu" in str(charts.column_chart([], title="Theo giờ"))


def test_axis_labels_are_round_and_short():
    assert [charts.nice_ceiling(v) for v in (7, 13, 230, 4_100_000)] == [10, 20, 250, 5_000_000]
    assert charts.compact_vnd(1_500_000) == "1,5 tr" and charts.compact_vnd(2_000_000_000) == "2 tỷ"
    assert charts.compact_vnd(15_000) == "15 nghìn" and charts.compact_vnd(900) == "900"

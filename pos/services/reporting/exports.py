"""Any report table to an Excel workbook (.xlsx, openpyxl) or a CSV file, with the same numbers.

A report builds a Table (column labels, rows of plain values); the pages show it and
these functions write it. Amounts stay integer đồng (numbers, not text) so a
spreadsheet sums them; text is always text.

Formula injection: a spreadsheet program runs a CSV cell starting with = + - @ (or a
tab or carriage return) as a formula, and openpyxl writes a Python string starting
with "=" as one. A producer's name or a product name typed by anybody must never
become a formula, so in CSV such text gets a leading apostrophe (Excel's "this is
text" mark, shown by no one) and in .xlsx every string cell is stored as a string.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from ...text import fold
from ...timeutil import to_local

# Text a spreadsheet would read as the start of a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# The kinds of column a table has: how a value is written and formatted.
KINDS = ("text", "int", "vnd", "percent_bp", "datetime", "date")
# How Excel shows each kind: đồng and counts with a thousands separator, a rate or share held in
# basis points as a real percentage (3475 bp -> 0.3475 shown 34.75%), Vietnam dates dd/mm/yyyy.
XLSX_FORMATS = {"int": "#,##0", "vnd": "#,##0", "percent_bp": "0.00%", "datetime": "dd/mm/yyyy hh:mm",
                "date": "dd/mm/yyyy"}
_WIDTHS = {"datetime": 17, "date": 11, "percent_bp": 9}


@dataclass
class Column:
    key: str
    label: str
    kind: str = "text"

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind}")


@dataclass
class Table:
    """A report table: a title, its columns and rows of plain values (one per column)."""

    title: str
    columns: list[Column]
    rows: list[list] = field(default_factory=list)
    # Totals shown under the rows (same shape as a row), or None.
    footer: list | None = None
    # Lines written above the table in a file: the fair, the booth, the period.
    heading: list[str] = field(default_factory=list)

    def add(self, *values) -> None:
        if len(values) != len(self.columns):
            raise ValueError(f"a row of {len(values)} values for {len(self.columns)} columns")
        self.rows.append(list(values))


def safe_text(value: str) -> str:
    """Text a spreadsheet will show as written, never run: a formula-like start gets an apostrophe."""
    if value and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _plain(value, kind: str):
    """The value as a file holds it: numbers as integers, times in Vietnam time, the rest as text."""
    if value is None:
        return None
    if kind in ("int", "vnd", "percent_bp"):
        if value == "":
            return None
        return int(value)
    if kind == "datetime" and isinstance(value, datetime):
        local = to_local(value)
        return local.replace(tzinfo=None, microsecond=0)
    if kind == "date" and isinstance(value, datetime):
        return to_local(value).date() if value.tzinfo else value.date()
    if kind == "date" and isinstance(value, date):
        return value
    if kind == "date" and isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return date.fromisoformat(value)
    return str(value)


def to_csv(*tables: Table) -> bytes:
    """The tables as CSV in UTF-8 with a byte-order mark (so Excel shows Vietnamese right).

    Amounts are plain integers of đồng (no thousands separator), dates dd/mm/yyyy;
    several tables follow each other, a blank line apart.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for i, table in enumerate(tables):
        if i:
            writer.writerow([])
        _write_csv(writer, table)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _write_csv(writer, table: Table) -> None:
    for line in table.heading:
        writer.writerow([safe_text(line)])
    if table.heading:
        writer.writerow([])
    writer.writerow([safe_text(c.label) for c in table.columns])
    for row in [*table.rows, *([table.footer] if table.footer else [])]:
        cells = []
        for col, value in zip(table.columns, row):
            value = _plain(value, col.kind)
            if value is None:
                cells.append("")
            elif isinstance(value, datetime):
                cells.append(value.strftime("%d/%m/%Y %H:%M"))
            elif isinstance(value, date):
                cells.append(value.strftime("%d/%m/%Y"))
            elif isinstance(value, int) and col.kind == "percent_bp":
                # A plain decimal (34.75 for 34.75 %), a number to any spreadsheet, never a formula.
                cells.append(_percent_text(value))
            elif isinstance(value, int):
                cells.append(str(value))
            else:
                cells.append(safe_text(value))
        writer.writerow(cells)


def _percent_text(bp: int) -> str:
    sign = "-" if bp < 0 else ""
    whole, frac = divmod(abs(bp), 100)
    return f"{sign}{whole}.{frac:02d}"


def _sheet_title(title: str) -> str:
    # Excel: at most 31 characters, none of []:*?/\
    cleaned = re.sub(r"[\[\]:*?/\\]", " ", title).strip() or "Sheet"
    return cleaned[:31]


def _write_sheet(ws, table: Table) -> None:
    # openpyxl is loaded on the first spreadsheet asked for, not with every page: it is heavy.
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    r = 1
    for line in table.heading:
        cell = ws.cell(row=r, column=1)
        cell.value = line
        cell.data_type = "s"
        r += 1
    if table.heading:
        r += 1
    header_row = r
    for c, col in enumerate(table.columns, start=1):
        cell = ws.cell(row=r, column=c)
        cell.value = col.label
        cell.data_type = "s"
        cell.font = Font(bold=True)
    rows = [*table.rows, *([table.footer] if table.footer else [])]
    for i, row in enumerate(rows):
        r += 1
        for c, (col, value) in enumerate(zip(table.columns, row), start=1):
            value = _plain(value, col.kind)
            if value is None:
                continue
            cell = ws.cell(row=r, column=c)
            if col.kind == "percent_bp" and isinstance(value, int):
                value = value / 10_000  # a share, not money: Excel's percentages are fractions
            cell.value = value
            if isinstance(value, str):
                # openpyxl would store "=…" as a formula: a name is text, always.
                cell.data_type = "s"
            elif col.kind in XLSX_FORMATS:
                cell.number_format = XLSX_FORMATS[col.kind]
            if table.footer and i == len(rows) - 1:
                cell.font = Font(bold=True)
    for c, col in enumerate(table.columns, start=1):
        if col.kind in _WIDTHS:
            width = _WIDTHS[col.kind]
        else:
            # Amounts grow by their thousands separators (1.250.000 is 9 characters, not 7).
            width = max([0] + [len(str(row[c - 1])) * (4 if col.kind in ("int", "vnd") else 3) // 3
                               for row in rows[:200] if row[c - 1] is not None])
        width = max(width, min(len(col.label), 30))
        ws.column_dimensions[get_column_letter(c)].width = min(max(10, width + 2), 60)
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)


def to_xlsx(*tables: Table) -> bytes:
    """One workbook, a sheet per table (amounts as integer đồng formatted 120,000)."""
    from openpyxl import Workbook  # heavy: loaded on the first spreadsheet asked for

    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    for table in tables:
        title = _sheet_title(table.title)
        n = 2
        while title in used:
            title = _sheet_title(f"{table.title[:27]} {n}")
            n += 1
        used.add(title)
        _write_sheet(wb.create_sheet(title), table)
    if not tables:
        wb.create_sheet("Sheet")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIMETYPE = "text/csv"  # Flask adds "; charset=utf-8"


def file_name(*parts: str, ext: str) -> str:
    """An ASCII file name from Vietnamese words: ("Quyết toán", "Tuệ Lâm") -> quyet-toan_tue-lam.xlsx."""
    words = [re.sub(r"[^a-z0-9]+", "-", fold(p)).strip("-") for p in parts if p]
    return "_".join(w for w in words if w)[:120] + "." + ext


def render(tables: list[Table], fmt: str) -> tuple[bytes, str]:
    """The tables as a file: one workbook (a sheet each) or one CSV. Returns (bytes, mimetype).

    Raises ValueError for another format (the views only pass the two).
    """
    if fmt == "xlsx":
        return to_xlsx(*tables), XLSX_MIMETYPE
    if fmt == "csv":
        return to_csv(*tables), CSV_MIMETYPE
    raise ValueError(fmt)

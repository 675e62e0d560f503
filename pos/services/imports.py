"""Bulk import of producers and products from an Excel (.xlsx) or CSV sheet, with a per-row report.

A sheet is checked whole before anything is written: wrong or missing columns,
prices typed as text, stars out of range, barcodes used twice (in the sheet or
already in the catalogue), products of a producer the catalogue does not know.
A sheet with errors imports nothing, unless the user chooses to skip the bad
rows; then the good rows are imported and the bad ones listed.

Every row is saved through the catalogue services (save_producer, save_product),
each inside its own savepoint: the rules are the ones the forms follow, and a row
the service refuses leaves nothing behind. A check ("kiểm tra") runs the very same
path inside a savepoint that is rolled back at the end, so what the check reports
is exactly what an import would do.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from flask_babel import gettext
from sqlalchemy import select

from ..errors import DomainError, InvalidInput, N_
from ..models import PRODUCER_KINDS, Barcode, Product, Producer
from ..money import parse_vnd
from ..text import fold
from . import catalogue, uploads
from .reporting.exports import Column, Table, to_xlsx

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
# What a sheet may unpack to, checked before openpyxl reads it and before any write lock is taken
# (blank rows between products count as rows, hence the room above MAX_ROWS).
LIMITS = uploads.Limits(max_file_bytes=MAX_FILE_BYTES, max_rows=2 * MAX_ROWS, max_cells=200_000,
                        max_unpacked_bytes=32 * 1024 * 1024, max_cell_chars=32_767, max_seconds=30)
KINDS = {"producers": N_("Chủ thể"), "products": N_("Sản phẩm")}


@dataclass
class Spec:
    key: str  # the service's field
    label: str  # the header as the template writes it
    required: bool = False
    aliases: tuple[str, ...] = ()


PRODUCER_COLUMNS = [
    Spec("name", N_("Tên chủ thể"), True, ("chu the", "ten", "name", "producer")),
    Spec("kind", N_("Loại hình"), False, ("loai", "loai chu the", "kind")),
    Spec("province", N_("Tỉnh"), False, ("tinh thanh", "tinh/thanh pho", "province")),
    Spec("district", N_("Huyện"), False, ("quan huyen", "quan/huyen", "district")),
    Spec("commune", N_("Xã"), False, ("phuong xa", "xa/phuong", "commune")),
    Spec("phone", N_("Điện thoại"), False, ("so dien thoai", "sdt", "dt", "phone")),
    Spec("bank_account", N_("Tài khoản ngân hàng"), False, ("tai khoan", "so tai khoan", "stk", "bank account")),
    Spec("commission_percent", N_("Hoa hồng (%)"), False, ("hoa hong", "commission", "commission (%)")),
]
PRODUCT_COLUMNS = [
    Spec("producer", N_("Chủ thể"), True, ("ten chu the", "nha san xuat", "producer")),
    Spec("name", N_("Tên sản phẩm"), True, ("san pham", "ten", "name", "product")),
    Spec("unit", N_("Đơn vị tính"), True, ("dvt", "don vi", "unit")),
    Spec("price_vnd", N_("Giá bán (đồng)"), True, ("gia", "gia ban", "don gia", "price", "price (vnd)")),
    Spec("ocop_stars", N_("Hạng sao OCOP"), False, ("hang sao", "sao", "sao ocop", "ocop", "stars")),
    Spec("category", N_("Nhóm hàng"), False, ("nhom", "loai hang", "category")),
    Spec("barcodes", N_("Mã vạch"), False, ("ma vach", "barcode", "ean")),
    Spec("stamp_code", N_("Mã tem truy xuất"), False, ("ma tem", "tem truy xuat", "stamp", "stamp code")),
]
COLUMNS = {"producers": PRODUCER_COLUMNS, "products": PRODUCT_COLUMNS}

_KIND_WORDS = {"htx": "htx", "hop tac xa": "htx", "cong ty": "company", "company": "company", "doanh nghiep": "company",
               "ho san xuat": "household", "ho": "household", "ho gia dinh": "household", "household": "household",
               "ca nhan": "individual", "individual": "individual"}


class ImportHasErrors(DomainError):
    message = N_("Tệp có %(n)s dòng lỗi: chưa nhập gì. Sửa tệp, hoặc chọn bỏ qua các dòng lỗi.")
    field = "file"

    def __init__(self, report: "ImportReport"):
        self.report = report
        super().__init__(n=len(report.bad_rows) + (1 if report.sheet_errors else 0))


@dataclass
class RowResult:
    row: int  # the row number as the spreadsheet shows it
    values: dict
    errors: list[str] = field(default_factory=list)
    saved_id: int | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class ImportReport:
    kind: str
    file_name: str
    columns: list[Spec]
    sheet_errors: list[str] = field(default_factory=list)
    rows: list[RowResult] = field(default_factory=list)
    written: bool = False  # False for a check: nothing was kept

    @property
    def bad_rows(self) -> list[RowResult]:
        return [r for r in self.rows if not r.ok]

    @property
    def good_rows(self) -> list[RowResult]:
        return [r for r in self.rows if r.ok]

    @property
    def has_errors(self) -> bool:
        return bool(self.sheet_errors or self.bad_rows)

    @property
    def imported(self) -> int:
        return len(self.good_rows) if self.written else 0


# --- reading the file ---

def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFC", str(value)).strip()


def read_rows(file_name: str, data: bytes) -> list[tuple[int, list]]:
    """The sheet's non-empty rows as (row number, cells): the first sheet of an .xlsx, or a CSV, read within LIMITS.

    Touches no database. Raises InvalidInput (field "file") for an empty, too large, unreadable or unsupported file.
    """
    if not data:
        raise InvalidInput("file", "Chưa chọn tệp, hoặc tệp trống")
    if len(data) > MAX_FILE_BYTES:
        raise InvalidInput("file", "Tệp quá lớn (tối đa %(mb)s MB)", mb=MAX_FILE_BYTES // (1024 * 1024))
    name = (file_name or "").lower()
    if name.endswith(".xlsx") or data[:2] == b"PK":
        table = uploads.xlsx_tables(data, LIMITS, first_sheet_only=True)[0]
    elif name.endswith((".csv", ".txt")):
        table = _csv_table(data)
    else:
        raise InvalidInput("file", "Chỉ nhận tệp Excel (.xlsx) hoặc CSV (.csv)")
    rows = [(n, cells) for n, cells in enumerate(table, start=1) if any(_cell_text(c) for c in cells)]
    if len(rows) > MAX_ROWS + 1:
        raise InvalidInput("file", "Tệp có quá nhiều dòng (tối đa %(n)s)", n=MAX_ROWS)
    return rows


def _csv_table(data: bytes) -> list[list]:
    text = uploads.decode_text(data)
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    return uploads.csv_table(text, delimiter, LIMITS)


def _header_key(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[*:]", "", fold(text))).strip()


def _map_header(cells: list, specs: list[Spec]) -> tuple[dict[int, Spec], list[str]]:
    """Which column holds which field. Returns (index -> spec, sheet errors)."""
    lookup: dict[str, Spec] = {}
    for spec in specs:
        lookup[_header_key(spec.label)] = spec
        lookup[_header_key(gettext(spec.label))] = spec
        lookup[spec.key] = spec
        for alias in spec.aliases:
            lookup[_header_key(alias)] = spec
    mapping: dict[int, Spec] = {}
    errors: list[str] = []
    for i, cell in enumerate(cells):
        text = _cell_text(cell)
        if not text:
            continue
        spec = lookup.get(_header_key(text))
        if spec is None:
            errors.append(gettext("Cột không nhận ra: \"%(name)s\"", name=text))
        elif spec in mapping.values():
            errors.append(gettext("Cột \"%(name)s\" có hai lần", name=gettext(spec.label)))
        else:
            mapping[i] = spec
    for spec in specs:
        if spec.required and spec not in mapping.values():
            errors.append(gettext("Thiếu cột bắt buộc \"%(name)s\"", name=gettext(spec.label)))
    return mapping, errors


# --- checking and saving the rows ---

def _label(specs: list[Spec], key: str | None) -> str:
    for spec in specs:
        if spec.key == key or (key or "").startswith(spec.key):
            return gettext(spec.label)
    return {"producer_id": gettext("Chủ thể")}.get(key or "", key or "")


def _price(raw) -> int:
    if isinstance(raw, bool):
        raise InvalidInput("price_vnd", "Giá phải là số nguyên đồng")
    if isinstance(raw, float):
        if not raw.is_integer():
            raise InvalidInput("price_vnd", "Giá phải là số nguyên đồng, không có phần lẻ: %(value)s", value=raw)
        raw = int(raw)
    if isinstance(raw, int):
        return parse_vnd(raw, field="price_vnd")
    text = _cell_text(raw)
    try:
        return parse_vnd(text, field="price_vnd")
    except InvalidInput:
        if re.search(r"[0-9]", text):
            raise  # a number parse_vnd refuses says why itself ("1.5" is ambiguous, too large, negative)
        raise InvalidInput("price_vnd", "Giá phải là số đồng (ví dụ 120000), không phải chữ: \"%(value)s\"",
                           value=text[:40]) from None


def _stars(raw):
    text = _cell_text(raw)
    if not text:
        return None
    text = text.replace("★", "").replace("sao", "").strip()
    if not (text.isascii() and text.isdigit()) or not 3 <= int(text) <= 5:
        raise InvalidInput("ocop_stars", "Hạng sao OCOP phải là 3, 4 hoặc 5: \"%(value)s\"", value=_cell_text(raw)[:20])
    return int(text)


def _codes(raw) -> list[str]:
    return [c for c in re.split(r"[\s,;]+", _cell_text(raw)) if c]


def _key(name: str) -> str:
    """A name as compared: no diacritics, lower case, single spaces ("HTX  Mới " = "htx moi")."""
    return " ".join(fold(name).split())


class _Catalogue:
    """What the catalogue already holds, to name an unknown producer or a clash before saving."""

    def __init__(self, session):
        self.producers: dict[str, list[Producer]] = {}
        for p in session.scalars(select(Producer)):
            self.producers.setdefault(_key(p.name), []).append(p)
        self.products = {(p.producer_id, _key(p.name)) for p in session.scalars(select(Product))}
        self.barcodes = {b.code: b.product.name for b in session.scalars(select(Barcode))}


def _producer_row(session, known: _Catalogue, values: dict, seen: dict) -> dict:
    name = values.get("name", "")
    key = _key(name)
    if key and key in known.producers:
        raise InvalidInput("name", "Chủ thể \"%(name)s\" đã có trong danh mục", name=name)
    if key and key in seen:
        raise InvalidInput("name", "Chủ thể \"%(name)s\" trùng với dòng %(row)s", name=name, row=seen[key])
    kind_text = fold(values.get("kind", "")).strip()
    kind = _KIND_WORDS.get(kind_text, kind_text) if kind_text else "htx"
    if kind not in PRODUCER_KINDS:
        raise InvalidInput("kind", "Loại hình \"%(value)s\" không hợp lệ: HTX, Công ty, Hộ sản xuất hoặc Cá nhân",
                           value=values.get("kind", ""))
    data = {k: values.get(k, "") for k in ("name", "province", "district", "commune", "phone", "bank_account",
                                           "commission_percent")}
    data["kind"] = kind
    return data


def _product_row(session, known: _Catalogue, values: dict, raw: dict, seen_products: dict, seen_codes: dict) -> dict:
    producer_name = values.get("producer", "")
    matches = known.producers.get(_key(producer_name), [])
    if not matches:
        raise InvalidInput("producer", "Không có chủ thể \"%(name)s\" trong danh mục: nhập chủ thể trước",
                           name=producer_name)
    if len(matches) > 1:
        raise InvalidInput("producer", "Có %(n)s chủ thể tên \"%(name)s\": đổi tên cho khác nhau trước",
                           n=len(matches), name=producer_name)
    producer = matches[0]
    price = _price(raw.get("price_vnd"))
    stars = _stars(raw.get("ocop_stars"))
    key = (producer.id, _key(values.get("name", "")))
    if key[1] and key in known.products:
        raise InvalidInput("name", "%(producer)s đã có sản phẩm \"%(name)s\"", producer=producer.name,
                           name=values.get("name", ""))
    if key[1] and key in seen_products:
        raise InvalidInput("name", "Sản phẩm \"%(name)s\" trùng với dòng %(row)s", name=values.get("name", ""),
                           row=seen_products[key])
    codes = _codes(raw.get("barcodes"))
    for code in codes:
        if code in known.barcodes:
            raise InvalidInput("barcodes", "Mã vạch %(code)s đã dùng cho sản phẩm %(product)s", code=code,
                               product=known.barcodes[code])
        if code in seen_codes:
            raise InvalidInput("barcodes", "Mã vạch %(code)s trùng với dòng %(row)s", code=code, row=seen_codes[code])
    return dict(producer_id=producer.id, name=values.get("name", ""), unit=values.get("unit", ""), price_vnd=price,
                ocop_stars=stars, category=values.get("category", ""), barcodes=codes,
                stamp_code=values.get("stamp_code", ""))


@dataclass
class Sheet:
    """A sheet read and checked for its columns, ready to check row by row against the catalogue."""

    kind: str
    file_name: str
    specs: list[Spec]
    mapping: dict[int, Spec]
    sheet_errors: list[str]
    rows: list[tuple[int, list]]  # the data rows, after the header


def read_sheet(kind: str, file_name: str, data: bytes) -> Sheet:
    """Read a producers' or products' sheet and map its header, touching no database.

    Run it before the write transaction: a large or hostile file is refused without
    holding up a till. Raises InvalidInput (the kind, the file).
    """
    if kind not in COLUMNS:
        raise InvalidInput("kind", "Chọn loại danh mục: chủ thể hoặc sản phẩm")
    specs = COLUMNS[kind]
    rows = read_rows(file_name, data)
    if not rows:
        raise InvalidInput("file", "Tệp không có dòng nào")
    _header_no, header = rows[0]
    mapping, sheet_errors = _map_header(header, specs)
    if not sheet_errors and len(rows) == 1:
        sheet_errors.append(gettext("Tệp chỉ có dòng tiêu đề, không có dữ liệu"))
    return Sheet(kind, file_name or "", specs, mapping, sheet_errors, rows[1:])


def _run(session, sheet: Sheet) -> ImportReport:
    """Check and save every row, each in its own savepoint. The caller keeps or rolls back the lot."""
    kind, specs, mapping = sheet.kind, sheet.specs, sheet.mapping
    report = ImportReport(kind, sheet.file_name, specs, sheet_errors=list(sheet.sheet_errors))
    if report.sheet_errors:
        return report
    known = _Catalogue(session)
    seen_producers: dict[str, int] = {}
    seen_products: dict[tuple, int] = {}
    seen_codes: dict[str, int] = {}
    for n, cells in sheet.rows:
        raw = {spec.key: cells[i] if i < len(cells) else None for i, spec in mapping.items()}
        values = {k: _cell_text(val) for k, val in raw.items()}
        result = RowResult(n, values)
        report.rows.append(result)
        for spec in specs:
            if spec.required and not values.get(spec.key):
                result.errors.append(gettext("%(column)s: không được để trống", column=gettext(spec.label)))
        if result.errors:
            continue
        try:
            if kind == "producers":
                payload = _producer_row(session, known, values, seen_producers)
            else:
                payload = _product_row(session, known, values, raw, seen_products, seen_codes)
        except DomainError as err:
            result.errors.append(f"{_label(specs, err.field)}: {err.text}")
            continue
        savepoint = session.begin_nested()
        try:
            if kind == "producers":
                saved = catalogue.save_producer(session, payload)
            else:
                saved = catalogue.save_product(session, payload)
        except DomainError as err:
            savepoint.rollback()
            result.errors.append(f"{_label(specs, err.field)}: {err.text}")
            continue
        savepoint.commit()
        result.saved_id = saved.id
        if kind == "producers":
            seen_producers[_key(saved.name)] = n
        else:
            seen_products[(saved.producer_id, _key(saved.name))] = n
            for code in saved.barcode_list:
                seen_codes[code] = n
    return report


def check_sheet(session, sheet: Sheet) -> ImportReport:
    """Check a read sheet row by row, exactly as an import would, and keep nothing."""
    outer = session.begin_nested()
    try:
        report = _run(session, sheet)
    finally:
        outer.rollback()
    for r in report.rows:
        r.saved_id = None
    return report


def import_sheet(session, sheet: Sheet, *, skip_bad_rows: bool = False) -> ImportReport:
    """Import a read sheet's producers or products, in the caller's transaction.

    With any error and skip_bad_rows False nothing is kept (raises ImportHasErrors,
    carrying the report); with skip_bad_rows the good rows are kept, the bad ones
    listed. A sheet whose columns are wrong imports nothing either way.
    Raises ImportHasErrors.
    """
    outer = session.begin_nested()
    try:
        report = _run(session, sheet)
    except BaseException:
        outer.rollback()
        raise
    if report.sheet_errors or (report.bad_rows and not skip_bad_rows) or not report.good_rows:
        outer.rollback()
        for r in report.rows:
            r.saved_id = None
        if report.has_errors:
            raise ImportHasErrors(report)
        return report
    outer.commit()
    report.written = True
    return report


def template_workbook(kind: str) -> bytes:
    """An .xlsx with the expected header and one example row, to fill in."""
    specs = COLUMNS[kind]
    # The price and the stars are numbers in Excel, as an organiser types them; codes stay text.
    number_kinds = {"price_vnd": "vnd", "ocop_stars": "int"}
    table = Table(gettext(KINDS[kind]), [Column(s.key, gettext(s.label) + (" *" if s.required else ""),
                                                number_kinds.get(s.key, "text")) for s in specs])
    if kind == "producers":
        table.add("HTX Thảo mộc Tuệ Lâm", "HTX", "Quảng Ninh", "Bình Liêu", "Thị trấn Bình Liêu", "0203 3878 123",
                  "Agribank 8002 2050 12345", "")
    else:
        table.add("HTX Thảo mộc Tuệ Lâm", "Tinh dầu quế Tuệ Lâm 10ml", "lọ", 95000, 4, "Tinh dầu",
                  "8936123450014", "TL-QUE-10")
    return to_xlsx(table)

"""Bulk import of producers and products: a per-row report, and nothing imported from a sheet with errors
unless the user chooses to skip the bad rows."""
from __future__ import annotations

import io
import unicodedata

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from pos.errors import InvalidInput
from pos.models import Barcode, Product, Producer
from pos.services import booths, catalogue, imports

PRODUCT_HEADER = ["Chủ thể", "Tên sản phẩm", "Đơn vị tính", "Giá bán (đồng)", "Hạng sao OCOP", "Nhóm hàng", "Mã vạch",
                  "Mã tem truy xuất"]


@pytest.fixture
def s(session):
    booths.init_database(session)
    catalogue.save_producer(session, dict(name="HTX Thảo mộc Tuệ Lâm", kind="htx", district="Bình Liêu"))
    catalogue.save_producer(session, dict(name="HTX Miến dong Đồng Tâm", kind="htx", district="Bình Liêu"))
    tl = session.scalars(select(Producer).where(Producer.name == "HTX Thảo mộc Tuệ Lâm")).one()
    catalogue.save_product(session, dict(producer_id=tl.id, name="Tinh dầu quế 10ml", unit="lọ", price_vnd=95000,
                                         barcodes=["8936123450014"]))
    session.commit()
    return session


def xlsx(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _cp1258(text: str) -> bytes:
    """Text as Windows-1258 stores Vietnamese: base letters (â, ơ, đ …) whole, tone marks apart."""
    out = []
    for ch in text:
        try:
            out.append(ch.encode("cp1258"))
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", ch)
            tones = "".join(c for c in parts if c in "\u0300\u0301\u0303\u0309\u0323")
            base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in tones))
            out.append((base + tones).encode("cp1258"))
    return b"".join(out)


def count(s, model):
    return s.scalar(select(func.count()).select_from(model))


GOOD = [PRODUCT_HEADER,
        ["HTX Thảo mộc Tuệ Lâm", "Tinh dầu hồi 10ml", "lọ", 110000, 4, "Tinh dầu", 8936123450021, "TL-HOI-10"],
        ["htx thao moc tue lam", "Tinh dầu bưởi 10ml", "lọ", "85.000", "3", "Tinh dầu", "", ""],
        ["HTX Miến dong Đồng Tâm", "Miến dong 500g", "gói", 60000.0, None, "Đặc sản khô", "8936123451011; 2000000000015",
         None]]


def test_a_good_sheet_imports_every_row_through_the_catalogue_rules(s):
    report = imports.import_sheet(s, imports.read_sheet("products", "san-pham.xlsx", xlsx(GOOD)))
    s.commit()
    assert report.written and report.imported == 3 and not report.has_errors
    hoi = s.scalars(select(Product).where(Product.name == "Tinh dầu hồi 10ml")).one()
    assert (hoi.price_vnd, hoi.ocop_stars, hoi.barcode_list, hoi.stamp_code) == (110000, 4, ["8936123450021"], "TL-HOI-10")
    buoi = s.scalars(select(Product).where(Product.name == "Tinh dầu bưởi 10ml")).one()
    assert buoi.producer.name == "HTX Thảo mộc Tuệ Lâm" and buoi.price_vnd == 85000  # name matched without diacritics
    mien = s.scalars(select(Product).where(Product.name == "Miến dong 500g")).one()
    assert mien.barcode_list == ["8936123451011", "2000000000015"] and mien.ocop_stars is None


def test_wrong_columns_are_reported_for_the_sheet_and_nothing_is_imported(s):
    before = count(s, Product)
    sheet = [["Chủ thể", "Tên", "Giá tiền", "Màu sắc"], ["HTX Thảo mộc Tuệ Lâm", "Trà", 1000, "đỏ"]]
    with pytest.raises(imports.ImportHasErrors) as info:
        imports.import_sheet(s, imports.read_sheet("products", "x.xlsx", xlsx(sheet)), skip_bad_rows=True)
    errors = info.value.report.sheet_errors
    assert 'Cột không nhận ra: "Giá tiền"' in errors and 'Cột không nhận ra: "Màu sắc"' in errors
    assert 'Thiếu cột bắt buộc "Đơn vị tính"' in errors and 'Thiếu cột bắt buộc "Giá bán (đồng)"' in errors
    s.rollback()
    assert count(s, Product) == before


def test_each_bad_row_is_named_with_its_column_and_nothing_is_imported(s):
    sheet = GOOD + [
        ["HTX Thảo mộc Tuệ Lâm", "Tinh dầu sả", "lọ", "liên hệ", 3, "", "", ""],             # row 5: price as text
        ["HTX Chè Không Có", "Chè xanh", "gói", 50000, "", "", "", ""],                      # row 6: unknown producer
        ["HTX Thảo mộc Tuệ Lâm", "Tinh dầu nhu", "lọ", 120000, "", "", "8936123450021", ""],  # row 7: barcode of row 2
        ["HTX Thảo mộc Tuệ Lâm", "Tinh dầu gừng", "lọ", 90000, "", "", "8936123450014", ""],  # row 8: already used
        ["HTX Thảo mộc Tuệ Lâm", "Tinh dầu tràm", "lọ", 95000.5, 7, "", "", ""],             # row 9: fraction
        ["HTX Thảo mộc Tuệ Lâm", "", "lọ", 1000, "", "", "", ""],                            # row 10: no name
        ["HTX Thảo mộc Tuệ Lâm", "Tinh dầu quế 10ml", "lọ", 95000, "", "", "", ""],          # row 11: exists
    ]
    before = (count(s, Product), count(s, Barcode))
    with pytest.raises(imports.ImportHasErrors) as info:
        imports.import_sheet(s, imports.read_sheet("products", "x.xlsx", xlsx(sheet)))
    s.rollback()
    assert (count(s, Product), count(s, Barcode)) == before
    report = info.value.report
    errors = {r.row: " ".join(r.errors) for r in report.bad_rows}
    assert sorted(errors) == [5, 6, 7, 8, 9, 10, 11]
    assert "Giá bán (đồng)" in errors[5] and "liên hệ" in errors[5]
    assert "Không có chủ thể \"HTX Chè Không Có\"" in errors[6]
    assert "8936123450021" in errors[7] and "dòng 2" in errors[7]
    assert "8936123450014" in errors[8] and "Tinh dầu quế 10ml" in errors[8]
    assert "không có phần lẻ" in errors[9]
    assert "Tên sản phẩm: không được để trống" in errors[10]
    assert "đã có sản phẩm" in errors[11]
    assert "Tệp có 7 dòng lỗi" in info.value.text


def test_skipping_the_bad_rows_imports_the_good_ones_and_lists_the_rest(s):
    sheet = GOOD + [["HTX Chè Không Có", "Chè xanh", "gói", 50000, "", "", "", ""]]
    report = imports.import_sheet(s, imports.read_sheet("products", "x.xlsx", xlsx(sheet)), skip_bad_rows=True)
    s.commit()
    assert report.imported == 3 and [r.row for r in report.bad_rows] == [5]
    assert s.scalars(select(Product).where(Product.name == "Chè xanh")).first() is None
    assert s.scalars(select(Product).where(Product.name == "Miến dong 500g")).first() is not None


def test_a_check_reports_what_an_import_would_do_and_writes_nothing(s):
    before = (count(s, Product), count(s, Barcode))
    report = imports.check_sheet(s, imports.read_sheet("products", "x.xlsx", xlsx(GOOD + [GOOD[1]])))
    s.commit()
    assert (count(s, Product), count(s, Barcode)) == before
    assert [r.row for r in report.good_rows] == [2, 3, 4] and [r.row for r in report.bad_rows] == [5]
    assert not report.written and report.imported == 0


def test_producers_import_from_a_csv_with_semicolons_saved_by_a_vietnamese_excel(s):
    text = ("Tên chủ thể;Loại hình;Tỉnh;Huyện;Xã;Điện thoại;Hoa hồng (%)\r\n"
            "HTX Dầu sở Lục Hồn;HTX;Quảng Ninh;Bình Liêu;Lục Hồn;0388 112 233;8\r\n"
            "Hộ ông Hoàng Văn Lục;Hộ sản xuất;Quảng Ninh;Bình Liêu;Húc Động;;\r\n"
            "Công ty Mật ong Việt;công ty;Hà Nội;Ba Vì;;;\r\n"
            "HTX Thảo mộc Tuệ Lâm;HTX;;;;;\r\n"
            "Nhà Vườn;trang trại;;;;;\r\n")
    data = _cp1258(text)  # Excel's "CSV" on a Vietnamese Windows
    with pytest.raises(imports.ImportHasErrors) as info:
        imports.import_sheet(s, imports.read_sheet("producers", "chu-the.csv", data))
    s.rollback()
    errors = {r.row: " ".join(r.errors) for r in info.value.report.bad_rows}
    assert sorted(errors) == [5, 6]
    assert "đã có trong danh mục" in errors[5] and "trang trại" in errors[6]
    report = imports.import_sheet(s, imports.read_sheet("producers", "chu-the.csv", data), skip_bad_rows=True)
    s.commit()
    assert report.imported == 3
    dauso = s.scalars(select(Producer).where(Producer.name == "HTX Dầu sở Lục Hồn")).one()
    assert (dauso.kind, dauso.commune, dauso.commission_bp) == ("htx", "Lục Hồn", 800)
    assert s.scalars(select(Producer).where(Producer.name == "Hộ ông Hoàng Văn Lục")).one().kind == "household"
    assert s.scalars(select(Producer).where(Producer.name == "Công ty Mật ong Việt")).one().kind == "company"


def test_a_producer_named_twice_in_the_sheet_is_refused_on_its_second_row(s):
    data = xlsx([["Tên chủ thể"], ["HTX Mới"], ["HTX  mới "]])
    with pytest.raises(imports.ImportHasErrors) as info:
        imports.import_sheet(s, imports.read_sheet("producers", "x.xlsx", data))
    assert [(r.row, "dòng 2" in r.errors[0]) for r in info.value.report.bad_rows] == [(3, True)]


@pytest.mark.parametrize("name, data, words", [
    ("x.xlsx", b"", "trống"),
    ("x.pdf", b"%PDF-1.4", "Chỉ nhận tệp Excel"),
    ("x.xlsx", b"PK\x03\x04 not really a workbook", "Không đọc được tệp Excel"),
    ("x.csv", "Tên chủ thể\r\n".encode(), "chỉ có dòng tiêu đề"),
])
def test_an_unreadable_or_empty_file_gets_a_clear_message(s, name, data, words):
    try:
        report = imports.check_sheet(s, imports.read_sheet("producers", name, data))
    except InvalidInput as err:
        assert err.field == "file" and words in err.text
    else:
        assert any(words in e for e in report.sheet_errors)


def test_the_template_has_the_columns_the_import_expects(s):
    for kind in ("producers", "products"):
        wb = load_workbook(io.BytesIO(imports.template_workbook(kind)))
        ws = wb.worksheets[0]
        header = [c.value for c in ws[1]]
        assert [h.rstrip(" *") for h in header] == [spec.label for spec in imports.COLUMNS[kind]]
        # The filled-in example row is itself importable once its producer exists.
        report = imports.check_sheet(s, imports.read_sheet(kind, "mau.xlsx", imports.template_workbook(kind)))
        if kind == "products":
            assert report.bad_rows and "8936123450014" in report.bad_rows[0].errors[0]  # taken by the fixture
        else:
            assert "đã có" in report.bad_rows[0].errors[0]


def test_stars_written_as_superscripts_are_a_row_error_not_a_crash(s):
    sheet = [PRODUCT_HEADER, ["HTX Thảo mộc Tuệ Lâm", "Tinh dầu sả", "lọ", 60000, "³", "", "", ""]]
    with pytest.raises(imports.ImportHasErrors) as err:
        imports.import_sheet(s, imports.read_sheet("products", "x.xlsx", xlsx(sheet)))
    assert "Hạng sao OCOP phải là 3, 4 hoặc 5" in err.value.report.bad_rows[0].errors[0]

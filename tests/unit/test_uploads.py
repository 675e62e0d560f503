"""Uploaded spreadsheets are read within limits, before any database work: a zip bomb, a sheet that
claims a million rows, a giant cell or binary junk posted as CSV is refused with a plain message."""
import random

import pytest

from pos.errors import InvalidInput
from pos.services import bank_statements, imports, uploads
from tests.spreadsheets import cell_bomb, inline_rows, xlsx_with_sheet

SMALL = uploads.Limits(max_file_bytes=1024 * 1024, max_rows=100, max_cells=1000, max_unpacked_bytes=1024 * 1024,
                       max_cell_chars=500, max_seconds=30)


def refused(fn, *args) -> str:
    with pytest.raises(InvalidInput) as err:
        fn(*args)
    assert err.value.field == "file"
    return err.value.text


def test_a_workbook_within_the_limits_is_read_as_rows_of_cells():
    data = inline_rows([["Ngày", "Số tiền", "Nội dung"], ["20/01/2020", "250.000", "B07T1K3F9QZ"]])
    assert uploads.xlsx_tables(data, SMALL) == [[["Ngày", "Số tiền", "Nội dung"], ["20/01/2020", "250.000",
                                                                                    "B07T1K3F9QZ"]]]


def test_a_million_cells_in_a_small_zip_are_refused_before_openpyxl_reads_them():
    bomb = cell_bomb()  # 1000 × 1000 cells
    assert len(bomb) < 200_000
    for limits in (bank_statements.LIMITS, imports.LIMITS):
        assert "quá nhiều ô" in refused(uploads.xlsx_tables, bomb, limits)
    assert "quá nhiều ô" in refused(bank_statements.read_tables, "SaoKe.xlsx", bomb)
    assert "quá nhiều ô" in refused(imports.read_rows, "san-pham.xlsx", bomb)


def test_a_zip_that_unpacks_past_the_limit_is_refused_from_its_table_of_contents():
    bomb = cell_bomb(rows=100, columns=1000)  # 1.5 MB unpacked, 100 000 cells
    assert "giải nén ra quá lớn" in refused(uploads.xlsx_tables, bomb, SMALL)


def test_a_sheet_claiming_a_million_rows_and_16384_columns_is_not_padded_out():
    # One cell in the sheet's last corner: openpyxl would pad a million rows of 16 384 empty cells.
    body = (b'<dimension ref="A1:XFD1048576"/><sheetData>'
            b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>')
    assert "quá nhiều dòng" in refused(uploads.xlsx_tables, xlsx_with_sheet(body), SMALL)


def test_a_declared_dimension_does_not_pad_a_small_sheet():
    body = (b'<dimension ref="A1:XFD20"/><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>'
            b'</sheetData>')
    assert uploads.xlsx_tables(xlsx_with_sheet(body), SMALL) == [[["x"]]]


def test_one_giant_cell_is_refused_naming_its_row():
    data = inline_rows([["a"], ["b" * 600]])
    text = refused(uploads.xlsx_tables, data, SMALL)
    assert "Dòng 2" in text and "500 ký tự" in text


def test_too_many_rows_of_a_csv_are_refused():
    text = "a,b\n" * 101
    assert "quá nhiều dòng" in refused(uploads.csv_table, text, ",", SMALL)


@pytest.mark.parametrize("data", [
    random.Random(11).randbytes(4000),  # what a photo or a program looks like to a CSV reader
    b"Ngay,So tien,Noi dung\n20/01/2020,250000,abc\x00\x00\x00\n",
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
])
def test_binary_junk_posted_as_csv_is_refused_with_a_message(data):
    text = refused(bank_statements.read_tables, "saoke.csv", data)
    assert "CSV" in text
    text = refused(imports.read_rows, "san-pham.csv", data)
    assert "CSV" in text


def test_a_csv_field_the_csv_module_cannot_hold_is_a_message_not_a_crash():
    data = b'Ngay,So tien,Noi dung\n"' + b"x" * 200_000 + b'",1,2\n'
    text = refused(bank_statements.read_tables, "saoke.csv", data)
    assert "Dòng" in text or "dòng" in text

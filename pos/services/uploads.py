"""Reading an uploaded spreadsheet (.xlsx or CSV) within limits, before any write transaction begins.

An .xlsx is a zip: 100 KB can unpack to a million cells, and openpyxl would spend
minutes and gigabytes on it. So the zip's table of contents is read first (what each
member says it unpacks to: zipfile never unpacks a member past that size), then the
sheets' XML is scanned as a byte stream counting cells and rows, and only a file
within every limit reaches openpyxl (read-only mode, the declared sheet size ignored),
which is watched again row by row. A CSV must be text (UTF-8, UTF-16 with its mark, or
Windows-1258 as Excel saves it on a Vietnamese Windows) with no NUL bytes.

Every refusal is InvalidInput on the field "file" with a plain message. None of this
touches the database: the callers read the file first, then open the write transaction
only for the inserts, so a hostile file never holds up a till's sale.
"""
from __future__ import annotations

import csv
import io
import re
import time
import unicodedata
import zipfile
from dataclasses import dataclass

from ..errors import InvalidInput


@dataclass(frozen=True)
class Limits:
    """What one uploaded file may hold and cost to read."""

    max_file_bytes: int
    max_rows: int
    max_cells: int
    max_unpacked_bytes: int  # all the .xlsx zip's members together, unpacked
    max_cell_chars: int = 32_767  # Excel's own limit for one cell
    max_seconds: float = 30.0
    max_zip_members: int = 1_000


class _Clock:
    def __init__(self, limits: Limits):
        self.limits = limits
        self.deadline = time.monotonic() + limits.max_seconds

    def check(self):
        if time.monotonic() > self.deadline:
            raise InvalidInput("file", "Đọc tệp quá %(seconds)s giây: tệp quá lớn hoặc hỏng, chưa nhập gì",
                               seconds=int(self.limits.max_seconds))


def _too_many_rows(limits: Limits):
    return InvalidInput("file", "Tệp có quá nhiều dòng (tối đa %(n)s): chưa nhập gì", n=limits.max_rows)


def _too_many_cells(limits: Limits):
    return InvalidInput("file", "Tệp có quá nhiều ô (tối đa %(n)s): chưa nhập gì. Xóa các cột, dòng thừa rồi nhập lại",
                        n=limits.max_cells)


def _cell_too_long(limits: Limits, row: int):
    return InvalidInput("file", "Dòng %(row)s có một ô dài quá %(n)s ký tự: chưa nhập gì", row=row,
                        n=limits.max_cell_chars)


# --- .xlsx ---------------------------------------------------------------------------------

# Element names may carry a namespace prefix (<x:c ...>); a prefix is short.
_CELL_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,20}:)?c[\s/>]")
_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,20}:)?row[\s/>]")
_SHARED_STRING_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,20}:)?si[\s/>]")
_CHUNK = 1 << 20


def _count_tags(stream, pattern: re.Pattern, limit: int, clock: _Clock, too_many) -> int:
    """How many elements the pattern matches in a member, read as a stream; raises too_many past limit."""
    count, carry = 0, b""
    while True:
        chunk = stream.read(_CHUNK)
        buf = carry + chunk
        if not chunk:
            return count + len(pattern.findall(buf))
        # A tag is at most ~25 bytes: keep the tail from the last "<" near the end for the next chunk.
        cut = buf.rfind(b"<", max(0, len(buf) - 64))
        cut = len(buf) if cut == -1 else cut
        count += len(pattern.findall(buf, 0, cut))
        carry = buf[cut:]
        if count > limit:
            raise too_many
        clock.check()


def _check_zip(data: bytes, limits: Limits, clock: _Clock) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InvalidInput("file", "Không đọc được tệp Excel (.xlsx): tệp hỏng hoặc không phải Excel") from exc
    with archive:
        members = archive.infolist()
        if len(members) > limits.max_zip_members:
            raise InvalidInput("file", "Không đọc được tệp Excel (.xlsx): tệp hỏng hoặc không phải Excel")
        # zipfile stops unpacking a member at the size the table of contents gives (a lying size fails its CRC),
        # so these sizes bound what openpyxl can be made to read.
        unpacked = sum(m.file_size for m in members)
        if unpacked > limits.max_unpacked_bytes:
            raise InvalidInput("file", "Tệp Excel giải nén ra quá lớn (hơn %(mb)s MB): chưa đọc, chưa nhập gì",
                               mb=limits.max_unpacked_bytes // (1024 * 1024))
        cells = rows = strings = 0
        for member in members:
            name = member.filename.lower()
            if not name.endswith(".xml"):
                continue
            try:
                if name.startswith("xl/worksheets/"):
                    with archive.open(member) as stream:
                        cells += _count_tags(stream, _CELL_TAG, limits.max_cells - cells, clock, _too_many_cells(limits))
                    with archive.open(member) as stream:
                        # Rows without cells cost little, but a million of them is no statement either.
                        rows += _count_tags(stream, _ROW_TAG, 10 * limits.max_rows - rows, clock, _too_many_rows(limits))
                elif name.endswith("sharedstrings.xml"):
                    with archive.open(member) as stream:
                        # There cannot be more distinct strings than cells; each becomes a Python string.
                        strings += _count_tags(stream, _SHARED_STRING_TAG, limits.max_cells, clock,
                                               _too_many_cells(limits))
            except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
                # A bad CRC (a member longer than it says), an unknown compression, a truncated file.
                raise InvalidInput("file", "Không đọc được tệp Excel (.xlsx): tệp hỏng hoặc không phải Excel") from exc


def xlsx_tables(data: bytes, limits: Limits, *, first_sheet_only: bool = False) -> list[list[list]]:
    """The workbook's sheets as rows of cell values (trailing empty cells dropped). Raises InvalidInput."""
    import openpyxl  # here, not at the top: a quarter of a second to load, and only uploads of .xlsx need it

    if len(data) > limits.max_file_bytes:
        raise InvalidInput("file", "Tệp quá lớn (tối đa %(mb)s MB)", mb=limits.max_file_bytes // (1024 * 1024))
    clock = _Clock(limits)
    _check_zip(data, limits, clock)
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a damaged or foreign file
        raise InvalidInput("file", "Không đọc được tệp Excel (.xlsx): tệp hỏng hoặc không phải Excel") from exc
    try:
        sheets, cells = [], 0
        for ws in wb.worksheets[:1] if first_sheet_only else wb.worksheets:
            # The sheet's declared size (<dimension ref="A1:XFD1048576">) would pad every row to it: ignore it.
            ws.reset_dimensions()
            rows = []
            try:
                for n, row in enumerate(ws.iter_rows(values_only=True), start=1):
                    if n > limits.max_rows:
                        raise _too_many_rows(limits)
                    cells += len(row)
                    if cells > limits.max_cells:
                        raise _too_many_cells(limits)
                    row = list(row)
                    while row and row[-1] is None:
                        row.pop()
                    for value in row:
                        if isinstance(value, str) and len(value) > limits.max_cell_chars:
                            raise _cell_too_long(limits, n)
                    rows.append(row)
                    if n % 256 == 0:
                        clock.check()
            except InvalidInput:
                raise
            except Exception as exc:  # noqa: BLE001 - malformed sheet XML, a bad date, a truncated member
                raise InvalidInput("file", "Không đọc được tệp Excel (.xlsx): tệp hỏng hoặc không phải Excel") from exc
            sheets.append(rows)
        return sheets
    finally:
        wb.close()


# --- CSV -------------------------------------------------------------------------------------


def decode_text(data: bytes) -> str:
    """A CSV's bytes as text: UTF-8 (with or without its mark), UTF-16 with its mark, or Windows-1258.

    Raises InvalidInput for bytes that are none of these or hold NUL characters
    (a binary file posted as CSV).
    """
    try:
        if data.startswith(b"\xef\xbb\xbf"):
            text = data[3:].decode("utf-8")
        elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
            text = data.decode("utf-16")
        else:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                # Excel on a Vietnamese Windows saves CSV in Windows-1258 (tones as combining marks).
                text = data.decode("cp1258")
    except UnicodeDecodeError:
        raise InvalidInput("file", "Không đọc được tệp CSV: không phải chữ (UTF-8 hoặc Windows-1258). "
                                   "Hãy lưu dạng CSV UTF-8 hoặc .xlsx") from None
    if "\x00" in text:
        raise InvalidInput("file", "Tệp không phải CSV: có dữ liệu nhị phân. Chọn đúng tệp .csv hoặc .xlsx")
    return unicodedata.normalize("NFC", text)


def csv_table(text: str, delimiter: str, limits: Limits) -> list[list[str]]:
    """The CSV's rows, within the limits. Raises InvalidInput."""
    clock = _Clock(limits)
    rows, cells = [], 0
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        for n, row in enumerate(reader, start=1):
            if n > limits.max_rows:
                raise _too_many_rows(limits)
            cells += len(row)
            if cells > limits.max_cells:
                raise _too_many_cells(limits)
            if any(len(cell) > limits.max_cell_chars for cell in row):
                raise _cell_too_long(limits, n)
            rows.append(row)
            if n % 256 == 0:
                clock.check()
    except csv.Error as exc:
        # A field longer than the csv module allows, a stray quote at the end of the file.
        raise InvalidInput("file", "Tệp CSV hỏng ở dòng %(row)s: chưa nhập gì", row=reader.line_num) from exc
    return rows

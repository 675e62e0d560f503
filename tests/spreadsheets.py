"""Hand-made .xlsx files for the upload tests: a zip written directly, so a hostile workbook
(a million cells in 100 KB) is built in a fraction of a second instead of minutes of openpyxl."""
from __future__ import annotations

import io
import zipfile

_CONTENT_TYPES = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                  b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                  b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                  b'<Default Extension="xml" ContentType="application/xml"/>'
                  b'<Override PartName="/xl/workbook.xml" '
                  b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                  b'<Override PartName="/xl/worksheets/sheet1.xml" '
                  b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                  b'</Types>')
_RELS = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
         b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
         b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
         b'Target="xl/workbook.xml"/></Relationships>')
_WORKBOOK = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
             b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
             b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
             b'<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WORKBOOK_RELS = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                  b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                  b'<Relationship Id="rId1" '
                  b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
                  b'Target="worksheets/sheet1.xml"/></Relationships>')
_SHEET_HEAD = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
               b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')


def xlsx_with_sheet(sheet_body: bytes) -> bytes:
    """A one-sheet workbook whose worksheet XML is sheet_body inside <worksheet>."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/workbook.xml", _WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        z.writestr("xl/worksheets/sheet1.xml", _SHEET_HEAD + sheet_body + b"</worksheet>")
    return out.getvalue()


def cell_bomb(rows: int = 1000, columns: int = 1000) -> bytes:
    """rows × columns tiny numeric cells (a million by default): about 100 KB zipped."""
    row = b"<c><v>1</v></c>" * columns
    body = b"".join(b'<row r="%d">' % (r + 1) + row + b"</row>" for r in range(rows))
    return xlsx_with_sheet(b"<sheetData>" + body + b"</sheetData>")


def inline_rows(rows: list[list[str]]) -> bytes:
    """A small workbook of inline-string cells (what some bank exports write)."""
    out = []
    for r, cells in enumerate(rows, start=1):
        cs = b"".join(b'<c t="inlineStr"><is><t>%s</t></is></c>' % str(v).encode() for v in cells)
        out.append(b'<row r="%d">' % r + cs + b"</row>")
    return xlsx_with_sheet(b"<sheetData>" + b"".join(out) + b"</sheetData>")

"""Bank statements: read the booth account's export, keep its credits, match them to transfer payments.

A manager downloads the statement from the bank's website (CSV or Excel .xlsx, as
Vietnamese banks export them: a few lines about the account, then a header row, then one
row per transaction, amounts written "1.250.000" or "1,250,000", dates dd/mm/yyyy) and
uploads it. Columns are found by their header text through a column mapping: ready
mappings for Vietcombank, Techcombank and BIDV, "auto" (all of them), or the manager's own.

Each credit is matched to the transfer payment whose reference (put in the VietQR message
at checkout) appears in its description and whose amount is the same. Banks rewrite the
message: they add prefixes ("MBVCB.4525077405.", "IBFT", "CT DEN:0123456789"), cut words,
upper-case, drop diacritics and separators. Both sides are therefore reduced with
pos.vietqr.normalise_reference (letters and digits only, upper case) and the reference is
looked for inside the description, so whatever the bank put around it does not matter.
"""
from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext
from sqlalchemy import func, select

from .. import vietqr
from ..db import booth_row
from ..errors import N_, DomainError, InvalidInput
from ..models import Payment, Sale
from ..models.bank import BankCredit, BankStatement
from ..money import MAX_VND, format_vnd
from ..text import fold
from ..timeutil import local_today, utcnow
from . import audit, uploads

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ROWS = 50_000
# What a statement may unpack to, checked before openpyxl reads it and before any write lock is taken:
# a year of a busy booth's account is a few thousand rows of about ten columns.
LIMITS = uploads.Limits(max_file_bytes=MAX_FILE_BYTES, max_rows=MAX_ROWS, max_cells=500_000,
                        max_unpacked_bytes=64 * 1024 * 1024, max_cell_chars=32_767, max_seconds=30)
HEADER_SEARCH_ROWS = 60


@dataclass(frozen=True)
class ColumnMapping:
    """Which header text names each column; each field lists candidates, the first that fits wins.

    A header fits a candidate when, folded (lower case, no diacritics, spaces squeezed), it
    contains it: "Số tiền ghi có/\\nCredit" fits "ghi co" and "credit". A statement with one
    signed amount column (+ in, - out) names it in `amount` instead of `credit`.
    """

    key: str
    label: str
    date: tuple[str, ...]
    credit: tuple[str, ...]
    description: tuple[str, ...]
    reference: tuple[str, ...] = ()
    amount: tuple[str, ...] = ()
    source: str = ""


# The presets follow the exports as public parsers and guides describe them (bilingual headers,
# an account block above the table); they were not checked against files from the banks
# themselves. The "auto" mapping tries every synonym, and a manager can type the headers.
PRESETS: dict[str, ColumnMapping] = {
    "vietcombank": ColumnMapping(
        "vietcombank", N_("Vietcombank (VCB Digibank, Excel hoặc CSV)"),
        # VCB writes the date and the document number in one cell ("31/10/2023\n5243.65937").
        date=("ngay gd", "tnx date", "ngay giao dich", "ngay hieu luc"),
        credit=("so tien ghi co", "ghi co", "credit"),
        description=("noi dung chi tiet", "transactions in detail", "noi dung", "mo ta"),
        reference=("so ct", "doc no", "so tham chieu"),
        source="Ngày GD/ TNX Date · Số CT/ Doc No · Số tiền ghi nợ/ Debit · Số tiền ghi có/ Credit · "
               "Số dư/ Balance · Nội dung chi tiết/ Transactions in detail"),
    "techcombank": ColumnMapping(
        "techcombank", N_("Techcombank (Sao kê tài khoản, Excel)"),
        date=("ngay giao dich", "transaction date", "ngay"),
        credit=("co/ credit", "credit", "ghi co"),
        description=("dien giai", "details", "noi dung"),
        reference=("so but toan", "transaction no", "ma giao dich"),
        source="Ngày giao dịch/ Transaction Date · Đối tác/ Remitter · NH Đối tác/ Remitter Bank · "
               "Diễn giải/ Details · Số bút toán/ Transaction No · Nợ/ Debit · Có/ Credit · Số dư/ Balance"),
    "bidv": ColumnMapping(
        "bidv", N_("BIDV (SmartBanking / iBank, một cột số tiền có dấu)"),
        date=("ngay hieu luc", "ngay giao dich", "effective date", "ngay"),
        credit=("ghi co", "so tien ghi co", "credit"),
        amount=("so tien", "amount"),
        description=("mo ta", "dien giai", "noi dung", "description"),
        reference=("so tham chieu", "so but toan", "reference"),
        source="STT · Ngày hiệu lực · Ngày giao dịch · Số tham chiếu · Số tiền (+ vào, - ra) · Số dư · Mô tả"),
}
AUTO = ColumnMapping(
    "auto", N_("Tự nhận (thử mọi ngân hàng)"),
    date=("ngay gd", "ngay giao dich", "tnx date", "transaction date", "ngay hieu luc", "effective date", "ngay", "date"),
    credit=("so tien ghi co", "ghi co", "co/ credit", "phat sinh co", "tien vao", "credit"),
    amount=("so tien", "amount"),
    description=("noi dung chi tiet", "transactions in detail", "noi dung", "dien giai", "mo ta", "details",
                 "description"),
    reference=("so ct", "doc no", "so but toan", "transaction no", "so tham chieu", "ma giao dich", "reference"))


def mapping_choices() -> list[tuple[str, str]]:
    return [("auto", AUTO.label)] + [(k, m.label) for k, m in PRESETS.items()] + [("custom", N_("Tự khai báo tên cột"))]


def custom_mapping(data: dict) -> ColumnMapping:
    """The manager's own mapping: the header text of each column (date, credit or signed amount, description,
    optionally reference). Raises InvalidInput naming the missing field."""
    def col(name, required):
        text = _fold_header(str(data.get(name) or ""))
        if required and not text:
            raise InvalidInput(name, "Cần tên cột như trên dòng tiêu đề của sao kê")
        return (text,) if text else ()

    credit, amount = col("col_credit", False), col("col_amount", False)
    if not credit and not amount:
        raise InvalidInput("col_credit", "Cần tên cột số tiền ghi có (hoặc cột số tiền có dấu +/-)")
    return ColumnMapping("custom", N_("Tự khai báo tên cột"), date=col("col_date", True), credit=credit,
                         amount=amount, description=col("col_description", True),
                         reference=col("col_reference", False))


# --- reading cells ----------------------------------------------------------------


class StatementRejected(InvalidInput):
    """The file was read but some rows cannot be: nothing was imported; `problems` says which and why."""

    message = N_("Sao kê có %(count)s dòng không đọc được, chưa nhập gì. Sửa tệp (hoặc chọn đúng ngân hàng) rồi nhập lại.")

    def __init__(self, problems: list[str]):
        self.problems = problems
        DomainError.__init__(self, field="file", count=len(problems))


def _fold_header(text: str) -> str:
    return re.sub(r"\s+", " ", fold(unicodedata.normalize("NFC", text or ""))).strip()


_DATE_DMY = re.compile(r"(?<!\d)(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?!\d)")
_DATE_YMD = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
_AMOUNT_TRAILER = re.compile(r"(vnd|vnđ|đ|d|₫)$")


def parse_date_cell(value) -> date | None:
    """A statement's date: a spreadsheet date, "31/10/2023", "31-10-2023 14:05:00", "2023-10-31". None if none."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    for pattern, order in ((_DATE_DMY, (2, 1, 0)), (_DATE_YMD, (0, 1, 2))):
        m = pattern.search(text)
        if m:
            parts = [int(g) for g in m.groups()]
            try:
                return date(parts[order[0]], parts[order[1]], parts[order[2]])
            except ValueError:
                return None
    return None


class _BadAmount(ValueError):
    pass


def parse_amount_cell(value) -> int | None:
    """An amount in đồng from a statement cell, signed; None when the cell is empty (or "-").

    Vietnamese exports write "1.250.000", others "1,250,000" or "1,250,000.00"; a bank may
    add "VND", a "+" or "-", or brackets for a debit. Excel gives numbers. There are no
    fractions of a đồng: "1.250" is one thousand two hundred and fifty. Raises _BadAmount.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise _BadAmount(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value != int(value):
            raise _BadAmount(value)
        return int(value)
    text = str(value).strip().replace("\u00a0", "").replace(" ", "")
    if text in ("", "-", "--"):
        return None
    sign = 1
    if text.startswith("(") and text.endswith(")"):
        sign, text = -1, text[1:-1]
    if text[:1] in "+-":
        sign, text = (-1 if text[0] == "-" else 1) * sign, text[1:]
    text = _AMOUNT_TRAILER.sub("", text.lower()).strip()
    # A trailing ",00" / ".00" is cents that are always zero in đồng.
    text = re.sub(r"[.,]0{1,2}$", "", text) if re.search(r"\d[.,]\d{3}[.,]0{1,2}$|^\d{1,3}[.,]0{1,2}$", text) else text
    # One group separator throughout: "1.250,000" is no way of writing an amount (1.250 đồng with a
    # fraction, or a slip of the pen) and is refused rather than guessed as 1.250.000.
    if not re.fullmatch(r"\d{1,3}(\.\d{3})*|\d{1,3}(,\d{3})*|\d+", text):
        raise _BadAmount(value)
    return sign * int(re.sub(r"[.,]", "", text))


# --- reading files ----------------------------------------------------------------


def _csv_rows(data: bytes) -> list[list]:
    text = uploads.decode_text(data)
    # The account block above the table has fewer fields (or none): the delimiter is the one that
    # gives the widest row among the first lines, the header row being the widest.
    head = text[:64 * 1024].splitlines()[:HEADER_SEARCH_ROWS]
    try:
        delimiter = max((",", ";", "\t"),
                        key=lambda d: max((len(r) for r in csv.reader(head, delimiter=d)), default=0))
    except csv.Error:
        delimiter = ","
    return uploads.csv_table(text, delimiter, LIMITS)


def read_tables(filename: str, data: bytes) -> list[list[list]]:
    """The file's tables (one per sheet; a CSV has one) as rows of cells, read within LIMITS.

    Touches no database: callers read the file before the write transaction. Raises InvalidInput.
    """
    if not data:
        raise InvalidInput("file", "Chưa chọn tệp sao kê, hoặc tệp rỗng")
    if len(data) > MAX_FILE_BYTES:
        raise InvalidInput("file", "Tệp quá lớn (tối đa 10 MB)")
    name = (filename or "").lower()
    if name.endswith(".xls") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise InvalidInput("file", "Tệp .xls (Excel 97–2003) chưa đọc được: mở bằng Excel, lưu thành .xlsx hoặc .csv rồi nhập lại")
    if name.endswith((".xlsx", ".xlsm")) or data.startswith(b"PK\x03\x04"):
        return uploads.xlsx_tables(data, LIMITS)
    if name.endswith(".pdf") or data.startswith(b"%PDF"):
        raise InvalidInput("file", "Sao kê PDF không đọc được: tải sao kê dạng Excel (.xlsx) hoặc CSV từ ngân hàng")
    return [_csv_rows(data)]


# --- finding columns and rows -----------------------------------------------------


@dataclass
class Columns:
    header_row: int  # index in the table
    date: int
    description: int
    credit: int | None = None
    amount: int | None = None
    reference: int | None = None


def _find(headers: list[str], candidates: tuple[str, ...], taken: set[int]) -> int | None:
    for cand in candidates:
        for i, h in enumerate(headers):
            if i not in taken and h and cand in h:
                return i
    return None


def _columns_in_row(row: list, mapping: ColumnMapping) -> tuple[Columns | None, list[str]]:
    headers = [_fold_header(str(c)) if c is not None else "" for c in row]
    taken: set[int] = set()
    date_col = _find(headers, mapping.date, taken)
    missing = []
    if date_col is None:
        missing.append(N_("ngày giao dịch"))
    else:
        taken.add(date_col)
    credit_col = _find(headers, mapping.credit, taken) if mapping.credit else None
    amount_col = None
    if credit_col is None and mapping.amount:
        amount_col = _find(headers, mapping.amount, taken)
    if credit_col is None and amount_col is None:
        missing.append(N_("số tiền ghi có"))
    taken |= {c for c in (credit_col, amount_col) if c is not None}
    desc_col = _find(headers, mapping.description, taken)
    if desc_col is None:
        missing.append(N_("nội dung"))
    else:
        taken.add(desc_col)
    # The reference may share the date's cell (Vietcombank writes both in one).
    ref_col = _find(headers, mapping.reference, taken - ({date_col} if date_col is not None else set()))
    if missing:
        return None, missing
    return Columns(-1, date_col, desc_col, credit_col, amount_col, ref_col), []


def find_columns(table: list[list], mapping: ColumnMapping) -> tuple[Columns | None, list[str]]:
    """The header row (searched in the first rows, below the account block) and its columns.

    Returns (columns, []) or (None, what the best row lacked).
    """
    best_missing = [N_("ngày giao dịch"), N_("số tiền ghi có"), N_("nội dung")]
    for i, row in enumerate(table[:HEADER_SEARCH_ROWS]):
        cols, missing = _columns_in_row(row, mapping)
        if cols is not None:
            cols.header_row = i
            return cols, []
        if len(missing) < len(best_missing):
            best_missing = missing
    return None, best_missing


_FOOTER_WORDS = ("tong", "cong", "total", "so du", "closing", "opening", "balance", "phat sinh")


@dataclass
class StatementLine:
    row_number: int  # as the spreadsheet shows it (1-based)
    tx_date: date
    amount_vnd: int
    description: str
    bank_reference: str


@dataclass
class ParsedStatement:
    mapping: ColumnMapping
    lines: list[StatementLine]
    rows_read: int
    debits: int
    problems: list[str] = field(default_factory=list)


def _text(cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell == int(cell):
        cell = int(cell)
    return unicodedata.normalize("NFC", str(cell)).strip()


def parse_table(table: list[list], mapping: ColumnMapping) -> ParsedStatement | None:
    """The credits of one table, or None when its header row cannot be found."""
    cols, _missing = find_columns(table, mapping)
    if cols is None:
        return None
    out = ParsedStatement(mapping, [], 0, 0)
    width = max(c for c in (cols.date, cols.description, cols.credit, cols.amount, cols.reference) if c is not None) + 1
    for index in range(cols.header_row + 1, len(table)):
        row = list(table[index]) + [None] * width
        rownum = index + 1
        if all(_text(c) == "" for c in row):
            continue
        amount_cell = row[cols.credit] if cols.credit is not None else row[cols.amount]
        raw_date = row[cols.date]
        when = parse_date_cell(raw_date)
        try:
            amount = parse_amount_cell(amount_cell)
        except _BadAmount:
            if when is None:  # a sub-header or a note, not a transaction
                continue
            out.problems.append(_problem(rownum, N_("số tiền ghi có “%(value)s” không phải số tiền"), value=_text(amount_cell)))
            continue
        if when is None:
            first_text = fold(next((_text(c) for c in row if _text(c)), ""))
            if amount is None or first_text.startswith(_FOOTER_WORDS) or _text(raw_date) == "":
                continue  # blank, a repeated English header, or a totals line under the table
            out.problems.append(_problem(rownum, N_("ngày giao dịch “%(value)s” không đọc được (cần dd/mm/yyyy)"),
                                         value=_text(raw_date)))
            continue
        out.rows_read += 1
        if amount is None or amount <= 0:
            out.debits += 1  # money going out, or the debit side of the row
            continue
        if amount > MAX_VND:
            out.problems.append(_problem(rownum, N_("số tiền %(value)s quá lớn"), value=_text(amount_cell)))
            continue
        reference = _text(row[cols.reference]) if cols.reference is not None else ""
        if cols.reference == cols.date:
            reference = _DATE_DMY.sub("", reference).strip()
        out.lines.append(StatementLine(rownum, when, amount, _text(row[cols.description])[:2000], reference[:100]))
    return out


def _problem(rownum: int, message: str, **params) -> str:
    return gettext("Dòng %(row)s:", row=rownum) + " " + gettext(message, **params)


def parse_statement(filename: str, data: bytes, mapping: ColumnMapping) -> ParsedStatement:
    """Read a statement file with a mapping. Raises InvalidInput (unreadable file, no header row) and
    StatementRejected (rows that cannot be read, each named)."""
    tables = read_tables(filename, data)
    for table in tables:
        parsed = parse_table(table, mapping)
        if parsed is not None:
            break
    else:
        _, missing = find_columns(tables[0] if tables else [], mapping)
        raise InvalidInput("bank", "Không tìm thấy dòng tiêu đề có cột %(columns)s. Chọn đúng ngân hàng hoặc khai báo tên cột.",
                           columns=", ".join(gettext(m) for m in missing))
    if parsed.problems:
        raise StatementRejected(parsed.problems)
    if not parsed.lines:
        raise InvalidInput("file", "Không có khoản tiền vào nào trong sao kê (đọc %(rows)s giao dịch). Kiểm tra cột số tiền ghi có.",
                           rows=parsed.rows_read)
    return parsed


# --- importing and matching -------------------------------------------------------


def _fingerprint(line: StatementLine, occurrence: int) -> str:
    text = f"{line.tx_date.isoformat()}|{line.amount_vnd}|{vietqr.normalise_reference(line.description)}|{occurrence}"
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class ImportResult:
    statement: BankStatement
    already_imported: bool
    new: int
    repeated: int
    matched: int


@dataclass
class ReadStatement:
    """A statement file read and checked, ready to store: what read_statement hands to import_statement."""

    filename: str
    file_sha256: str
    parsed: ParsedStatement


def _mapping(bank: str, mapping_data: dict | None) -> ColumnMapping:
    if bank == "custom":
        return custom_mapping(mapping_data or {})
    if bank == "auto" or not bank:
        return AUTO
    if bank in PRESETS:
        return PRESETS[bank]
    raise InvalidInput("bank", "Ngân hàng không hợp lệ")


def read_statement(filename: str, data: bytes, *, bank: str = "auto", mapping_data: dict | None = None) -> ReadStatement:
    """Read and check a statement file with a column mapping, touching no database.

    Run it before the write transaction: a large or hostile file then costs only the
    time to refuse it, never a till's sale. Raises InvalidInput (an unreadable file,
    one over the limits, no header row), StatementRejected (rows that cannot be read).
    """
    mapping = _mapping(bank, mapping_data)
    parsed = parse_statement(filename, data, mapping)
    return ReadStatement((filename or "")[:200], hashlib.sha256(data or b"").hexdigest(), parsed)


def import_statement(session, booth, user, read: ReadStatement, *, address: str = "") -> ImportResult:
    """Store a read statement's credits (each once, however often the file or an overlapping one comes)
    and match them to transfer payments; only inserts, so the write transaction stays short.

    The same file again adds nothing and returns the first import. A credit already
    imported from another file (same date, amount and message, or the same bank reference)
    is counted as repeated, not added.
    """
    digest, parsed = read.file_sha256, read.parsed
    mapping = parsed.mapping
    existing = session.scalars(select(BankStatement).where(BankStatement.booth_id == booth.id,
                                                           BankStatement.file_sha256 == digest)).first()
    if existing is not None:
        return ImportResult(existing, True, 0, 0, 0)

    statement = BankStatement(booth_id=booth.id, bank=mapping.key, filename=read.filename, file_sha256=digest,
                              imported_by_id=getattr(user, "id", None), rows_read=parsed.rows_read,
                              debits_skipped=parsed.debits)
    session.add(statement)
    session.flush()
    seen: dict[tuple, int] = {}
    new = repeated = 0
    for line in parsed.lines:
        key = (line.tx_date, line.amount_vnd, vietqr.normalise_reference(line.description))
        seen[key] = seen.get(key, 0) + 1
        fp = _fingerprint(line, seen[key])
        if _already_have(session, booth.id, fp, line):
            repeated += 1
            continue
        session.add(BankCredit(booth_id=booth.id, statement_id=statement.id, row_number=line.row_number,
                               tx_date=line.tx_date, amount_vnd=line.amount_vnd, description=line.description,
                               bank_reference=line.bank_reference, fingerprint=fp))
        new += 1
    session.flush()
    matched = match_credits(session, booth)
    statement.credits_new, statement.credits_repeated, statement.matched_at_import = new, repeated, matched
    audit.record(session, user, "bank.import", statement.filename, address=address, bank=mapping.key,
                 credits_new=new, credits_repeated=repeated, matched=matched)
    session.flush()
    return ImportResult(statement, False, new, repeated, matched)


def _already_have(session, booth_id: int, fingerprint: str, line: StatementLine) -> bool:
    if session.scalar(select(func.count()).select_from(BankCredit).where(
            BankCredit.booth_id == booth_id, BankCredit.fingerprint == fingerprint)):
        return True
    # The same transaction exported in another format (its message cut differently) still has its bank number.
    return bool(line.bank_reference) and bool(session.scalar(select(func.count()).select_from(BankCredit).where(
        BankCredit.booth_id == booth_id, BankCredit.bank_reference == line.bank_reference,
        BankCredit.amount_vnd == line.amount_vnd, BankCredit.tx_date == line.tx_date)))


def _unmatched_payments(session, booth_id: int) -> list[Payment]:
    matched = select(BankCredit.payment_id).where(BankCredit.payment_id.is_not(None))
    return list(session.scalars(
        select(Payment).join(Sale, Payment.sale_id == Sale.id)
        .where(Payment.booth_id == booth_id, Payment.method == "transfer", Payment.id.not_in(matched))
        .order_by(Sale.created_at, Payment.id)))


def match_credits(session, booth) -> int:
    """Match every unmatched credit to the unmatched transfer payment whose reference is in its
    message and whose amount is the same (the earliest such payment). Returns how many matched."""
    candidates: dict[int, list[Payment]] = {}
    for p in _unmatched_payments(session, booth.id):
        if p.reference:
            candidates.setdefault(p.amount_vnd, []).append(p)
    if not candidates:
        return 0
    credits = session.scalars(select(BankCredit).where(BankCredit.booth_id == booth.id, BankCredit.payment_id.is_(None))
                              .order_by(BankCredit.tx_date, BankCredit.id))
    count, now = 0, utcnow()
    for credit in credits:
        pool = candidates.get(credit.amount_vnd)
        if not pool:
            continue
        message = vietqr.normalise_reference(credit.description)
        for payment in pool:
            if vietqr.normalise_reference(payment.reference) in message:
                credit.payment_id, credit.matched_at = payment.id, now
                pool.remove(payment)
                count += 1
                break
    session.flush()
    return count


# --- follow-up ----------------------------------------------------------------------


@dataclass
class CreditRow:
    credit: BankCredit
    hint: str = ""  # e.g. the reference of a sale found in the message, with a different amount


@dataclass
class Reconciliation:
    unmatched_credits: list[CreditRow]
    unmatched_payments: list[Payment]
    matched: list[BankCredit]
    statements: list[BankStatement]

    @property
    def unmatched_credits_vnd(self) -> int:
        return sum(r.credit.amount_vnd for r in self.unmatched_credits)

    @property
    def unmatched_payments_vnd(self) -> int:
        return sum(p.amount_vnd for p in self.unmatched_payments)

    @property
    def matched_vnd(self) -> int:
        return sum(c.amount_vnd for c in self.matched)


def reconciliation(session, booth, *, matched_limit: int = 200) -> Reconciliation:
    """What needs following up: credits no sale explains, transfers the bank has not shown; and the matched."""
    payments = _unmatched_payments(session, booth.id)
    by_ref = {vietqr.normalise_reference(p.reference): p for p in payments if p.reference}
    rows = []
    for credit in session.scalars(select(BankCredit).where(BankCredit.booth_id == booth.id,
                                                           BankCredit.payment_id.is_(None))
                                  .order_by(BankCredit.tx_date.desc(), BankCredit.id.desc())):
        message = vietqr.normalise_reference(credit.description)
        hint = ""
        for ref, p in by_ref.items():
            if ref in message:
                hint = gettext("Có mã %(ref)s của đơn %(receipt)s nhưng số tiền khác (đơn cần %(amount)s)",
                               ref=ref, receipt=p.sale.receipt_no, amount=format_vnd(p.amount_vnd))
                break
        rows.append(CreditRow(credit, hint))
    matched = list(session.scalars(select(BankCredit).where(BankCredit.booth_id == booth.id,
                                                            BankCredit.payment_id.is_not(None))
                                   .order_by(BankCredit.matched_at.desc(), BankCredit.id.desc()).limit(matched_limit)))
    statements = list(session.scalars(select(BankStatement).where(BankStatement.booth_id == booth.id)
                                      .order_by(BankStatement.id.desc()).limit(20)))
    return Reconciliation(rows, payments, matched, statements)


def get_statement(session, booth, statement_id) -> BankStatement:
    return booth_row(session, BankStatement, booth, statement_id, N_("Không tìm thấy sao kê"))


def _credit(session, booth, credit_id) -> BankCredit:
    return booth_row(session, BankCredit, booth, credit_id, N_("Không tìm thấy khoản tiền vào"))


def match_by_hand(session, booth, user, credit_id, payment_id, note: str, *, address: str = "") -> BankCredit:
    """A manager matches a credit to a transfer payment the automatic match missed (a mistyped
    message, a customer who paid the wrong amount), saying why. Raises NotFound, InvalidInput."""
    credit = _credit(session, booth, credit_id)
    if credit.payment_id is not None:
        raise InvalidInput("credit_id", "Khoản tiền này đã khớp với một đơn")
    note = (note or "").strip()
    if not note:
        raise InvalidInput("note", "Ghi lý do khớp bằng tay (ví dụ: khách ghi sai nội dung)")
    payment = booth_row(session, Payment, booth, payment_id, N_("Không tìm thấy khoản chuyển khoản của đơn"),
                        field="payment_id", check=lambda p: p.method == "transfer")
    if session.scalar(select(func.count()).select_from(BankCredit).where(BankCredit.payment_id == payment.id)):
        raise InvalidInput("payment_id", "Đơn này đã khớp với một khoản tiền khác")
    credit.payment_id, credit.matched_at = payment.id, utcnow()
    credit.matched_by_id, credit.match_note = user.id, note[:500]
    audit.record(session, user, "bank.match", payment.sale.receipt_no, address=address, credit_id=credit.id,
                 credit_vnd=credit.amount_vnd, payment_vnd=payment.amount_vnd, note=note[:500])
    session.flush()
    return credit


def unmatch(session, booth, user, credit_id, note: str, *, address: str = "") -> BankCredit:
    """Undo a match (a wrong one, by hand or automatic), saying why. Raises NotFound, InvalidInput."""
    credit = _credit(session, booth, credit_id)
    if credit.payment_id is None:
        raise InvalidInput("credit_id", "Khoản tiền này chưa khớp với đơn nào")
    note = (note or "").strip()
    if not note:
        raise InvalidInput("note", "Ghi lý do bỏ khớp")
    receipt = credit.payment.sale.receipt_no
    audit.record(session, user, "bank.unmatch", receipt, address=address, credit_id=credit.id,
                 was_by_hand=credit.matched_by_id is not None, note=note[:500])
    credit.payment_id, credit.matched_at, credit.matched_by_id = None, None, None
    credit.match_note = note[:500]
    session.flush()
    return credit


def credit_json(credit: BankCredit) -> dict:
    return {"id": credit.id, "statement_id": credit.statement_id, "row": credit.row_number,
            "date": credit.tx_date.isoformat(), "amount_vnd": credit.amount_vnd, "description": credit.description,
            "bank_reference": credit.bank_reference, "payment_id": credit.payment_id,
            "receipt_no": credit.payment.sale.receipt_no if credit.payment else None,
            "matched_by_hand": credit.matched_by_id is not None, "note": credit.match_note}


def sample_statement_xlsx(session, booth, *, day: date | None = None) -> bytes:
    """A Vietcombank-shaped statement crediting this booth's unmatched transfers, for the demo and training.

    Each transfer comes back as a bank writes it (a prefix, the reference cut by a space,
    lower case), plus money no sale explains and a bank fee, so every part of the follow-up
    shows. Never for a real booth: the page offers it on the demo database only.
    """
    import openpyxl  # here, not at the top: a quarter of a second to load, for a demo button


    day = day or local_today()
    prefixes = ("MBVCB.{n}.{ref}.CT tu 0351000646393 NGUYEN THI LAN", "IBFT {ref_spaced} thanh toan",
                "CT DEN:{n} {ref_lower} chuyen khoan")
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in (["NGÂN HÀNG TMCP NGOẠI THƯƠNG VIỆT NAM"], ["SAO KÊ TÀI KHOẢN / STATEMENT OF ACCOUNT (DỮ LIỆU MẪU)"],
                ["Số tài khoản/Account number:", booth.bank_account or "—"], ["Loại tiền/Currency:", "VND"], [],
                ["STT\nNo.", "Ngày GD/\nTNX Date", "Số CT/ Doc No", "Số tiền ghi nợ/\nDebit", "Số tiền ghi có/\nCredit",
                 "Số dư/\nBalance", "Nội dung chi tiết/\nTransactions in detail"]):
        ws.append(row)
    n = 0
    for n, payment in enumerate(_unmatched_payments(session, booth.id), start=1):
        ref = payment.reference
        text = prefixes[n % len(prefixes)].format(n=4525077400 + n, ref=ref, ref_spaced=f"{ref[:5]} {ref[5:]}",
                                                  ref_lower=ref.lower())
        ws.append([n, day.strftime("%d/%m/%Y"), f"5243.{65900 + n}", "", f"{payment.amount_vnd:,}".replace(",", "."),
                   "", text])
    ws.append([n + 1, day.strftime("%d/%m/%Y"), "5243.99998", "", "150.000", "", "CT DEN:0987654321 ung ho gian hang"])
    ws.append([n + 2, day.strftime("%d/%m/%Y"), "5243.99999", "11.000", "", "", "Phi SMS Banking"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()

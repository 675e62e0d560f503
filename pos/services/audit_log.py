"""Reading the audit log: filters, pages, CSV export; and who/where for the entries services write.

Entries are written by pos.services.audit.record() inside each action's own transaction.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import and_, or_, select

from ..errors import N_, InvalidInput
from ..models import AuditEntry
from ..timeutil import local_day_bounds, parse_date, to_local

PAGE_SIZE = 200
EXPORT_LIMIT = 100_000

# What each action means on screen. An action missing here is shown by its code.
ACTIONS = {
    "auth.login": N_("Đăng nhập"),
    "auth.login_failed": N_("Đăng nhập sai mật khẩu"),
    "auth.pin_ok": N_("Dùng mã PIN của quản lý"),
    "auth.pin_failed": N_("Nhập sai mã PIN của quản lý"),
    "display.pair_failed": N_("Nhập sai mã ghép nối màn hình khách"),
    "auth.unlock": N_("Xóa thời gian chờ của tài khoản"),
    "auth.unlock_address": N_("Xóa thời gian chờ của địa chỉ"),
    "sale.void": N_("Hủy đơn"),
    "sale.refund": N_("Trả hàng, hoàn tiền"),
    "discount.over_limit": N_("Giảm giá vượt hạn mức"),
    "product.price": N_("Đổi giá sản phẩm"),
    "stock.count": N_("Kiểm kê, điều chỉnh tồn kho"),
    "stock.adjust": N_("Xuất dùng thử, hàng hỏng"),
    "settings.booth": N_("Cài đặt gian hàng"),
    "settings.fair": N_("Cài đặt hội chợ"),
    "settings.till": N_("Cài đặt quầy"),
    "user.save": N_("Thay đổi tài khoản"),
    "shift.open": N_("Mở ca"),
    "shift.close": N_("Đóng ca"),
    "shift.cash_in": N_("Nộp tiền vào két"),
    "shift.cash_out": N_("Rút tiền khỏi két"),
    "bank.import": N_("Nhập sao kê ngân hàng"),
    "bank.match": N_("Khớp chuyển khoản bằng tay"),
    "bank.unmatch": N_("Bỏ khớp chuyển khoản"),
    "db.backup": N_("Sao lưu dữ liệu"),
    "db.restore": N_("Khôi phục từ bản sao lưu"),
}

# A spreadsheet runs a cell starting with one of these as a formula ("=HYPERLINK(...)" typed as a
# username would otherwise become a link in the manager's Excel).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def actor_and_address(actor=None, address: str | None = None):
    """The acting user and the request's address: as given, else the logged-in user and remote address.

    Services take both as arguments; the fallback keeps callers that do not pass them yet
    (views written before the audit log) recording who did it. Outside a request: (actor, "").
    """
    if has_request_context():
        if actor is None:
            if current_user and current_user.is_authenticated:
                actor = current_user._get_current_object()
        if address is None:
            address = request.remote_addr or ""
    return actor, address or ""


def action_label(action: str) -> str:
    return ACTIONS.get(action, action)


def details(entry: AuditEntry) -> dict:
    """An entry's details as a dict (an unreadable one is shown as text)."""
    try:
        value = json.loads(entry.details or "{}")
    except ValueError:
        return {"text": entry.details}
    return value if isinstance(value, dict) else {"value": value}


@dataclass
class AuditFilter:
    action: str = ""
    user: str = ""
    day_from: date | None = None
    day_to: date | None = None
    text: str = ""

    def as_args(self) -> dict:
        """The filter as query arguments (for links to the next page and the export)."""
        out = {"action": self.action, "user": self.user, "text": self.text,
               "from": self.day_from.strftime("%d/%m/%Y") if self.day_from else "",
               "to": self.day_to.strftime("%d/%m/%Y") if self.day_to else ""}
        return {k: v for k, v in out.items() if v}


def parse_filter(args) -> AuditFilter:
    """Read the filter from query arguments: action, user, from and to (dd/mm/yyyy, Vietnam days), text.

    Raises InvalidInput naming the field for a date that cannot be read or a range that runs backwards.
    """
    def day(field):
        raw = (args.get(field) or "").strip()
        if not raw:
            return None
        try:
            return parse_date(raw)
        except ValueError:
            raise InvalidInput(field, "Ngày không hợp lệ, ví dụ 20/01/2020") from None

    flt = AuditFilter(action=(args.get("action") or "").strip()[:48], user=(args.get("user") or "").strip()[:64],
                      day_from=day("from"), day_to=day("to"), text=(args.get("text") or "").strip()[:100])
    if flt.day_from and flt.day_to and flt.day_to < flt.day_from:
        raise InvalidInput("to", "Ngày kết thúc trước ngày bắt đầu")
    return flt


def _query(flt: AuditFilter):
    stmt = select(AuditEntry)
    if flt.action:
        # "auth" shows every auth.* action; "auth.login" only that one.
        stmt = stmt.where(or_(AuditEntry.action == flt.action, AuditEntry.action.like(_escape(flt.action) + ".%", escape="\\")))
    if flt.user:
        # A failed login has no user: the name that was typed is its target.
        name = flt.user.lower()
        stmt = stmt.where(or_(AuditEntry.username == name,
                              and_(AuditEntry.action == "auth.login_failed", AuditEntry.target == name)))
    if flt.day_from:
        stmt = stmt.where(AuditEntry.at >= local_day_bounds(flt.day_from)[0])
    if flt.day_to:
        stmt = stmt.where(AuditEntry.at < local_day_bounds(flt.day_to)[1])
    if flt.text:
        like = f"%{_escape(flt.text)}%"
        stmt = stmt.where(or_(AuditEntry.target.like(like, escape="\\"), AuditEntry.details.like(like, escape="\\"),
                              AuditEntry.address.like(like, escape="\\")))
    return stmt


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def list_entries(session, flt: AuditFilter, *, before_id: int | None = None, limit: int = PAGE_SIZE):
    """One page of entries, newest first, and whether older ones follow (page on with before_id)."""
    stmt = _query(flt)
    if before_id:
        stmt = stmt.where(AuditEntry.id < before_id)
    rows = list(session.scalars(stmt.order_by(AuditEntry.id.desc()).limit(limit + 1)))
    return rows[:limit], len(rows) > limit


def known_actions(session) -> list[tuple[str, str]]:
    """(action, label) for every action the log holds or the app knows, for the filter's list."""
    seen = set(session.scalars(select(AuditEntry.action).distinct())) | set(ACTIONS)
    return sorted(((a, action_label(a)) for a in seen), key=lambda pair: pair[0])


def _cell(value) -> str:
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def export_csv(session, flt: AuditFilter, *, translate=lambda s: s) -> str:
    """The filtered log as CSV text for Excel (UTF-8 with BOM), oldest first, at most EXPORT_LIMIT rows.

    Every cell that a spreadsheet would run as a formula (starting with = + - @, tab or CR)
    is written with a leading apostrophe, so it shows as the text it is.
    """
    out = io.StringIO()
    out.write("\ufeff")  # Excel reads UTF-8 only with the BOM; without it Vietnamese comes out garbled
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([translate(h) for h in (N_("Thời gian"), N_("Người dùng"), N_("Hành động"), N_("Mã hành động"),
                                            N_("Đối tượng"), N_("Địa chỉ"), N_("Chi tiết"))])
    rows = session.scalars(_query(flt).order_by(AuditEntry.id.desc()).limit(EXPORT_LIMIT))
    for entry in reversed(list(rows)):
        local = to_local(entry.at)
        writer.writerow([_cell(v) for v in (
            local.strftime("%d/%m/%Y %H:%M:%S"), entry.username, translate(action_label(entry.action)), entry.action,
            entry.target, entry.address, json.dumps(details(entry), ensure_ascii=False, sort_keys=True),
        )])
    return out.getvalue()


def entry_json(entry: AuditEntry) -> dict:
    return {"id": entry.id, "at": entry.at.isoformat() + "Z", "user_id": entry.user_id, "username": entry.username,
            "action": entry.action, "target": entry.target, "address": entry.address, "details": details(entry)}

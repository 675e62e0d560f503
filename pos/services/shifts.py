"""Cash shifts (ca bán hàng): opened with a float, cash in and out, X report, closed by counting the cash.

Expected cash in the drawer, the figure a count is checked against:

    float + cash taken for sales (payment amount, i.e. after change)
          − cash of sales voided in the shift − cash refunds paid out in the shift
          + cash put in − cash taken out

A Z report is that X report frozen at close, with the count: stored as JSON on
the shift (Shift.z_report) so the figures printed and signed never change later.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from ..db import MAX_ID, booth_row
from ..errors import DomainError, Forbidden, InvalidInput, N_, NoOpenShift
from ..models import CashMovement, Payment, Refund, Sale, Shift, Till, Void
from ..models.fair import ensure_open
from ..models.identity import stamp
from ..money import MAX_VND, format_vnd
from ..printing import Slip
from ..printing.receipt import amount, format_slip_time
from ..timeutil import to_local, utcnow
from . import audit, numbering, users
from .typed import text, whole

# The Vietnamese notes a drawer holds (coins are no longer used in practice).
DENOMINATIONS = (500_000, 200_000, 100_000, 50_000, 20_000, 10_000, 5_000, 2_000, 1_000, 500)
METHODS = ("cash", "transfer", "card")
# More notes of one kind than this is a typo, not a fair booth's drawer.
MAX_NOTES = 100_000


class ShiftAlreadyOpen(DomainError):
    message = N_("Quầy %(till)s đang có ca %(number)s mở: đóng ca đó trước khi mở ca mới")
    field = "till_id"


class ShiftClosed(DomainError):
    message = N_("Ca %(number)s của quầy %(till)s đã đóng")


class CashOutOverLimit(Forbidden):
    """A cashier takes out more than the booth's limit without a manager's PIN (HTTP 403, as Forbidden)."""

    message = N_("Rút quá %(limit)s khỏi két cần mã PIN của quản lý")
    field = "manager_pin"


# The typed values the shift services take. The JSON API builds them from its checked schemas
# (web/schemas.py), the pages from their form (typed amounts read by validate.money), the
# demo and the tests directly; each service still checks every number is a true int in range
# (typed.whole), so a float or a bool from any caller is refused instead of being stored.
@dataclass(frozen=True)
class NewShift:
    """A shift to open at a till, with the float counted into the drawer."""

    till_id: int
    opening_float_vnd: int = 0
    note: str = ""


@dataclass(frozen=True)
class CashMove:
    """Cash put into the drawer ("in") or taken out ("out"), with the reason."""

    kind: str
    amount_vnd: int
    reason: str
    manager_pin: str = field(default="", repr=False)  # to take out more than the booth's limit


@dataclass(frozen=True)
class CashCount:
    """The cash counted at close: notes per denomination (đồng -> number of notes), and a note."""

    counts: Mapping[int, int]
    note: str = ""

    @classmethod
    def of(cls, counts, note: str = "") -> "CashCount":
        """A count keyed by denomination as written ("500000", "500.000" or 500000); the numbers of
        notes are not converted. Raises InvalidInput naming "counts.<key>" for a note that does not exist."""
        if not isinstance(counts, Mapping):
            raise InvalidInput("counts", "Nhập số tờ của từng mệnh giá")
        out = {}
        for key, value in counts.items():
            denomination = None
            if type(key) is int:
                denomination = key
            elif isinstance(key, str) and key.replace(".", "").isascii() and key.replace(".", "").isdigit():
                denomination = int(key.replace(".", ""))
            if denomination not in DENOMINATIONS:
                raise InvalidInput(f"counts.{key}", "Mệnh giá %(value)s không có", value=key)
            out[denomination] = value
        return cls(out, note)


def current_shift(session, till: Till) -> Shift | None:
    """The till's open shift, or None."""
    return session.scalars(
        select(Shift).where(Shift.till_id == till.id, Shift.closed_at.is_(None)).order_by(Shift.id.desc())
    ).first()


def require_open_shift(session, till: Till) -> Shift:
    """The till's open shift. Raises NoOpenShift."""
    shift = current_shift(session, till)
    if shift is None:
        raise NoOpenShift(till=till.code)
    return shift


def get_shift(session, booth, shift_id) -> Shift:
    """A shift of this booth. Raises NotFound."""
    return booth_row(session, Shift, booth, shift_id, N_("Không tìm thấy ca bán hàng"))


def list_shifts(session, booth, *, till_id=None, limit=200) -> list[Shift]:
    """Shifts of the booth, newest first, optionally for one till."""
    stmt = select(Shift).where(Shift.booth_id == booth.id)
    if till_id:
        stmt = stmt.where(Shift.till_id == int(till_id))
    return list(session.scalars(stmt.order_by(Shift.opened_at.desc(), Shift.id.desc()).limit(limit)))


def open_shift(session, booth, user, new: NewShift, *, address: str = "") -> Shift:
    """Open a shift at a till with the float counted into the drawer; numbered 1, 2, 3 … per till.

    Raises InvalidInput, NotFound (till), ShiftAlreadyOpen.
    """
    ensure_open(booth)
    if not isinstance(new, NewShift):
        raise InvalidInput("till_id", "Không hợp lệ")
    till_id = whole(new.till_id, "till_id", minimum=1, maximum=MAX_ID)
    # FOR UPDATE on the till: on PostgreSQL two devices opening the same till queue here
    # (SQLite's BEGIN IMMEDIATE already serialises writers), so a till never has two open shifts.
    till = booth_row(session, Till, booth, till_id, N_("Không tìm thấy quầy bán hàng"), field="till_id",
                     check=lambda t: t.is_active, with_for_update=True)
    float_vnd = whole(new.opening_float_vnd, "opening_float_vnd", minimum=0, maximum=MAX_VND)
    note = text(new.note, "note", max_len=500)
    if (open_one := current_shift(session, till)) is not None:
        raise ShiftAlreadyOpen(till=till.code, number=open_one.label)
    number, series = numbering.next_shift(session, till)
    shift = Shift(booth_id=booth.id, till_id=till.id, number=number, series=series, opened_by_id=user.id,
                  opened_at=utcnow(), opening_float_vnd=float_vnd, note=note)
    stamp(session, shift)
    session.add(shift)
    session.flush()
    audit.record(session, user, "shift.open", f"{till.code} ca {shift.label}", address=address,
                 shift_uuid=shift.uuid, opening_float_vnd=float_vnd)
    return shift


def _open_shift_for_update(session, booth, shift_id) -> Shift:
    shift = booth_row(session, Shift, booth, shift_id, N_("Không tìm thấy ca bán hàng"), with_for_update=True)
    if not shift.is_open:
        raise ShiftClosed(number=shift.label, till=shift.till.code)
    return shift


def record_cash_movement(session, booth, user, shift_id, move: CashMove, *, address: str = "") -> CashMovement:
    """Cash put into the drawer (change bought) or taken out (a producer paid in cash), with the reason.

    Taking out more than the booth's cash_out_limit_vnd needs a manager's PIN (manager_pin),
    and the movement records who approved it; a manager or organiser at the till approves
    their own. Within the limit a cashier needs nobody.
    Raises InvalidInput, NotFound, ShiftClosed, CashOutOverLimit, WrongPin (PinDelayed).
    """
    ensure_open(booth)
    shift = _open_shift_for_update(session, booth, shift_id)
    if not isinstance(move, CashMove):
        raise InvalidInput("kind", "Chọn nộp tiền vào hay rút tiền ra")
    kind = move.kind
    if kind not in ("in", "out"):
        raise InvalidInput("kind", "Chọn nộp tiền vào hay rút tiền ra")
    amount_vnd = whole(move.amount_vnd, "amount_vnd", minimum=1, maximum=MAX_VND)
    reason = text(move.reason, "reason", max_len=500, required=True)
    pin = text(move.manager_pin, "manager_pin", max_len=100)
    approver = None
    if kind == "out" and amount_vnd > booth.cash_out_limit_vnd:
        if user.role in users.APPROVER_ROLES:
            approver = user
        elif not pin:
            raise CashOutOverLimit(limit=format_vnd(booth.cash_out_limit_vnd))
        else:
            # The PIN last: nobody is asked for it for a movement refused anyway.
            approver = users.verify_manager_pin(session, pin, actor=user, address=address)
    movement = CashMovement(booth_id=booth.id, shift_id=shift.id, kind=kind, amount_vnd=amount_vnd, reason=reason,
                            created_by_id=user.id, created_at=utcnow(),
                            approved_by_id=approver.id if approver is not None else None)
    stamp(session, movement)
    session.add(movement)
    session.flush()
    details = dict(amount_vnd=amount_vnd, reason=reason)
    if approver is not None:
        details["approved_by"] = approver.username
    audit.record(session, user, f"shift.cash_{kind}", f"{shift.till.code} ca {shift.label}", address=address,
                 **details)
    return movement


@dataclass
class ShiftFigures:
    """What a shift took and paid out so far: the X report, and the body of the Z report."""

    sales_count: int
    gross_vnd: int
    discounts_vnd: int
    net_vnd: int
    payments: dict  # method -> đồng received (cash after change)
    voids_count: int
    voids_vnd: int
    voids_by_method: dict
    refunds_count: int
    refunds_vnd: int
    refunds_by_method: dict
    cash_in_vnd: int
    cash_out_vnd: int
    opening_float_vnd: int

    @property
    def expected_cash_vnd(self) -> int:
        return (self.opening_float_vnd + self.payments["cash"] - self.voids_by_method["cash"]
                - self.refunds_by_method["cash"] + self.cash_in_vnd - self.cash_out_vnd)

    @property
    def net_after_returns_vnd(self) -> int:
        """Net sales less what was voided or refunded in this shift."""
        return self.net_vnd - self.voids_vnd - self.refunds_vnd


def _by_method(rows) -> dict:
    out = dict.fromkeys(METHODS, 0)
    for method, total in rows:
        out[method] = int(total or 0)
    return out


def shift_figures(session, shift: Shift) -> ShiftFigures:
    """The shift's figures as they stand (an X report writes nothing)."""
    count, gross, discounts, net = session.execute(
        select(func.count(Sale.id), func.coalesce(func.sum(Sale.subtotal_vnd), 0),
               func.coalesce(func.sum(Sale.line_discount_vnd + Sale.order_discount_vnd), 0),
               func.coalesce(func.sum(Sale.total_vnd), 0)).where(Sale.shift_id == shift.id)
    ).one()
    payments = _by_method(session.execute(
        select(Payment.method, func.sum(Payment.amount_vnd)).join(Sale, Payment.sale_id == Sale.id)
        .where(Sale.shift_id == shift.id).group_by(Payment.method)))
    voids_count, voids_vnd = session.execute(
        select(func.count(Void.id), func.coalesce(func.sum(Sale.total_vnd), 0)).join(Sale, Void.sale_id == Sale.id)
        .where(Void.shift_id == shift.id)).one()
    voids_by_method = _by_method(session.execute(
        select(Payment.method, func.sum(Payment.amount_vnd)).join(Void, Void.sale_id == Payment.sale_id)
        .where(Void.shift_id == shift.id).group_by(Payment.method)))
    refunds_count, refunds_vnd = session.execute(
        select(func.count(Refund.id), func.coalesce(func.sum(Refund.total_vnd), 0)).where(Refund.shift_id == shift.id)
    ).one()
    refunds_by_method = _by_method(session.execute(
        select(Refund.method, func.sum(Refund.total_vnd)).where(Refund.shift_id == shift.id).group_by(Refund.method)))
    cash = dict(session.execute(
        select(CashMovement.kind, func.sum(CashMovement.amount_vnd)).where(CashMovement.shift_id == shift.id)
        .group_by(CashMovement.kind)).all())
    return ShiftFigures(
        sales_count=int(count), gross_vnd=int(gross), discounts_vnd=int(discounts), net_vnd=int(net),
        payments=payments, voids_count=int(voids_count), voids_vnd=int(voids_vnd), voids_by_method=voids_by_method,
        refunds_count=int(refunds_count), refunds_vnd=int(refunds_vnd), refunds_by_method=refunds_by_method,
        cash_in_vnd=int(cash.get("in") or 0), cash_out_vnd=int(cash.get("out") or 0),
        opening_float_vnd=shift.opening_float_vnd,
    )


def _iso(moment) -> str | None:
    return moment.isoformat() + "Z" if moment else None


def _name(user) -> str:
    return user.full_name or user.username


def shift_approvals(session, shift: Shift) -> list[dict]:
    """What a manager approved in this shift (by PIN, or at the till as themselves), and who: in time order.

    Each: kind (discount, void, refund, cash_out), ref (receipt, refund number or reason), amount_vnd, approved_by, at.
    """
    out = []
    for sale in session.scalars(select(Sale).where(Sale.shift_id == shift.id,
                                                   Sale.discount_approved_by_id.is_not(None))):
        out.append(("discount", sale.receipt_no, sale.discount_vnd, sale.discount_approved_by, sale.created_at))
    for void in session.scalars(select(Void).where(Void.shift_id == shift.id)):
        out.append(("void", void.sale.receipt_no, void.sale.total_vnd, void.approved_by, void.created_at))
    for refund in session.scalars(select(Refund).where(Refund.shift_id == shift.id)):
        out.append(("refund", refund.number, refund.total_vnd, refund.approved_by, refund.created_at))
    for m in shift.cash_movements:
        if m.approved_by is not None:
            out.append(("cash_out", m.reason, m.amount_vnd, m.approved_by, m.created_at))
    out.sort(key=lambda a: a[4])
    return [{"kind": kind, "ref": ref, "amount_vnd": amount_vnd, "approved_by": _name(who), "at": _iso(at)}
            for kind, ref, amount_vnd, who, at in out]


def shift_report(session, shift: Shift) -> dict:
    """The X report of a shift as a plain dict (the same shape the Z report is stored in, without the count)."""
    f = shift_figures(session, shift)
    till, booth = shift.till, shift.till.booth
    movements = [{"kind": m.kind, "amount_vnd": m.amount_vnd, "reason": m.reason, "at": _iso(m.created_at),
                  "by": _name(m.created_by), "approved_by": _name(m.approved_by) if m.approved_by else None}
                 for m in shift.cash_movements]
    return {
        "kind": "X", "shift_id": shift.id, "shift_uuid": shift.uuid, "number": shift.number,
        "label": shift.label,
        "fair": booth.fair.name, "booth": booth.name, "till_code": till.code, "till_name": till.name,
        "opened_at": _iso(shift.opened_at), "opened_by": _name(shift.opened_by),
        "closed_at": None, "closed_by": None, "printed_at": _iso(utcnow()),
        "opening_float_vnd": f.opening_float_vnd,
        "sales": {"count": f.sales_count, "gross_vnd": f.gross_vnd, "discounts_vnd": f.discounts_vnd,
                  "net_vnd": f.net_vnd},
        "payments": f.payments,
        "voids": {"count": f.voids_count, "amount_vnd": f.voids_vnd, "by_method": f.voids_by_method},
        "refunds": {"count": f.refunds_count, "amount_vnd": f.refunds_vnd, "by_method": f.refunds_by_method},
        "net_after_returns_vnd": f.net_after_returns_vnd,
        "cash_in_vnd": f.cash_in_vnd, "cash_out_vnd": f.cash_out_vnd, "cash_movements": movements,
        "expected_cash_vnd": f.expected_cash_vnd, "approvals": shift_approvals(session, shift),
        "counted_cash_vnd": None, "denominations": None, "difference_vnd": None, "note": shift.note,
    }


def checked_count(count: CashCount) -> dict[int, int]:
    """Every denomination with its number of notes (none where the count says nothing).

    Raises InvalidInput naming "counts.<denomination>" for a number of notes that is not a whole
    number from 0 to MAX_NOTES or a note that does not exist, "counts" when there is no count.
    """
    raw = count.counts if isinstance(count, CashCount) else None
    if not isinstance(raw, Mapping):
        raise InvalidInput("counts", "Nhập số tờ của từng mệnh giá")
    counts = dict.fromkeys(DENOMINATIONS, 0)
    for denomination, notes in raw.items():
        if type(denomination) is not int or denomination not in counts:
            raise InvalidInput(f"counts.{denomination}", "Mệnh giá %(value)s không có", value=denomination)
        counts[denomination] = whole(notes, f"counts.{denomination}", minimum=0, maximum=MAX_NOTES)
    return counts


def close_shift(session, booth, user, shift_id, count: CashCount, *, address: str = "") -> Shift:
    """Close a shift with the cash counted by denomination, storing its Z report.

    A cashier closes only a shift they opened; a manager or organiser closes any.
    Raises InvalidInput, NotFound, ShiftClosed, Forbidden.
    """
    shift = _open_shift_for_update(session, booth, shift_id)
    if user.role == "cashier" and shift.opened_by_id != user.id:
        raise Forbidden("Ca này do %(name)s mở: chỉ người mở ca hoặc trưởng gian hàng được đóng ca",
                        name=shift.opened_by.full_name or shift.opened_by.username)
    counts = checked_count(count)
    counted = sum(d * n for d, n in counts.items())
    if counted > MAX_VND:
        raise InvalidInput("counts", "Số tiền quá lớn")
    note = text(count.note, "note", max_len=1000)
    report = shift_report(session, shift)
    now = utcnow()
    shift.closed_at, shift.closed_by_id = now, user.id
    shift.expected_cash_vnd, shift.counted_cash_vnd = report["expected_cash_vnd"], counted
    shift.denominations = json.dumps({str(d): n for d, n in counts.items() if n})
    if note:
        shift.note = f"{shift.note}\n{note}".strip()
    report.update(kind="Z", closed_at=_iso(now), closed_by=user.full_name or user.username, printed_at=_iso(now),
                  counted_cash_vnd=counted, denominations={str(d): n for d, n in counts.items()},
                  difference_vnd=counted - report["expected_cash_vnd"], note=shift.note)
    shift.z_report = json.dumps(report, ensure_ascii=False)
    session.flush()
    audit.record(session, user, "shift.close", f"{shift.till.code} ca {shift.label}", address=address,
                 shift_uuid=shift.uuid, expected_cash_vnd=report["expected_cash_vnd"], counted_cash_vnd=counted,
                 difference_vnd=report["difference_vnd"])
    return shift


def z_report(shift: Shift) -> dict | None:
    """The stored Z report of a closed shift, or None while it is open."""
    return json.loads(shift.z_report) if shift.z_report else None


def report_of(session, shift: Shift) -> dict:
    """The Z report of a closed shift, else the X report as it stands."""
    return z_report(shift) or shift_report(session, shift)


def shift_sales(session, shift: Shift) -> list[Sale]:
    """The shift's sales, newest first."""
    return list(session.scalars(select(Sale).where(Sale.shift_id == shift.id).order_by(Sale.id.desc())))


# ---- the paper slip -------------------------------------------------------------------------------

_METHOD_LABELS = {"cash": "Tiền mặt", "transfer": "Chuyển khoản", "card": "Thẻ"}
_APPROVAL_SLIP = {"discount": "Giảm giá", "void": "Hủy", "refund": "Hoàn", "cash_out": "Rút"}


def _slip_time(iso: str | None) -> str:
    if not iso:
        return ""
    return format_slip_time(to_local(datetime.fromisoformat(iso.rstrip("Z"))))


def build_z_report_slip(report: dict) -> Slip:
    """The X or Z report as a receipt-printer slip (same layout engine as the payment slip).

    A Z report ends with the count by denomination, expected, counted and the
    difference ("THIẾU" when cash is missing, "THỪA" when there is more), and
    room for the cashier's and the manager's signatures.
    """
    is_z = report.get("kind") == "Z"
    slip = Slip().title("BÁO CÁO CHỐT CA (Z)" if is_z else "BÁO CÁO TẠM (X)")
    slip.text(report["fair"], align="center").text(report["booth"], align="center", bold=True).separator()
    slip.row("Quầy:", f"{report['till_code']} · {report['till_name']}").row("Ca số:", str(report.get("label", report["number"])))
    slip.row("Mở ca:", _slip_time(report["opened_at"])).row("Người mở:", report["opened_by"])
    if is_z:
        slip.row("Đóng ca:", _slip_time(report["closed_at"])).row("Người đóng:", report["closed_by"])
    else:
        slip.row("In lúc:", _slip_time(report["printed_at"]))
    sales = report["sales"]
    slip.separator().text("BÁN HÀNG", bold=True)
    slip.row("Số đơn", str(sales["count"])).row("Tiền hàng", amount(sales["gross_vnd"]))
    slip.row("Giảm giá", amount(-sales["discounts_vnd"])).row("Doanh thu", amount(sales["net_vnd"]), bold=True)
    slip.separator().text("THEO HÌNH THỨC THANH TOÁN", bold=True)
    for method in METHODS:
        slip.row(_METHOD_LABELS[method], amount(report["payments"].get(method, 0)))
    voids, refunds = report["voids"], report["refunds"]
    slip.separator().text("HỦY ĐƠN VÀ HOÀN TIỀN", bold=True)
    slip.row(f"Hủy đơn ({voids['count']})", amount(-voids["amount_vnd"]))
    slip.row(f"Hoàn tiền ({refunds['count']})", amount(-refunds["amount_vnd"]))
    for method in METHODS:
        if refunds["by_method"].get(method):
            slip.row(f"  hoàn {_METHOD_LABELS[method].lower()}", amount(-refunds["by_method"][method]))
    slip.row("Doanh thu thuần", amount(report["net_after_returns_vnd"]), bold=True)
    slip.separator().text("TIỀN MẶT TRONG KÉT", bold=True)
    slip.row("Tiền đầu ca", amount(report["opening_float_vnd"]))
    slip.row("+ Thu tiền mặt", amount(report["payments"].get("cash", 0)))
    slip.row("− Hủy đơn tiền mặt", amount(-voids["by_method"].get("cash", 0)))
    slip.row("− Hoàn tiền mặt", amount(-refunds["by_method"].get("cash", 0)))
    slip.row("+ Nộp vào két", amount(report["cash_in_vnd"]))
    slip.row("− Rút khỏi két", amount(-report["cash_out_vnd"]))
    for m in report.get("cash_movements", []):
        sign = 1 if m["kind"] == "in" else -1
        slip.row(f"  {m['reason']}", amount(sign * m["amount_vnd"]))
        if m.get("approved_by"):
            slip.text(f"    QL duyệt: {m['approved_by']}")
    slip.row("Tiền mặt phải có", amount(report["expected_cash_vnd"]), bold=True)
    approvals = report.get("approvals") or []  # a Z report stored before approvals were listed has none
    if approvals:
        slip.separator().text("QUẢN LÝ DUYỆT", bold=True)
        for a in approvals:
            slip.row(f"{_APPROVAL_SLIP[a['kind']]} {a['ref']}", amount(a["amount_vnd"]))
            slip.text(f"  duyệt: {a['approved_by']}")
    if is_z:
        slip.separator().text("KIỂM ĐẾM TIỀN MẶT", bold=True)
        for denomination in DENOMINATIONS:
            n = report["denominations"].get(str(denomination), 0)
            if n:
                slip.row(f"{amount(denomination)} x {n}", amount(denomination * n))
        slip.row("Thực đếm", amount(report["counted_cash_vnd"]), bold=True)
        difference = report["difference_vnd"]
        label = "Chênh lệch" if difference == 0 else ("THIẾU" if difference < 0 else "THỪA")
        slip.row(label, amount(difference), bold=True)
        if report.get("note"):
            slip.text(f"Ghi chú: {report['note']}")
        slip.blank().row("Thu ngân", "Trưởng gian hàng").blank().blank().blank()
    return slip.cut()

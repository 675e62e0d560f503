"""Voids and refunds, each approved with a manager's PIN. The sale is never edited: each is a new
record pointing at it, with its reason and the stock movements that reverse it.

- A **void** cancels a whole sale while the sale's own shift is still open (the cash is still
  in that drawer): a Void record and one "void" movement (+qty) per line. After the shift has
  closed, the Z report is signed, so the sale is refunded instead.
- A **refund** gives money back for all or some units of any sale of the booth, in cash (from
  the refunding till's open shift), by transfer or by card. Each line either goes back on the
  shelf (a "refund" movement, +qty) or is written off as damaged (a "refund" movement, +qty,
  then a "damage" movement, −qty, both named after the refund): on hand ends where it should,
  and the ledger still shows that the unit came back and was then written off, so a producer's
  settlement can count refunded and damaged units apart.

Rounding of a partial refund: a line's units are worth its net_vnd (after discounts) shared out
to the đồng by a running floor. After r of the line's q units have been refunded, in total
floor(net × r / q) has gone back; refunding k more gives floor(net × (r + k) / q) − what has
gone back already. Refunding the whole line therefore returns exactly net_vnd, however it is
split, and no partial refund can exceed it (the odd đồng go back with the last units).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import func, select

from ..db import MAX_ID, booth_row
from ..errors import DomainError, InvalidInput, N_, NoOpenShift
from ..models import Refund, RefundLine, Sale, SaleLine, Shift, StockMovement, Void
from ..models.fair import ensure_open
from ..models.identity import stamp
from ..printing import Slip
from ..printing.receipt import amount, format_slip_time
from ..timeutil import to_local
from . import audit, booths, sales_summary, shifts, users
from .typed import text, whole

METHODS = ("cash", "transfer", "card")
MAX_REFUND_QTY = 100_000


# The typed values a void and a refund are asked with. The JSON API builds them from its checked
# schemas (web/schemas.py VoidIn, RefundIn), the pages from their form, the demo and the
# tests directly; the services still check every number is a true int (typed.whole) and every
# flag a true bool, so a float or a bool from any caller is refused instead of being stored.
@dataclass(frozen=True)
class NewVoid:
    """Cancel a whole sale: why, and the approving manager's PIN."""

    reason: str
    manager_pin: str = field(default="", repr=False)


@dataclass(frozen=True)
class RefundItem:
    """Units of one sale line given back; back_to_stock False writes them off as damaged."""

    sale_line_id: int
    qty: int
    back_to_stock: bool = True


@dataclass(frozen=True)
class NewRefund:
    """Money back for some units of a sale: cash (from till_id's open shift), transfer or card."""

    lines: tuple[RefundItem, ...]
    reason: str
    method: str = "cash"
    till_id: int | None = None  # the refunding till: required for cash
    manager_pin: str = field(default="", repr=False)

    @classmethod
    def of(cls, *, lines: Iterable, **rest) -> "NewRefund":
        """A refund from lines given as RefundItem or as keyword mappings (for the demo, the CLI and
        tests): a mapping's keys must be RefundItem's fields (TypeError otherwise); nothing is converted."""
        return cls(tuple(ln if isinstance(ln, RefundItem) else RefundItem(**ln) for ln in lines), **rest)


class AlreadyVoided(DomainError):
    message = N_("Đơn %(receipt)s đã bị hủy")


class VoidAfterClose(DomainError):
    message = N_("Ca bán hàng của đơn %(receipt)s đã đóng: không hủy được, dùng hoàn tiền thay vì hủy")


class VoidAfterRefund(DomainError):
    message = N_("Đơn %(receipt)s đã có hoàn tiền: không hủy được cả đơn, hãy hoàn tiếp các dòng còn lại")


class RefundOfVoided(DomainError):
    message = N_("Đơn %(receipt)s đã bị hủy: không còn gì để hoàn")


class RefundTooMuch(DomainError):
    message = N_("%(product)s: đã bán %(sold)s, đã hoàn %(refunded)s, không hoàn thêm %(qty)s được")


def _sale_for_update(session, booth, sale_id) -> Sale:
    # FOR UPDATE: on PostgreSQL a void and a refund of one sale (or two refunds) queue here,
    # so "already refunded" is read after the other one committed. SQLite's BEGIN IMMEDIATE does the same.
    return booth_row(session, Sale, booth, sale_id, N_("Không tìm thấy đơn hàng"), with_for_update=True)


def void_of(session, sale: Sale) -> Void | None:
    return session.scalars(select(Void).where(Void.sale_id == sale.id)).first()


def voided_sale_ids(session, sale_ids) -> set[int]:
    """Which of these sales have been voided."""
    ids = list(sale_ids)
    if not ids:
        return set()
    return set(session.scalars(select(Void.sale_id).where(Void.sale_id.in_(ids))))


def refunds_of(session, sale: Sale) -> list[Refund]:
    return list(session.scalars(select(Refund).where(Refund.sale_id == sale.id).order_by(Refund.id)))


def refunded_by_line(session, sale: Sale) -> dict[int, tuple[int, int]]:
    """Per sale line id: (units refunded so far, đồng refunded so far)."""
    rows = session.execute(
        select(RefundLine.sale_line_id, func.sum(RefundLine.qty), func.sum(RefundLine.amount_vnd))
        .join(SaleLine, RefundLine.sale_line_id == SaleLine.id).where(SaleLine.sale_id == sale.id)
        .group_by(RefundLine.sale_line_id))
    return {line_id: (int(qty), int(amt)) for line_id, qty, amt in rows}


def refund_amount(line: SaleLine, refunded_qty: int, refunded_vnd: int, qty: int) -> int:
    """What refunding qty more units of a line gives back (the running floor in the module docstring)."""
    return line.net_vnd * (refunded_qty + qty) // line.qty - refunded_vnd


def void_sale(session, booth, user, sale_id, request: NewVoid, *, address: str = "") -> Void:
    """Cancel a whole sale of a still-open shift, with a reason and a manager's PIN; its goods go back on hand.

    Raises InvalidInput, NotFound, AlreadyVoided, VoidAfterRefund, VoidAfterClose, WrongPin.
    """
    ensure_open(booth)
    if not isinstance(request, NewVoid):
        raise InvalidInput("reason", "Không hợp lệ")
    sale = _sale_for_update(session, booth, sale_id)
    reason = text(request.reason, "reason", max_len=500, required=True)
    pin = text(request.manager_pin, "manager_pin", max_len=100)
    if void_of(session, sale) is not None:
        raise AlreadyVoided(receipt=sale.receipt_no)
    if refunds_of(session, sale):
        raise VoidAfterRefund(receipt=sale.receipt_no)
    shift = session.get(Shift, sale.shift_id) if sale.shift_id else None
    if shift is None or not shift.is_open:
        raise VoidAfterClose(receipt=sale.receipt_no)
    # The PIN last: nobody is asked for it for a void that would be refused anyway.
    approver = users.verify_manager_pin(session, pin)
    void = Void(booth_id=booth.id, sale_id=sale.id, shift_id=shift.id, reason=reason, created_by_id=user.id,
                approved_by_id=approver.id)
    movements = [StockMovement(booth_id=booth.id, product_id=line.product_id, kind="void", qty=line.qty,
                               sale_id=sale.id, reason=f"Hủy {sale.receipt_no}: {reason}", created_by_id=user.id)
                 for line in sale.lines]
    # Stamped before they enter the session, so no autoflush writes a record without its sequence number.
    stamp(session, void, *movements)
    session.add_all([void, *movements])
    session.flush()
    sales_summary.add_void(session, void)
    audit.record(session, user, "sale.void", sale.receipt_no, address=address, reason=reason,
                 total_vnd=sale.total_vnd, approved_by=approver.username, sale_uuid=sale.uuid)
    return void


def _refund_lines(request: NewRefund, sale: Sale) -> list[tuple[SaleLine, int, bool]]:
    raw = request.lines
    if not isinstance(raw, (tuple, list)) or not raw:
        raise InvalidInput("lines", "Chọn ít nhất một dòng hàng và số lượng hoàn")
    by_id = {line.id: line for line in sale.lines}
    out, seen = [], set()
    for i, item in enumerate(raw):
        if not isinstance(item, RefundItem):
            raise InvalidInput(f"lines[{i}]", "Dòng hàng không hợp lệ")
        line_id = whole(item.sale_line_id, f"lines[{i}].sale_line_id", minimum=1, maximum=MAX_ID)
        qty = whole(item.qty, f"lines[{i}].qty", minimum=1, maximum=MAX_REFUND_QTY)
        if type(item.back_to_stock) is not bool:
            raise InvalidInput(f"lines[{i}].back_to_stock", "Không hợp lệ")
        if line_id not in by_id:
            raise InvalidInput(f"lines[{i}].sale_line_id", "Dòng hàng này không thuộc đơn %(receipt)s",
                               receipt=sale.receipt_no)
        if line_id in seen:
            raise InvalidInput(f"lines[{i}].sale_line_id", "Một dòng hàng ghi hai lần")
        seen.add(line_id)
        out.append((by_id[line_id], qty, item.back_to_stock))
    return out


def refund_sale(session, booth, user, sale_id, request: NewRefund, *, address: str = "") -> Refund:
    """Give money back for some or all units of a sale, with a reason and a manager's PIN.

    request: lines (RefundItem: sale_line_id, qty, back_to_stock), reason, method (cash,
    transfer, card), manager_pin, till_id (the till refunding: required for cash, whose open
    shift pays it out; a refund at a till with an open shift belongs to that shift).
    Numbered <receipt_no>-HT1, -HT2 … per sale.
    Raises InvalidInput, NotFound, RefundOfVoided, RefundTooMuch, NoOpenShift, WrongPin.
    """
    ensure_open(booth)
    if not isinstance(request, NewRefund):
        raise InvalidInput("lines", "Chọn ít nhất một dòng hàng và số lượng hoàn")
    sale = _sale_for_update(session, booth, sale_id)
    if void_of(session, sale) is not None:
        raise RefundOfVoided(receipt=sale.receipt_no)
    method = request.method
    if method not in METHODS:
        raise InvalidInput("method", "Cách hoàn tiền không hợp lệ")
    reason = text(request.reason, "reason", max_len=500, required=True)
    pin = text(request.manager_pin, "manager_pin", max_len=100)
    lines = _refund_lines(request, sale)
    till = shift = None
    if request.till_id is not None:
        till = booths.get_till(session, booth, whole(request.till_id, "till_id", minimum=1, maximum=MAX_ID))
        shift = shifts.current_shift(session, till)
    if method == "cash":
        if till is None:
            raise InvalidInput("till_id", "Hoàn tiền mặt cần chọn quầy trả tiền")
        if shift is None:
            raise NoOpenShift(till=till.code)
    done = refunded_by_line(session, sale)
    priced = []
    for i, (line, qty, back) in enumerate(lines):
        refunded_qty, refunded_vnd = done.get(line.id, (0, 0))
        if refunded_qty + qty > line.qty:
            raise RefundTooMuch(field=f"lines[{i}].qty", product=line.product_name, sold=line.qty,
                                refunded=refunded_qty, qty=qty)
        priced.append((line, qty, back, refund_amount(line, refunded_qty, refunded_vnd, qty)))
    total = sum(p[3] for p in priced)
    if total <= 0:
        raise InvalidInput("lines", "Các dòng đã chọn không còn tiền để hoàn (hàng tặng, giảm 100 %)")
    approver = users.verify_manager_pin(session, pin)

    count = session.scalar(select(func.count(Refund.id)).where(Refund.sale_id == sale.id)) or 0
    refund = Refund(booth_id=booth.id, sale_id=sale.id, shift_id=shift.id if shift else None,
                    number=f"{sale.receipt_no}-HT{count + 1}", method=method, total_vnd=total, reason=reason,
                    created_by_id=user.id, approved_by_id=approver.id)
    records: list = [refund]
    movements = []
    for line, qty, back, amount_vnd in priced:
        refund_line = RefundLine(booth_id=booth.id, sale_line_id=line.id, qty=qty, amount_vnd=amount_vnd,
                                 back_to_stock=back)
        refund.lines.append(refund_line)
        records.append(refund_line)
        note = f"{refund.number}: {reason}"
        movements.append(StockMovement(booth_id=booth.id, product_id=line.product_id, kind="refund", qty=qty,
                                       sale_id=sale.id, reason=note, created_by_id=user.id))
        if not back:
            movements.append(StockMovement(booth_id=booth.id, product_id=line.product_id, kind="damage", qty=-qty,
                                           sale_id=sale.id, reason=f"Hỏng, {note}", created_by_id=user.id))
    # Stamped before they enter the session, so no autoflush writes a record without its sequence number.
    stamp(session, *records, *movements)
    session.add(refund)
    session.add_all(movements)
    session.flush()
    sales_summary.add_refund(session, refund)
    audit.record(session, user, "sale.refund", refund.number, address=address, reason=reason, method=method,
                 total_vnd=total, approved_by=approver.username, sale_uuid=sale.uuid,
                 lines=[{"product": line.product_name, "qty": qty, "amount_vnd": amt, "back_to_stock": back}
                        for line, qty, back, amt in priced])
    return refund


def get_void(session, booth, void_id) -> Void:
    return booth_row(session, Void, booth, void_id, N_("Không tìm thấy phiếu hủy đơn"))


def get_refund(session, booth, refund_id) -> Refund:
    return booth_row(session, Refund, booth, refund_id, N_("Không tìm thấy phiếu hoàn tiền"))


def sale_returns(session, sale: Sale) -> dict:
    """A sale's void, refunds and what each line can still be refunded (for its pages and the API)."""
    done = refunded_by_line(session, sale)
    void = void_of(session, sale)
    shift = session.get(Shift, sale.shift_id) if sale.shift_id else None
    lines = []
    for line in sale.lines:
        refunded_qty, refunded_vnd = done.get(line.id, (0, 0))
        lines.append({"line": line, "refunded_qty": refunded_qty, "refunded_vnd": refunded_vnd,
                      "refundable_qty": 0 if void else line.qty - refunded_qty})
    refunds = refunds_of(session, sale)
    return {"void": void, "refunds": refunds, "lines": lines,
            "can_void": void is None and not refunds and shift is not None and shift.is_open,
            "can_refund": void is None and any(row["refundable_qty"] for row in lines)}


# ---- paper slips ------------------------------------------------------------------------------------

_METHOD_LABELS = {"cash": "Tiền mặt", "transfer": "Chuyển khoản", "card": "Thẻ"}


def _head(slip: Slip, title: str, sale: Sale, number: str, moment) -> None:
    booth = sale.till.booth
    slip.title(title).text(booth.fair.name, align="center").text(booth.name, align="center", bold=True).separator()
    slip.row("Số phiếu:", number).row("Ngày:", format_slip_time(to_local(moment)))
    slip.row("Đơn gốc:", sale.receipt_no).row("Ngày bán:", format_slip_time(to_local(sale.created_at)))
    slip.separator()


def build_void_slip(void: Void) -> Slip:
    """The "PHIẾU HỦY ĐƠN" slip: the sale cancelled, its lines, the reason, who approved it."""
    sale = void.sale
    slip = Slip()
    _head(slip, "PHIẾU HỦY ĐƠN", sale, f"{sale.receipt_no}-HUY", void.created_at)
    for line in sale.lines:
        slip.item(line.product_name, line.qty, amount(line.unit_price_vnd), amount(line.net_vnd))
    slip.separator().row("TỔNG HỦY", amount(sale.total_vnd), bold=True)
    for p in sale.payments:
        slip.row(f"  {_METHOD_LABELS[p.method]}", amount(p.amount_vnd))
    slip.text(f"Lý do: {void.reason}").text(f"Người hủy: {void.created_by.full_name}")
    slip.text(f"Quản lý duyệt: {void.approved_by.full_name or void.approved_by.username}")
    return slip.blank().row("Khách hàng", "Thu ngân").blank().blank().cut()


def build_refund_slip(refund: Refund) -> Slip:
    """The "PHIẾU HOÀN TIỀN" slip: the units refunded, the amount, how it went back, the reason."""
    sale = refund.sale
    slip = Slip()
    _head(slip, "PHIẾU HOÀN TIỀN", sale, refund.number, refund.created_at)
    for rl in refund.lines:
        name = rl.sale_line.product_name + ("" if rl.back_to_stock else " (hàng hỏng)")
        # No unit price: a partial refund's đồng are shared by a running floor, not qty × a price.
        slip.text(name).row(f"  {rl.qty} {rl.sale_line.product.unit}", amount(rl.amount_vnd))
    slip.separator().row("TỔNG HOÀN", amount(refund.total_vnd), bold=True)
    slip.row("Hoàn bằng", _METHOD_LABELS[refund.method])
    slip.text(f"Lý do: {refund.reason}").text(f"Người lập: {refund.created_by.full_name}")
    slip.text(f"Quản lý duyệt: {refund.approved_by.full_name or refund.approved_by.username}")
    return slip.blank().row("Khách hàng", "Thu ngân").blank().blank().cut()

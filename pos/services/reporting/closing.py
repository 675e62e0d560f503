"""Closing the fair at a booth: final count, goods back to each producer, statements signed,
a final push to the hub, then the booth read-only for that fair.

The steps, in the order the booth does them:

1. every till's cash shift closed (no sale can happen during the count);
2. a final count (phiếu kiểm kê) recorded after the last sale, receipt, sample or damage:
   only returns may follow it;
3. every producer's remaining goods returned (phiếu trả hàng), so nothing is left on hand;
4. each producer's settlement statement printed (A4, or queued on the receipt printer) and
   signed (recorded in the audit log, with the figures printed, so a later change would show);
5. everything pushed to the hub (the sync area says how much is left; closing with
   records unpushed needs an explicit "push later");
6. close: Fair.closed_at is set, and from then on the write services refuse with
   FairClosed (models.fair.ensure_open). An organiser may reopen, with a reason.

On a booth laptop the Fair row is the booth's own copy, so closing it closes the fair
for this booth only; the hub's copy is the organiser's to close.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext
from sqlalchemy import func, select

from ...db import required_row
from ...errors import DomainError, Forbidden, InvalidInput, N_, NotFound
from ...models import AuditEntry, Booth, Producer, Product, Shift, StockDocument, StockMovement
from ...models.fair import ensure_open
from ...printing import PrinterSettings
from ...text import vi_sorted
from ...timeutil import utcnow
from .. import audit, print_queue, stock
from ..sync import booth as sync_booth
from . import settlement
from ..typed import text

# Movements that may follow the final count: the goods going back to their producers.
_AFTER_COUNT = ("return",)


class CannotCloseYet(DomainError):
    message = N_("Chưa đóng được hội chợ, còn việc phải làm: %(steps)s")


class UnpushedRecords(DomainError):
    message = N_("Còn %(n)s bản ghi chưa gửi lên máy chủ ban tổ chức: gửi trước, hoặc chọn \"đóng và gửi sau\"")
    field = "allow_unpushed"


@dataclass(frozen=True)
class CloseFair:
    """The manager's go-ahead to close the fair at this booth.

    confirm must be True (the box ticked); allow_unpushed closes with records still to push to
    the hub (pushed later). Built by the JSON API from its checked schema, by the closing page from
    its checkboxes and by the CLI from its flags; the service takes only true booleans.
    """

    confirm: bool
    allow_unpushed: bool = False


@dataclass
class GoodsLeft:
    producer: Producer
    rows: list[tuple[Product, int]]

    @property
    def units(self) -> int:
        return sum(q for _p, q in self.rows)

    @property
    def value_vnd(self) -> int:
        return sum(max(q, 0) * p.price_vnd for p, q in self.rows)

    @property
    def has_negative(self) -> bool:
        return any(q < 0 for _p, q in self.rows)


@dataclass
class PrintedStatement:
    statement: settlement.Statement
    printed_at: datetime | None
    printed_by: str = ""
    # The figures printed differ from today's (something changed after printing).
    changed_since: bool = False


@dataclass
class Step:
    key: str
    label: str
    done: bool
    detail: str = ""
    required: bool = True


@dataclass
class ClosingState:
    booth: Booth
    open_shifts: list[Shift]
    final_count: StockDocument | None
    uncounted: list[Product]
    goods_left: list[GoodsLeft]
    statements: list[PrintedStatement]
    unpushed: int | None  # None: this booth does not sync (never provisioned from a hub)
    closed_at: datetime | None
    closed_by: str = ""
    steps: list[Step] = field(default_factory=list)

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None

    @property
    def blockers(self) -> list[Step]:
        return [s for s in self.steps if s.required and not s.done]

    @property
    def can_close(self) -> bool:
        return not self.is_closed and not self.blockers


def _unpushed(session) -> int | None:
    """Records written here that the hub has not acknowledged, as the sync area counts them.

    None when this booth does not sync (never provisioned from a hub): nothing can be pushed.
    Read here rather than passed in by the page, the API or the CLI: close_fair's refusal
    (UnpushedRecords) must rest on the database's count, not on what a caller says.
    """
    if sync_booth.state(session) is None:
        return None
    return sync_booth.unpushed_count(session)


def _final_count(session, booth: Booth) -> StockDocument | None:
    """The last count, if only returns to producers came after it."""
    doc = session.scalars(select(StockDocument).where(StockDocument.booth_id == booth.id, StockDocument.kind == "count")
                          .order_by(StockDocument.id.desc())).first()
    if doc is None or not doc.movements:
        return None
    first_id = min(m.id for m in doc.movements)
    later = session.scalar(select(func.count(StockMovement.id)).where(
        StockMovement.booth_id == booth.id, StockMovement.id > first_id,
        StockMovement.document_id.is_distinct_from(doc.id), StockMovement.kind.not_in(_AFTER_COUNT)))
    return doc if not later else None


def _uncounted(session, booth: Booth, doc: StockDocument) -> list[Product]:
    """Products that had goods on hand when the final count was made but are not on it."""
    first_id = min(m.id for m in doc.movements)
    counted = {m.product_id for m in doc.movements}
    before = session.execute(
        select(StockMovement.product_id, func.sum(StockMovement.qty))
        .where(StockMovement.booth_id == booth.id, StockMovement.id < first_id)
        .group_by(StockMovement.product_id)).all()
    missing = [pid for pid, qty in before if int(qty) != 0 and pid not in counted]
    return vi_sorted((session.get(Product, pid) for pid in missing), key=lambda p: p.name)


def _goods_left(session, booth: Booth) -> list[GoodsLeft]:
    levels = {pid: q for pid, q in stock.on_hand(session, booth.id).items() if q != 0}
    groups: dict[int, GoodsLeft] = {}
    for pid, qty in levels.items():
        product = session.get(Product, pid)
        group = groups.setdefault(product.producer_id, GoodsLeft(product.producer, []))
        group.rows.append((product, qty))
    for g in groups.values():
        g.rows = vi_sorted(g.rows, key=lambda r: r[0].name)
    return vi_sorted(groups.values(), key=lambda g: g.producer.name)


def _print_target(booth: Booth, producer_id: int) -> str:
    return f"booth:{booth.id}:producer:{producer_id}"


def _figures(st: settlement.Statement) -> dict:
    return {"net_vnd": st.net_vnd, "commission_vnd": st.commission_vnd, "payable_vnd": st.payable_vnd,
            "on_hand": st.on_hand}


def closing_state(session, booth: Booth) -> ClosingState:
    """Where the booth is in closing the fair: each step done or not, and what remains."""
    open_shifts = list(session.scalars(select(Shift).where(Shift.booth_id == booth.id, Shift.closed_at.is_(None))
                                       .order_by(Shift.till_id)))
    final = _final_count(session, booth)
    uncounted = _uncounted(session, booth, final) if final else []
    goods = _goods_left(session, booth)
    printed: dict[str, AuditEntry] = {}
    for entry in session.scalars(select(AuditEntry).where(AuditEntry.action == "settlement.print",
                                                          AuditEntry.target.like(f"booth:{booth.id}:%"))
                                 .order_by(AuditEntry.id)):
        printed[entry.target] = entry  # the last print wins
    statements = []
    for st in settlement.booth_statements(session, booth):
        entry = printed.get(_print_target(booth, st.producer.id))
        changed = bool(entry) and json.loads(entry.details or "{}").get("figures") != _figures(st)
        statements.append(PrintedStatement(st, entry.at if entry else None, entry.username if entry else "", changed))
    closed_by = ""
    if booth.fair.closed_at is not None:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "fair.close",
                                                         AuditEntry.target == f"booth:{booth.id}")
                                .order_by(AuditEntry.id.desc())).first()
        closed_by = entry.username if entry else ""
    state = ClosingState(booth, open_shifts, final, uncounted, goods, statements, _unpushed(session),
                         booth.fair.closed_at, closed_by)
    state.steps = _steps(state)
    return state


def _steps(state: ClosingState) -> list[Step]:
    steps = [
        Step("shifts", gettext("Đóng ca bán hàng ở mọi quầy"), not state.open_shifts,
             ", ".join(gettext("quầy %(till)s ca %(n)s", till=s.till.code, n=s.label) for s in state.open_shifts)),
        Step("count", gettext("Kiểm kê lần cuối, sau đơn bán cuối cùng"),
             state.final_count is not None and not state.uncounted,
             (gettext("Chưa đếm: %(names)s", names=", ".join(p.name for p in state.uncounted)) if state.uncounted
              else (state.final_count.number if state.final_count else gettext("Chưa có phiếu kiểm kê sau lần bán cuối")))),
        Step("returns", gettext("Trả hết hàng còn lại cho từng chủ thể"), not state.goods_left,
             ", ".join(f"{g.producer.name} ({g.units})" for g in state.goods_left)),
        Step("statements", gettext("In bảng quyết toán để hai bên ký"),
             all(p.printed_at and not p.changed_since for p in state.statements),
             ", ".join(p.statement.producer.name for p in state.statements
                       if not p.printed_at or p.changed_since), required=False),
        Step("push", gettext("Gửi toàn bộ dữ liệu lên máy chủ ban tổ chức"), state.unpushed == 0,
             gettext("Gian hàng chưa kết nối máy chủ ban tổ chức (chưa nhận cài đặt từ máy chủ)") if state.unpushed is None
             else gettext("Còn %(n)s bản ghi chưa gửi", n=state.unpushed) if state.unpushed else "",
             required=False),
    ]
    return steps


def record_statement_printed(session, booth: Booth, user, producer_id) -> settlement.Statement:
    """Note that a producer's statement was printed for signature, with the figures printed.

    Raises NotFound.
    """
    st = settlement.statement(session, booth, producer_id)
    audit.record(session, user, "settlement.print", _print_target(booth, st.producer.id),
                 producer=st.producer.name, figures=_figures(st))
    session.flush()
    return st


def queue_statement_slips(session, booth: Booth, user, producer_ids: list[int] | None,
                          settings: PrinterSettings) -> list:
    """Queue statements on the receipt printer, each noted as printed for signature.

    producer_ids None: every producer's statement at the booth. Each statement is its own
    print job (a "report" job carrying the finished slip), so one that fails can be retried
    alone; each print is recorded with its figures, as the A4 print is, for the closing page.
    Returns the jobs: none, and nothing recorded, when the booth has no printer.
    Raises NotFound (an unknown producer).
    """
    if settings.target.kind == "none":
        return []
    if producer_ids is None:
        producer_ids = [st.producer.id for st in settlement.booth_statements(session, booth)]
    jobs = []
    for producer_id in producer_ids:
        st = record_statement_printed(session, booth, user, producer_id)
        jobs.append(print_queue.enqueue_slip(session, settlement.build_statement_slip(st), settings))
    return jobs


def return_all_goods(session, booth: Booth, user, producer_id) -> StockDocument:
    """Return everything of one producer still on hand, in one return document (phiếu trả hàng).

    Raises FairClosed, NotFound, InvalidInput (nothing on hand; a product below zero needs a count first).
    """
    ensure_open(booth)
    producer = required_row(session, Producer, producer_id, N_("Không tìm thấy chủ thể"), field="producer_id")
    levels = stock.on_hand(session, booth.id)
    products = session.scalars(select(Product).where(Product.producer_id == producer.id)).all()
    negative = [p.name for p in products if levels.get(p.id, 0) < 0]
    if negative:
        raise InvalidInput("producer_id", "Tồn âm (%(names)s): kiểm kê lại trước khi trả hàng",
                           names=", ".join(negative))
    lines = [dict(product_id=p.id, qty=levels[p.id]) for p in products if levels.get(p.id, 0) > 0]
    if not lines:
        raise InvalidInput("producer_id", "%(name)s không còn hàng nào ở gian hàng", name=producer.name)
    return stock.record_document(session, booth, user, stock.NewDocument.of(
        "return", producer_id=producer.id, lines=lines, reason=gettext("Trả hàng khi đóng hội chợ")))


def close_fair(session, booth: Booth, user, request: CloseFair) -> ClosingState:
    """Close the fair at this booth: from now on it is read-only for that fair.

    Raises FairClosed (already closed), InvalidInput (not confirmed, or a flag that is not a
    bool), CannotCloseYet (a required step not done), UnpushedRecords.
    """
    ensure_open(booth)
    if not isinstance(request, CloseFair) or request.confirm is not True:
        raise InvalidInput("confirm", "Đánh dấu xác nhận đóng hội chợ")
    if type(request.allow_unpushed) is not bool:
        raise InvalidInput("allow_unpushed", "Không hợp lệ")
    state = closing_state(session, booth)
    if state.blockers:
        raise CannotCloseYet(steps="; ".join(s.label for s in state.blockers))
    if state.unpushed and not request.allow_unpushed:
        raise UnpushedRecords(n=state.unpushed)
    booth.fair.closed_at = utcnow()
    audit.record(session, user, "fair.close", f"booth:{booth.id}", fair=booth.fair.code,
                 unpushed=state.unpushed, statements_unprinted=[p.statement.producer.name for p in state.statements
                                                                if not p.printed_at])
    session.flush()
    state.closed_at, state.closed_by = booth.fair.closed_at, getattr(user, "username", "")
    return state


def reopen_fair(session, booth: Booth, user, reason: str) -> None:
    """Reopen a closed fair at this booth (a mistake, a late delivery): organisers only, with a reason.

    Raises Forbidden, InvalidInput, NotFound (not closed).
    """
    if getattr(user, "role", None) != "organiser":
        raise Forbidden()
    reason = text(reason, "reason", max_len=500, required=True)
    if booth.fair.closed_at is None:
        raise NotFound("Hội chợ đang mở")
    booth.fair.closed_at = None
    audit.record(session, user, "fair.reopen", f"booth:{booth.id}", fair=booth.fair.code, reason=reason)
    session.flush()

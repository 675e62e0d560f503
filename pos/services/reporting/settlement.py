"""The settlement statement (bảng quyết toán) of one producer at one booth of a fair.

Everything on it is read from two sources and nothing else: the stock ledger
(movements, by kind) and the sales (sale lines, voids, refund lines). The booth
and the producer sign it at the end of the fair, so its figures must add up on
paper:

    units:  received − sold + voided + refunded − returned − samples − damaged ± adjusted = on hand

(a refunded unit comes back on hand; one written off as damaged then leaves again as damage)
    money:  gross − discounts − voided − refunded = net sales;  net sales − commission = net payable

Commission is charged on the producer's NET sales (after discounts, voids and
refunds), at the producer's own rate when it has one, else the fair's, in basis
points, rounded half up to the đồng once on the total (never per line, so the
statement's commission is the one a calculator gives).

A statement is computed, never stored: it is always the ledger's current truth.
Every query is over booth_id, so it works on a booth laptop and on the hub alike.

Here too: the statement as tables (page, Excel, CSV; its payments as a third table) and as
a receipt-printer slip. Recording and queueing the prints for signature is closing's.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext
from sqlalchemy import func, select

from ...db import required_row
from ...errors import N_
from ...models import (Booth, Fair, Producer, ProducerPayment, Product, RefundLine, SaleLine, StockDocument,
    StockMovement, Void)
from ...money import format_percent_bp, percent_of
from ...printing import Slip
from ...printing.receipt import amount, format_slip_time
from ...text import vi_sorted
from ...timeutil import format_date, to_local, utcnow
from .exports import Column, Table
from ..sale_sql import line_gross


@dataclass
class StatementLine:
    """One product on the statement: its ledger in units and its sales in đồng."""

    product_id: int
    name: str
    unit: str
    price_vnd: int
    # The ledger, as positive numbers of units (adjusted keeps its sign).
    received: int = 0
    sold: int = 0
    voided: int = 0
    refunded: int = 0  # units the customers brought back (a refund); those written off are also in damaged
    returned: int = 0
    samples: int = 0
    damaged: int = 0
    adjusted: int = 0
    on_hand: int = 0  # the sum of all the product's movements at the booth
    # The last count of this product at the booth, if any.
    counted_qty: int | None = None
    expected_at_count: int | None = None
    counted_at: datetime | None = None
    # The sales, from the sale lines.
    units_sold: int = 0
    units_voided: int = 0
    units_refunded: int = 0
    gross_vnd: int = 0
    discount_vnd: int = 0
    voided_vnd: int = 0
    refunded_vnd: int = 0

    @property
    def net_vnd(self) -> int:
        return self.gross_vnd - self.discount_vnd - self.voided_vnd - self.refunded_vnd

    @property
    def units_net(self) -> int:
        """Units the customers kept: sold, less voided and refunded."""
        return self.units_sold - self.units_voided - self.units_refunded

    @property
    def ledger_balance(self) -> int:
        """On hand as the statement's columns add it up (equals on_hand when the ledger knows only these kinds)."""
        return (self.received - self.sold + self.voided + self.refunded - self.returned - self.samples
                - self.damaged + self.adjusted)


_SUMMED = ("received", "sold", "voided", "refunded", "returned", "samples", "damaged", "adjusted", "on_hand",
           "units_sold", "units_voided", "units_refunded", "gross_vnd", "discount_vnd", "voided_vnd", "refunded_vnd")


@dataclass
class Statement:
    """A producer's settlement at one booth (and so one fair)."""

    booth: Booth
    fair: Fair
    producer: Producer
    commission_bp: int
    lines: list[StatementLine] = field(default_factory=list)
    generated_at: datetime = field(default_factory=utcnow)
    # Where the ledger and the sales disagree (should never happen): shown on the statement, not hidden.
    problems: list[str] = field(default_factory=list)
    # What the booth has already paid the producer against this statement, oldest first.
    payments: list[ProducerPayment] = field(default_factory=list)

    @property
    def totals(self) -> StatementLine:
        total = StatementLine(0, gettext("Cộng"), "", 0)
        for line in self.lines:
            for name in _SUMMED:
                setattr(total, name, getattr(total, name) + getattr(line, name))
        return total

    @property
    def gross_vnd(self) -> int:
        return sum(x.gross_vnd for x in self.lines)

    @property
    def discount_vnd(self) -> int:
        return sum(x.discount_vnd for x in self.lines)

    @property
    def voided_vnd(self) -> int:
        return sum(x.voided_vnd for x in self.lines)

    @property
    def refunded_vnd(self) -> int:
        return sum(x.refunded_vnd for x in self.lines)

    @property
    def net_vnd(self) -> int:
        return sum(x.net_vnd for x in self.lines)

    @property
    def commission_vnd(self) -> int:
        return percent_of(self.net_vnd, self.commission_bp)

    @property
    def payable_vnd(self) -> int:
        return self.net_vnd - self.commission_vnd

    @property
    def paid_vnd(self) -> int:
        return sum(p.amount_vnd for p in self.payments)

    @property
    def owed_vnd(self) -> int:
        """Still to pay the producer (negative: paid more than the statement now says, after a refund)."""
        return self.payable_vnd - self.paid_vnd

    @property
    def on_hand(self) -> int:
        return sum(x.on_hand for x in self.lines)

    @property
    def is_empty(self) -> bool:
        return not self.lines


def commission_rate_bp(fair: Fair, producer: Producer) -> int:
    """The producer's own rate when it has one, else the fair's (basis points)."""
    return producer.commission_bp if producer.commission_bp is not None else (fair.commission_bp or 0)


# Ledger kind -> (statement field, sign that makes it a positive count).
_KIND_FIELD = {"receive": ("received", 1), "sale": ("sold", -1), "void": ("voided", 1),
               "refund": ("refunded", 1), "return": ("returned", -1), "sample": ("samples", -1),
               "damage": ("damaged", -1), "adjust": ("adjusted", 1)}


@dataclass
class _Scope:
    """Which rows a statement query keeps: these booths (unless they are every booth) and producers."""

    booth_ids: list[int]
    producer_ids: list[int] | None
    every_booth: bool

    def keep(self, stmt, booth_column, product_column):
        if not self.every_booth:
            stmt = stmt.where(booth_column.in_(self.booth_ids))
        if self.producer_ids is not None:
            stmt = stmt.join(Product, Product.id == product_column).where(Product.producer_id.in_(self.producer_ids))
        return stmt


@dataclass
class _Rows:
    """What the ledger and the sales say, summed per (booth, product); the counts as movements."""

    ledger: list  # (booth id, product id, kind, qty)
    sold: list  # (booth id, product id, qty, gross, discount)
    voided: list  # (booth id, product id, qty, net)
    refunded: list  # (booth id, product id, qty, amount)
    counts: list[StockMovement]

    def product_ids(self) -> list[int]:
        return sorted({r[1] for rows in (self.ledger, self.sold, self.voided, self.refunded) for r in rows}
                      | {m.product_id for m in self.counts})


def _compute(session, booths: list[Booth], producer_ids: list[int] | None,
             every_booth: bool = False) -> dict[tuple[int, int], Statement]:
    """Statements of these booths (of one fair or several) for these producers, keyed (booth id, producer id).

    producer_ids None: every producer with anything at the booths. Each table is read
    once for all the booths, grouped by booth and product; every_booth (the booths are
    all the database holds) drops the booth filter, so SQLite reads the tables in order.
    """
    scope = _Scope([b.id for b in booths], producer_ids, every_booth)
    rows = _read(session, scope)
    products = _products(session, rows.product_ids())
    lines = _lines(rows, products)
    statements = _statements(session, booths, producer_ids, lines, products)
    _add_payments(session, scope, statements)
    for st in statements.values():
        st.lines = vi_sorted(st.lines, key=lambda x: x.name)
    return statements


def _read(session, scope: _Scope) -> _Rows:
    """Each table once for all the booths: the ledger and the sales grouped by booth and product."""
    ledger = session.execute(scope.keep(
        select(StockMovement.booth_id, StockMovement.product_id, StockMovement.kind, func.sum(StockMovement.qty)),
        StockMovement.booth_id, StockMovement.product_id)
        .group_by(StockMovement.booth_id, StockMovement.product_id, StockMovement.kind)).all()
    sold = session.execute(scope.keep(
        select(SaleLine.booth_id, SaleLine.product_id, func.sum(SaleLine.qty), func.sum(line_gross()),
               func.sum(SaleLine.line_discount_vnd + SaleLine.order_discount_vnd)),
        SaleLine.booth_id, SaleLine.product_id)
        .group_by(SaleLine.booth_id, SaleLine.product_id)).all()
    # Voids, refunds and counts are few: each is read from its own small table outwards.
    voided = session.execute(scope.keep(
        select(Void.booth_id, SaleLine.product_id, func.sum(SaleLine.qty), func.sum(SaleLine.net_vnd))
        .select_from(Void).join(SaleLine, SaleLine.sale_id == Void.sale_id),
        Void.booth_id, SaleLine.product_id)
        .group_by(Void.booth_id, SaleLine.product_id)).all()
    refunded = session.execute(scope.keep(
        select(RefundLine.booth_id, SaleLine.product_id, func.sum(RefundLine.qty), func.sum(RefundLine.amount_vnd))
        .select_from(RefundLine).join(SaleLine, SaleLine.id == RefundLine.sale_line_id),
        RefundLine.booth_id, SaleLine.product_id)
        .group_by(RefundLine.booth_id, SaleLine.product_id)).all()
    count_docs = select(StockDocument.id).where(StockDocument.kind == "count")
    if not scope.every_booth:
        count_docs = count_docs.where(StockDocument.booth_id.in_(scope.booth_ids))
    counts = session.scalars(scope.keep(
        select(StockMovement).where(StockMovement.document_id.in_(count_docs.scalar_subquery()),
                                    StockMovement.counted_qty.is_not(None)),
        StockMovement.booth_id, StockMovement.product_id)
        .order_by(StockMovement.id)).all()
    return _Rows(ledger, sold, voided, refunded, counts)


def _products(session, wanted_ids: list[int]) -> dict[int, Product]:
    """Every product met in the rows, loaded in one query (per 500) rather than one each."""
    products: dict[int, Product] = {}
    for chunk in range(0, len(wanted_ids), 500):
        for product in session.scalars(select(Product).where(Product.id.in_(wanted_ids[chunk:chunk + 500]))):
            products[product.id] = product
    return products


def _lines(rows: _Rows, products: dict[int, Product]) -> dict[tuple[int, int], StatementLine]:
    """One statement line per (booth id, product id), its ledger and its sales filled in."""
    lines: dict[tuple[int, int], StatementLine] = {}

    def line(booth_id: int, pid: int) -> StatementLine:
        key = (booth_id, pid)
        if key not in lines:
            product = products[pid]
            lines[key] = StatementLine(pid, product.name, product.unit, product.price_vnd)
        return lines[key]

    for booth_id, pid, kind, qty in rows.ledger:
        ln = line(booth_id, pid)
        qty = int(qty or 0)
        ln.on_hand += qty
        name, sign = _KIND_FIELD.get(kind, ("adjusted", 1))
        setattr(ln, name, getattr(ln, name) + sign * qty)
    for booth_id, pid, qty, gross, discount in rows.sold:
        ln = line(booth_id, pid)
        ln.units_sold, ln.gross_vnd, ln.discount_vnd = int(qty or 0), int(gross or 0), int(discount or 0)
    for booth_id, pid, qty, net in rows.voided:
        ln = line(booth_id, pid)
        ln.units_voided, ln.voided_vnd = int(qty or 0), int(net or 0)
    for booth_id, pid, qty, paid in rows.refunded:
        ln = line(booth_id, pid)
        ln.units_refunded, ln.refunded_vnd = int(qty or 0), int(paid or 0)
    for m in rows.counts:  # the last count of each product wins
        ln = line(m.booth_id, m.product_id)
        ln.counted_qty, ln.expected_at_count, ln.counted_at = m.counted_qty, m.counted_qty - m.qty, m.created_at
    return lines


def _statements(session, booths: list[Booth], producer_ids: list[int] | None,
                lines: dict[tuple[int, int], StatementLine],
                products: dict[int, Product]) -> dict[tuple[int, int], Statement]:
    """The lines gathered into one statement per (booth, producer), each line checked as it goes on."""
    by_id = {b.id: b for b in booths}
    wanted = set(producer_ids) if producer_ids is not None else {products[pid].producer_id for _b, pid in lines}
    makers = {p.id: p for p in session.scalars(select(Producer).where(Producer.id.in_(list(wanted))))} if wanted else {}
    statements: dict[tuple[int, int], Statement] = {}
    if producer_ids is not None:  # asked-for producers get a statement even when it is empty
        for booth in booths:
            for producer_id in producer_ids:
                if producer_id in makers:
                    statements[(booth.id, producer_id)] = Statement(
                        booth, booth.fair, makers[producer_id], commission_rate_bp(booth.fair, makers[producer_id]))
    for (booth_id, pid), ln in lines.items():
        if booth_id not in by_id:
            continue
        producer = makers.get(products[pid].producer_id)
        if producer is None:
            continue
        key = (booth_id, producer.id)
        st = statements.get(key)
        if st is None:
            booth = by_id[booth_id]
            st = statements[key] = Statement(booth, booth.fair, producer, commission_rate_bp(booth.fair, producer))
        st.lines.append(ln)
        _check(st, ln)
    return statements


def _add_payments(session, scope: _Scope, statements: dict[tuple[int, int], Statement]) -> None:
    """Each statement's payments, oldest first."""
    paid = select(ProducerPayment).order_by(ProducerPayment.paid_on, ProducerPayment.created_at, ProducerPayment.id)
    if not scope.every_booth:
        paid = paid.where(ProducerPayment.booth_id.in_(scope.booth_ids))
    if scope.producer_ids is not None:
        paid = paid.where(ProducerPayment.producer_id.in_(scope.producer_ids))
    for payment in session.scalars(paid):
        st = statements.get((payment.booth_id, payment.producer_id))
        if st is not None:
            st.payments.append(payment)


def _check(st: Statement, ln: StatementLine) -> None:
    """The ledger and the sales must tell the same story; any disagreement is written on the statement."""
    if ln.sold != ln.units_sold:
        st.problems.append(gettext("%(product)s: sổ kho ghi bán %(ledger)s, các đơn hàng ghi %(sales)s",
                                   product=ln.name, ledger=ln.sold, sales=ln.units_sold))
    if ln.voided != ln.units_voided:
        st.problems.append(gettext("%(product)s: sổ kho ghi hủy đơn %(ledger)s, các đơn bị hủy có %(sales)s",
                                   product=ln.name, ledger=ln.voided, sales=ln.units_voided))
    if ln.refunded != ln.units_refunded:
        st.problems.append(gettext("%(product)s: sổ kho ghi khách trả lại %(ledger)s, các phiếu hoàn tiền ghi %(sales)s",
                                   product=ln.name, ledger=ln.refunded, sales=ln.units_refunded))
    if ln.ledger_balance != ln.on_hand:
        st.problems.append(gettext("%(product)s: tồn theo các cột %(cols)s khác tồn sổ kho %(ledger)s",
                                   product=ln.name, cols=ln.ledger_balance, ledger=ln.on_hand))


def statement(session, booth: Booth, producer_id) -> Statement:
    """One producer's statement at one booth (empty when it had nothing there). Raises NotFound."""
    producer = required_row(session, Producer, producer_id, N_("Không tìm thấy chủ thể"), field="producer_id")
    return _compute(session, [booth], [producer.id])[(booth.id, producer.id)]


def booth_statements(session, booth: Booth) -> list[Statement]:
    """Every producer's statement at the booth (those with any stock or sale there), in Vietnamese order."""
    every = session.scalar(select(func.count(Booth.id))) == 1
    return vi_sorted(_compute(session, [booth], None, every_booth=every).values(), key=lambda s: s.producer.name)


def fair_statements(session, fair: Fair) -> list[Statement]:
    """Every producer's statement at every booth of a fair, reading each table once for all of them.

    Ordered by booth, then producer in Vietnamese order.
    """
    booths = sorted(fair.booths, key=lambda b: b.code)
    every = session.scalar(select(func.count(Booth.id))) == len(booths)
    found = _compute(session, booths, None, every_booth=every)
    order = {b.id: i for i, b in enumerate(booths)}
    return sorted(vi_sorted(found.values(), key=lambda s: s.producer.name), key=lambda s: order[s.booth.id])


def producer_booth_ids(session, producer_id: int) -> set[int]:
    """The ids of the booths (of every fair) where a producer has had stock movements or sales."""
    booth_ids = set(session.scalars(
        select(StockMovement.booth_id).join(Product, Product.id == StockMovement.product_id)
        .where(Product.producer_id == producer_id).distinct()))
    booth_ids |= set(session.scalars(
        select(SaleLine.booth_id).join(Product, Product.id == SaleLine.product_id)
        .where(Product.producer_id == producer_id).distinct()))
    return booth_ids


def producer_booths(session, producer_id: int) -> list[Booth]:
    """The booths (of every fair) where a producer has had stock or sales, newest fair first."""
    booths = [session.get(Booth, b) for b in producer_booth_ids(session, producer_id)]
    return sorted(booths, key=lambda b: (b.fair.starts_on is not None, b.fair.starts_on, b.fair_id, b.code),
                  reverse=True)


# --- the statement as tables (page, Excel, CSV) ---

def statement_tables(st: Statement) -> list[Table]:
    """The statement as two tables: the products (units and đồng) and the summary to sign."""
    heading = [gettext("BẢNG QUYẾT TOÁN HÀNG KÝ GỬI"), st.fair.name, st.booth.name,
               gettext("Chủ thể: %(name)s", name=st.producer.name)]
    cols = [Column("name", gettext("Sản phẩm")), Column("unit", gettext("ĐVT")),
            Column("price", gettext("Giá bán"), "vnd"),
            Column("received", gettext("Nhận"), "int"), Column("sold", gettext("Bán"), "int"),
            Column("voided", gettext("Hủy đơn (nhập lại)"), "int"),
            Column("refunded", gettext("Khách trả lại"), "int"),
            Column("returned", gettext("Trả chủ thể"), "int"), Column("samples", gettext("Dùng thử"), "int"),
            Column("damaged", gettext("Hỏng"), "int"), Column("adjusted", gettext("Điều chỉnh kiểm kê"), "int"),
            Column("on_hand", gettext("Tồn cuối"), "int"),
            Column("expected", gettext("Tồn sổ khi kiểm"), "int"), Column("counted", gettext("Thực đếm"), "int"),
            Column("units_net", gettext("SL bán thuần"), "int"),
            Column("gross", gettext("Doanh số gộp"), "vnd"), Column("discount", gettext("Giảm giá"), "vnd"),
            Column("voided_vnd", gettext("Đơn hủy"), "vnd"), Column("refunded_vnd", gettext("Trả tiền khách"), "vnd"),
            Column("net", gettext("Doanh thu thuần"), "vnd")]
    products = Table(gettext("Quyết toán"), cols, heading=heading)
    for ln in st.lines:
        products.add(ln.name, ln.unit, ln.price_vnd, ln.received, ln.sold, ln.voided, ln.refunded, ln.returned,
                     ln.samples, ln.damaged, ln.adjusted, ln.on_hand, ln.expected_at_count, ln.counted_qty,
                     ln.units_net, ln.gross_vnd, ln.discount_vnd, ln.voided_vnd, ln.refunded_vnd, ln.net_vnd)
    t = st.totals
    products.footer = [gettext("Cộng"), "", None, t.received, t.sold, t.voided, t.refunded, t.returned,
                       t.samples, t.damaged, t.adjusted, t.on_hand, None, None, t.units_net, t.gross_vnd,
                       t.discount_vnd, t.voided_vnd, t.refunded_vnd, t.net_vnd]
    summary = Table(gettext("Tổng hợp"), [Column("item", gettext("Khoản")), Column("value", gettext("Số tiền (đồng)"), "vnd")])
    summary.add(gettext("Doanh số gộp"), st.gross_vnd)
    summary.add(gettext("Giảm giá"), st.discount_vnd)
    summary.add(gettext("Đơn hủy"), st.voided_vnd)
    summary.add(gettext("Trả tiền khách"), st.refunded_vnd)
    summary.add(gettext("Doanh thu thuần"), st.net_vnd)
    summary.add(gettext("Hoa hồng (%(rate)s %%)", rate=_rate(st.commission_bp)), st.commission_vnd)
    summary.add(gettext("Số tiền trả chủ thể"), st.payable_vnd)
    summary.add(gettext("Đã trả"), st.paid_vnd)
    summary.add(gettext("Còn phải trả"), st.owed_vnd)
    out = [products, summary]
    if st.payments:
        out.append(payments_table([st], heading=heading))
    return out


def payments_table(statements: list[Statement], heading: list[str] | None = None) -> Table:
    """Every payment of these statements, one row each (Excel, CSV)."""
    table = Table(gettext("Chi trả chủ thể"), [
        Column("number", gettext("Số phiếu")), Column("paid_on", gettext("Ngày trả"), "date"),
        Column("producer", gettext("Chủ thể")), Column("booth", gettext("Gian hàng")),
        Column("method", gettext("Hình thức")), Column("reference", gettext("Tham chiếu")),
        Column("received_by", gettext("Người nhận")), Column("paid_by", gettext("Người chi")),
        Column("amount", gettext("Số tiền"), "vnd")], heading=heading or [])
    for st in statements:
        for p in st.payments:
            table.add(p.number, p.paid_on, st.producer.name, st.booth.name, gettext(p.method_label), p.reference,
                      p.received_by, p.created_by.full_name or p.created_by.username, p.amount_vnd)
    table.footer = [gettext("Cộng"), None, "", "", "", "", "", "", sum(s.paid_vnd for s in statements)]
    return table


def booth_summary_table(statements: list[Statement], booth: Booth) -> Table:
    """One line per producer: what the booth owes each (the organiser's overview of a booth)."""
    table = Table(gettext("Quyết toán gian hàng"), [
        Column("producer", gettext("Chủ thể")), Column("received", gettext("Nhận"), "int"),
        Column("units_net", gettext("SL bán thuần"), "int"), Column("on_hand", gettext("Tồn cuối"), "int"),
        Column("gross", gettext("Doanh số gộp"), "vnd"), Column("discount", gettext("Giảm giá"), "vnd"),
        Column("voided_refunded", gettext("Hủy / trả tiền"), "vnd"), Column("net", gettext("Doanh thu thuần"), "vnd"),
        Column("rate", gettext("Hoa hồng (%)"), "percent_bp"), Column("commission", gettext("Hoa hồng"), "vnd"),
        Column("payable", gettext("Trả chủ thể"), "vnd"), Column("paid", gettext("Đã trả"), "vnd"),
        Column("owed", gettext("Còn phải trả"), "vnd")],
        heading=[booth.fair.name, booth.name])
    for st in statements:
        t = st.totals
        table.add(st.producer.name, t.received, t.units_net, t.on_hand, st.gross_vnd, st.discount_vnd,
                  st.voided_vnd + st.refunded_vnd, st.net_vnd, st.commission_bp, st.commission_vnd,
                  st.payable_vnd, st.paid_vnd, st.owed_vnd)
    table.footer = [gettext("Cộng"), sum(s.totals.received for s in statements),
                    sum(s.totals.units_net for s in statements), sum(s.on_hand for s in statements),
                    sum(s.gross_vnd for s in statements), sum(s.discount_vnd for s in statements),
                    sum(s.voided_vnd + s.refunded_vnd for s in statements), sum(s.net_vnd for s in statements), None,
                    sum(s.commission_vnd for s in statements), sum(s.payable_vnd for s in statements),
                    sum(s.paid_vnd for s in statements), sum(s.owed_vnd for s in statements)]
    return table


def _rate(bp: int) -> str:
    return format_percent_bp(bp)


# --- the statement on the receipt printer ---

def build_statement_slip(st: Statement, printed_at: datetime | None = None) -> Slip:
    """The statement as a receipt-printer slip (58 or 80 mm paper), in the interface language.

    Header (statement title, fair, booth, fair dates, producer, commission rate), each
    product with its units and its money, the totals to sign, any disagreement between
    the ledger and the sales, two signature spaces (producer, booth), the time printed,
    a cut. Every figure is the Statement's own. A product's units that are zero are left
    out to save paper (received, sold, on hand, net qty and net sales always print).
    printed_at is a UTC time (now by default). Raises nothing.
    """
    slip = Slip().title(gettext("BẢNG QUYẾT TOÁN HÀNG KÝ GỬI"))
    slip.text(st.fair.name, align="center").text(st.booth.name, align="center", bold=True)
    days = " – ".join(format_date(d) for d in dict.fromkeys((st.fair.starts_on, st.fair.ends_on)) if d)
    if days:
        slip.text(days, align="center")
    slip.separator()
    slip.text(gettext("Chủ thể: %(name)s", name=st.producer.name), bold=True)
    if st.producer.phone:
        slip.row(gettext("ĐT") + ":", st.producer.phone)
    if st.producer.bank_account:
        slip.text(gettext("Tài khoản nhận tiền") + ": " + st.producer.bank_account)
    slip.row(gettext("Hoa hồng") + ":", f"{_rate(st.commission_bp)}\u00a0%")
    if st.problems:
        slip.separator().text(gettext("Sổ kho và đơn hàng chưa khớp:"), bold=True)
        for problem in st.problems:
            slip.text(f"- {problem}")
    slip.separator()
    if st.is_empty:
        slip.text(gettext("Chủ thể chưa có hàng hay doanh thu nào ở gian hàng này."))
    for number, ln in enumerate(st.lines, 1):
        # A no-break space keeps the unit with the name's last word, never alone on a line.
        slip.text(f"{number}. {ln.name}" + (f"\u00a0({ln.unit})" if ln.unit else ""), bold=True)
        slip.row("  " + gettext("Giá bán"), amount(ln.price_vnd))
        _slip_units(slip, ln, indent="  ")
        _slip_money(slip, ln, indent="  ")
        slip.row("  " + gettext("Doanh thu thuần"), amount(ln.net_vnd), bold=True)
        slip.separator()
    if not st.is_empty:
        slip.text(gettext("Cộng"), bold=True)
        _slip_units(slip, st.totals, indent="  ")
        slip.text(gettext("Số lượng bằng 0 không in."))
        slip.separator("=")
    slip.row(gettext("Doanh số gộp"), amount(st.gross_vnd))
    slip.row(gettext("Trừ giảm giá"), amount(st.discount_vnd))
    slip.row(gettext("Trừ đơn bị hủy"), amount(st.voided_vnd))
    slip.row(gettext("Trừ tiền trả lại khách"), amount(st.refunded_vnd))
    slip.row(gettext("Doanh thu thuần"), amount(st.net_vnd), bold=True)
    slip.row(gettext("Hoa hồng (%(rate)s %%)", rate=_rate(st.commission_bp)), amount(st.commission_vnd))
    slip.row(gettext("Số tiền trả chủ thể"), amount(st.payable_vnd), bold=True)
    if st.payments:
        slip.row(gettext("Đã trả"), amount(st.paid_vnd))
        slip.row(gettext("Còn phải trả"), amount(st.owed_vnd), bold=True)
    for who in (gettext("Đại diện chủ thể"), gettext("Trưởng gian hàng")):
        slip.blank().text(who, align="center", bold=True).text(gettext("(Ký, ghi rõ họ tên)"), align="center")
        slip.blank().blank().blank().separator(".")
    slip.blank().row(gettext("In lúc"), format_slip_time(to_local(printed_at or utcnow())))
    return slip.cut()


def _slip_units(slip: Slip, ln: StatementLine, indent: str) -> None:
    """A product's (or the totals') units: the ones that always print, then the non-zero others."""
    # The A4 statement's column order, so the two papers read alike.
    rows = [(gettext("Nhận"), str(ln.received), True), (gettext("Bán"), str(ln.sold), True),
            (gettext("Hủy đơn"), str(ln.voided), ln.voided), (gettext("Khách trả lại"), str(ln.refunded), ln.refunded),
            (gettext("Dùng thử"), str(ln.samples), ln.samples), (gettext("Hỏng"), str(ln.damaged), ln.damaged),
            (gettext("Điều chỉnh kiểm kê"), f"{ln.adjusted:+d}", ln.adjusted),
            (gettext("Trả chủ thể"), str(ln.returned), ln.returned)]
    for label, qty, shown in rows:
        if shown:
            slip.row(indent + label, qty)
    slip.row(indent + gettext("Tồn cuối"), str(ln.on_hand))
    if ln.counted_qty is not None:
        slip.row(indent + gettext("Sổ sách / thực đếm"), f"{ln.expected_at_count} / {ln.counted_qty}")
    slip.row(indent + gettext("SL bán thuần"), str(ln.units_net))


def _slip_money(slip: Slip, ln: StatementLine, indent: str) -> None:
    """A product's money before its net sales: gross, then the deductions that are not zero."""
    slip.row(indent + gettext("Doanh số gộp"), amount(ln.gross_vnd))
    for label, value in ((gettext("Giảm giá"), ln.discount_vnd), (gettext("Đơn hủy"), ln.voided_vnd),
                         (gettext("Trả tiền khách"), ln.refunded_vnd)):
        if value:
            slip.row(indent + label, amount(value))

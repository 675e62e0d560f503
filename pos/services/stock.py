"""Consigned stock as a ledger: documents write movements, on hand is their sum."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Iterable

from sqlalchemy import bindparam, func, select

from ..db import MAX_ID, booth_row
from ..errors import N_, InvalidInput, NotFound, OutOfStock, UnknownProduct
from ..models import Booth, Product, Producer, StockDocument, StockMovement
from ..models.fair import ensure_open
from ..models.identity import stamp
from ..text import vi_sorted
from . import audit, audit_log, numbering
from .typed import text, whole

# A single line above this is a typo (an extra digit), not a delivery to a fair booth.
MAX_LINE_QTY = 100_000


@dataclass
class StockRow:
    product: Product
    on_hand: int
    is_low: bool


@dataclass
class ProducerStock:
    producer: Producer
    rows: list[StockRow]

    @property
    def total_units(self) -> int:
        return sum(r.on_hand for r in self.rows)

    @property
    def value_vnd(self) -> int:
        return sum(max(r.on_hand, 0) * r.product.price_vnd for r in self.rows)


def on_hand(session, booth_id: int, product_ids=None) -> dict[int, int]:
    """On hand per product at a booth: the sum of its movements (missing = 0)."""
    stmt = _on_hand_statement(product_ids is not None, session.get_bind().dialect.name == "sqlite")
    params = {"booth_id": booth_id} if product_ids is None else {"booth_id": booth_id, "ids": list(product_ids)}
    return {pid: int(qty) for pid, qty in session.execute(stmt, params)}


@cache  # asked for on every search page and scan: built once
def _on_hand_statement(some_products: bool, sqlite: bool):
    booth_column = StockMovement.booth_id
    if some_products and sqlite:
        # A booth's database holds (nearly) only its own movements: the few products asked for are
        # found by the product_id index. SQLite, without statistics, chose the booth_id index and read
        # every movement of the booth (1.1 ms for a page of 50 over 10,000 movements, growing with
        # the fair; 0.04 ms this way). "+ 0" keeps it off that index.
        booth_column = booth_column + 0
    stmt = (
        select(StockMovement.product_id, func.coalesce(func.sum(StockMovement.qty), 0))
        .where(booth_column == bindparam("booth_id"))
        .group_by(StockMovement.product_id)
    )
    if some_products:
        stmt = stmt.where(StockMovement.product_id.in_(bindparam("ids", expanding=True)))
    return stmt


def on_hand_column(booth_id: int):
    """A product's on hand at a booth, as a column of a query over Product (one correlated subquery)."""
    return (select(func.coalesce(func.sum(StockMovement.qty), 0))
            .where(StockMovement.product_id == Product.id, StockMovement.booth_id + 0 == booth_id)  # see on_hand
            .correlate(Product).scalar_subquery())


def stock_by_producer(session, booth: Booth, *, producer_id=None) -> list[ProducerStock]:
    """On hand of every product, grouped by producer in Vietnamese order, low stock flagged."""
    levels = on_hand(session, booth.id)
    stmt = select(Product).join(Product.producer)
    if producer_id:
        stmt = stmt.where(Product.producer_id == producer_id)
    groups: dict[int, ProducerStock] = {}
    for product in session.scalars(stmt):
        qty = levels.get(product.id, 0)
        if not product.is_active and qty == 0:
            continue
        group = groups.setdefault(product.producer_id, ProducerStock(product.producer, []))
        group.rows.append(StockRow(product, qty, qty <= booth.low_stock_qty))
    for group in groups.values():
        group.rows = vi_sorted(group.rows, key=lambda r: r.product.name)
    return vi_sorted(groups.values(), key=lambda g: g.producer.name)


DOCUMENT_KINDS = ("receive", "return", "sample", "damage", "count")


@dataclass(frozen=True)
class DocumentLine:
    product_id: int
    qty: int  # units moved; for a count, units on the shelf


@dataclass(frozen=True)
class NewDocument:
    """A stock document as the manager writes it: receive, return, sample, damage or count.

    Built by the JSON API from its checked schema, by the stock pages from their form, and by
    the demo and closing directly. The service checks each number is a true int in range.
    """

    kind: str
    lines: tuple[DocumentLine, ...]
    producer_id: int | None = None  # receive and return: the producer the goods belong to
    reason: str = ""  # sample and damage: why the goods left

    @classmethod
    def of(cls, kind: str, *, lines: Iterable, producer_id: int | None = None, reason: str = "") -> "NewDocument":
        """A document from lines given as DocumentLine or as {product_id, qty} mappings (nothing converted)."""
        return cls(kind, tuple(ln if isinstance(ln, DocumentLine) else DocumentLine(**ln) for ln in lines),
                   producer_id, reason)


def _lines(document: NewDocument, *, allow_zero=False) -> list[tuple[int, int]]:
    raw = document.lines
    if not raw:
        raise InvalidInput("lines", "Phiếu cần ít nhất một dòng hàng")
    lines: dict[int, int] = {}
    for i, line in enumerate(raw):
        if not isinstance(line, DocumentLine):
            raise InvalidInput(f"lines[{i}]", "Dòng hàng không hợp lệ")
        pid = whole(line.product_id, f"lines[{i}].product_id", minimum=1, maximum=MAX_ID)
        qty = whole(line.qty, f"lines[{i}].qty", minimum=0 if allow_zero else 1, maximum=MAX_LINE_QTY)
        if pid in lines:
            raise InvalidInput(f"lines[{i}]", "Một sản phẩm ghi hai lần trong phiếu")
        lines[pid] = qty
    return list(lines.items())


def _reason(document: NewDocument, *, required: bool) -> str:
    return text(document.reason, "reason", max_len=500, required=required)


def _next_number(session, booth: Booth, kind: str) -> str:
    # After the highest number written here or held by the hub, in this database's series.
    return numbering.next_document(session, booth, kind)


def _product(session, product_id: int) -> Product:
    # FOR UPDATE: on PostgreSQL two writers on one product queue here; SQLite's
    # BEGIN IMMEDIATE already serialises writers.
    product = session.get(Product, product_id, with_for_update=True)
    if product is None:
        raise UnknownProduct(code=product_id)
    return product


def record_document(session, booth: Booth, user, document: NewDocument) -> StockDocument:
    """Record a consignment receipt, a return to the producer, tasting samples, damage or a count.

    A receipt or return names one producer and only that producer's products.
    A return, samples and damage cannot take more than is on hand; samples and
    damage need a reason; a count goes to record_count.
    Raises InvalidInput, UnknownProduct, OutOfStock, NotFound.
    """
    kind = document.kind
    if kind == "count":
        return record_count(session, booth, user, document)
    ensure_open(booth)
    if kind not in ("receive", "return", "sample", "damage"):
        raise InvalidInput("kind", "Loại phiếu không hợp lệ")
    producer = None
    if kind in ("receive", "return"):
        if document.producer_id is None:
            raise InvalidInput("producer_id", "Không được để trống")
        producer = session.get(Producer, whole(document.producer_id, "producer_id", minimum=1, maximum=MAX_ID))
        if producer is None:
            raise NotFound("Không tìm thấy chủ thể", field="producer_id")
    reason = _reason(document, required=kind in ("sample", "damage"))
    lines = _lines(document)
    doc = StockDocument(
        booth_id=booth.id, kind=kind, number=_next_number(session, booth, kind),
        producer=producer, reason=reason, created_by_id=user.id,
    )
    levels = on_hand(session, booth.id, [pid for pid, _ in lines])
    sign = 1 if kind == "receive" else -1
    movements = []
    for pid, qty in lines:
        product = _product(session, pid)
        if producer is not None and product.producer_id != producer.id:
            raise InvalidInput("lines", "%(product)s không phải hàng của %(producer)s",
                               product=product.name, producer=producer.name)
        if sign < 0 and qty > levels.get(pid, 0):
            raise OutOfStock(product=product.name, on_hand=levels.get(pid, 0), qty=qty)
        movements.append(StockMovement(
            booth_id=booth.id, product=product, kind=kind, qty=sign * qty,
            document=doc, reason=reason, created_by_id=user.id,
        ))
    # Added only once stamped: an earlier autoflush would insert them without their sequence numbers.
    stamp(session, doc, *movements)
    session.add_all([doc, *movements])
    session.flush()
    if kind in ("sample", "damage"):
        # Goods leaving without money: a manager must be able to see who wrote them off.
        _audit(session, user, "stock.adjust", doc, [
            {"product": m.product.name, "qty": m.qty} for m in movements])
    return doc


def _audit(session, user, action, doc, lines):
    _, address = audit_log.actor_and_address(user)
    audit.record(session, user, action, doc.number, address=address, kind=doc.kind, reason=doc.reason, lines=lines)


def record_count(session, booth: Booth, user, count: NewDocument) -> StockDocument:
    """Record a shelf count: for each product, what is there; the difference is an adjustment.

    Raises InvalidInput (a negative count, a count above MAX_LINE_QTY), UnknownProduct.
    """
    ensure_open(booth)
    lines = _lines(count, allow_zero=True)
    reason = _reason(count, required=False)
    doc = StockDocument(booth_id=booth.id, kind="count", number=_next_number(session, booth, "count"),
                        reason=reason, created_by_id=user.id)
    levels = on_hand(session, booth.id, [pid for pid, _ in lines])
    movements = []
    for pid, counted in lines:
        product = _product(session, pid)
        movements.append(StockMovement(
            booth_id=booth.id, product=product, kind="adjust", qty=counted - levels.get(pid, 0),
            counted_qty=counted, document=doc, reason=reason, created_by_id=user.id,
        ))
    # Added only once stamped: an earlier autoflush would insert them without their sequence numbers.
    stamp(session, doc, *movements)
    session.add_all([doc, *movements])
    session.flush()
    _audit(session, user, "stock.count", doc, [
        {"product": m.product.name, "expected": m.expected_qty, "counted": m.counted_qty, "adjust": m.qty}
        for m in movements])
    return doc


def get_document(session, booth: Booth, document_id) -> StockDocument:
    return booth_row(session, StockDocument, booth, document_id, N_("Không tìm thấy phiếu"))


def list_documents(session, booth: Booth, *, kind=None, limit=200) -> list[StockDocument]:
    stmt = select(StockDocument).where(StockDocument.booth_id == booth.id)
    if kind:
        stmt = stmt.where(StockDocument.kind == kind)
    return list(session.scalars(stmt.order_by(StockDocument.id.desc()).limit(limit)))


def movement_history(session, booth: Booth, product_id: int) -> list[tuple[StockMovement, int]]:
    """A product's movements, oldest first, each with the running on-hand after it."""
    moves = session.scalars(
        select(StockMovement)
        .where(StockMovement.booth_id == booth.id, StockMovement.product_id == product_id)
        .order_by(StockMovement.id)
    )
    running, out = 0, []
    for m in moves:
        running += m.qty
        out.append((m, running))
    return out

"""The summary tables of the sales (models.summary), kept in the transaction of the records they sum.

What they hold is exactly what these grouped queries over the ledger give:

- hourly_sales: the sale lines of sales not voided, per (line's booth, product, UTC hour of
  the sale), with the refund lines of those sale lines alongside;
- hourly_sale_count: sales per (sale's booth, UTC hour), not voided and voided;
- hourly_producer_sale_count: the same, counting for each producer the sales holding at
  least one of its products (product's producer as the catalogue says now).

Every place that writes a sale, a void or a refund calls add_new_sale, add_void, add_refund or
(many at once) add_records in the same transaction (sales.record_sale, returns.void_sale and
refund_sale, the hub's sync_hub.ingest_batch); a bulk load that bypasses the services calls
rebuild().
check() compares the tables with a fresh computation from the ledger and returns the
differences (after a manual repair of the database, or to test all of the above).

Additions are upserts (INSERT … ON CONFLICT DO UPDATE SET col = col + excluded.col), many
rows per statement, one pass per use case in a fixed table order with keys sorted: two tills
upserting the same hours on PostgreSQL lock the rows in the same order, so they queue instead
of deadlocking. A void subtracts its sale (and any refunds of it) and deletes the rows it
leaves at zero, so the tables stay equal to the ledger row for row.

Order when records arrive together (a hub batch may hold a sale, its refund and its void):
sales first, then refunds (a refund counts unless its sale was voided by an earlier
batch), then voids (which take off everything of their sale held by then).

A sale's time never changes in the app. The demo's history and the tests record a sale and
then date it to the moment chosen for it with redate_sale(), which moves that sale's figures to
its new hour.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (BigInteger, and_, case, cast, delete, exists, func, literal, or_, select, text, true,
                        union_all)
from sqlalchemy.dialects import postgresql, sqlite

from ..models import Product, RefundLine, Sale, SaleLine, Void
from ..models.summary import HourlyProducerSaleCount, HourlySaleCount, HourlySales
from .sale_sql import line_gross, not_voided

CHUNK = 500  # ids per IN (...) and rows per upsert: well under SQLite's limit on bound parameters

_SALES_KEY = ("booth_id", "product_id", "hour_at")
_SALES_VALUES = ("units", "gross_vnd", "discount_vnd", "net_vnd", "refunded_units", "refunded_vnd")
_COUNT_KEY = ("booth_id", "hour_at")
_PRODUCER_KEY = ("booth_id", "producer_id", "hour_at")
_COUNT_VALUES = ("sales", "voided")
TABLES = (
    (HourlySales.__table__, _SALES_KEY, _SALES_VALUES),
    (HourlySaleCount.__table__, _COUNT_KEY, _COUNT_VALUES),
    (HourlyProducerSaleCount.__table__, _PRODUCER_KEY, _COUNT_VALUES),
)


def _hour(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


def _chunks(ids) -> list[list[int]]:
    ids = sorted(set(ids))
    return [ids[i:i + CHUNK] for i in range(0, len(ids), CHUNK)]


def _dialect(session) -> str:
    return session.get_bind().dialect.name


@dataclass
class _Deltas:
    """Changes to add, per table, key -> list of values (in the order of that table's value columns)."""

    sales: dict
    counts: dict
    producers: dict

    @classmethod
    def empty(cls) -> "_Deltas":
        return cls({}, {}, {})

    @staticmethod
    def add(acc: dict, key: tuple, values) -> None:
        row = acc.get(key)
        if row is None:
            acc[key] = list(values)
        else:
            for i, v in enumerate(values):
                row[i] += v


_UPSERTS: dict = {}  # (dialect, table name) -> the statement, built once: it is the same for every call


def _upsert_statement(dialect: str, table, key_cols, value_cols):
    stmt = _UPSERTS.get((dialect, table.name))
    if stmt is None:
        stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
        stmt = _UPSERTS[(dialect, table.name)] = stmt.on_conflict_do_update(
            index_elements=list(key_cols), set_={c: table.c[c] + stmt.excluded[c] for c in value_cols})
    return stmt


def _unnest_statement(table, key_cols, value_cols):
    """PostgreSQL: the upsert of many rows as ONE statement whose parameters are one array per
    column (INSERT … SELECT FROM unnest(…)): the same text for any number of rows, so it is
    prepared once, and a hub batch's few hundred rows go in one round trip, not one each."""
    stmt = _UPSERTS.get(("postgresql-unnest", table.name))
    if stmt is None:
        cols = [*key_cols, *value_cols]
        types = [table.c[c].type.compile(dialect=postgresql.dialect()) for c in cols]
        arrays = ", ".join(f"CAST(:{c} AS {t}[])" for c, t in zip(cols, types))
        sets = ", ".join(f"{c} = {table.name}.{c} + excluded.{c}" for c in value_cols)
        stmt = _UPSERTS[("postgresql-unnest", table.name)] = text(
            f"INSERT INTO {table.name} ({', '.join(cols)}) SELECT * FROM unnest({arrays}) "
            f"ON CONFLICT ({', '.join(key_cols)}) DO UPDATE SET {sets}")
    return stmt


def _upsert(session, table, key_cols, value_cols, deltas: dict) -> None:
    items = [(key, values) for key, values in sorted(deltas.items()) if any(values)]
    if not items:
        return
    dialect = _dialect(session)
    if dialect == "postgresql":
        columns = list(zip(*[(*key, *values) for key, values in items]))
        session.connection().execute(_unnest_statement(table, key_cols, value_cols),
                                     {c: list(v) for c, v in zip((*key_cols, *value_cols), columns)})
        return
    rows = [{**dict(zip(key_cols, key)), **dict(zip(value_cols, values))} for key, values in items]
    # One statement executed for many rows (the driver's executemany), built and compiled once:
    # a multi-row VALUES would be compiled afresh for every sale and every batch of a push.
    session.connection().execute(_upsert_statement(dialect, table, key_cols, value_cols), rows)  # Core: no ORM step


def _apply(session, d: _Deltas) -> None:
    """Add the deltas, then delete the rows taking off left at zero (the ledger's grouping has no
    row where nothing was sold). One call per use case: always the same table order, and sorted
    keys within each, so concurrent writers never lock rows in opposite orders."""
    for (table, key_cols, value_cols), deltas in zip(TABLES, (d.sales, d.counts, d.producers)):
        _upsert(session, table, key_cols, value_cols, deltas)
        emptied = sorted(k for k, values in deltas.items() if any(v < 0 for v in values))
        for i in range(0, len(emptied), CHUNK):
            session.execute(delete(table).where(*[table.c[c] == 0 for c in value_cols],
                                                _key_in(table, key_cols, emptied[i:i + CHUNK])))


def _key_in(table, key_cols, keys):
    return or_(*[and_(*[table.c[c] == v for c, v in zip(key_cols, key)]) for key in keys])


def _sale_lines(session, sale_ids: list[int]):
    return session.execute(
        select(Sale.id, Sale.booth_id, Sale.created_at, SaleLine.booth_id, SaleLine.product_id, Product.producer_id,
               SaleLine.qty, line_gross(), SaleLine.line_discount_vnd + SaleLine.order_discount_vnd, SaleLine.net_vnd)
        .join(SaleLine, SaleLine.sale_id == Sale.id).join(Product, Product.id == SaleLine.product_id)
        .where(Sale.id.in_(sale_ids)))


def _fold_sales(session, sale_ids, sign: int, d: _Deltas) -> None:
    """Add (sign 1) or take off as voided (sign -1) whole sales: their lines, and the sale in each count."""
    counted = (1, 0) if sign > 0 else (-1, 1)
    for chunk in _chunks(sale_ids):
        for booth_id, at in session.execute(select(Sale.booth_id, Sale.created_at).where(Sale.id.in_(chunk))):
            d.add(d.counts, (booth_id, _hour(at)), counted)
        holding = set()
        for sale_id, sale_booth, at, booth_id, product_id, producer_id, qty, gross, discount, net in \
                _sale_lines(session, chunk):
            hour = _hour(at)
            d.add(d.sales, (booth_id, product_id, hour), (sign * qty, sign * gross, sign * discount, sign * net, 0, 0))
            holding.add((sale_id, sale_booth, producer_id, hour))
        for _sale_id, sale_booth, producer_id, hour in holding:
            d.add(d.producers, (sale_booth, producer_id, hour), counted)


def _fold_refunds(session, where, sign: int, d: _Deltas) -> None:
    for booth_id, product_id, at, qty, amount in session.execute(
            select(SaleLine.booth_id, SaleLine.product_id, Sale.created_at, RefundLine.qty, RefundLine.amount_vnd)
            .join(SaleLine, SaleLine.id == RefundLine.sale_line_id).join(Sale, Sale.id == SaleLine.sale_id)
            .where(*where)):
        d.add(d.sales, (booth_id, product_id, _hour(at)), (0, 0, 0, 0, sign * qty, sign * amount))


@dataclass
class NewSale:
    """A sale just stored, as its records said it (the hub's batch path): no need to read it back.
    lines: (line's booth_id, product_id, producer_id, qty, gross, discount, net) per line."""

    booth_id: int
    created_at: datetime
    lines: list


def _fold_new_sales(sales, d: _Deltas) -> None:
    """What _fold_sales(…, 1, …) adds for these sales, from the values in hand."""
    add, d_sales, d_counts, d_producers = d.add, d.sales, d.counts, d.producers
    for sale in sales:
        hour = _hour(sale.created_at)
        add(d_counts, (sale.booth_id, hour), (1, 0))
        producers = set()
        for booth_id, product_id, producer_id, qty, gross, discount, net in sale.lines:
            add(d_sales, (booth_id, product_id, hour), (qty, gross, discount, net, 0, 0))
            producers.add(producer_id)
        for producer_id in producers:
            add(d_producers, (sale.booth_id, producer_id, hour), (1, 0))


def add_records(session, *, sale_ids=(), refund_line_ids=(), void_ids=(), new_sales=()) -> None:
    """Add new sales, refund lines and voids (all flushed, stored together) to the summary tables.

    new_sales: sales given by their values (NewSale), counted as those of sale_ids are.
    In the order of the module docstring: the sales whole; the refund lines, unless their sale
    was voided before (a void among void_ids comes after them); then the voided sales taken
    off, with every refund of them held by then.
    """
    void_ids = list(void_ids)
    d = _Deltas.empty()
    _fold_sales(session, sale_ids, 1, d)
    _fold_new_sales(new_sales, d)
    for chunk in _chunks(refund_line_ids):
        voided = exists().where(Void.sale_id == Sale.id)
        if void_ids:
            voided = voided.where(Void.id.not_in(void_ids))
        _fold_refunds(session, (RefundLine.id.in_(chunk), ~voided), 1, d)
    voided_sales = []
    for chunk in _chunks(void_ids):
        voided_sales += session.scalars(select(Void.sale_id).where(Void.id.in_(chunk)))
    _fold_sales(session, voided_sales, -1, d)
    for chunk in _chunks(voided_sales):
        _fold_refunds(session, (Sale.id.in_(chunk),), -1, d)
    _apply(session, d)


def add_new_sale(session, sale: Sale, producer_of: dict) -> None:
    """Add a sale just recorded, from the objects in hand (its lines, and the producer of each product
    as producer_of[product_id]): the rows add_records(sale_ids=[sale.id]) adds, without reading them back."""
    d = _Deltas.empty()
    hour = _hour(sale.created_at)
    d.add(d.counts, (sale.booth_id, hour), (1, 0))
    for line in sale.lines:
        d.add(d.sales, (line.booth_id, line.product_id, hour),
              (line.qty, line.qty * line.unit_price_vnd, line.line_discount_vnd + line.order_discount_vnd,
               line.net_vnd, 0, 0))
    for producer_id in {producer_of[line.product_id] for line in sale.lines}:
        d.add(d.producers, (sale.booth_id, producer_id, hour), (1, 0))
    _apply(session, d)


def add_refund(session, refund) -> None:
    """Add the lines of a refund just recorded, at their sale's hour."""
    add_records(session, refund_line_ids=[line.id for line in refund.lines])


def add_void(session, void: Void) -> None:
    """Take a voided sale off (its lines and refunds), counting it as voided."""
    add_records(session, void_ids=[void.id])


# --- a sale re-dated after it was recorded ---

def _move_sale(session, sale_id: int, booth_id: int, old_at: datetime, new_at: datetime) -> None:
    """Move a sale's whole share of the summary (lines, refunds, counts) from its old hour to its new one."""
    voided = bool(session.execute(select(func.count()).select_from(Void).where(Void.sale_id == sale_id)).scalar())
    lines = session.execute(
        select(SaleLine.booth_id, SaleLine.product_id, Product.producer_id, SaleLine.qty, line_gross(),
               SaleLine.line_discount_vnd + SaleLine.order_discount_vnd, SaleLine.net_vnd)
        .join(Product, Product.id == SaleLine.product_id).where(SaleLine.sale_id == sale_id)).all()
    refunds = session.execute(
        select(SaleLine.booth_id, SaleLine.product_id, RefundLine.qty, RefundLine.amount_vnd)
        .join(SaleLine, SaleLine.id == RefundLine.sale_line_id).where(SaleLine.sale_id == sale_id)).all()
    d = _Deltas.empty()
    for sign, hour in ((-1, _hour(old_at)), (1, _hour(new_at))):
        counted = (0, sign) if voided else (sign, 0)
        d.add(d.counts, (booth_id, hour), counted)
        for producer_id in {row[2] for row in lines}:
            d.add(d.producers, (booth_id, producer_id, hour), counted)
        if voided:
            continue
        for line_booth, product_id, _producer, qty, gross, discount, net in lines:
            d.add(d.sales, (line_booth, product_id, hour), (sign * qty, sign * gross, sign * discount, sign * net, 0, 0))
        for line_booth, product_id, qty, amount in refunds:
            d.add(d.sales, (line_booth, product_id, hour), (0, 0, 0, 0, sign * qty, sign * amount))
    _apply(session, d)


def redate_sale(session, sale: Sale, at: datetime) -> None:
    """Set the time of a sale already recorded, moving its figures (lines, refunds, counts) to the new hour.

    The app never changes a sale's time; the demo's history and the tests do, right after
    recording a sale "at" a chosen moment (its stock movements are theirs to date).
    """
    old_at = sale.created_at
    sale.created_at = at
    if _hour(old_at) != _hour(at):
        _move_sale(session, sale.id, sale.booth_id, old_at, at)


# --- from the ledger ---

def _hour_sql(session, column):
    """The UTC hour of a stored time, as the summary tables store it."""
    if _dialect(session) == "postgresql":
        return func.date_trunc("hour", column)
    # SQLite stores "YYYY-MM-DD HH:MM:SS.ffffff" (SQLAlchemy's format): keep the hour, zero the rest.
    return func.substr(column, 1, 13).concat(":00:00.000000")


def _ledger_selects(session, booth_ids=None, producer_ids=None):
    """The three grouped queries the tables must equal (column order as in the tables)."""
    hour = _hour_sql(session, Sale.created_at)
    zero = literal(0, BigInteger)

    def booths(column):
        return column.in_(booth_ids) if booth_ids is not None else true()

    lines = (select(SaleLine.booth_id.label("booth_id"), SaleLine.product_id.label("product_id"), hour.label("hour_at"),
                    cast(SaleLine.qty, BigInteger).label("units"), line_gross().label("gross"),
                    cast(SaleLine.line_discount_vnd + SaleLine.order_discount_vnd, BigInteger).label("discount"),
                    cast(SaleLine.net_vnd, BigInteger).label("net"), zero.label("r_units"), zero.label("r_vnd"))
             .join(Sale, Sale.id == SaleLine.sale_id).where(booths(SaleLine.booth_id), not_voided()))
    refunds = (select(SaleLine.booth_id, SaleLine.product_id, hour, zero, zero, zero, zero,
                      cast(RefundLine.qty, BigInteger), cast(RefundLine.amount_vnd, BigInteger))
               .select_from(RefundLine).join(SaleLine, SaleLine.id == RefundLine.sale_line_id)
               .join(Sale, Sale.id == SaleLine.sale_id).where(booths(SaleLine.booth_id), not_voided()))
    u = union_all(lines, refunds).subquery()
    sales = (select(u.c.booth_id, u.c.product_id, u.c.hour_at, func.sum(u.c.units), func.sum(u.c.gross),
                    func.sum(u.c.discount), func.sum(u.c.net), func.sum(u.c.r_units), func.sum(u.c.r_vnd))
             .group_by(u.c.booth_id, u.c.product_id, u.c.hour_at))

    is_voided = exists().where(Void.sale_id == Sale.id)
    flags = (select(Sale.booth_id.label("booth_id"), hour.label("hour_at"),
                    case((is_voided, 0), else_=1).label("live"), case((is_voided, 1), else_=0).label("dead"))
             .where(booths(Sale.booth_id)).subquery())
    counts = (select(flags.c.booth_id, flags.c.hour_at, func.sum(flags.c.live), func.sum(flags.c.dead))
              .group_by(flags.c.booth_id, flags.c.hour_at))

    holding = (select(Sale.id, Sale.booth_id.label("booth_id"), Product.producer_id.label("producer_id"),
                      hour.label("hour_at"), case((is_voided, 0), else_=1).label("live"),
                      case((is_voided, 1), else_=0).label("dead"))
               .join(SaleLine, SaleLine.sale_id == Sale.id).join(Product, Product.id == SaleLine.product_id)
               .where(booths(Sale.booth_id)).distinct())
    if producer_ids is not None:
        holding = holding.where(Product.producer_id.in_(producer_ids))
    holding = holding.subquery()
    producers = (select(holding.c.booth_id, holding.c.producer_id, holding.c.hour_at, func.sum(holding.c.live),
                        func.sum(holding.c.dead))
                 .group_by(holding.c.booth_id, holding.c.producer_id, holding.c.hour_at))
    return sales, counts, producers


def rebuild(session, booth_ids=None) -> dict[str, int]:
    """Recompute the summary tables from the ledger (every booth, or only booth_ids), in the caller's transaction.

    Returns the rows written per table.
    """
    session.flush()
    booth_ids = None if booth_ids is None else list(booth_ids)
    written = {}
    for (table, key_cols, value_cols), stmt in zip(TABLES, _ledger_selects(session, booth_ids)):
        wipe = delete(table)
        if booth_ids is not None:
            wipe = wipe.where(table.c.booth_id.in_(booth_ids))
        session.execute(wipe)
        session.execute(table.insert().from_select([*key_cols, *value_cols], stmt))
        # Counted afterwards: an INSERT … SELECT's rowcount is -1 through some drivers (psycopg here).
        count = select(func.count()).select_from(table)
        if booth_ids is not None:
            count = count.where(table.c.booth_id.in_(booth_ids))
        written[table.name] = session.scalar(count)
    return written


def rebuild_producer_counts(session, producer_ids) -> None:
    """Recompute the producers' sale counts (after a product moved from one producer to another)."""
    session.flush()
    producer_ids = list(producer_ids)
    table = HourlyProducerSaleCount.__table__
    session.execute(delete(table).where(table.c.producer_id.in_(producer_ids)))
    stmt = _ledger_selects(session, producer_ids=producer_ids)[2]
    session.execute(table.insert().from_select([*_PRODUCER_KEY, *_COUNT_VALUES], stmt))


@dataclass
class Difference:
    table: str
    key: tuple
    held: tuple | None  # in the summary table (None: no row)
    expected: tuple | None  # from the ledger (None: no row)

    def __str__(self) -> str:
        return f"{self.table} {self.key}: held {self.held}, ledger {self.expected}"


def _norm_hour(value) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def check(session, booth_ids=None) -> list[Difference]:
    """Compare the summary tables with the ledger; returns the rows that differ (empty when they agree)."""
    session.flush()
    booth_ids = None if booth_ids is None else list(booth_ids)
    out: list[Difference] = []
    for (table, key_cols, value_cols), stmt in zip(TABLES, _ledger_selects(session, booth_ids)):
        n = len(key_cols)

        def keyed(rows):
            acc = {}
            for row in rows:
                key = (*row[:n - 1], _norm_hour(row[n - 1]))
                acc[key] = tuple(int(v) for v in row[n:])
            return acc

        held_stmt = select(*[table.c[c] for c in (*key_cols, *value_cols)])
        if booth_ids is not None:
            held_stmt = held_stmt.where(table.c.booth_id.in_(booth_ids))
        held, expected = keyed(session.execute(held_stmt)), keyed(session.execute(stmt))
        for key in sorted(set(held) | set(expected)):
            if held.get(key) != expected.get(key):
                out.append(Difference(table.name, key, held.get(key), expected.get(key)))
    return out

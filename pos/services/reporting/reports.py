"""Reports over the sales: the booth's daily report, the organiser's dashboard and its drill-down.

Every query is written over booth_id and fair_id, so the same functions run on a
booth laptop (one booth) and on the hub (many booths of many fairs).

What counts as revenue (doanh thu): the net of the sale lines (after line and
order discounts) of sales not voided, less what was refunded on those lines.
Units are the units sold, less voided and refunded ones. A transaction is a
sale not voided.

Times are stored as naive UTC. Sales are grouped by their UTC hour and each
hour is turned into Vietnam's day and hour in Python with zoneinfo: correct for
any zone whose offset is whole hours, and Asia/Ho_Chi_Minh has been UTC+7 with
no daylight saving since 1975.

The dashboard reads the summary tables (models.summary, kept by
services.sales_summary in the same transaction as every sale, void and refund):
sale lines of sales not voided per (booth, product, UTC hour) with their refunds,
and sales per (booth, hour) and per (booth, producer, hour), not voided and
voided. That is at most booths × products × hours rows, whatever the number of
sale lines; product and producer (a few hundred rows) give producer, category,
stars, district and commune, and every breakdown (those, booth, day, hour) is
folded from those rows in Python. A date range is whole Vietnam days, so whole
UTC hours: the hourly rows filter it exactly.

The drill-down and the daily report read the sale lines themselves (one sale's
lines, one day of one booth).
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from flask_babel import gettext
from sqlalchemy import Integer, cast, exists, func, select, true

from ...db import MAX_ID, required_row
from ...errors import InvalidInput, N_
from ...models import (PAYMENT_METHODS, Booth, Fair, HourlyProducerSaleCount, HourlySaleCount, HourlySales, Payment,
    Producer, Product, Refund, RefundLine, Sale, SaleLine, StockDocument, StockMovement, Void)
from ...text import vi_sorted
from ...timeutil import VN, local_day_bounds, parse_date
from . import settlement
from .exports import Column, Table
from ..sale_sql import line_gross, not_voided

# A date range longer than this is a typo (a wrong year), not a fair.
MAX_RANGE_DAYS = 400
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100
NO_CATEGORY = N_("(chưa phân nhóm)")
NO_STARS = N_("Chưa xếp hạng")
NO_PLACE = N_("(chưa ghi)")


# --- dates typed by people ---

def parse_range(start_text, end_text) -> tuple[date | None, date | None]:
    """A date range typed as dd/mm/yyyy (either end may be blank).

    Raises InvalidInput naming the field for a date that is not one, a year
    outside 2000–2100, an end before the start, or a range over 400 days.
    """
    start = _parse_day(start_text, "start")
    end = _parse_day(end_text, "end")
    if start and end:
        if end < start:
            raise InvalidInput("end", "Ngày kết thúc (%(end)s) trước ngày bắt đầu (%(start)s)",
                               end=end.strftime("%d/%m/%Y"), start=start.strftime("%d/%m/%Y"))
        if (end - start).days > MAX_RANGE_DAYS:
            raise InvalidInput("end", "Khoảng ngày quá dài (tối đa %(days)s ngày)", days=MAX_RANGE_DAYS)
    return start, end


def _parse_day(text, field_name: str) -> date | None:
    if isinstance(text, date):
        day = text
    else:
        text = (text or "").strip()
        if not text:
            return None
        try:
            day = parse_date(text)
        except ValueError:
            raise InvalidInput(field_name, "Ngày không hợp lệ, ví dụ 20/01/2020") from None
    if not EARLIEST_YEAR <= day.year <= LATEST_YEAR:
        raise InvalidInput(field_name, "Năm %(year)s không hợp lý (từ %(min)s đến %(max)s)",
                           year=day.year, min=EARLIEST_YEAR, max=LATEST_YEAR)
    return day


def parse_day(text, field_name: str = "day") -> date | None:
    """One day typed as dd/mm/yyyy, or None when blank. Raises InvalidInput."""
    return _parse_day(text, field_name)


def _bounds(start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    """The naive-UTC [from, to) of Vietnam days start..end inclusive."""
    lo = local_day_bounds(start)[0] if start else None
    hi = local_day_bounds(end)[1] if end else None
    return lo, hi


# --- SQL pieces that differ between SQLite and PostgreSQL ---

def _dialect(session) -> str:
    return session.get_bind().dialect.name


def _utc_hour_of_day(session, column):
    if _dialect(session) == "postgresql":
        return cast(func.extract("hour", column), Integer)
    return cast(func.substr(column, 12, 2), Integer)


def _share_bp(part: int, whole: int) -> int:
    return (part * 10000 + whole // 2) // whole if whole else 0


def average_vnd(total_vnd: int, count: int) -> int:
    """total / count rounded half up to the đồng (0 when there is nothing to divide)."""
    return (2 * total_vnd + count) // (2 * count) if count else 0


# --- the facts every breakdown is folded from ---

@dataclass
class _Facts:
    """Sale lines summed per (booth, product, UTC hour), voided sales left out, refunds alongside.

    rows: (booth id, product id, hour key) -> [units, gross, discount, net, refunded units, refunded đồng]
    local: hour key -> that hour in Vietnam time (aware)
    """

    rows: dict = field(default_factory=dict)
    local: dict = field(default_factory=dict)


@dataclass
class _Scope:
    booth_ids: list[int]
    start_at: datetime | None = None
    end_at: datetime | None = None
    producer_id: int | None = None
    # The booths are every booth in the database (a booth laptop, a hub of one fair): no need to
    # filter on them.
    every_booth: bool = False

    def booths(self, column):
        return true() if self.every_booth else column.in_(self.booth_ids)


def _local(utc_hour: datetime) -> datetime:
    return utc_hour.replace(tzinfo=timezone.utc).astimezone(VN)


def _in_scope(stmt, table, scope: _Scope):
    """Keep a summary table's rows of the scope's booths and hours (the bounds are whole hours)."""
    stmt = stmt.where(scope.booths(table.booth_id))
    if scope.start_at is not None:
        stmt = stmt.where(table.hour_at >= scope.start_at)
    if scope.end_at is not None:
        stmt = stmt.where(table.hour_at < scope.end_at)
    return stmt


def _facts(session, scope: _Scope) -> _Facts:
    facts = _Facts()
    if not scope.booth_ids:
        return facts
    h = HourlySales
    stmt = _in_scope(select(h.booth_id, h.product_id, h.hour_at, h.units, h.gross_vnd, h.discount_vnd, h.net_vnd,
                            h.refunded_units, h.refunded_vnd), h, scope)
    if scope.producer_id is not None:
        stmt = stmt.join(Product, Product.id == h.product_id).where(Product.producer_id == scope.producer_id)
    rows = facts.rows
    # Core rows, not ORM ones: up to booths × products × hours of them, and the columns are already ints.
    for booth_id, product_id, hour, *values in session.connection().execute(stmt):
        rows[(booth_id, product_id, hour)] = values
    # A fair has a few hundred distinct hours: each is turned into Vietnam time once.
    facts.local = {hour: _local(hour) for hour in {key[2] for key in rows}}
    return facts


def _count_table(scope: _Scope):
    return HourlySaleCount if scope.producer_id is None else HourlyProducerSaleCount


def _counts(session, scope: _Scope, column: str):
    table = _count_table(scope)
    stmt = _in_scope(select(table.booth_id, table.hour_at, getattr(table, column)), table, scope)
    if scope.producer_id is not None:
        stmt = stmt.where(table.producer_id == scope.producer_id)
    return session.execute(stmt.where(getattr(table, column) > 0))


def _transactions(session, scope: _Scope) -> dict[tuple[int, datetime], int]:
    """Sales not voided per (booth, local hour); for a producer, the sales holding its products."""
    out: dict[tuple[int, datetime], int] = {}
    if not scope.booth_ids:
        return out
    for booth_id, hour, n in _counts(session, scope, "sales"):
        out[(booth_id, _local(hour))] = int(n)
    return out


# --- the dashboard ---

@dataclass
class Row:
    """One line of a breakdown: what it is, the filter that drills into it, and its figures."""

    key: str  # the drill-down filter value
    label: str
    revenue_vnd: int = 0
    units: int = 0
    transactions: int | None = None
    share_bp: int = 0
    extra: str = ""  # e.g. the producer of a product, the district of a commune

    @property
    def average_vnd(self) -> int | None:
        return None if not self.transactions else average_vnd(self.revenue_vnd, self.transactions)


# Breakdown name -> the drill-down filter it sets.
DIMENSIONS = {
    "booth": "booth_id", "producer": "producer_id", "product": "product_id", "category": "category",
    "stars": "stars", "district": "district", "commune": "commune", "day": "day", "hour": "hour",
}
DIMENSION_LABELS = {
    "booth": N_("Gian hàng"), "producer": N_("Chủ thể"), "product": N_("Sản phẩm"), "category": N_("Nhóm hàng"),
    "stars": N_("Hạng sao OCOP"), "district": N_("Huyện"), "commune": N_("Xã"), "day": N_("Ngày"),
    "hour": N_("Giờ"),
}


@dataclass
class Dashboard:
    fair: Fair
    start: date | None
    end: date | None
    revenue_vnd: int = 0
    gross_vnd: int = 0
    discount_vnd: int = 0
    refunded_vnd: int = 0
    transactions: int = 0
    units: int = 0
    producers_count: int = 0
    products_count: int = 0
    booths_count: int = 0
    voided_count: int = 0
    breakdowns: dict[str, list[Row]] = field(default_factory=dict)
    producer_id: int | None = None

    @property
    def average_basket_vnd(self) -> int:
        return average_vnd(self.revenue_vnd, self.transactions)

    @property
    def days(self) -> list[Row]:
        return self.breakdowns.get("day", [])

    @property
    def hours(self) -> list[Row]:
        return self.breakdowns.get("hour", [])


def get_fair(session, fair_id) -> Fair:
    """Raises NotFound."""
    return required_row(session, Fair, fair_id, N_("Không tìm thấy hội chợ"), field="fair_id")


def get_booth(session, booth_id) -> Booth:
    """Raises NotFound."""
    return required_row(session, Booth, booth_id, N_("Không tìm thấy gian hàng"), field="booth_id")


def fairs_with_booths(session) -> list[Fair]:
    """Fairs that have at least one booth, newest first."""
    fairs = session.scalars(select(Fair).where(exists().where(Booth.fair_id == Fair.id)))
    return sorted(fairs, key=lambda f: (f.starts_on or date.min, f.id), reverse=True)


def _is_every_booth(session, booth_ids: list[int]) -> bool:
    return bool(booth_ids) and len(booth_ids) == session.scalar(select(func.count(Booth.id)))


def _booth_ids(session, fair: Fair, booth_id=None) -> list[int]:
    ids = list(session.scalars(select(Booth.id).where(Booth.fair_id == fair.id)))
    if booth_id:
        ids = [b for b in ids if b == int(booth_id)]
    return ids


def dashboard(session, fair: Fair, *, start=None, end=None, booth_id=None, producer_id=None) -> Dashboard:
    """A fair's figures: revenue, transactions, units, average basket, and every breakdown.

    start/end are Vietnam dates (inclusive; either may be None), booth_id keeps one
    booth, producer_id keeps one producer's products (the producer portal).
    Raises InvalidInput for a reversed or absurd range.
    """
    start, end = parse_range(start, end)
    lo, hi = _bounds(start, end)
    booth_ids = _booth_ids(session, fair, booth_id)
    scope = _Scope(booth_ids, lo, hi, producer_id, every_booth=_is_every_booth(session, booth_ids))
    sums = _sum_facts(_facts(session, scope))
    tx = _transactions(session, scope)
    board = Dashboard(fair, start, end, revenue_vnd=sums.revenue_vnd, gross_vnd=sums.gross_vnd,
                      discount_vnd=sums.discount_vnd, refunded_vnd=sums.refunded_vnd, transactions=sum(tx.values()),
                      units=sums.units, booths_count=len(sums.by_booth), producer_id=producer_id)
    board.breakdowns = _breakdowns(session, scope, sums, tx, board.revenue_vnd)
    board.voided_count = _voided_count(session, scope)
    taking_part = _products(session, _products_taking_part(session, scope) | set(sums.by_product))
    if producer_id is not None:
        taking_part = {pid: p for pid, p in taking_part.items() if p.producer_id == producer_id}
    board.products_count = len(taking_part)
    board.producers_count = len({p.producer_id for p in taking_part.values()})
    return board


@dataclass
class _Sums:
    """The facts summed once: the totals, and [revenue, units] per booth, per product and per Vietnam hour."""

    revenue_vnd: int
    gross_vnd: int
    discount_vnd: int
    refunded_vnd: int
    units: int
    by_booth: dict[int, list[int]]
    by_product: dict[int, list[int]]
    by_hour: dict[datetime, list[int]]


def _sum_facts(facts: _Facts) -> _Sums:
    """One pass over the facts to booth, product and hour; every breakdown is folded from those three."""
    by_booth: dict[int, list[int]] = {}
    by_product: dict[int, list[int]] = {}
    by_hour: dict = {}
    # Plain local variables in the loop: it runs once per (booth, product, hour) of the fair.
    gross = discount = refunded = revenue_total = units_total = 0
    for (b, p, h), (units, g, d, net, r_units, r_vnd) in facts.rows.items():
        revenue, units_net = net - r_vnd, units - r_units
        gross += g
        discount += d
        refunded += r_vnd
        revenue_total += revenue
        units_total += units_net
        for acc, key in ((by_booth, b), (by_product, p), (by_hour, h)):
            pair = acc.get(key)
            if pair is None:
                acc[key] = [revenue, units_net]
            else:
                pair[0] += revenue
                pair[1] += units_net
    by_hour = {facts.local[h]: pair for h, pair in by_hour.items()}
    return _Sums(revenue_total, gross, discount, refunded, units_total, by_booth, by_product, by_hour)


def _fold(source: dict, key_of, label_of, extra_of=None, tx=None, tx_key=None) -> list[Row]:
    """One breakdown: source's [revenue, units] summed by key_of(its key).

    With tx_key, tx's transactions (per booth and local hour) are summed by tx_key(booth id, hour) too.
    """
    acc: dict = {}
    for source_key, (revenue, units) in source.items():
        key = key_of(source_key)
        row = acc.get(key)
        if row is None:
            row = acc[key] = Row(_key_text(key), label_of(key), extra=extra_of(key) if extra_of else "")
        row.revenue_vnd += revenue
        row.units += units
    if tx_key is not None:
        for (booth_id, hour), n in tx.items():
            key = tx_key(booth_id, hour)
            if key not in acc:
                acc[key] = Row(_key_text(key), label_of(key), extra=extra_of(key) if extra_of else "")
            acc[key].transactions = (acc[key].transactions or 0) + n
    return list(acc.values())


def _breakdowns(session, scope: _Scope, sums: _Sums, tx: dict, revenue_vnd: int) -> dict[str, list[Row]]:
    """Every breakdown of the dashboard (DIMENSIONS), each row with its share of revenue_vnd, in its order."""
    by_booth, by_product, by_hour = sums.by_booth, sums.by_product, sums.by_hour
    products = _products(session, by_product)
    producers = _producers(session, {p.producer_id for p in products.values()})
    booths = {b.id: b for b in session.scalars(select(Booth).where(Booth.id.in_(scope.booth_ids)))}

    def maker(pid):
        return producers[products[pid].producer_id]

    found = {
        "booth": _fold(by_booth, lambda b: b, lambda k: booths[k].name, lambda k: booths[k].code,
                       tx=tx, tx_key=lambda b, h: b),
        "producer": _fold(by_product, lambda pid: products[pid].producer_id, lambda k: producers[k].name,
                          lambda k: producers[k].district),
        "product": _fold(by_product, lambda pid: pid, lambda k: products[k].name,
                         lambda k: producers[products[k].producer_id].name),
        "category": _fold(by_product, lambda pid: products[pid].category or "",
                          lambda k: k or gettext(NO_CATEGORY)),
        "stars": _fold(by_product, lambda pid: products[pid].ocop_stars or 0,
                       lambda k: gettext("%(n)s sao", n=k) if k else gettext(NO_STARS)),
        "district": _fold(by_product, lambda pid: maker(pid).district or "", lambda k: k or gettext(NO_PLACE)),
        # A commune's name repeats across districts: the key carries both.
        "commune": _fold(by_product, lambda pid: (maker(pid).district or "", maker(pid).commune or ""),
                         lambda k: k[1] or gettext(NO_PLACE), lambda k: k[0]),
        "day": _fold(by_hour, lambda h: h.date(), lambda k: k.strftime("%d/%m/%Y"),
                     tx=tx, tx_key=lambda b, h: h.date()),
        "hour": _fold(by_hour, lambda h: h.hour, lambda k: f"{k:02d}:00–{k:02d}:59",
                      tx=tx, tx_key=lambda b, h: h.hour),
    }
    for rows in found.values():
        for r in rows:
            r.share_bp = _share_bp(r.revenue_vnd, revenue_vnd)
    for name in ("booth", "producer", "product", "category", "district", "commune"):
        found[name] = sorted(vi_sorted(found[name], key=lambda r: r.label), key=lambda r: -r.revenue_vnd)
    found["stars"].sort(key=lambda r: -int(r.key or 0))
    found["day"].sort(key=lambda r: r.key)
    found["hour"] = _all_hours(found["hour"])
    return found


def _key_text(key) -> str:
    if isinstance(key, tuple):
        return "|".join(str(k) for k in key)
    if isinstance(key, date):
        return key.isoformat()
    return str(key)


def _all_hours(rows: list[Row]) -> list[Row]:
    """The hours from the first to the last with sales, none missing (a chart's x axis must not skip)."""
    if not rows:
        return []
    by_hour = {int(r.key): r for r in rows}
    lo, hi = min(by_hour), max(by_hour)
    return [by_hour.get(h) or Row(str(h), f"{h:02d}:00–{h:02d}:59", transactions=0) for h in range(lo, hi + 1)]


def _products(session, ids) -> dict[int, Product]:
    ids = list(ids)
    out: dict[int, Product] = {}
    for chunk in range(0, len(ids), 500):
        for p in session.scalars(select(Product).where(Product.id.in_(ids[chunk:chunk + 500]))):
            out[p.id] = p
    return out


def _producers(session, ids) -> dict[int, Producer]:
    ids = list(ids)
    return {p.id: p for p in session.scalars(select(Producer).where(Producer.id.in_(ids)))} if ids else {}


def _products_taking_part(session, scope: _Scope) -> set[int]:
    """Products received at the fair's booths (through their receipt documents: few rows, indexed)."""
    if not scope.booth_ids:
        return set()
    # Driven from the documents (a few hundred), never from the movements (one per sale line).
    receipts = select(StockDocument.id).where(StockDocument.booth_id.in_(scope.booth_ids),
                                              StockDocument.kind == "receive").scalar_subquery()
    return set(session.scalars(select(StockMovement.product_id).where(StockMovement.document_id.in_(receipts))
                               .distinct()))


def _voided_count(session, scope: _Scope) -> int:
    """Voided sales (for a producer, those holding its products)."""
    if not scope.booth_ids:
        return 0
    return sum(int(n) for _booth, _hour, n in _counts(session, scope, "voided"))


# --- one fair against another ---

@dataclass
class Comparison:
    a: Dashboard
    b: Dashboard
    # (metric label, value in a, value in b, kind) for the table
    metrics: list[tuple[str, int, int, str]]
    # Fair day 1, 2, 3 … : revenue in a and in b
    days: list[tuple[int, int | None, int | None]]
    # Producers: (name, revenue in a, revenue in b)
    producers: list[tuple[str, int, int]]
    # By producer, product and district: (label, revenue in a, revenue in b), largest first.
    by: dict[str, list[tuple[str, int, int]]] = field(default_factory=dict)
    # The dashboard's cards: metric key -> (value in a, value in b, change in basis points of b or None).
    cards: dict[str, tuple[int, int, int | None]] = field(default_factory=dict)


def change_bp(a: int, b: int) -> int | None:
    """How much a is above (or below) b, in basis points of b; None when b is 0."""
    if not b:
        return None
    diff = a - b
    sign = -1 if diff < 0 else 1
    return sign * ((abs(diff) * 10000 + abs(b) // 2) // abs(b))


def compare(session, fair_a: Fair, fair_b: Fair) -> Comparison:
    """One fair against another (Xuân 2020 against Hè 2019): totals, day by fair day, producers."""
    a, b = dashboard(session, fair_a), dashboard(session, fair_b)
    metrics = [
        (gettext("Doanh thu"), a.revenue_vnd, b.revenue_vnd, "vnd"),
        (gettext("Số đơn"), a.transactions, b.transactions, "int"),
        (gettext("Số sản phẩm bán ra"), a.units, b.units, "int"),
        (gettext("Giá trị đơn trung bình"), a.average_basket_vnd, b.average_basket_vnd, "vnd"),
        (gettext("Chủ thể tham gia"), a.producers_count, b.producers_count, "int"),
        (gettext("Sản phẩm tham gia"), a.products_count, b.products_count, "int"),
        (gettext("Gian hàng có bán"), a.booths_count, b.booths_count, "int"),
    ]
    a_days, b_days = _by_fair_day(fair_a, a.days), _by_fair_day(fair_b, b.days)
    n = max([0, *a_days, *b_days])
    days = [(i, a_days.get(i), b_days.get(i)) for i in range(1, n + 1)]
    by = {name: _side_by_side(a, b, name) for name in COMPARED}
    keys = ("revenue", "transactions", "units", "basket", "producers", "products", "booths")
    cards = {key: (va, vb, change_bp(va, vb)) for key, (_label, va, vb, _kind) in zip(keys, metrics)}
    return Comparison(a, b, metrics, days, by["producer"], by, cards)


# The breakdowns shown side by side when two fairs are compared.
COMPARED = ("producer", "product", "district")


def _side_by_side(a: Dashboard, b: Dashboard, name: str) -> list[tuple[str, int, int]]:
    """One dimension's revenue in both fairs, matched by key (the same producer, product or district)."""
    rows: dict[str, list] = {}
    for board, idx in ((a, 1), (b, 2)):
        for r in board.breakdowns[name]:
            row = rows.setdefault(r.key, [r.label, 0, 0])
            row[idx] = r.revenue_vnd
    return sorted((tuple(v) for v in rows.values()), key=lambda x: (-(x[1] + x[2]), x[0]))


def _by_fair_day(fair: Fair, days: list[Row]) -> dict[int, int]:
    """Revenue per day of the fair, day 1 being its first day (or its first day with sales)."""
    if not days:
        return {}
    first = fair.starts_on or date.fromisoformat(days[0].key)
    return {(date.fromisoformat(r.key) - first).days + 1: r.revenue_vnd for r in days}


# --- drill-down: from any total to its sales ---

@dataclass
class DrillLine:
    product_id: int
    name: str
    qty: int
    net_vnd: int
    refunded_vnd: int = 0


@dataclass
class DrillSale:
    sale_id: int
    receipt_no: str
    created_at: datetime
    booth_name: str
    total_vnd: int  # the whole sale, every producer
    lines: list[DrillLine] = field(default_factory=list)
    booth_id: int | None = None

    @property
    def revenue_vnd(self) -> int:
        """What of this sale counts toward the total drilled into."""
        return sum(x.net_vnd - x.refunded_vnd for x in self.lines)


@dataclass
class Drill:
    fair: Fair
    filters: dict
    sales: list[DrillSale]
    revenue_vnd: int
    units: int
    sales_count: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.sales_count // self.per_page))


def clean_filters(args) -> dict:
    """The drill-down filters from a query string, checked. Raises InvalidInput naming the field."""
    out: dict = {}
    for name in ("booth_id", "producer_id", "product_id"):
        raw = (args.get(name) or "").strip()
        if raw:
            # Not isdigit(): "²" is a digit to Python; 18 digits keep an id inside a 64-bit column.
            if not re.fullmatch(r"[0-9]{1,18}", raw):
                raise InvalidInput(name, "Phải là số nguyên")
            if int(raw) > MAX_ID:  # names no row, and would overflow the database's integer
                raise InvalidInput(name, "Phải không quá %(max)s", max=MAX_ID)
            out[name] = int(raw)
    if args.get("stars") not in (None, ""):
        raw = str(args.get("stars"))
        if raw not in ("0", "3", "4", "5"):
            raise InvalidInput("stars", "Hạng sao phải là 3, 4 hoặc 5 (0: chưa xếp hạng)")
        out["stars"] = int(raw)
    for name in ("category", "district"):
        if args.get(name) is not None and name in args:
            out[name] = str(args.get(name))[:100]
    if "commune" in args and args.get("commune") is not None:
        district, _, commune = str(args.get("commune")).partition("|")
        out["commune"] = (district[:100], commune[:100])
    if args.get("day"):
        day = _parse_day(args.get("day"), "day")
        out["day"] = day
    if args.get("hour") not in (None, ""):
        raw = str(args.get("hour"))
        if not re.fullmatch(r"[0-9]{1,2}", raw) or not 0 <= int(raw) <= 23:
            raise InvalidInput("hour", "Giờ phải từ 0 đến 23")
        out["hour"] = int(raw)
    return out


def filter_labels(session, filters: dict) -> list[tuple[str, str]]:
    """What a drill-down is filtered on, as (dimension, value) to show above the list."""
    out = []
    for name, value in filters.items():
        if name == "booth_id":
            booth = session.get(Booth, value)
            out.append((gettext("Gian hàng"), booth.name if booth else str(value)))
        elif name == "producer_id":
            producer = session.get(Producer, value)
            out.append((gettext("Chủ thể"), producer.name if producer else str(value)))
        elif name == "product_id":
            product = session.get(Product, value)
            out.append((gettext("Sản phẩm"), product.name if product else str(value)))
        elif name == "category":
            out.append((gettext("Nhóm hàng"), value or gettext(NO_CATEGORY)))
        elif name == "stars":
            out.append((gettext("Hạng sao OCOP"), gettext("%(n)s sao", n=value) if value else gettext(NO_STARS)))
        elif name == "district":
            out.append((gettext("Huyện"), value or gettext(NO_PLACE)))
        elif name == "commune":
            out.append((gettext("Xã"), f"{value[1] or gettext(NO_PLACE)} ({value[0] or gettext(NO_PLACE)})"))
        elif name == "day":
            out.append((gettext("Ngày"), value.strftime("%d/%m/%Y")))
        elif name == "hour":
            out.append((gettext("Giờ"), f"{value:02d}:00–{value:02d}:59"))
    return out


def _utc_hour_for_local(fair: Fair, hour: int) -> int:
    # The zone's offset on the fair's first day (Vietnam: always +7, no daylight saving).
    ref = datetime.combine(fair.starts_on or date(2020, 1, 1), datetime.min.time(), tzinfo=VN)
    offset_h = int(ref.utcoffset().total_seconds() // 3600)
    return (hour - offset_h) % 24


def drill(session, fair: Fair, filters: dict, *, start=None, end=None, page: int = 1, per_page: int = 100,
          producer_id: int | None = None) -> Drill:
    """The sales behind a dashboard total: the matching lines of each sale, newest first.

    The sum of their revenue equals the total drilled into. producer_id, when
    given, keeps one producer's lines whatever the filters say (the portal).
    Raises InvalidInput.
    """
    start, end = parse_range(start, end)
    lo, hi = _bounds(start, end)
    booth_ids = _booth_ids(session, fair, filters.get("booth_id"))
    if producer_id is not None:
        filters = dict(filters, producer_id=producer_id)

    def where(stmt):
        stmt = (stmt.join(Sale, Sale.id == SaleLine.sale_id).join(Product, Product.id == SaleLine.product_id)
                .join(Producer, Producer.id == Product.producer_id)
                .where(SaleLine.booth_id.in_(booth_ids), not_voided()))
        if lo is not None:
            stmt = stmt.where(Sale.created_at >= lo)
        if hi is not None:
            stmt = stmt.where(Sale.created_at < hi)
        if "producer_id" in filters:
            stmt = stmt.where(Product.producer_id == filters["producer_id"])
        if "product_id" in filters:
            stmt = stmt.where(SaleLine.product_id == filters["product_id"])
        if "category" in filters:
            stmt = stmt.where(Product.category == filters["category"])
        if "stars" in filters:
            stmt = stmt.where(Product.ocop_stars.is_(None) if filters["stars"] == 0
                              else Product.ocop_stars == filters["stars"])
        if "district" in filters:
            stmt = stmt.where(Producer.district == filters["district"])
        if "commune" in filters:
            stmt = stmt.where(Producer.district == filters["commune"][0], Producer.commune == filters["commune"][1])
        if "day" in filters:
            day_lo, day_hi = local_day_bounds(filters["day"])
            stmt = stmt.where(Sale.created_at >= day_lo, Sale.created_at < day_hi)
        if "hour" in filters:
            stmt = stmt.where(_utc_hour_of_day(session, Sale.created_at) == _utc_hour_for_local(fair, filters["hour"]))
        return stmt

    if not booth_ids:
        return Drill(fair, filters, [], 0, 0, 0, 1, per_page)
    units, net, count = session.execute(where(
        select(func.coalesce(func.sum(SaleLine.qty), 0), func.coalesce(func.sum(SaleLine.net_vnd), 0),
               func.count(func.distinct(SaleLine.sale_id))))).one()
    r_units, r_amount = session.execute(where(
        select(func.coalesce(func.sum(RefundLine.qty), 0), func.coalesce(func.sum(RefundLine.amount_vnd), 0))
        .select_from(RefundLine).join(SaleLine, SaleLine.id == RefundLine.sale_line_id))).one()
    page = max(1, int(page or 1))
    sale_ids = list(session.scalars(where(
        select(SaleLine.sale_id).group_by(SaleLine.sale_id, Sale.created_at))
        .order_by(Sale.created_at.desc(), SaleLine.sale_id.desc()).limit(per_page).offset((page - 1) * per_page)))
    sales: dict[int, DrillSale] = {}
    if sale_ids:
        rows = session.execute(where(
            select(SaleLine.id, SaleLine.sale_id, SaleLine.product_id, SaleLine.product_name, SaleLine.qty,
                   SaleLine.net_vnd, Sale.receipt_no, Sale.created_at, Sale.total_vnd, Sale.booth_id))
            .where(SaleLine.sale_id.in_(sale_ids)).order_by(SaleLine.id))
        lines_by_id: dict[int, DrillLine] = {}
        booth_names = {b.id: b.name for b in session.scalars(select(Booth).where(Booth.id.in_(booth_ids)))}
        for line_id, sale_id, pid, name, qty, net_vnd, receipt_no, created_at, total, booth_id in rows:
            sale = sales.get(sale_id)
            if sale is None:
                sale = sales[sale_id] = DrillSale(sale_id, receipt_no, created_at, booth_names.get(booth_id, ""), total,
                                                  booth_id=booth_id)
            line = DrillLine(pid, name, qty, net_vnd)
            sale.lines.append(line)
            lines_by_id[line_id] = line
        for line_id, amount in session.execute(
                select(RefundLine.sale_line_id, func.sum(RefundLine.amount_vnd))
                .where(RefundLine.sale_line_id.in_(list(lines_by_id))).group_by(RefundLine.sale_line_id)):
            lines_by_id[line_id].refunded_vnd = int(amount)
    ordered = [sales[i] for i in sale_ids if i in sales]
    return Drill(fair, filters, ordered, int(net) - int(r_amount), int(units) - int(r_units), int(count), page,
                 per_page)


# --- the booth's daily report ---

@dataclass
class MethodTotal:
    method: str
    label: str
    received_vnd: int = 0
    refunded_vnd: int = 0
    count: int = 0

    @property
    def net_vnd(self) -> int:
        return self.received_vnd - self.refunded_vnd


@dataclass
class DailyRow:
    key: int
    name: str
    extra: str = ""
    units: int = 0
    gross_vnd: int = 0
    discount_vnd: int = 0
    net_vnd: int = 0
    refunded_units: int = 0
    refunded_vnd: int = 0

    @property
    def revenue_vnd(self) -> int:
        return self.net_vnd - self.refunded_vnd


@dataclass
class DailyReport:
    booth: Booth
    day: date
    methods: list[MethodTotal]
    producers: list[DailyRow]
    products: list[DailyRow]
    transactions: int
    voided_count: int
    voided_vnd: int
    refunds_count: int

    @property
    def gross_vnd(self) -> int:
        return sum(r.gross_vnd for r in self.products)

    @property
    def discount_vnd(self) -> int:
        return sum(r.discount_vnd for r in self.products)

    @property
    def net_vnd(self) -> int:
        return sum(r.net_vnd for r in self.products)

    @property
    def refunded_vnd(self) -> int:
        return sum(r.refunded_vnd for r in self.products)

    @property
    def revenue_vnd(self) -> int:
        return self.net_vnd - self.refunded_vnd

    @property
    def units(self) -> int:
        return sum(r.units - r.refunded_units for r in self.products)

    @property
    def received_vnd(self) -> int:
        return sum(m.received_vnd for m in self.methods)

    @property
    def paid_back_vnd(self) -> int:
        return sum(m.refunded_vnd for m in self.methods)

    @property
    def average_basket_vnd(self) -> int:
        return average_vnd(self.net_vnd, self.transactions)


def daily_report(session, booth: Booth, day: date) -> DailyReport:
    """One Vietnam calendar day at a booth: money per payment method, sales per producer and per product.

    Sales count on the day they were made, voided ones left out (listed apart);
    refunds count on the day they were paid, as the cash in the drawer does.
    """
    lo, hi = local_day_bounds(day)
    in_day = (Sale.booth_id == booth.id, Sale.created_at >= lo, Sale.created_at < hi)
    methods = {m: MethodTotal(m, gettext(label)) for m, label in PAYMENT_METHODS.items()}
    for method, amount, n in session.execute(
            select(Payment.method, func.sum(Payment.amount_vnd), func.count(func.distinct(Payment.sale_id)))
            .join(Sale, Sale.id == Payment.sale_id).where(*in_day, not_voided()).group_by(Payment.method)):
        methods[method].received_vnd, methods[method].count = int(amount), int(n)
    for method, amount in session.execute(
            select(Refund.method, func.sum(Refund.total_vnd))
            .where(Refund.booth_id == booth.id, Refund.created_at >= lo, Refund.created_at < hi)
            .group_by(Refund.method)):
        methods[method].refunded_vnd = int(amount)

    products: dict[int, DailyRow] = {}
    for pid, units, gross, discount, net in session.execute(
            select(SaleLine.product_id, func.sum(SaleLine.qty), func.sum(line_gross()),
                   func.sum(SaleLine.line_discount_vnd + SaleLine.order_discount_vnd), func.sum(SaleLine.net_vnd))
            .join(Sale, Sale.id == SaleLine.sale_id).where(*in_day, not_voided()).group_by(SaleLine.product_id)):
        products[pid] = DailyRow(pid, "", units=int(units), gross_vnd=int(gross), discount_vnd=int(discount),
                                 net_vnd=int(net))
    for pid, units, amount in session.execute(
            select(SaleLine.product_id, func.sum(RefundLine.qty), func.sum(RefundLine.amount_vnd))
            .select_from(RefundLine).join(Refund, Refund.id == RefundLine.refund_id)
            .join(SaleLine, SaleLine.id == RefundLine.sale_line_id)
            .where(Refund.booth_id == booth.id, Refund.created_at >= lo, Refund.created_at < hi)
            .group_by(SaleLine.product_id)):
        row = products.setdefault(pid, DailyRow(pid, ""))
        row.refunded_units, row.refunded_vnd = int(units), int(amount)
    catalogue = _products(session, products)
    makers = _producers(session, {p.producer_id for p in catalogue.values()})
    producers: dict[int, DailyRow] = {}
    for pid, row in products.items():
        product = catalogue[pid]
        row.name, row.extra = product.name, makers[product.producer_id].name
        agg = producers.setdefault(product.producer_id, DailyRow(product.producer_id, makers[product.producer_id].name))
        for name in ("units", "gross_vnd", "discount_vnd", "net_vnd", "refunded_units", "refunded_vnd"):
            setattr(agg, name, getattr(agg, name) + getattr(row, name))

    transactions = session.scalar(select(func.count(Sale.id)).where(*in_day, not_voided())) or 0
    voided_count, voided_vnd = session.execute(
        select(func.count(Sale.id), func.coalesce(func.sum(Sale.total_vnd), 0))
        .join(Void, Void.sale_id == Sale.id).where(*in_day)).one()
    refunds_count = session.scalar(select(func.count(Refund.id)).where(
        Refund.booth_id == booth.id, Refund.created_at >= lo, Refund.created_at < hi)) or 0
    return DailyReport(
        booth, day, list(methods.values()),
        sorted(vi_sorted(producers.values(), key=lambda r: r.name), key=lambda r: -r.revenue_vnd),
        sorted(vi_sorted(products.values(), key=lambda r: r.name), key=lambda r: -r.revenue_vnd),
        int(transactions), int(voided_count), int(voided_vnd), int(refunds_count))


def sale_days(session, booth: Booth) -> list[date]:
    """The Vietnam days on which the booth sold anything, newest first (to pick a day)."""
    days = {_local(h).date() for h in session.scalars(select(HourlySaleCount.hour_at)
                                                      .where(HourlySaleCount.booth_id == booth.id))}
    return sorted(days, reverse=True)


# --- the tables behind the pages, for Excel and CSV ---

def daily_tables(report: DailyReport) -> dict[str, Table]:
    heading = [gettext("BÁO CÁO NGÀY %(day)s", day=report.day.strftime("%d/%m/%Y")), report.booth.fair.name,
               report.booth.name]
    methods = Table(gettext("Theo cách thanh toán"), [
        Column("method", gettext("Cách thanh toán")), Column("count", gettext("Số đơn"), "int"),
        Column("received", gettext("Đã thu"), "vnd"), Column("refunded", gettext("Đã trả lại khách"), "vnd"),
        Column("net", gettext("Còn lại"), "vnd")], heading=heading)
    for m in report.methods:
        methods.add(m.label, m.count, m.received_vnd, m.refunded_vnd, m.net_vnd)
    methods.footer = [gettext("Cộng"), None, report.received_vnd, report.paid_back_vnd,
                      report.received_vnd - report.paid_back_vnd]
    out = {"methods": methods}
    for name, title, rows, first in (
            ("producers", gettext("Theo chủ thể"), report.producers, gettext("Chủ thể")),
            ("products", gettext("Theo sản phẩm"), report.products, gettext("Sản phẩm"))):
        cols = [Column("name", first)]
        if name == "products":
            cols.append(Column("producer", gettext("Chủ thể")))
        cols += [Column("units", gettext("Số lượng"), "int"), Column("gross", gettext("Doanh số gộp"), "vnd"),
                 Column("discount", gettext("Giảm giá"), "vnd"), Column("net", gettext("Sau giảm giá"), "vnd"),
                 Column("refunded", gettext("Trả tiền khách"), "vnd"), Column("revenue", gettext("Doanh thu"), "vnd")]
        table = Table(title, cols, heading=heading)
        for r in rows:
            values = [r.name] + ([r.extra] if name == "products" else []) + [
                r.units - r.refunded_units, r.gross_vnd, r.discount_vnd, r.net_vnd, r.refunded_vnd, r.revenue_vnd]
            table.add(*values)
        table.footer = [gettext("Cộng")] + ([""] if name == "products" else []) + [
            report.units, report.gross_vnd, report.discount_vnd, report.net_vnd, report.refunded_vnd,
            report.revenue_vnd]
        out[name] = table
    return out


def dashboard_tables(board: Dashboard) -> dict[str, Table]:
    period = ""
    if board.start or board.end:
        period = "%s – %s" % (board.start.strftime("%d/%m/%Y") if board.start else "…",
                              board.end.strftime("%d/%m/%Y") if board.end else "…")
    heading = [board.fair.name] + ([period] if period else [])
    summary = Table(gettext("Tổng quan"), [Column("item", gettext("Chỉ số")), Column("value", gettext("Giá trị"), "int")],
                    heading=heading)
    summary.add(gettext("Doanh thu (đồng)"), board.revenue_vnd)
    summary.add(gettext("Doanh số gộp (đồng)"), board.gross_vnd)
    summary.add(gettext("Giảm giá (đồng)"), board.discount_vnd)
    summary.add(gettext("Trả tiền khách (đồng)"), board.refunded_vnd)
    summary.add(gettext("Số đơn"), board.transactions)
    summary.add(gettext("Số sản phẩm bán ra"), board.units)
    summary.add(gettext("Giá trị đơn trung bình (đồng)"), board.average_basket_vnd)
    summary.add(gettext("Chủ thể tham gia"), board.producers_count)
    summary.add(gettext("Sản phẩm tham gia"), board.products_count)
    summary.add(gettext("Đơn bị hủy"), board.voided_count)
    out = {"summary": summary}
    for name, rows in board.breakdowns.items():
        with_tx = name in ("booth", "day", "hour")
        # A day is a real date in Excel (it sorts and filters as one), not the text 10/01/2020.
        cols = [Column("label", gettext(DIMENSION_LABELS[name]), "date" if name == "day" else "text")]
        extra = {"booth": gettext("Mã"), "producer": gettext("Huyện"), "product": gettext("Chủ thể"),
                 "commune": gettext("Huyện")}.get(name)
        if extra:
            cols.append(Column("extra", extra))
        cols += [Column("revenue", gettext("Doanh thu"), "vnd"), Column("units", gettext("Số lượng"), "int")]
        if with_tx:
            cols += [Column("transactions", gettext("Số đơn"), "int"),
                     Column("average", gettext("Đơn trung bình"), "vnd")]
        cols.append(Column("share", gettext("Tỷ trọng (%)"), "percent_bp"))
        table = Table(gettext(DIMENSION_LABELS[name]), cols, heading=heading)
        for r in rows:
            values = [r.key if name == "day" else r.label] + ([r.extra] if extra else []) + [r.revenue_vnd, r.units]
            if with_tx:
                values += [r.transactions or 0, r.average_vnd or 0]
            values.append(r.share_bp)
            table.add(*values)
        out[name] = table
    return out


def drill_table(drill_result: Drill, labels: list[tuple[str, str]], *, with_sale_totals: bool = True) -> Table:
    """The drilled sales as a table. Without sale totals for a producer: a sale's total holds other producers' goods."""
    heading = [drill_result.fair.name] + [f"{k}: {v}" for k, v in labels]
    columns = [Column("receipt", gettext("Số phiếu")), Column("at", gettext("Thời gian"), "datetime"),
               Column("booth", gettext("Gian hàng")), Column("products", gettext("Sản phẩm")),
               Column("units", gettext("Số lượng"), "int"), Column("revenue", gettext("Doanh thu"), "vnd")]
    if with_sale_totals:
        columns.append(Column("total", gettext("Tổng đơn"), "vnd"))
    table = Table(gettext("Đơn hàng"), columns, heading=heading)
    for s in drill_result.sales:
        row = [s.receipt_no, s.created_at, s.booth_name, "; ".join(f"{x.name} × {x.qty}" for x in s.lines),
               sum(x.qty for x in s.lines), s.revenue_vnd]
        table.add(*(row + [s.total_vnd] if with_sale_totals else row))
    return table


def comparison_tables(cmp: Comparison) -> dict[str, Table]:
    a, b = cmp.a.fair.name, cmp.b.fair.name
    metrics = Table(gettext("So sánh"), [Column("metric", gettext("Chỉ số")), Column("a", a, "int"),
                                        Column("b", b, "int"), Column("change", gettext("Chênh lệch (%)"),
                                                                      "percent_bp")])
    for label, va, vb, _kind in cmp.metrics:
        metrics.add(label, va, vb, change_bp(va, vb))
    days = Table(gettext("Theo ngày hội chợ"), [Column("day", gettext("Ngày thứ"), "int"),
                                                Column("a", a, "vnd"), Column("b", b, "vnd"),
                                                Column("change", gettext("Chênh lệch (%)"), "percent_bp")])
    for i, va, vb in cmp.days:
        days.add(i, va, vb, change_bp(va or 0, vb or 0))
    out = {"metrics": metrics, "days": days}
    for name, key in (("producer", "producers"), ("product", "products"), ("district", "districts")):
        label = gettext(DIMENSION_LABELS[name])
        table = Table(gettext("Theo %(what)s", what=label.lower()), [
            Column(name, label), Column("a", a, "vnd"), Column("b", b, "vnd"),
            Column("change", gettext("Chênh lệch (%)"), "percent_bp")])
        for text, va, vb in cmp.by.get(name, cmp.producers if name == "producer" else []):
            table.add(text, va, vb, change_bp(va, vb))
        out[key] = table
    return out


# --- the producer portal ---

@dataclass
class StockCell:
    product: Product
    on_hand: int


@dataclass
class BoothStock:
    booth: Booth
    rows: list[StockCell]

    @property
    def units(self) -> int:
        return sum(r.on_hand for r in self.rows)


def producer_stock(session, producer_id: int) -> list[BoothStock]:
    """A producer's products on hand at every booth (of every fair) that has held them."""
    levels = session.execute(
        select(StockMovement.booth_id, StockMovement.product_id, func.sum(StockMovement.qty))
        .join(Product, Product.id == StockMovement.product_id).where(Product.producer_id == producer_id)
        .group_by(StockMovement.booth_id, StockMovement.product_id)).all()
    products = _products(session, {pid for _b, pid, _q in levels})
    by_booth: dict[int, list[StockCell]] = defaultdict(list)
    for booth_id, pid, qty in levels:
        by_booth[booth_id].append(StockCell(products[pid], int(qty)))
    out = []
    for booth_id, rows in by_booth.items():
        out.append(BoothStock(session.get(Booth, booth_id), vi_sorted(rows, key=lambda r: r.product.name)))
    return sorted(out, key=lambda bs: (bs.booth.fair.starts_on or date.min, bs.booth.fair_id, bs.booth.code),
                  reverse=True)


@dataclass
class ProducerScope:
    """The ids a producer may name in a portal request: its products, the booths and fairs that held them."""

    product_ids: set[int]
    booth_ids: set[int]
    fair_ids: set[int]


def producer_scope(session, producer_id: int) -> ProducerScope:
    """What of the catalogue belongs to one producer: its products, and every booth (and the booths' fairs)
    where they were received, moved or sold."""
    product_ids = set(session.scalars(select(Product.id).where(Product.producer_id == producer_id)))
    booth_ids = settlement.producer_booth_ids(session, producer_id)
    fair_ids = set(session.scalars(select(Booth.fair_id).where(Booth.id.in_(booth_ids)))) if booth_ids else set()
    return ProducerScope(product_ids, booth_ids, fair_ids)


def producer_fairs(session, producer_id: int) -> list[Fair]:
    """The fairs where a producer's goods were received or sold, newest first."""
    booth_ids = set(session.scalars(
        select(StockMovement.booth_id).join(Product, Product.id == StockMovement.product_id)
        .where(Product.producer_id == producer_id).distinct()))
    fairs = {session.get(Booth, b).fair for b in booth_ids}
    return sorted(fairs, key=lambda f: (f.starts_on or date.min, f.id), reverse=True)


def default_fair(session, booth: Booth | None) -> Fair | None:
    """The fair a report opens on: this booth's, else the newest fair with a booth."""
    if booth is not None:
        return booth.fair
    fairs = fairs_with_booths(session)
    return fairs[0] if fairs else None


# --- buyers who asked for a VAT invoice ---

@dataclass
class InvoiceLine:
    """One product of a sale whose buyer left a name and tax code: what its producer invoices."""

    sale_id: int
    receipt_no: str
    created_at: datetime
    booth_name: str
    buyer_name: str
    buyer_tax_code: str
    producer_id: int
    producer_name: str
    product_name: str
    unit: str
    qty: int
    unit_price_vnd: int
    discount_vnd: int
    net_vnd: int
    refunded_qty: int = 0
    refunded_vnd: int = 0

    @property
    def amount_vnd(self) -> int:
        """What the producer invoices: the line after discounts, less what the customer was refunded."""
        return self.net_vnd - self.refunded_vnd


def invoice_lines(session, booth_ids: list[int], producer_id: int | None = None) -> list[InvoiceLine]:
    """Sale lines of buyers who gave a tax code (for a VAT invoice), at these booths, sales not voided.

    Ordered by producer (Vietnamese order), then time. producer_id keeps one producer's lines
    (the portal). A line wholly refunded stays listed with nothing to invoice. Raises nothing.
    """
    if not booth_ids:
        return []
    stmt = (select(SaleLine.id, Sale.id, Sale.receipt_no, Sale.created_at, Sale.booth_id, Sale.buyer_name,
                   Sale.buyer_tax_code, Product.producer_id, SaleLine.product_name, Product.unit, SaleLine.qty,
                   SaleLine.unit_price_vnd, SaleLine.line_discount_vnd + SaleLine.order_discount_vnd,
                   SaleLine.net_vnd)
            .join(Sale, Sale.id == SaleLine.sale_id).join(Product, Product.id == SaleLine.product_id)
            .where(Sale.booth_id.in_(booth_ids), Sale.buyer_tax_code != "", not_voided())
            .order_by(Sale.created_at, Sale.id, SaleLine.id))
    if producer_id is not None:
        stmt = stmt.where(Product.producer_id == producer_id)
    rows = session.execute(stmt).all()
    if not rows:
        return []
    booth_names = {b.id: b.name for b in session.scalars(select(Booth).where(Booth.id.in_(booth_ids)))}
    makers = _producers(session, {r[7] for r in rows})
    refunds = {line_id: (int(q), int(a)) for line_id, q, a in session.execute(
        select(RefundLine.sale_line_id, func.sum(RefundLine.qty), func.sum(RefundLine.amount_vnd))
        .where(RefundLine.sale_line_id.in_([r[0] for r in rows])).group_by(RefundLine.sale_line_id))}
    out = []
    for (line_id, sale_id, receipt, at, booth_id, buyer, tax, pid, name, unit, qty, price, discount,
         net) in rows:
        r_qty, r_vnd = refunds.get(line_id, (0, 0))
        out.append(InvoiceLine(sale_id, receipt, at, booth_names.get(booth_id, ""), buyer, tax, pid,
                               makers[pid].name, name, unit, qty, price, int(discount), net, r_qty, r_vnd))
    order = {pid: i for i, pid in enumerate(p.id for p in vi_sorted(makers.values(), key=lambda p: p.name))}
    return sorted(out, key=lambda x: order[x.producer_id])


def invoice_table(lines: list[InvoiceLine], heading: list[str]) -> Table:
    """The invoice requests as one table (Excel, CSV), a row per product sold, for the producers' accountants."""
    table = Table(gettext("Khách cần hóa đơn"), [
        Column("producer", gettext("Chủ thể")), Column("at", gettext("Thời gian"), "datetime"),
        Column("receipt", gettext("Số phiếu")), Column("booth", gettext("Gian hàng")),
        Column("buyer", gettext("Người mua")), Column("tax_code", gettext("Mã số thuế")),
        Column("product", gettext("Sản phẩm")), Column("unit", gettext("ĐVT")),
        Column("qty", gettext("Số lượng"), "int"), Column("price", gettext("Đơn giá"), "vnd"),
        Column("discount", gettext("Giảm giá"), "vnd"), Column("refunded", gettext("Trả tiền khách"), "vnd"),
        Column("amount", gettext("Thành tiền"), "vnd")], heading=heading)
    for x in lines:
        table.add(x.producer_name, x.created_at, x.receipt_no, x.booth_name, x.buyer_name, x.buyer_tax_code,
                  x.product_name, x.unit, x.qty, x.unit_price_vnd, x.discount_vnd, x.refunded_vnd, x.amount_vnd)
    table.footer = [gettext("Cộng"), None, "", "", "", "", "", "", sum(x.qty for x in lines), None,
                    sum(x.discount_vnd for x in lines), sum(x.refunded_vnd for x in lines),
                    sum(x.amount_vnd for x in lines)]
    return table


def invoice_groups(lines: list[InvoiceLine]) -> list[tuple[str, list[InvoiceLine]]]:
    """The lines by producer, in the order given: (producer name, its lines)."""
    groups: dict[int, tuple[str, list[InvoiceLine]]] = {}
    for x in lines:
        groups.setdefault(x.producer_id, (x.producer_name, []))[1].append(x)
    return list(groups.values())

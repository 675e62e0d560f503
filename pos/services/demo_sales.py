"""A believable sales history for the demo: Xuân 2020 at the demo booth, and Hè 2019 to compare with.

Every record is written through the real services (stock documents, sales,
voids, refunds, shifts, closing), so the ledger, the sales and the settlement
agree exactly as they would at a real booth. The services stamp records with
the time they run; a fair's history happened on its own days, so each record's
time is then set to the moment chosen for it, in the same transaction, before
anything is committed:

- Sale.created_at, through sales_summary.redate_sale (its figures on the dashboard move
  along), and its stock movements' created_at (receipt numbers still follow the order
  of the times, since the sales are recorded in that order);
- the stock documents (receipts, samples, damage, counts, returns) and their movements;
- voids and refunds;
- Hè 2019's shift and its closing.

Random choices come from a generator seeded per fair, so `pos demo --reset`
always builds the same history. Times are chosen in Vietnam time (8:00–21:00,
busier late morning, afternoon and evening, busier at the weekend) and stored
as naive UTC like every other time.
"""
from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import select

from ..errors import DomainError
from ..models import Booth, Fair, Product, Producer, Sale, StockDocument, StockMovement, User
from ..timeutil import VN
from . import booths, returns, sales, sales_summary, shifts, stock
from .reporting import closing

DEMO_PIN = "1234"

# How often each product is picked, by the start of its name (best sellers first).
_POPULARITY = {
    "Miến dong Bình Liêu 500g": 10, "Mật ong rừng": 7, "Tinh dầu quế": 6, "Miến dong Bình Liêu 1kg": 6,
    "Dầu sở Bình Liêu 500ml": 5, "Tinh dầu hồi": 4, "Tinh dầu bưởi": 4, "Tinh dầu sả": 3,
    "Tinh bột nghệ": 3, "Dầu sở Bình Liêu 1 lít": 2, "Tinh dầu nhu": 1, "Mật ong bạc hà": 1,
}
# (hour in Vietnam, weight): a fair opens at 8:00 and closes at 21:30.
_HOURS = [(8, 2), (9, 5), (10, 8), (11, 7), (12, 3), (13, 3), (14, 5), (15, 7), (16, 7), (17, 5), (18, 4),
          (19, 7), (20, 6), (21, 2)]


def _utc(day: date, hour: int, minute: int, second: int = 0) -> datetime:
    """A Vietnam wall-clock time as the naive UTC every *_at column holds."""
    local = datetime.combine(day, time(hour, minute, second), tzinfo=VN)
    return local.astimezone(timezone.utc).replace(tzinfo=None)


def _set_time(records, at: datetime) -> None:
    for record in records:
        record.created_at = at


def _weight(product: Product) -> int:
    return next((w for prefix, w in _POPULARITY.items() if product.name.startswith(prefix)), 2)


def _staff(session, booth: Booth) -> tuple[User, User]:
    users = session.scalars(select(User).where(User.is_active)).all()
    manager = next((u for u in users if u.role == "manager"), None) or next(u for u in users if u.role == "organiser")
    cashier = next((u for u in users if u.role == "cashier"), manager)
    return manager, cashier


def _date_shift_documents(session, booth: Booth, at: datetime) -> None:
    """Documents recorded just now (the demo's opening receipts) are dated to the fair's first morning."""
    for doc in session.scalars(select(StockDocument).where(StockDocument.booth_id == booth.id)):
        if doc.created_at > at:
            doc.created_at = at
            _set_time(doc.movements, at)


class _Seller:
    """Rings up sales at one booth, choosing what is still on the shelf."""

    def __init__(self, session, booth: Booth, cashier: User, manager: User, rng: random.Random):
        self.s, self.booth, self.cashier, self.manager, self.rng = session, booth, cashier, manager, rng
        self.tills = booths.active_tills(session, booth)
        self.n = 0
        for till in self.tills:
            if shifts.current_shift(session, till) is None:
                shifts.open_shift(session, booth, manager, shifts.NewShift(till.id, opening_float_vnd=1_000_000))
        self.products = [p for p in session.scalars(select(Product).where(Product.is_active)).all()]
        self.sales: list[Sale] = []

    def _basket(self) -> list[dict]:
        levels = stock.on_hand(self.s, self.booth.id)
        shelf = [p for p in self.products if levels.get(p.id, 0) > 0]
        if not shelf:
            return []
        size = self.rng.choices((1, 2, 3), weights=(60, 30, 10))[0]
        chosen: list[Product] = []
        for _ in range(size):
            pick = self.rng.choices(shelf, weights=[_weight(p) for p in shelf])[0]
            if pick not in chosen:
                chosen.append(pick)
        lines = []
        for p in chosen:
            qty = min(levels[p.id], self.rng.choices((1, 2, 3, 5), weights=(70, 20, 7, 3))[0])
            discount = 0
            if p.price_vnd >= 100_000 and self.rng.random() < 0.05:
                discount = 10_000 * qty
            lines.append(dict(product_id=p.id, qty=qty, discount_vnd=discount))
        return lines

    def sell(self, at: datetime) -> Sale | None:
        lines = self._basket()
        if not lines:
            return None
        order_discount = 0
        priced = sales.price_cart(self.s, sales.Cart.of(lines))
        if priced.line_discount_vnd == 0 and priced.total_vnd >= 300_000 and self.rng.random() < 0.15:
            # A round-figure discount for a bigger basket, within the cashier's 10 % limit.
            order_discount = min(priced.total_vnd * 5 // 100 // 1000 * 1000, 50_000)
        total = priced.total_vnd - order_discount
        method = self.rng.choices(("cash", "transfer", "card"), weights=(55, 35, 10))[0]
        if method == "cash":
            step = self.rng.choice((10_000, 50_000, 100_000))
            payments = [dict(method="cash", tendered_vnd=-(-total // step) * step)]
        else:
            payments = [dict(method=method, amount_vnd=total)]
        self.n += 1
        till = self.rng.choice(self.tills)
        checkout = sales.Checkout.of(till_id=till.id, lines=lines, order_discount_vnd=order_discount, payments=payments)
        sale = sales.record_sale(self.s, self.booth, self.cashier, checkout, f"demo-{self.booth.receipt_prefix}-{self.n}").sale
        sales_summary.redate_sale(self.s, sale, at)
        _set_time(sale.movements, at)
        self.sales.append(sale)
        return sale

    def document(self, kind: str, at: datetime, data: dict):
        doc = stock.record_document(self.s, self.booth, self.manager, stock.NewDocument.of(kind, **data))
        doc.created_at = at
        _set_time(doc.movements, at)
        return doc

    def void(self, sale: Sale, minutes_later: int, reason: str):
        void = returns.void_sale(self.s, self.booth, self.manager, sale.id, returns.NewVoid(reason, DEMO_PIN))
        at = sale.created_at + timedelta(minutes=minutes_later)
        void.created_at = at
        _set_time(self._moves(sale, ("void",)), at)

    def _moves(self, sale: Sale, kinds, mark: str = ""):
        return [m for m in self.s.scalars(select(StockMovement).where(StockMovement.sale_id == sale.id,
                                                                       StockMovement.kind.in_(kinds)))
                if mark in m.reason]

    def refund(self, sale: Sale, qty: int, back_to_stock: bool, hours_later: int, reason: str):
        line = sale.lines[0]
        refund = returns.refund_sale(self.s, self.booth, self.manager, sale.id, returns.NewRefund.of(
            lines=[dict(sale_line_id=line.id, qty=min(qty, line.qty), back_to_stock=back_to_stock)],
            reason=reason, method="cash", manager_pin=DEMO_PIN, till_id=self.tills[0].id))
        at = sale.created_at + timedelta(hours=hours_later)
        refund.created_at = at
        _set_time(self._moves(sale, ("refund", "damage"), refund.number), at)


def _days(fair: Fair) -> list[date]:
    return [fair.starts_on + timedelta(days=i) for i in range((fair.ends_on - fair.starts_on).days + 1)]


def _run_days(seller: _Seller, days: list[date], per_day: tuple[int, int], rng: random.Random) -> None:
    for day in days:
        weekend = day.weekday() >= 5
        count = rng.randint(*per_day) + (per_day[1] // 2 if weekend else 0)
        moments = []
        for _ in range(count):
            hour = rng.choices([h for h, _w in _HOURS], weights=[w for _h, w in _HOURS])[0]
            moments.append(_utc(day, hour, rng.randint(0, 59), rng.randint(0, 59)))
        for at in sorted(moments):
            seller.sell(at)


def _h19_booth(session, fair: Fair) -> Booth:
    booth = session.scalars(select(Booth).where(Booth.fair_id == fair.id, Booth.code == "B07")).first()
    if booth is None:
        booth = booths.save_booth(session, dict(fair_id=fair.id, code="B07", name="Gian hàng OCOP huyện Bình Liêu",
                                                receipt_prefix="H19-B07", cashier_discount_limit_percent="10"))
        booths.save_till(session, booth, dict(code="T1", name="Quầy 1"))
    return booth


def load_demo_sales(session, booth: Booth) -> dict:
    """Add the demo's sales history: Xuân 2020 at this booth, and a closed Hè 2019 booth to compare with.

    Runs in the caller's transaction (pos demo's). Returns counts of what was added.
    Raises DomainError only on a demo that cannot be built (e.g. no staff).
    """
    manager, cashier = _staff(session, booth)
    fair = booth.fair
    if fair.starts_on is None or fair.ends_on is None:
        raise DomainError("Hội chợ mẫu cần ngày bắt đầu và kết thúc")

    # --- Xuân 2020: 11 days at this booth ---
    rng = random.Random(2020)
    first_morning = _utc(fair.starts_on, 7, 30)
    _date_shift_documents(session, booth, first_morning)
    x20 = _Seller(session, booth, cashier, manager, rng)
    days = _days(fair)
    _run_days(x20, days[:5], (14, 22), rng)
    # A second consignment mid-fair for what sells best.
    restock: dict[int, list[dict]] = {}
    levels = stock.on_hand(session, booth.id)
    for p in x20.products:
        if _weight(p) >= 4:
            restock.setdefault(p.producer_id, []).append(dict(product_id=p.id, qty=max(0, 40 - levels.get(p.id, 0)) + 10))
    for producer_id, lines in restock.items():
        x20.document("receive", _utc(days[5], 7, 15), dict(producer_id=producer_id, lines=lines,
                                                            reason="Nhập bổ sung giữa hội chợ"))
    _run_days(x20, days[5:], (12, 20), rng)
    que = next((p for p in x20.products if p.name.startswith("Tinh dầu quế")), x20.products[0])
    x20.document("sample", _utc(days[0], 9, 0), dict(lines=[dict(product_id=que.id, qty=1)],
                                                       reason="Mở lọ cho khách ngửi thử"))
    honey = next((p for p in x20.products if p.name.startswith("Mật ong rừng")), None)
    if honey is not None and stock.on_hand(session, booth.id, [honey.id]).get(honey.id, 0) > 0:
        x20.document("damage", _utc(days[3], 18, 10), dict(lines=[dict(product_id=honey.id, qty=1)],
                                                             reason="Chai bị nứt khi xếp kệ"))
    # A few mistakes and a few unhappy customers, as at any booth.
    if len(x20.sales) > 40:
        x20.void(x20.sales[7], 3, "Thu ngân nhập nhầm sản phẩm")
        x20.void(x20.sales[31], 5, "Khách đổi ý trước khi nhận hàng")
        x20.refund(x20.sales[20], 1, True, 2, "Khách trả lại, hàng còn nguyên")
        x20.refund(x20.sales[45], 1, False, 24, "Gói bị rách, không bán lại được")

    # --- Hè 2019: a smaller booth, closed and settled ---
    h19 = session.scalars(select(Fair).where(Fair.code == "H19")).first()
    added_h19 = 0
    if h19 is not None and h19.starts_on and h19.ends_on and h19.closed_at is None:
        added_h19 = _hue_2019(session, h19, manager, cashier)
    session.flush()
    return {"sales_x20": len(x20.sales), "sales_h19": added_h19}


def _hue_2019(session, fair: Fair, manager: User, cashier: User) -> int:
    rng = random.Random(2019)
    booth = _h19_booth(session, fair)
    days = _days(fair)
    seller = _Seller(session, booth, cashier, manager, rng)
    # Dầu sở Lục Hồn joined the OCOP programme later: in 2019 three producers came.
    taking_part = {p.id for p in session.scalars(select(Producer)) if not p.name.startswith("HTX Dầu sở")}
    seller.products = [p for p in seller.products if p.producer_id in taking_part]
    by_producer: dict[int, list[dict]] = {}
    for p in seller.products:
        by_producer.setdefault(p.producer_id, []).append(dict(product_id=p.id, qty=25 if _weight(p) >= 4 else 10))
    for producer_id, lines in by_producer.items():
        seller.document("receive", _utc(days[0], 7, 0), dict(producer_id=producer_id, lines=lines,
                                                              reason="Nhập hàng đầu hội chợ"))
    _run_days(seller, days, (9, 15), rng)
    end = _utc(days[-1], 21, 45)
    # Closing, as the booth did it on the last evening: shift closed, count, goods back, statements, close.
    for shift in close_open_shifts(session, booth, manager, "Đóng ca cuối hội chợ"):
        shift.opened_at, shift.closed_at = _utc(days[0], 7, 45), end
    levels = stock.on_hand(session, booth.id)
    count = stock.record_count(session, booth, manager, stock.NewDocument.of(
        "count", lines=[dict(product_id=pid, qty=q) for pid, q in levels.items()], reason="Kiểm kê cuối hội chợ"))
    count.created_at = end
    _set_time(count.movements, end)
    for producer_id in by_producer:
        try:
            doc = closing.return_all_goods(session, booth, manager, producer_id)
        except DomainError:
            continue  # sold out: nothing to give back
        doc.created_at = end + timedelta(minutes=10)
        _set_time(doc.movements, doc.created_at)
    for st in closing.closing_state(session, booth).statements:
        closing.record_statement_printed(session, booth, manager, st.statement.producer.id)
    closing.close_fair(session, booth, manager, closing.CloseFair(confirm=True, allow_unpushed=True))
    fair.closed_at = end + timedelta(minutes=30)
    return len(seller.sales)


def close_open_shifts(session, booth, manager, note: str) -> list:
    """Close every open shift of the booth with the cash counted exactly as expected (no difference)."""
    closed = []
    for till in booths.active_tills(session, booth):
        shift = shifts.current_shift(session, till)
        if shift is None:
            continue
        counts, left = {}, shifts.shift_report(session, shift)["expected_cash_vnd"]
        for note_vnd in shifts.DENOMINATIONS:
            if left >= note_vnd:
                counts[note_vnd], left = left // note_vnd, left % note_vnd
        closed.append(shifts.close_shift(session, booth, manager, shift.id, shifts.CashCount(counts, note)))
    return closed

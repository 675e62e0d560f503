"""The settlement statement (bảng quyết toán): its figures reconcile exactly with the ledger and the sales.

Runs on a bare SQLAlchemy session (no Flask app), on SQLite and on PostgreSQL. The
dataset is built through the real services (sales, shifts, voids, refunds, stock
documents); only the times are set afterwards, as a fair's days would have given them.
"""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

from pos.extensions import db
from pos.models import Refund, Sale, StockMovement, Void
from pos.models.identity import stamp
from pos.money import percent_of
from pos.services import booths, catalogue, returns, sales, sales_summary, shifts, stock, users
from pos.services.reporting import settlement


@pytest.fixture(params=["sqlite", "postgres"])
def any_session(request, tmp_path):
    """A bare session on a SQLite file, then on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        engine = create_engine(f"sqlite:///{tmp_path / 'pos.sqlite'}")
    else:
        engine = create_engine(request.getfixturevalue("pg_url"))
    db.metadata.create_all(engine)
    with Session(engine) as s:
        yield s
    engine.dispose()


class Fairground:
    """Two fairs, three booths, four producers in two districts, and their goods, built through the services."""

    def __init__(self, session):
        s = self.s = session
        booths.init_database(s)
        self.x20 = booths.save_fair(s, dict(code="X20", name="Hội chợ OCOP Quảng Ninh – Xuân 2020",
                                            starts_on="10/01/2020", ends_on="20/01/2020", commission_percent="10"))
        self.h19 = booths.save_fair(s, dict(code="H19", name="Hội chợ OCOP Quảng Ninh – Hè 2019",
                                            starts_on="14/06/2019", ends_on="18/06/2019", commission_percent="5"))
        self.b07 = booths.save_booth(s, dict(fair_id=self.x20.id, code="B07", name="Gian hàng Bình Liêu",
                                             cashier_discount_limit_percent="50"))
        self.b08 = booths.save_booth(s, dict(fair_id=self.x20.id, code="B08", name="Gian hàng Tiên Yên",
                                             cashier_discount_limit_percent="50"))
        self.h07 = booths.save_booth(s, dict(fair_id=self.h19.id, code="B07", name="Gian hàng Bình Liêu 2019",
                                             cashier_discount_limit_percent="50"))
        booths.make_this_booth(s, self.b07)
        self.tills = {b.id: booths.save_till(s, b, dict(code="T1", name="Quầy 1")) for b in (self.b07, self.b08, self.h07)}
        self.manager = users.save_user(s, dict(username="quanly", full_name="QL", role="manager",
                                               password="matkhau123", pin="2468"))
        for booth in (self.b07, self.b08, self.h07):
            shifts.open_shift(s, booth, self.manager, shifts.NewShift(till_id=self.tills[booth.id].id))
        self.cashier = users.save_user(s, dict(username="thungan", full_name="TN", role="cashier", password="matkhau123"))
        self.tuelam = catalogue.save_producer(s, dict(name="HTX Thảo mộc Tuệ Lâm", kind="htx", district="Bình Liêu",
                                                      commune="Thị trấn Bình Liêu"))
        self.miendong = catalogue.save_producer(s, dict(name="HTX Miến dong Đồng Tâm", kind="htx",
                                                        district="Bình Liêu", commune="Đồng Tâm"))
        self.dauso = catalogue.save_producer(s, dict(name="HTX Dầu sở Lục Hồn", kind="htx", district="Bình Liêu",
                                                     commune="Lục Hồn", commission_percent="8"))
        # The same commune name in another district: breakdowns must not merge them.
        self.tienyen = catalogue.save_producer(s, dict(name="Hộ bà Lường Thị Na", kind="household",
                                                       district="Tiên Yên", commune="Đồng Tâm"))
        p = self.products = {}
        for key, producer, name, price, stars, category in (
                ("que", self.tuelam, "Tinh dầu quế 10ml", 95_000, 4, "Tinh dầu"),
                ("hoi", self.tuelam, "Tinh dầu hồi 10ml", 110_000, 3, "Tinh dầu"),
                ("mien", self.miendong, "Miến dong 500g", 60_000, 4, "Đặc sản khô"),
                ("dau", self.dauso, "Dầu sở 500ml", 180_000, None, "Dầu ăn"),
                ("ga", self.tienyen, "Gà đồi Tiên Yên", 333_333, 3, "")):
            p[key] = catalogue.save_product(s, dict(producer_id=producer.id, name=name, unit="chai", price_vnd=price,
                                                    ocop_stars=stars, category=category))
        self.receive(self.b07, self.tuelam, que=40, hoi=20)
        self.receive(self.b07, self.miendong, mien=100)
        self.receive(self.b07, self.dauso, dau=30)
        self.receive(self.b08, self.tienyen, ga=20)
        self.receive(self.b08, self.tuelam, que=10)
        self.receive(self.h07, self.tuelam, que=30, hoi=30)
        self.receive(self.h07, self.miendong, mien=50)
        self._n = 0

    def receive(self, booth, producer, **qty):
        return stock.record_document(self.s, booth, self.manager, stock.NewDocument.of("receive", 
            producer_id=producer.id, lines=[dict(product_id=self.products[k].id, qty=q) for k, q in qty.items()]))

    def sell(self, booth, at: datetime, lines, *, order_discount=0, pay="cash"):
        """A sale at a UTC time: lines are (product key, qty[, line discount])."""
        self._n += 1
        items = [dict(product_id=self.products[ln[0]].id, qty=ln[1], discount_vnd=ln[2] if len(ln) > 2 else 0)
                 for ln in lines]
        priced = sales.price_cart(self.s, sales.Cart.of(lines=items, order_discount_vnd=order_discount))
        payments = ([dict(method="cash", tendered_vnd=priced.total_vnd)] if pay == "cash"
                    else [dict(method=pay, amount_vnd=priced.total_vnd)])
        sale = sales.record_sale(self.s, booth, self.cashier, sales.Checkout.of(
            till_id=self.tills[booth.id].id, lines=items, order_discount_vnd=order_discount, payments=payments),
            f"k{self._n}").sale
        # The sale happened at a fair day and hour: its time and its movements' time are set as recorded.
        sales_summary.redate_sale(self.s, sale, at)
        for m in sale.movements:
            m.created_at = at
        self.s.flush()
        return sale

    def void(self, sale):
        booth = self.s.get(type(self.b07), sale.booth_id)
        return returns.void_sale(self.s, booth, self.manager, sale.id, returns.NewVoid(reason="Khách đổi ý", manager_pin="2468"))

    def refund(self, sale, lines, at: datetime | None = None, method="cash"):
        """lines: (sale line, qty, back to stock)."""
        booth = self.s.get(type(self.b07), sale.booth_id)
        refund = returns.refund_sale(self.s, booth, self.manager, sale.id, returns.NewRefund.of(
            lines=[dict(sale_line_id=ln.id, qty=q, back_to_stock=back) for ln, q, back in lines],
            reason="Hàng lỗi", method=method, manager_pin="2468", till_id=self.tills[booth.id].id))
        if at is not None:
            refund.created_at = at
            self.s.flush()
        return refund

    def history(self):
        """A realistic few days at the fair, with discounts, a void, refunds, samples, damage, a count, a return."""
        b07, b08, h07 = self.b07, self.b08, self.h07
        self.s1 = self.sell(b07, datetime(2020, 1, 10, 2, 15), [("que", 2), ("mien", 3)], pay="cash")
        self.s2 = self.sell(b07, datetime(2020, 1, 10, 9, 40), [("hoi", 1, 10_000), ("dau", 2)], order_discount=12_345,
                            pay="transfer")
        self.s3 = self.sell(b07, datetime(2020, 1, 10, 17, 30), [("que", 1), ("hoi", 2)], pay="card")  # 00:30 on 11/01
        self.s4 = self.sell(b07, datetime(2020, 1, 11, 3, 5), [("mien", 5), ("dau", 1)], order_discount=7)
        self.s5 = self.sell(b07, datetime(2020, 1, 11, 3, 55), [("que", 3)])
        self.s6 = self.sell(b08, datetime(2020, 1, 11, 4, 0), [("ga", 2), ("que", 1)], order_discount=1)
        self.s7 = self.sell(b08, datetime(2020, 1, 12, 8, 20), [("ga", 1)], pay="transfer")
        self.h1 = self.sell(h07, datetime(2019, 6, 14, 3, 0), [("que", 4), ("mien", 10)])
        self.h2 = self.sell(h07, datetime(2019, 6, 15, 11, 0), [("hoi", 2)], order_discount=20_000)
        self.void(self.s5)
        self.refund(self.s2, [(self.s2.lines[1], 1, True)], at=datetime(2020, 1, 11, 2, 0))
        self.refund(self.s4, [(self.s4.lines[0], 2, False)], at=datetime(2020, 1, 11, 5, 0), method="transfer")
        stock.record_document(self.s, b07, self.manager, stock.NewDocument.of("sample", reason="Cho khách thử",
                              lines=[dict(product_id=self.products["que"].id, qty=1)]))
        stock.record_document(self.s, b07, self.manager, stock.NewDocument.of("damage", reason="Vỡ chai",
                              lines=[dict(product_id=self.products["dau"].id, qty=1)]))
        # The shelf count finds one jar of quế missing and one miến too many.
        levels = stock.on_hand(self.s, b07.id)
        stock.record_count(self.s, b07, self.manager, stock.NewDocument.of("count", lines=[
            dict(product_id=self.products["que"].id, qty=levels[self.products["que"].id] - 1),
            dict(product_id=self.products["mien"].id, qty=levels[self.products["mien"].id] + 1)]))
        stock.record_document(self.s, b07, self.manager, stock.NewDocument.of("return", producer_id=self.miendong.id,
                              lines=[dict(product_id=self.products["mien"].id, qty=50)]))
        self.s.commit()
        return self


@pytest.fixture
def ground(session):
    return Fairground(session).history()


def _ledger(s, booth_id, product_id, kind):
    return s.scalar(select(func.coalesce(func.sum(StockMovement.qty), 0)).where(
        StockMovement.booth_id == booth_id, StockMovement.product_id == product_id, StockMovement.kind == kind))


def _independent(s, booth_id, producer_id):
    """The statement's money, summed straight from the tables with plain SQL, with no service."""
    rows = s.execute(text("""
        SELECT sl.qty, sl.unit_price_vnd, sl.line_discount_vnd, sl.order_discount_vnd, sl.net_vnd,
               (SELECT COUNT(*) FROM void v WHERE v.sale_id = sl.sale_id) AS is_void
        FROM sale_line sl JOIN product p ON p.id = sl.product_id
        WHERE sl.booth_id = :b AND p.producer_id = :p"""), dict(b=booth_id, p=producer_id)).all()
    gross = sum(r.qty * r.unit_price_vnd for r in rows)
    discount = sum(r.line_discount_vnd + r.order_discount_vnd for r in rows)
    voided = sum(r.net_vnd for r in rows if r.is_void)
    refunded = s.execute(text("""
        SELECT COALESCE(SUM(rl.amount_vnd), 0) FROM refund_line rl JOIN sale_line sl ON sl.id = rl.sale_line_id
        JOIN product p ON p.id = sl.product_id WHERE sl.booth_id = :b AND p.producer_id = :p"""),
        dict(b=booth_id, p=producer_id)).scalar()
    return gross, discount, voided, refunded


def test_every_statement_line_matches_the_ledger_kind_by_kind(ground):
    s = ground.s
    for st in settlement.booth_statements(s, ground.b07):
        for ln in st.lines:
            assert ln.received == _ledger(s, ground.b07.id, ln.product_id, "receive")
            assert ln.sold == -_ledger(s, ground.b07.id, ln.product_id, "sale")
            assert ln.voided == _ledger(s, ground.b07.id, ln.product_id, "void")
            assert ln.refunded == _ledger(s, ground.b07.id, ln.product_id, "refund")
            assert ln.returned == -_ledger(s, ground.b07.id, ln.product_id, "return")
            assert ln.samples == -_ledger(s, ground.b07.id, ln.product_id, "sample")
            assert ln.damaged == -_ledger(s, ground.b07.id, ln.product_id, "damage")
            assert ln.adjusted == _ledger(s, ground.b07.id, ln.product_id, "adjust")
            assert ln.on_hand == stock.on_hand(s, ground.b07.id, [ln.product_id]).get(ln.product_id, 0)
            assert ln.ledger_balance == ln.on_hand
        assert st.problems == []


def test_statement_of_tue_lam_has_the_exact_units_and_money(ground):
    st = settlement.statement(ground.s, ground.b07, ground.tuelam.id)
    que, hoi = st.lines[1], st.lines[0]  # Vietnamese order: "hồi" before "quế"
    assert (que.name, hoi.name) == ("Tinh dầu quế 10ml", "Tinh dầu hồi 10ml")
    # quế: received 40, sold 2 + 1 + 3, the sale of 3 voided, 1 sample, the count found one missing.
    assert (que.received, que.sold, que.voided, que.samples, que.adjusted) == (40, 6, 3, 1, -1)
    assert que.on_hand == 40 - 6 + 3 - 1 - 1 == 35
    assert (que.counted_qty, que.expected_at_count) == (35, 36)
    assert (que.units_sold, que.units_voided, que.units_refunded, que.units_net) == (6, 3, 0, 3)
    assert (que.gross_vnd, que.discount_vnd, que.voided_vnd, que.net_vnd) == (6 * 95_000, 0, 3 * 95_000, 3 * 95_000)
    # hồi: 1 with 10.000 off and a share of the 12.345 order discount, then 2 at full price.
    s2_hoi = ground.s2.lines[0]
    assert s2_hoi.line_discount_vnd == 10_000 and s2_hoi.order_discount_vnd > 0
    assert hoi.discount_vnd == 10_000 + s2_hoi.order_discount_vnd
    assert hoi.net_vnd == 3 * 110_000 - hoi.discount_vnd
    assert st.net_vnd == que.net_vnd + hoi.net_vnd
    assert st.commission_bp == 1000
    assert st.commission_vnd == percent_of(st.net_vnd, 1000)
    assert st.payable_vnd == st.net_vnd - st.commission_vnd


def test_money_on_every_statement_equals_sums_straight_from_the_tables(ground):
    s = ground.s
    for booth in (ground.b07, ground.b08, ground.h07):
        statements = settlement.booth_statements(s, booth)
        assert statements, booth.name
        for st in statements:
            gross, discount, voided, refunded = _independent(s, booth.id, st.producer.id)
            assert (st.gross_vnd, st.discount_vnd, st.voided_vnd, st.refunded_vnd) == (gross, discount, voided, refunded)
            assert st.net_vnd == gross - discount - voided - refunded
            rate = st.producer.commission_bp if st.producer.commission_bp is not None else booth.fair.commission_bp
            assert st.commission_vnd == (st.net_vnd * rate + 5000) // 10000
            assert st.payable_vnd + st.commission_vnd == st.net_vnd


def test_the_booths_net_sales_add_up_to_what_the_customers_paid_less_voids_and_refunds(ground):
    s = ground.s
    statements = settlement.booth_statements(s, ground.b07)
    paid = s.scalar(select(func.sum(Sale.total_vnd)).where(Sale.booth_id == ground.b07.id,
                                                           ~Sale.id.in_(select(Void.sale_id))))
    refunded = s.scalar(select(func.sum(Refund.total_vnd)).where(Refund.booth_id == ground.b07.id))
    assert sum(st.net_vnd for st in statements) == paid - refunded


def test_a_refund_written_off_as_damaged_counts_in_money_but_not_back_on_hand(ground):
    st = settlement.statement(ground.s, ground.b07, ground.miendong.id)
    mien = st.lines[0]
    # s1 3 + s4 5 sold; 2 of s4 refunded, came back and were written off; the count found one more; 50 returned.
    assert (mien.units_sold, mien.units_refunded, mien.refunded, mien.damaged) == (8, 2, 2, 2)
    assert mien.on_hand == 100 - 8 + 2 - 2 + 1 - 50 == 43
    line = ground.s4.lines[0]
    assert mien.refunded_vnd == line.net_vnd * 2 // 5
    assert mien.returned == 50


def test_a_producers_own_commission_rate_overrides_the_fairs(ground):
    st = settlement.statement(ground.s, ground.b07, ground.dauso.id)
    assert st.commission_bp == 800
    assert st.commission_vnd == (st.net_vnd * 800 + 5000) // 10000
    other = settlement.statement(ground.s, ground.h07, ground.tuelam.id)
    assert other.commission_bp == 500  # Hè 2019 charged 5 %


def test_a_statement_shows_only_its_producers_products_and_only_that_booth(ground):
    st = settlement.statement(ground.s, ground.b08, ground.tuelam.id)
    assert [ln.name for ln in st.lines] == ["Tinh dầu quế 10ml"]
    assert (st.lines[0].received, st.lines[0].units_sold) == (10, 1)
    names = {ln.name for st in settlement.booth_statements(ground.s, ground.b08) for ln in st.lines}
    assert names == {"Tinh dầu quế 10ml", "Gà đồi Tiên Yên"}


def test_a_producer_with_nothing_at_a_booth_gets_an_empty_statement(ground):
    st = settlement.statement(ground.s, ground.b08, ground.dauso.id)
    assert st.is_empty and st.net_vnd == 0 and st.payable_vnd == 0


def test_a_void_without_its_stock_movements_is_flagged_on_the_statement(ground):
    s = ground.s
    sale = ground.sell(ground.b07, datetime(2020, 1, 12, 3, 0), [("hoi", 1)])
    # A void that arrived without its movements (a hub missing a batch, a bug): the statement says so.
    record = Void(booth_id=sale.booth_id, sale_id=sale.id, reason="x", created_by_id=ground.manager.id,
                  approved_by_id=ground.manager.id)
    stamp(s, record)
    s.add(record)
    s.flush()
    st = settlement.statement(s, ground.b07, ground.tuelam.id)
    assert any("Tinh dầu hồi 10ml" in p and "hủy" in p for p in st.problems)


def test_the_booths_where_a_producer_had_goods_are_listed_newest_fair_first(ground):
    found = settlement.producer_booths(ground.s, ground.tuelam.id)
    assert [(b.fair.code, b.code) for b in found] == [("X20", "B08"), ("X20", "B07"), ("H19", "B07")]
    assert [b.code for b in settlement.producer_booths(ground.s, ground.dauso.id)] == ["B07"]


def test_statements_reconcile_on_postgresql_as_on_sqlite(any_session):
    ground = Fairground(any_session).history()
    for st in settlement.booth_statements(any_session, ground.b07):
        gross, discount, voided, refunded = _independent(any_session, ground.b07.id, st.producer.id)
        assert st.net_vnd == gross - discount - voided - refunded
        assert st.problems == []
        assert st.on_hand == sum(stock.on_hand(any_session, ground.b07.id, [ln.product_id]).get(ln.product_id, 0)
                                 for ln in st.lines)


def test_totals_above_two_billion_dong_do_not_overflow_on_postgresql(any_session):
    """Sums past 2^31 đồng: PostgreSQL's 4-byte integers must not overflow in the statement's sums."""
    ground = Fairground(any_session)
    s = any_session
    big = catalogue.save_product(s, dict(producer_id=ground.dauso.id, name="Rượu ngâm quý", unit="bình",
                                         price_vnd=90_000_000))
    ground.products["big"] = big
    ground.receive(ground.b07, ground.dauso, big=50)
    for day in (12, 13, 14):
        ground.sell(ground.b07, datetime(2020, 1, day, 3, 0), [("big", 10)])
    st = settlement.statement(s, ground.b07, ground.dauso.id)
    assert st.gross_vnd == 2_700_000_000
    assert st.commission_vnd == 216_000_000


def test_statement_tables_carry_the_statement_figures(ground):
    st = settlement.statement(ground.s, ground.b07, ground.tuelam.id)
    products, summary = settlement.statement_tables(st)
    assert len(products.rows) == len(st.lines)
    net_col = [c.key for c in products.columns].index("net")
    assert sum(r[net_col] for r in products.rows) == st.net_vnd == products.footer[net_col]
    values = dict((r[0], r[1]) for r in summary.rows)
    assert values["Số tiền trả chủ thể"] == st.payable_vnd
    assert values["Doanh thu thuần"] == st.net_vnd


def test_a_fairs_statements_read_at_once_equal_each_booths_own(ground):
    s = ground.s
    together = settlement.fair_statements(s, ground.x20)
    apart = [st for booth in (ground.b07, ground.b08) for st in settlement.booth_statements(s, booth)]
    assert [(st.booth.code, st.producer.name) for st in together] == [(st.booth.code, st.producer.name) for st in apart]
    for a, b in zip(together, apart):
        assert [vars(x) for x in a.lines] == [vars(x) for x in b.lines]
        assert (a.net_vnd, a.commission_vnd, a.payable_vnd) == (b.net_vnd, b.commission_vnd, b.payable_vnd)

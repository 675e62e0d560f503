"""The dashboard's summary tables: kept equal to the ledger by every write, at a booth and at the hub.

Each test runs on a SQLite file and on a real PostgreSQL database. The tables are compared
row for row with a rebuild from the ledger, and the dashboard's totals with sums computed
here, in plain SQL over the sale lines, never through the services under test.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta, timezone

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text

from pos import MIGRATIONS_DIR, create_app
from pos.config import TestConfig
from pos.db import unit_of_work
from pos.extensions import db
from pos.models import Booth, Fair, Sale, Till, User
from pos.services import booths, returns, sales, sales_summary, shifts
from pos.services.reporting import reports
from pos.timeutil import VN
from tests.app.test_sync_support import dispose, hub_and_booth
from tests.conftest import World

MIGRATION = "e2b3dab2d417"
TABLES = ("hourly_sales", "hourly_sale_count", "hourly_producer_sale_count")


# --- helpers ---

def _snapshot(s) -> dict[str, list[tuple]]:
    """Every row of the three tables, hours as datetimes (SQLite hands them back as text in raw SQL)."""
    out = {}
    for table in TABLES:
        rows = s.execute(text(f"SELECT * FROM {table}")).all()
        out[table] = sorted(tuple(_norm(v) for v in row) for row in rows)
    return out


def _norm(value):
    if isinstance(value, str):
        return datetime.fromisoformat(value)
    return int(value) if not isinstance(value, datetime) else value


def _equal_to_a_rebuild(app) -> dict:
    """The maintained tables, asserted equal row for row to a rebuild from the ledger (rolled back)."""
    with app.app_context():
        s = db.session
        held = _snapshot(s)
        assert sales_summary.check(s) == []
        sales_summary.rebuild(s)
        rebuilt = _snapshot(s)
        s.rollback()
        assert held == rebuilt
        assert _snapshot(s) == held  # the rebuild was rolled back: this compared the maintained rows
        return held


def _raw(s, fair_id: int, producer_id: int | None = None) -> dict:
    """The fair's figures straight from the sale lines, in plain SQL, grouped here in Python."""
    only = "AND p.producer_id = :producer" if producer_id else ""
    lines = s.execute(text(f"""
        SELECT s.created_at, sl.qty, sl.qty * sl.unit_price_vnd, sl.line_discount_vnd + sl.order_discount_vnd,
               sl.net_vnd
        FROM sale_line sl JOIN sale s ON s.id = sl.sale_id JOIN booth b ON b.id = sl.booth_id
             JOIN product p ON p.id = sl.product_id
        WHERE b.fair_id = :fair AND NOT EXISTS (SELECT 1 FROM void v WHERE v.sale_id = s.id) {only}"""),
                       dict(fair=fair_id, producer=producer_id)).all()
    refunds = s.execute(text(f"""
        SELECT s.created_at, rl.qty, rl.amount_vnd
        FROM refund_line rl JOIN sale_line sl ON sl.id = rl.sale_line_id JOIN sale s ON s.id = sl.sale_id
             JOIN booth b ON b.id = sl.booth_id JOIN product p ON p.id = sl.product_id
        WHERE b.fair_id = :fair AND NOT EXISTS (SELECT 1 FROM void v WHERE v.sale_id = s.id) {only}"""),
                         dict(fair=fair_id, producer=producer_id)).all()
    sale_rows = s.execute(text(f"""
        SELECT DISTINCT s.id, s.created_at, CASE WHEN EXISTS (SELECT 1 FROM void v WHERE v.sale_id = s.id)
                                                THEN 1 ELSE 0 END
        FROM sale s JOIN booth b ON b.id = s.booth_id JOIN sale_line sl ON sl.sale_id = s.id
             JOIN product p ON p.id = sl.product_id
        WHERE b.fair_id = :fair {only}"""), dict(fair=fair_id, producer=producer_id)).all()
    out = dict(revenue=0, units=0, gross=0, discount=0, refunded=0, transactions=0, voided=0,
               hours=defaultdict(int), hour_tx=defaultdict(int))
    for at, qty, gross, discount, net in lines:
        out["units"] += qty
        out["gross"] += gross
        out["discount"] += discount
        out["revenue"] += net
        out["hours"][_local_hour(at)] += net
    for at, qty, amount in refunds:
        out["units"] -= qty
        out["refunded"] += amount
        out["revenue"] -= amount
        out["hours"][_local_hour(at)] -= amount
    for _id, at, voided in sale_rows:
        if voided:
            out["voided"] += 1
        else:
            out["transactions"] += 1
            out["hour_tx"][_local_hour(at)] += 1
    return out


def _local_hour(at) -> int:
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    return at.replace(tzinfo=timezone.utc).astimezone(VN).hour


def _assert_dashboard_matches(s, fair_id: int, producer_id: int | None = None) -> None:
    fair = s.get(Fair, fair_id)
    board = reports.dashboard(s, fair, producer_id=producer_id)
    raw = _raw(s, fair_id, producer_id)
    assert (board.revenue_vnd, board.units, board.gross_vnd, board.discount_vnd, board.refunded_vnd,
            board.transactions, board.voided_count) == (
        raw["revenue"], raw["units"], raw["gross"], raw["discount"], raw["refunded"], raw["transactions"],
        raw["voided"])
    by_hour = {int(r.key): (r.revenue_vnd, r.transactions or 0) for r in board.hours}
    assert {h: v for h, v in by_hour.items() if v != (0, 0)} == {
        h: (raw["hours"].get(h, 0), raw["hour_tx"].get(h, 0))
        for h in set(raw["hours"]) | set(raw["hour_tx"]) if (raw["hours"].get(h, 0), raw["hour_tx"].get(h, 0)) != (0, 0)}


class Booth2(World):
    """The conftest World, with a second till (its own open shift) and sales, voids and refunds."""

    def till2(self):
        with self.app.app_context(), unit_of_work(db.session) as s:
            booth = s.get(Booth, self.booth_id)
            till = booths.save_till(s, booth, dict(code="T2", name="Quầy 2"))
            opener = s.scalars(select(User).where(User.username == "ca.t1")).one()
            shifts.open_shift(s, booth, opener, shifts.NewShift(till_id=till.id))

    def sell(self, till_code, lines, at: datetime | None = None, order_discount=0):
        with self.app.app_context(), unit_of_work(db.session) as s:
            booth = s.get(Booth, self.booth_id)
            till = s.scalars(select(Till).where(Till.code == till_code)).one()
            cashier = s.scalars(select(User).where(User.username == "ca.t1")).one()
            items = [dict(product_id=p, qty=q) for p, q in lines]
            total = sales.price_cart(s, sales.Cart.of(lines=items, order_discount_vnd=order_discount)).total_vnd
            sale = sales.record_sale(s, booth, cashier, sales.Checkout.of(
                till_id=till.id, lines=items, payments=[dict(method="cash", tendered_vnd=total)],
                order_discount_vnd=order_discount, manager_pin="2468"), f"k-{till_code}-{self._n}-{at}").sale
            self._n += 1
            if at is not None:
                # A sale of another hour, as the demo and the other tests date them: its figures move along.
                sales_summary.redate_sale(s, sale, at)
                for m in sale.movements:
                    m.created_at = at
            return sale.id

    def void(self, sale_id):
        with self.app.app_context(), unit_of_work(db.session) as s:
            manager = s.scalars(select(User).where(User.username == "quanly")).one()
            returns.void_sale(s, s.get(Booth, self.booth_id), manager, sale_id,
                              returns.NewVoid(reason="Khách đổi ý", manager_pin="2468"))

    def refund(self, sale_id, line_index=0, qty=1):
        with self.app.app_context(), unit_of_work(db.session) as s:
            manager = s.scalars(select(User).where(User.username == "quanly")).one()
            sale = s.get(Sale, sale_id)
            till = s.scalars(select(Till).where(Till.code == "T1")).one()
            returns.refund_sale(s, s.get(Booth, self.booth_id), manager, sale_id, returns.NewRefund.of(
                lines=[dict(sale_line_id=sale.lines[line_index].id, qty=qty)], reason="Vỡ nắp", method="cash",
                till_id=till.id, manager_pin="2468"))


def _history(app) -> dict:
    """Sales on two tills over several hours and days, two voids, three refunds."""
    w = Booth2(app)
    w.booth()
    w.till2()
    w.user("manager", username="quanly")
    tl = w.producer("HTX Thảo mộc Tuệ Lâm", district="Bình Liêu", commune="Thị trấn Bình Liêu")
    md = w.producer("HTX Miến dong Đồng Tâm", district="Bình Liêu", commune="Đồng Tâm")
    que = w.product("Tinh dầu quế 10ml", 95_000, stock=200, producer_id=tl, ocop_stars=4, category="Tinh dầu")
    hoi = w.product("Tinh dầu hồi 10ml", 85_000, stock=200, producer_id=tl, ocop_stars=3, category="Tinh dầu")
    mien = w.product("Miến dong 500g", 60_000, stock=200, producer_id=md, ocop_stars=3, category="Đặc sản khô")
    day = datetime(2020, 1, 10, 2, 0)  # 9:00 in Vietnam
    ids = []
    for i in range(14):
        at = day + timedelta(hours=(i * 5) % 13, minutes=7 * i, days=i % 3)
        lines = [(que, 1 + i % 3)] + ([(mien, 2)] if i % 2 else []) + ([(hoi, 1)] if i % 4 == 3 else [])
        ids.append(w.sell("T1" if i % 3 else "T2", lines, at, order_discount=5_000 if i % 5 == 0 else 0))
    ids.append(w.sell("T2", [(hoi, 4)], datetime(2020, 1, 12, 20, 0)))  # alone in its hour, then voided
    ids.append(w.sell("T1", [(mien, 3), (que, 2)]))  # now, at the hour it was made
    w.void(ids[-2])
    w.void(ids[4])
    w.refund(ids[1], qty=1)
    w.refund(ids[1], qty=1)  # the same line again
    w.refund(ids[-1], line_index=1, qty=2)
    return dict(world=w, ids=ids, tl=tl, md=md)


# --- at a booth ---

def test_after_sales_on_two_tills_voids_and_refunds_the_tables_equal_a_rebuild_row_for_row(any_app):
    h = _history(any_app)
    held = _equal_to_a_rebuild(any_app)
    assert held["hourly_sales"] and held["hourly_sale_count"] and held["hourly_producer_sale_count"]
    with any_app.app_context():
        s = db.session
        # The sale voided alone in its hour left no row of hourly_sales behind, only its voided count.
        lone = s.get(Sale, h["ids"][-2])
        hour = lone.created_at.replace(minute=0, second=0, microsecond=0)
        assert not [r for r in held["hourly_sales"] if r[2] == hour]
        assert [r[2:] for r in held["hourly_sale_count"] if r[1] == hour] == [(0, 1)]


def test_the_dashboard_from_the_tables_equals_sums_over_the_sale_lines(any_app):
    h = _history(any_app)
    with any_app.app_context():
        s = db.session
        fair_id = s.scalars(select(Fair.id)).one()
        _assert_dashboard_matches(s, fair_id)
        for producer_id in (h["tl"], h["md"]):
            _assert_dashboard_matches(s, fair_id, producer_id)
        # A date range of whole Vietnam days keeps exactly those days' hours.
        board = reports.dashboard(s, s.get(Fair, fair_id), start="11/01/2020", end="11/01/2020")
        day_revenue = {r.key: r.revenue_vnd for r in reports.dashboard(s, s.get(Fair, fair_id)).days}
        assert board.revenue_vnd == day_revenue["2020-01-11"] and [r.key for r in board.days] == ["2020-01-11"]


def test_a_product_moved_to_another_producer_is_counted_under_it_after_rebuilding_its_counts(any_app):
    h = _history(any_app)
    with any_app.app_context(), unit_of_work(db.session) as s:
        from pos.models import Product

        hoi = s.scalars(select(Product).where(Product.name == "Tinh dầu hồi 10ml")).one()
        hoi.producer_id = h["md"]
        s.flush()
        assert sales_summary.check(s)  # the producers' counts are stale, and check says so
        sales_summary.rebuild_producer_counts(s, [h["tl"], h["md"]])
    _equal_to_a_rebuild(any_app)


def test_a_product_given_to_another_producer_in_the_catalogue_moves_its_sale_counts_with_it(any_app):
    h = _history(any_app)
    with any_app.app_context(), unit_of_work(db.session) as s:
        from pos.models import Product
        from pos.services import catalogue

        hoi = s.scalars(select(Product).where(Product.name == "Tinh dầu hồi 10ml")).one()
        catalogue.save_product(s, dict(producer_id=h["md"], name=hoi.name, unit=hoi.unit, price_vnd=hoi.price_vnd,
                                       barcodes=[b.code for b in hoi.barcodes]), hoi)
    _equal_to_a_rebuild(any_app)


def test_check_and_rebuild_from_the_command_line(any_app):
    _history(any_app)
    runner = any_app.test_cli_runner()
    ok = runner.invoke(args=["report", "check-summary"])
    assert ok.exit_code == 0, ok.output
    with any_app.app_context(), unit_of_work(db.session) as s:
        s.execute(text("UPDATE hourly_sales SET net_vnd = net_vnd + 1000 WHERE product_id = "
                       "(SELECT MIN(product_id) FROM hourly_sales)"))
        s.execute(text("DELETE FROM hourly_sale_count WHERE hour_at = (SELECT MIN(hour_at) FROM hourly_sale_count)"))
    bad = runner.invoke(args=["report", "check-summary"])
    assert bad.exit_code == 1
    assert "hourly_sales" in bad.output and "hourly_sale_count" in bad.output
    fixed = runner.invoke(args=["report", "rebuild-summary"])
    assert fixed.exit_code == 0, fixed.output
    assert runner.invoke(args=["report", "check-summary"]).exit_code == 0
    _equal_to_a_rebuild(any_app)


def test_a_sale_its_refund_and_its_void_stored_apart_or_together_sum_to_the_ledger(any_app):
    """A hub may get a sale, refunds of it and a void of it in one batch or in several (a booth
    refuses that pair; a tampered or odd database might not): the sum still equals the ledger."""
    from pos.models.identity import stamp
    from pos.models import RefundLine, SaleLine, Void

    h = _history(any_app)
    sale_id = h["ids"][1]  # refunded twice above
    with any_app.app_context(), unit_of_work(db.session) as s:
        refund_lines = list(s.scalars(select(RefundLine.id).join(SaleLine, SaleLine.id == RefundLine.sale_line_id)
                                      .where(SaleLine.sale_id == sale_id).order_by(RefundLine.id)))
        assert len(refund_lines) == 2

        def start_over():
            """Empty tables, then every record but this sale's, its refunds and the void to come."""
            for table in TABLES:
                s.execute(text(f"DELETE FROM {table}"))
            sales_summary.add_records(
                s, sale_ids=list(s.scalars(select(Sale.id).where(Sale.id != sale_id))),
                void_ids=list(s.scalars(select(Void.id).where(Void.sale_id != sale_id))),
                refund_line_ids=list(s.scalars(select(RefundLine.id).where(RefundLine.id.not_in(refund_lines)))))

        # Apart: the sale, then one refund, then the other refund with the void, in three batches.
        start_over()
        sales_summary.add_records(s, sale_ids=[sale_id])
        sales_summary.add_records(s, refund_line_ids=refund_lines[:1])
        manager = s.scalars(select(User).where(User.username == "quanly")).one()
        void = Void(booth_id=h["world"].booth_id, sale_id=sale_id, reason="Sổ lạ", created_by_id=manager.id,
                    approved_by_id=manager.id)
        stamp(s, void)
        s.add(void)
        s.flush()
        sales_summary.add_records(s, refund_line_ids=refund_lines[1:], void_ids=[void.id])
        assert sales_summary.check(s) == []
        # Together: all of them in one batch.
        start_over()
        sales_summary.add_records(s, sale_ids=[sale_id], refund_line_ids=refund_lines, void_ids=[void.id])
        assert sales_summary.check(s) == []
    _equal_to_a_rebuild(any_app)


# --- at the hub ---

def test_a_hub_ingesting_a_push_keeps_its_tables_equal_to_its_ledger_and_counts_a_batch_sent_twice_once(
        db_url, tmp_path):
    from pos.services.sync import booth as sync_booth

    hub, booth, booth_id, token, _key = hub_and_booth(db_url, tmp_path, products=(
        ("Tinh dầu quế 10ml", 95_000), ("Miến dong Bình Liêu 500g", 60_000)))
    try:
        que, mien = hub.products["Tinh dầu quế 10ml"], hub.products["Miến dong Bình Liêu 500g"]
        for i in range(8):
            booth.sell({que: 1 + i % 3, mien: 1} if i % 2 else {que: 1})
        booth.void_last_sale()
        booth.sell({que: 3, mien: 2}, discount_vnd=10_000)
        booth.refund_first_line_of_last_sale(qty=2)
        transport = hub.transport(token)
        # Batches out of order, each sent twice: the later ones carry the records they point at as context.
        with booth.app.app_context():
            plans = sync_booth.plan_batches(db.session, 7)
            batches = [sync_booth.build_batch(db.session, p) for p in plans]
        assert len(batches) >= 3
        for batch in [*reversed(batches), *batches]:
            transport("POST", sync_booth.BATCHES_PATH, batch)
        booth.push(transport)
        assert booth.unpushed() == 0
        hub_rows = _equal_to_a_rebuild(hub.app)
        booth_rows = _equal_to_a_rebuild(booth.app)
        # The hub's tables hold the booth's figures under the hub's own ids: compare the figures.
        assert [r[3:] for r in hub_rows["hourly_sales"]] and \
            sorted(r[3:] for r in hub_rows["hourly_sales"]) == sorted(r[3:] for r in booth_rows["hourly_sales"])
        assert sorted(r[1:] for r in hub_rows["hourly_sale_count"]) == \
            sorted(r[1:] for r in booth_rows["hourly_sale_count"])
        with hub.app.app_context():
            _assert_dashboard_matches(db.session, hub.fair_id)
            assert reports.dashboard(db.session, db.session.get(Fair, hub.fair_id)).voided_count == 1
    finally:
        dispose(booth.app)
        dispose(hub.app)


# --- upgrading a booth laptop that already holds sales ---

def test_the_migration_fills_the_tables_from_the_sales_already_held(db_url, tmp_path):
    app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": db_url})
    app.instance_path = str(tmp_path / "instance")
    try:
        with app.app_context():
            upgrade(directory=MIGRATIONS_DIR)
        _history(app)
        maintained = _equal_to_a_rebuild(app)
        with app.app_context():
            downgrade(directory=MIGRATIONS_DIR, revision=f"{MIGRATION}-1")
            db.session.remove()
            assert not set(TABLES) & set(inspect(db.engine).get_table_names())
            upgrade(directory=MIGRATIONS_DIR)
            db.session.remove()
        assert _equal_to_a_rebuild(app) == maintained
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_a_booth_provisioned_again_after_the_hub_gave_a_product_to_another_producer_counts_it_under_it(tmp_path):
    from pos.models import Producer, Product
    from pos.services import catalogue

    hub, booth, booth_id, token, _key = hub_and_booth(f"sqlite:///{tmp_path / 'hub.sqlite'}", tmp_path)
    try:
        que = hub.products["Tinh dầu quế 10ml"]
        for _ in range(3):
            booth.sell({que: 2})
        with hub.app.app_context(), unit_of_work(db.session) as s:
            other = catalogue.save_producer(s, dict(name="HTX Quế Văn Yên", kind="htx", district="Văn Yên"))
            p = s.scalars(select(Product).where(Product.uuid == que)).one()
            catalogue.save_product(s, dict(producer_id=other.id, name=p.name, unit=p.unit, price_vnd=p.price_vnd), p)
        booth.provision(hub, token)
        with booth.app.app_context():
            moved = db.session.scalars(select(Product).where(Product.uuid == que)).one()
            assert db.session.get(Producer, moved.producer_id).name == "HTX Quế Văn Yên"
        _equal_to_a_rebuild(booth.app)
    finally:
        dispose(booth.app)
        dispose(hub.app)

"""The fair dashboard and the settlement statements over millions of sale lines, against raw SQL GROUP BY.

    python bench/reports.py                    # 3.000.000 sale lines, SQLite file in a temp folder
    python bench/reports.py --quick            # 30.000 sale lines, for CI
    python bench/reports.py --db-url postgresql+psycopg://pos:pos@127.0.0.1:5432/bench_reports
    python bench/reports.py --lines 1000000 --booths 20

The catalogue (a fair of N booths, 60 producers in 6 districts, 300 products) and each
booth's consignment receipts are written through the real services. The sales are then
bulk-loaded straight into the tables (sqlite3 executemany, or PostgreSQL COPY) in the
shape record_sale writes them: one sale of 1–5 lines (3 on average) over ten fair days
from 8:00 to 21:00 Vietnam time, a payment each, one 'sale' stock movement per line,
with 0.5 % of the sales voided (a Void and its 'void' movements) and 0.3 % partly
refunded (a Refund, its lines and 'refund' movements), every record stamped with its own
UUID and sequence number. Indexes are the models' own (no extra index is added).
The load bypasses the services, so the dashboard's summary tables are then rebuilt from
the ledger (sales_summary.rebuild, INSERT … SELECT), timed as summary_rebuild_s; a --reuse
run rebuilds them only when they are empty (a database loaded before they existed).

Timed (best of 3, after one warm-up run, the database's cache warm):
- dashboard: pos.services.reporting.reports.dashboard(session, fair), every figure and breakdown;
- raw GROUP BY: the same lines summed in one hand-written SQL statement,
  SELECT booth, product, hour, SUM(qty), SUM(net) FROM sale_line JOIN sale GROUP BY …,
  run through the DB-API with no ORM, no voids or refunds, no Python folding;
- settlement: settlement.fair_statements() for every booth of the fair (every producer:
  all the sale lines and movements), and the raw GROUP BY of sale lines per booth and
  product; also one booth's statements alone (booth_statements).
The dashboard's revenue and the settlements' net must equal a raw SQL sum, or the run fails.

Prints readable figures, then, as the LAST line, one JSON object: lines, sales, booths,
db, load_s, summary_rebuild_s, dashboard_s, raw_group_by_s, settlement_s, raw_settlement_group_by_s,
one_booth_settlement_s, dashboard_to_raw, dashboard_under_1s, totals_match. Aim: the dashboard in under 1 s;
an aim not met is reported, not fatal; the exit status is non-zero only when the totals
do not match.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from pos.extensions import db  # noqa: E402
from pos.models import Fair, Product, User  # noqa: E402
from pos.services import booths, catalogue, sales_summary, stock, users
from pos.services.reporting import reports, settlement  # noqa: E402

DISTRICTS = ["Bình Liêu", "Tiên Yên", "Ba Chẽ", "Đầm Hà", "Hải Hà", "Vân Đồn"]
CATEGORIES = ["Tinh dầu", "Đặc sản khô", "Mật ong", "Dầu ăn", "Trà", "Rượu"]
FAIR_START = date(2020, 1, 10)
FAIR_DAYS = 10


def _catalogue(s: Session, n_booths: int) -> tuple[int, list, list, int]:
    booths.init_database(s)
    fair = booths.save_fair(s, dict(code="X20", name="Hội chợ OCOP Quảng Ninh – Xuân 2020", starts_on=FAIR_START,
                                    ends_on=FAIR_START + timedelta(days=FAIR_DAYS - 1), commission_percent="10"))
    the_booths = [booths.save_booth(s, dict(fair_id=fair.id, code=f"B{i:02d}", name=f"Gian hàng {i:02d}"))
                  for i in range(1, n_booths + 1)]
    booths.make_this_booth(s, the_booths[0])
    for b in the_booths:
        booths.save_till(s, b, dict(code="T1", name="Quầy 1"))
    manager = users.save_user(s, dict(username="quanly", full_name="Quản lý", role="manager", password="matkhau123"))
    rng = random.Random(7)
    products: list[Product] = []
    for p in range(60):
        district = DISTRICTS[p % len(DISTRICTS)]
        producer = catalogue.save_producer(s, dict(name=f"HTX số {p + 1:02d} {district}", kind="htx",
                                                   district=district, commune=f"Xã {p % 9 + 1}",
                                                   commission_percent="8" if p % 7 == 0 else ""))
        for k in range(5):
            products.append(catalogue.save_product(s, dict(
                producer_id=producer.id, name=f"Sản phẩm {p + 1:02d}-{k + 1}", unit="chai",
                price_vnd=rng.randrange(20, 400) * 1000, ocop_stars=rng.choice([3, 4, 5, None]),
                category=CATEGORIES[(p + k) % len(CATEGORIES)])))
    # Each booth takes every product of a sixth of the producers, received in bulk.
    for i, b in enumerate(the_booths):
        mine = [pr for pr in products if (pr.producer_id + i) % 6 == 0] or products
        by_producer: dict[int, list[dict]] = {}
        for pr in mine:
            by_producer.setdefault(pr.producer_id, []).append(dict(product_id=pr.id, qty=100_000))
        for producer_id, lines in by_producer.items():
            stock.record_document(s, b, manager, stock.NewDocument.of("receive", producer_id=producer_id, lines=lines))
    s.commit()
    # Plain values: the load runs outside this session.
    plain_booths = [SimpleNamespace(id=b.id, code=b.code) for b in the_booths]
    plain_products = [SimpleNamespace(id=p.id, producer_id=p.producer_id, name=p.name, price_vnd=p.price_vnd)
                      for p in products]
    return fair.id, plain_booths, plain_products, manager.id


class _Loader:
    """Writes rows fast: sqlite3 executemany or PostgreSQL COPY, through the engine's raw connection."""

    def __init__(self, engine):
        self.engine = engine
        self.pg = engine.dialect.name == "postgresql"
        self.raw = engine.raw_connection()
        self.cur = self.raw.cursor()
        if not self.pg:
            self.cur.execute("PRAGMA synchronous=OFF")  # a benchmark's load, not a booth's sale

    def write(self, table: str, columns: list[str], rows: list[tuple]) -> None:
        if not rows:
            return
        if self.pg:
            with self.cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            # As SQLAlchemy stores them, so the app reads back exactly what it would have written.
            rows = [tuple(v.strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(v, datetime) else v for v in row)
                    for row in rows]
            marks = ", ".join("?" for _ in columns)
            self.cur.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)

    def commit(self):
        self.raw.commit()

    def close(self):
        if not self.pg:
            self.cur.execute("PRAGMA synchronous=FULL")
        self.raw.close()


SALE_COLS = ["id", "booth_id", "till_id", "number", "receipt_no", "cashier_id", "created_at", "subtotal_vnd",
             "line_discount_vnd", "order_discount_vnd", "total_vnd", "idempotency_key", "request_digest", "buyer_name",
             "buyer_tax_code", "note", "went_below_zero", "origin_db", "origin_seq", "uuid", "series"]
LINE_COLS = ["id", "booth_id", "sale_id", "product_id", "product_name", "qty", "unit_price_vnd", "line_discount_vnd",
             "order_discount_vnd", "net_vnd", "origin_db", "origin_seq", "uuid"]
PAY_COLS = ["booth_id", "sale_id", "method", "amount_vnd", "tendered_vnd", "change_vnd", "reference", "qr_payload",
            "origin_db", "origin_seq", "uuid"]
MOVE_COLS = ["booth_id", "product_id", "kind", "qty", "sale_id", "reason", "created_by_id", "created_at", "origin_db",
             "origin_seq", "uuid"]
VOID_COLS = ["booth_id", "sale_id", "reason", "created_by_id", "approved_by_id", "created_at", "origin_db",
             "origin_seq", "uuid"]
REFUND_COLS = ["id", "booth_id", "sale_id", "number", "method", "total_vnd", "reason", "created_by_id",
               "approved_by_id", "created_at", "origin_db", "origin_seq", "uuid"]
REFUND_LINE_COLS = ["booth_id", "refund_id", "sale_line_id", "qty", "amount_vnd", "back_to_stock", "origin_db",
                    "origin_seq", "uuid"]


def _load_sales(engine, fair_booths, products, manager_id, n_lines: int) -> int:
    """Bulk-load n_lines sale lines as whole sales. Returns the number of sales."""
    rng = random.Random(2020)
    origin = str(uuid.uuid4())
    seq = 0
    with Session(engine) as s:
        tills = {b.id: s.execute(text("SELECT id FROM till WHERE booth_id = :b"), {"b": b.id}).scalar_one()
                 for b in fair_booths}
        cashier = s.scalars(select(User).where(User.username == "quanly")).one().id
    shelf = {}
    for i, b in enumerate(fair_booths):
        shelf[b.id] = [p for p in products if (p.producer_id + i) % 6 == 0] or products
    catalogue_rows = {p.id: (p.name, p.price_vnd) for p in products}
    loader = _Loader(engine)
    sale_id = line_id = refund_id = 0
    numbers = dict.fromkeys(tills, 0)
    made = 0
    batch: dict[str, list] = {k: [] for k in ("sale", "line", "pay", "move", "void", "refund", "rline")}

    def flush():
        loader.write("sale", SALE_COLS, batch["sale"])
        loader.write("sale_line", LINE_COLS, batch["line"])
        loader.write("payment", PAY_COLS, batch["pay"])
        loader.write("stock_movement", MOVE_COLS, batch["move"])
        loader.write("void", VOID_COLS, batch["void"])
        loader.write("refund", REFUND_COLS, batch["refund"])
        loader.write("refund_line", REFUND_LINE_COLS, batch["rline"])
        loader.commit()
        for rows in batch.values():
            rows.clear()

    hours = list(range(1, 15))  # 8:00–21:00 in Vietnam is 1:00–14:00 UTC
    weights = [2, 5, 8, 7, 3, 3, 5, 7, 7, 5, 4, 7, 6, 2]
    while made < n_lines:
        booth = fair_booths[rng.randrange(len(fair_booths))]
        day = FAIR_START + timedelta(days=rng.randrange(FAIR_DAYS))
        at = datetime(day.year, day.month, day.day, rng.choices(hours, weights)[0], rng.randrange(60), rng.randrange(60))
        n = min(rng.choice((1, 2, 3, 3, 4, 5)), n_lines - made)
        picks = rng.sample(shelf[booth.id], n)
        sale_id += 1
        numbers[booth.id] += 1
        gross = [q * catalogue_rows[p.id][1] for p, q in ((p, rng.choice((1, 1, 1, 2, 3))) for p in picks)]
        qtys = [g // catalogue_rows[p.id][1] for g, p in zip(gross, picks)]
        subtotal = sum(gross)
        order_discount = (subtotal // 20 // 1000) * 1000 if rng.random() < 0.1 else 0
        shares = _allocate(order_discount, gross)
        total = subtotal - order_discount
        seq += 1
        receipt = f"X20-{booth.code}-T1-{numbers[booth.id]:07d}"
        batch["sale"].append((sale_id, booth.id, tills[booth.id], numbers[booth.id], receipt, cashier, at, subtotal, 0,
                              order_discount, total, f"bench-{sale_id}", "0" * 64, "", "", "", False, origin, seq,
                              str(uuid.uuid4()), ""))  # "": the booth's own numbering series
        first_line = line_id + 1
        for p, q, g, share in zip(picks, qtys, gross, shares):
            line_id += 1
            seq += 1
            batch["line"].append((line_id, booth.id, sale_id, p.id, catalogue_rows[p.id][0], q, catalogue_rows[p.id][1],
                                  0, share, g - share, origin, seq, str(uuid.uuid4())))
            seq += 1
            batch["move"].append((booth.id, p.id, "sale", -q, sale_id, receipt, cashier, at, origin, seq,
                                  str(uuid.uuid4())))
        seq += 1
        batch["pay"].append((booth.id, sale_id, "cash", total, total, 0, "", "", origin, seq, str(uuid.uuid4())))
        roll = rng.random()
        if roll < 0.005:
            seq += 1
            batch["void"].append((booth.id, sale_id, "Bấm nhầm", manager_id, manager_id, at, origin, seq,
                                  str(uuid.uuid4())))
            for p, q in zip(picks, qtys):
                seq += 1
                batch["move"].append((booth.id, p.id, "void", q, sale_id, "hủy", manager_id, at, origin, seq,
                                      str(uuid.uuid4())))
        elif roll < 0.008:
            refund_id += 1
            p, q, g, share = picks[0], qtys[0], gross[0], shares[0]
            amount = (g - share) // q
            if amount > 0:
                seq += 1
                batch["refund"].append((refund_id, booth.id, sale_id, f"{receipt}-HT1", "cash", amount, "Hàng lỗi",
                                        manager_id, manager_id, at, origin, seq, str(uuid.uuid4())))
                seq += 1
                batch["rline"].append((booth.id, refund_id, first_line, 1, amount, True, origin, seq,
                                       str(uuid.uuid4())))
                seq += 1
                batch["move"].append((booth.id, p.id, "refund", 1, sale_id, "trả lại", manager_id, at, origin, seq,
                                      str(uuid.uuid4())))
        made += n
        if len(batch["line"]) >= 50_000:
            flush()
    flush()
    if loader.pg:
        for table, top in (("sale", sale_id), ("sale_line", line_id), ("refund", max(refund_id, 1))):
            loader.cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {top})")
        loader.cur.execute("ANALYZE")
        loader.commit()
    else:
        loader.cur.execute("ANALYZE")
        loader.commit()
    loader.close()
    return sale_id


def _allocate(total: int, weights: list[int]) -> list[int]:
    from pos.money import allocate

    return allocate(total, weights)


def _timed(fn, runs: int = 3) -> float:
    fn()  # warm-up: the first run reads the pages into the cache
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _raw_group_by(engine) -> list:
    hour = ("date_trunc('hour', s.created_at)" if engine.dialect.name == "postgresql"
            else "substr(s.created_at, 1, 13)")
    sql = (f"SELECT sl.booth_id, sl.product_id, {hour}, SUM(sl.qty), SUM(sl.net_vnd) "
           f"FROM sale_line sl JOIN sale s ON s.id = sl.sale_id GROUP BY sl.booth_id, sl.product_id, {hour}")
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute(sql)
        rows = cur.fetchall()
        raw.rollback()
        return rows
    finally:
        raw.close()


def _raw_settlement(engine) -> list:
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("SELECT booth_id, product_id, SUM(qty), SUM(net_vnd) FROM sale_line GROUP BY booth_id, product_id")
        rows = cur.fetchall()
        raw.rollback()
        return rows
    finally:
        raw.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="30.000 sale lines (for CI)")
    parser.add_argument("--lines", type=int, default=None, help="sale lines to load (default 3.000.000)")
    parser.add_argument("--booths", type=int, default=10, help="booths at the fair (default 10)")
    parser.add_argument("--db-url", default=None, help="default: a SQLite file in a temporary folder; a "
                        "PostgreSQL URL must name an empty database")
    parser.add_argument("--reuse", action="store_true", help="time a database an earlier run loaded (with "
                        "--db-url), without loading it again")
    args = parser.parse_args()
    n_lines = args.lines or (30_000 if args.quick else 3_000_000)

    tmp = tempfile.TemporaryDirectory(prefix="bench-reports-")
    url = args.db_url or f"sqlite:///{Path(tmp.name) / 'reports.sqlite'}"
    import pos.db  # noqa: F401  (the pragmas and BEGIN handling every connection gets)

    engine = create_engine(url)
    started = time.perf_counter()
    if args.reuse:
        with Session(engine) as s:
            fair_id = s.scalars(select(Fair.id).where(Fair.code == "X20")).one()
            n_lines = s.execute(text("SELECT COUNT(*) FROM sale_line")).scalar_one()
            sales_count = s.execute(text("SELECT COUNT(*) FROM sale")).scalar_one()
            args.booths = s.execute(text("SELECT COUNT(*) FROM booth")).scalar_one()
        load_s = 0.0
        db.metadata.create_all(engine)  # the summary tables, when the database was loaded before they existed
        print(f"Reusing {n_lines:,} sale lines in {sales_count:,} sales at {args.booths} booths ({engine.dialect.name})")
    else:
        db.metadata.create_all(engine)
        with Session(engine) as s:
            fair_id, fair_booths, products, manager_id = _catalogue(s, args.booths)
        sales_count = _load_sales(engine, fair_booths, products, manager_id, n_lines)
        load_s = time.perf_counter() - started
        print(f"Loaded {n_lines:,} sale lines in {sales_count:,} sales at {args.booths} booths "
              f"({engine.dialect.name}) in {load_s:.1f} s")

    rebuild_s = None
    with Session(engine) as s:
        if not args.reuse or not s.execute(text("SELECT COUNT(*) FROM hourly_sale_count")).scalar_one():
            started = time.perf_counter()
            written = sales_summary.rebuild(s)
            s.commit()
            rebuild_s = time.perf_counter() - started
            print(f"Summary tables rebuilt from the ledger in {rebuild_s:.1f} s: "
                  + ", ".join(f"{table} {rows:,} rows" for table, rows in written.items()))

    with Session(engine) as s:
        fair = s.get(Fair, fair_id)
        the_booths = list(fair.booths)
        board_box = {}

        def run_dashboard():
            s.expire_all()
            board_box["b"] = reports.dashboard(s, fair)

        def run_settlement():
            s.expire_all()
            board_box["st"] = settlement.fair_statements(s, fair)

        def run_one_booth():
            s.expire_all()
            settlement.booth_statements(s, the_booths[0])

        dashboard_s = _timed(run_dashboard)
        raw_s = _timed(lambda: _raw_group_by(engine))
        settlement_s = _timed(run_settlement)
        one_booth_s = _timed(run_one_booth)
        raw_settle_s = _timed(lambda: _raw_settlement(engine))
        board, statements = board_box["b"], board_box["st"]
        expected = s.execute(text(
            "SELECT COALESCE(SUM(sl.net_vnd), 0) FROM sale_line sl "
            "WHERE NOT EXISTS (SELECT 1 FROM void v WHERE v.sale_id = sl.sale_id)")).scalar_one()
        refunded = s.execute(text("SELECT COALESCE(SUM(amount_vnd), 0) FROM refund_line")).scalar_one()
        totals_match = (board.revenue_vnd == int(expected) - int(refunded)
                        == sum(st.net_vnd for st in statements))
        lines_in_statements = sum(st.totals.units_sold for st in statements)

    print(f"dashboard (every figure and breakdown): {dashboard_s:.3f} s; "
          f"revenue {board.revenue_vnd:,} đồng, {board.transactions:,} sales")
    print(f"raw SQL GROUP BY (booth, product, hour):  {raw_s:.3f} s")
    print(f"settlement, {len(statements)} statements at {len(the_booths)} booths "
          f"({lines_in_statements:,} units sold): {settlement_s:.3f} s")
    print(f"raw SQL GROUP BY (booth, product):        {raw_settle_s:.3f} s")
    print(f"settlement of one booth ({the_booths[0].code}, every producer): {one_booth_s:.3f} s")
    print(f"totals match the raw sums: {totals_match}")
    result = {
        "lines": n_lines, "sales": sales_count, "booths": args.booths, "db": engine.dialect.name,
        "load_s": round(load_s, 2), "summary_rebuild_s": None if rebuild_s is None else round(rebuild_s, 2),
        "dashboard_s": round(dashboard_s, 3), "raw_group_by_s": round(raw_s, 3),
        "settlement_s": round(settlement_s, 3), "raw_settlement_group_by_s": round(raw_settle_s, 3),
        "one_booth_settlement_s": round(one_booth_s, 3),
        "dashboard_to_raw": round(dashboard_s / raw_s, 2) if raw_s else None,
        "dashboard_under_1s": dashboard_s < 1.0, "totals_match": bool(totals_match),
    }
    engine.dispose()
    tmp.cleanup()
    print(json.dumps(result), flush=True)
    return 0 if totals_match else 1


if __name__ == "__main__":
    os.environ.setdefault("FLASK_APP", "pos")
    sys.exit(main())

"""A fair's booth records ingested by the hub on PostgreSQL, against raw bulk inserts of the same rows.

    python bench/sync.py              # 500 booths x 6.000 sale lines: about 3 million lines, minutes
    python bench/sync.py --quick      # 5 booths x 1.000 lines, for CI (well under a minute)
    python bench/sync.py --booths 50 --lines 6000 --batch 1000

A fresh PostgreSQL database (POS_BENCH_POSTGRES_URL, else POS_TEST_POSTGRES_URL, else
postgresql+psycopg://pos:pos@127.0.0.1:5432/postgres is used to create it, and it is
dropped at the end) gets the app's schema, a hub, one fair, the booths (each with a till
and a cashier) and a catalogue of 200 products from 20 producers.

Each booth's records are generated as a booth would send them: an open shift, then cash
sales of 1 to 5 lines (qty 1 to 3) until the booth has its number of lines, each sale
with its lines, its payment and one stock movement per line; packed into batches of at
most --batch records in sequence order, a sale never split, every batch with its shift
as context and its till, cashier and products as refs (the wire form of
pos.services.sync.wire, all columns). Generation and json.dumps are not timed.

Timed, the hub's side for every batch, booth after booth: json.loads of the body, the
token check, and sync_hub.ingest_batch in one transaction (validation of every record,
duplicate check, reference lookups, inserts, the ingest state), committed.

Then the same rows (the same seeds give the same uuids) go into the same tables, emptied,
with PostgreSQL's COPY, per booth in one transaction, ids and foreign keys resolved
beforehand: the raw floor. Timed: the COPY statements and the commit.

Prints readable figures, then, as the LAST line, one JSON object: lines, records, booths,
ingest_s, ingest_lines_per_s, ingest_records_per_s, first_batch_s and later_batches_mean_s (the
process's first batch pays for compiling statements and filling caches), raw_s, raw_lines_per_s, ratio,
projected_fair_s (3 million lines at the measured rate), rss_start_mb, rss_peak_mb,
rss_end_mb, and the aims: fair_under_5min, ratio_at_least_half, memory_flat (the peak
under start + 150 MB). An aim not met is reported, not fatal; the exit status is non-zero
only when the run fails or the hub does not hold exactly the records sent.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, func, insert, select, text  # noqa: E402

FAIR_LINES = 3_000_000
AIM_FAIR_S = 300.0
AIM_RATIO = 0.50  # issue 13: the hub ingests at least half the rate of raw COPY
AIM_RSS_GROWTH_MB = 150.0
PRODUCTS, PRODUCERS = 200, 20
DEFAULT_PG = "postgresql+psycopg://pos:pos@127.0.0.1:5432/postgres"


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


class Catalogue:
    """The hub's rows the booths' records point at, made once with Core inserts (setup, not timed)."""

    def __init__(self, session, n_booths: int):
        from pos.models import Booth, Fair, Producer, Product, Till, User
        from pos.services import booths
        from pos.services.sync import hub as sync_hub, wire as sync_wire

        rng = random.Random(7)
        booths.init_database(session)
        sync_hub.make_hub(session, "Hub thử tải")
        fair_id = session.execute(insert(Fair).returning(Fair.id), [dict(
            uuid=_uuid(rng), code="X20", name="Hội chợ OCOP Quảng Ninh – Xuân 2020")]).scalar_one()
        producer_ids = session.execute(insert(Producer).returning(Producer.id), [dict(
            uuid=_uuid(rng), name=f"HTX số {i}", kind="htx", search_key=f"htx so {i}") for i in range(PRODUCERS)]).scalars().all()
        products = [dict(uuid=_uuid(rng), producer_id=producer_ids[i % PRODUCERS], name=f"Sản phẩm OCOP {i}",
                         unit="chai", price_vnd=rng.randrange(20, 400) * 1000, search_key=f"san pham ocop {i}")
                    for i in range(PRODUCTS)]
        session.execute(insert(Product), products)
        self.products = [(p["uuid"], p["price_vnd"]) for p in products]
        booth_rows = [dict(uuid=_uuid(rng), fair_id=fair_id, code=f"B{i:03d}", name=f"Gian hàng {i}",
                           receipt_prefix=f"X20-B{i:03d}") for i in range(n_booths)]
        booth_ids = session.execute(insert(Booth).returning(Booth.id), booth_rows).scalars().all()
        till_rows = [dict(uuid=_uuid(rng), booth_id=b, code="T1", name="Quầy 1") for b in booth_ids]
        session.execute(insert(Till), till_rows)
        user_rows = [dict(uuid=_uuid(rng), username=f"tn.b{i:03d}", full_name=f"Thu ngân {i}", role="cashier",
                          password_hash="!", booth_id=b) for i, b in enumerate(booth_ids)]
        session.execute(insert(User), user_rows)
        session.flush()
        self.booths = []
        for i, b in enumerate(booth_ids):
            token = sync_hub.issue_token(session, session.get(Booth, b)).token
            self.booths.append(dict(id=b, uuid=booth_rows[i]["uuid"], prefix=booth_rows[i]["receipt_prefix"],
                                    till=till_rows[i]["uuid"], user=user_rows[i]["uuid"], token=token))
        # The refs a booth sends: the catalogue rows in their wire form (no password hashes).
        cat = {s.name: s for s in sync_wire.catalogue_specs()}
        self.ref = {}
        for name, model in (("product", Product), ("producer", Producer), ("till", Till), ("user", User)):
            spec = cat[name]
            for rec in sync_wire.dump_rows(session, spec, sync_wire.select_rows(session, spec), secrets=False):
                self.ref[rec["uuid"]] = rec
        self.product_producer = {p["uuid"]: self.ref[p["uuid"]]["producer_uuid"] for p in products}
        self.ids = {}  # table -> uuid -> id, for the raw inserts
        for name, model in (("product", Product), ("till", Till), ("user", User), ("booth", Booth)):
            self.ids[name] = dict(session.execute(select(model.uuid, model.id)).all())


def _template(spec):
    """A record of spec's table with every column at its default: the generator fills in the rest."""
    base = {"table": spec.name}
    for f in spec.fields:
        if f.kind == "ref" or f.default is None or not (f.default.is_scalar or f.default.is_callable):
            base[f.key] = None
        elif f.default.is_scalar:
            base[f.key] = f.default.arg
        else:
            value = f.default.arg(None)
            base[f.key] = value.isoformat() if hasattr(value, "isoformat") else value
    return base


class BoothData:
    """One booth's records, generated from its seed: the same seed gives the same records."""

    def __init__(self, cat: Catalogue, index: int, lines: int, batch_records: int):
        from pos.services.sync import wire as sync_wire

        self.cat, self.index, self.lines, self.batch_records = cat, index, lines, batch_records
        self.booth = cat.booths[index]
        self.specs = {s.name: s for s in sync_wire.travelling_specs()}
        self.tpl = {name: _template(spec) for name, spec in self.specs.items()}

    def _rec(self, table, uuid_, seq, **values):
        rec = dict(self.tpl[table])
        rec.update(uuid=uuid_, seq=seq, booth_uuid=self.booth["uuid"], **values)
        return rec

    def sales(self):
        """Yields (shift, [records of one sale]) ... the first item is the shift alone."""
        rng = random.Random(1000 + self.index)
        origin = _uuid(rng)
        self.origin = origin
        seq = 1
        start = datetime(2020, 1, 10, 1, 0)
        shift = self._rec("shift", _uuid(rng), seq, till_uuid=self.booth["till"], number=1,
                          opened_by_uuid=self.booth["user"], opened_at=start.isoformat(), opening_float_vnd=500_000)
        yield shift
        made = number = 0
        while made < self.lines:
            n = min(rng.randint(1, 5), self.lines - made)
            number += 1
            at = (start + timedelta(seconds=20 * number)).isoformat()
            sale_uuid = _uuid(rng)
            seq += 1
            lines, moves, total = [], [], 0
            sale_seq = seq
            for _ in range(n):
                product, price = self.cat.products[rng.randrange(PRODUCTS)]
                qty = rng.randint(1, 3)
                total += qty * price
                seq += 1
                lines.append(self._rec("sale_line", _uuid(rng), seq, sale_uuid=sale_uuid, product_uuid=product,
                                       product_name="Sản phẩm OCOP", qty=qty, unit_price_vnd=price,
                                       net_vnd=qty * price))
            for line in lines:
                seq += 1
                moves.append(self._rec("stock_movement", _uuid(rng), seq, product_uuid=line["product_uuid"],
                                       kind="sale", qty=-line["qty"], sale_uuid=sale_uuid, reason="",
                                       created_by_uuid=self.booth["user"], created_at=at))
            tendered = math.ceil(total / 10_000) * 10_000
            seq += 1
            payment = self._rec("payment", _uuid(rng), seq, sale_uuid=sale_uuid, method="cash", amount_vnd=total,
                                tendered_vnd=tendered, change_vnd=tendered - total)
            sale = self._rec("sale", sale_uuid, sale_seq, till_uuid=self.booth["till"], shift_uuid=shift["uuid"],
                             number=number, receipt_no=f"{self.booth['prefix']}-T1-{number:06d}",
                             cashier_uuid=self.booth["user"], created_at=at, subtotal_vnd=total, total_vnd=total,
                             idempotency_key=f"{origin}-{number}", request_digest="0" * 64)
            yield [sale, *lines, *moves, payment]
            made += n
        self.last_seq = seq

    def batches(self):
        """The booth's batches as JSON bytes (what the hub receives), with their sale-line counts."""
        it = self.sales()
        shift = next(it)
        records, lines = [shift], 0

        def batch(records):
            products = {r["product_uuid"] for r in records if r["table"] == "sale_line"}
            refs = ([self.cat.ref[p] for p in {self.cat.product_producer[u] for u in products}]
                    + [self.cat.ref[u] for u in products] + [self.cat.ref[self.booth["till"]], self.cat.ref[self.booth["user"]]])
            body = {"format": "fair-pos/batch", "version": 1, "booth_uuid": self.booth["uuid"], "origin_db": self.origin,
                    "sent_at": datetime.utcnow().isoformat(), "records": records,
                    "context": [] if records[0] is shift else [shift], "refs": refs}
            return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()

        for sale in it:
            if len(records) + len(sale) > self.batch_records and records:
                yield batch(records), lines
                records, lines = [], 0
            records += sale
            lines += sum(1 for r in sale if r["table"] == "sale_line")
        if records:
            yield batch(records), lines

    def raw_rows(self):
        """The same records as row tuples per table, ids and foreign keys resolved, for COPY."""
        out: dict[str, list] = {}
        for item in self.sales():
            for rec in ([item] if isinstance(item, dict) else item):
                out.setdefault(rec["table"], []).append(rec)
        return out


def _copy_rows(conn, specs, recs_by_table, booth, origin, id_start: dict, ids):
    """COPY one booth's records into their tables (in dependency order), assigning ids."""
    local: dict[str, dict[str, int]] = {}
    with conn.cursor() as cur:
        for name in ("shift", "sale", "sale_line", "payment", "stock_movement"):
            recs = recs_by_table.get(name, [])
            if not recs:
                continue
            spec = specs[name]
            cols = ["id", "uuid", "origin_db", "origin_seq", "booth_id"] + [f.attr for f in spec.fields if f.attr != "booth_id"]
            rows = []
            for rec in recs:
                id_start[name] += 1
                local.setdefault(name, {})[rec["uuid"]] = id_start[name]
                row = [id_start[name], rec["uuid"], origin, rec["seq"], booth["id"]]
                for f in spec.fields:
                    if f.attr == "booth_id":
                        continue
                    value = rec.get(f.key)
                    if f.kind == "ref" and value is not None:
                        value = local.get(f.target, {}).get(value) or ids[f.target][value]
                    row.append(value)
                rows.append(row)
            with cur.copy(f'COPY "{name}" ({", ".join(cols)}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 booths x 1.000 lines (for CI)")
    parser.add_argument("--booths", type=int, default=None, help="booths (default 500, 5 with --quick)")
    parser.add_argument("--lines", type=int, default=None, help="sale lines per booth (default 6.000, 1.000 with --quick)")
    parser.add_argument("--batch", type=int, default=1000, help="records per batch (the booth's default)")
    args = parser.parse_args(argv)
    n_booths = args.booths or (5 if args.quick else 500)
    n_lines = args.lines or (1000 if args.quick else 6000)

    admin_url = os.environ.get("POS_BENCH_POSTGRES_URL") or os.environ.get("POS_TEST_POSTGRES_URL") or DEFAULT_PG
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"pos_bench_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - no PostgreSQL: say so and fail
        print(f"PostgreSQL not reachable at {admin_url}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    try:
        return _run(url, n_booths, n_lines, args.batch)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _run(url: str, n_booths: int, n_lines: int, batch_records: int) -> int:
    from pos import create_app
    from pos.config import TestConfig
    from pos.db import unit_of_work
    from pos.extensions import db
    from pos.models import SaleLine
    from pos.models.sync import IngestState
    from pos.services.sync import hub as sync_hub, wire as sync_wire

    instance = tempfile.mkdtemp(prefix="pos-bench-sync-")
    app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": url})
    app.instance_path = instance
    with app.app_context():
        db.create_all()
        with unit_of_work(db.session) as s:
            cat = Catalogue(s, n_booths)
        print(f"Hub on PostgreSQL: {n_booths} booths x {n_lines} sale lines, batches of up to {batch_records} records")

        rss_start = rss_peak = rss_mb()
        ingest_s = first_batch_s = 0.0
        lines = records = batches = 0
        wall = time.perf_counter()
        for i in range(n_booths):
            data = BoothData(cat, i, n_lines, batch_records)
            for body, batch_lines in data.batches():
                t0 = time.perf_counter()
                batch = json.loads(body)
                booth = sync_hub.booth_for_token(db.session, cat.booths[i]["token"])
                with unit_of_work(db.session) as s:
                    result = sync_hub.ingest_batch(s, booth, batch)
                took = time.perf_counter() - t0
                ingest_s += took
                if not batches:
                    first_batch_s = took  # the process's first: statements compiled, caches filled
                lines += batch_lines
                records += result.stored
                batches += 1
            db.session.remove()  # nothing kept between booths: memory stays flat
            rss_peak = max(rss_peak, rss_mb())
            if n_booths >= 20 and (i + 1) % max(1, n_booths // 10) == 0:
                print(f"  {i + 1} booths, {lines:,} lines in {ingest_s:.1f} s ({lines / ingest_s:,.0f} lines/s), "
                      f"RSS {rss_mb():.0f} MB", flush=True)
        wall_ingest = time.perf_counter() - wall
        held = db.session.scalar(select(func.count()).select_from(SaleLine))
        contiguous_ok = all(st.contiguous_seq == st.highest_seq for st in db.session.scalars(select(IngestState)))
        db.session.remove()
        ok = held == lines and contiguous_ok
        print(f"Ingest: {lines:,} lines ({records:,} records, {batches:,} batches) in {ingest_s:.1f} s timed "
              f"({wall_ingest:.1f} s with generation): {lines / ingest_s:,.0f} lines/s, {records / ingest_s:,.0f} records/s")

        # The raw floor: the same rows, COPY'd into the same (emptied) tables.
        specs = {s.name: s for s in sync_wire.travelling_specs()}
        with db.engine.begin() as conn:
            conn.execute(text("TRUNCATE stock_movement, payment, sale_line, sale, shift, ingest_state RESTART IDENTITY CASCADE"))
        raw_s = 0.0
        id_start = {name: 0 for name in specs}
        raw_lines = 0
        for i in range(n_booths):
            data = BoothData(cat, i, n_lines, batch_records)
            recs = data.raw_rows()
            raw_lines += len(recs.get("sale_line", []))
            conn = db.engine.raw_connection()
            try:
                t0 = time.perf_counter()
                _copy_rows(conn.driver_connection, specs, recs, cat.booths[i], data.origin, id_start, cat.ids)
                conn.commit()
                raw_s += time.perf_counter() - t0
            finally:
                conn.close()
            rss_peak = max(rss_peak, rss_mb())
        ok = ok and raw_lines == lines
        print(f"Raw COPY: {raw_lines:,} lines in {raw_s:.1f} s: {raw_lines / raw_s:,.0f} lines/s")
        db.session.remove()
        db.engine.dispose()

    ingest_rate, raw_rate = lines / ingest_s, raw_lines / raw_s
    rss_end = rss_mb()
    result = {
        "lines": lines, "records": records, "booths": n_booths, "batches": batches,
        "ingest_s": round(ingest_s, 2), "ingest_lines_per_s": round(ingest_rate), "ingest_records_per_s": round(records / ingest_s),
        "first_batch_s": round(first_batch_s, 3), "later_batches_mean_s": round((ingest_s - first_batch_s) / max(1, batches - 1), 3),
        "raw_s": round(raw_s, 2), "raw_lines_per_s": round(raw_rate), "ratio": round(ingest_rate / raw_rate, 3),
        "projected_fair_s": round(FAIR_LINES / ingest_rate, 1),
        "rss_start_mb": round(rss_start, 1), "rss_peak_mb": round(rss_peak, 1), "rss_end_mb": round(rss_end, 1),
        "fair_under_5min": FAIR_LINES / ingest_rate < AIM_FAIR_S, "ratio_at_least_half": ingest_rate / raw_rate >= AIM_RATIO,
        "memory_flat": rss_peak < rss_start + AIM_RSS_GROWTH_MB, "hub_holds_every_record": ok,
    }
    print(f"Ratio ingest/raw: {result['ratio']:.0%}; a fair of {FAIR_LINES:,} lines: about {result['projected_fair_s']:.0f} s; "
          f"RSS {rss_start:.0f} → peak {rss_peak:.0f} MB")
    print(json.dumps(result), flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

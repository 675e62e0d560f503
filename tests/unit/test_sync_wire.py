"""The wire form of travelling records and how a booth cuts them into batches (no Flask app)."""
import copy

import pytest
from sqlalchemy import select

from pos.extensions import db
from pos.models import Sale, SaleLine, StockMovement
from pos.models.base import HasUuid, Travelling
from pos.services import booths, catalogue, sales, shifts, stock, users
from pos.services.sync import booth as sync_booth, hub as sync_hub
from pos.services.sync import wire


@pytest.fixture
def shop(session):
    booths.init_database(session)
    fair = booths.save_fair(session, dict(code="X20", name="Xuân 2020"))
    booth = booths.save_booth(session, dict(fair_id=fair.id, code="B07", name="Bình Liêu"))
    booths.make_this_booth(session, booth)
    till = booths.save_till(session, booth, dict(code="T1", name="Quầy 1"))
    manager = users.save_user(session, dict(username="quanly", full_name="QL", role="manager", password="matkhau123"))
    cashier = users.save_user(session, dict(username="thungan", full_name="TN", role="cashier", password="matkhau123"))
    shifts.open_shift(session, booth, cashier, shifts.NewShift(till_id=till.id))
    tl = catalogue.save_producer(session, dict(name="HTX Thảo mộc Tuệ Lâm", kind="htx"))
    que = catalogue.save_product(session, dict(producer_id=tl.id, name="Tinh dầu quế", unit="lọ", price_vnd=95000))
    hoi = catalogue.save_product(session, dict(producer_id=tl.id, name="Tinh dầu hồi", unit="lọ", price_vnd=110000))
    stock.record_document(session, booth, manager, stock.NewDocument.of("receive", producer_id=tl.id, lines=[
        dict(product_id=que.id, qty=50), dict(product_id=hoi.id, qty=50)]))
    session.commit()

    def sell(n_lines=2, key=[0]):
        key[0] += 1
        lines = [dict(product_id=(que.id if i % 2 == 0 else hoi.id), qty=1) for i in range(n_lines)]
        result = sales.record_sale(session, booth, cashier, sales.Checkout.of(
            till_id=till.id, lines=lines, payments=[dict(method="cash", tendered_vnd=10_000_000)]), f"k{key[0]}")
        session.commit()
        return result.sale

    return dict(session=session, booth=booth, sell=sell)


def test_every_travelling_model_travels_and_every_reference_has_a_uuid():
    travelling = {m.class_.__tablename__ for m in db.Model.registry.mappers if issubclass(m.class_, Travelling)}
    assert {s.name for s in wire.travelling_specs()} == travelling
    assert {"sale", "sale_line", "payment", "stock_movement", "stock_document", "shift", "void", "refund"} <= travelling
    for spec in wire.travelling_specs() + wire.catalogue_specs():
        for f in spec.refs:
            assert "uuid" in db.metadata.tables[f.target].c, (spec.name, f.attr)
            assert f.key.endswith("_uuid")
        assert all(f.attr != "id" for f in spec.fields)  # integer primary keys never travel
    catalogue_names = {s.name for s in wire.catalogue_specs()}
    assert {"fair", "booth", "till", "user", "producer", "product"} <= catalogue_names
    assert all(issubclass(s.model, HasUuid) for s in wire.catalogue_specs())


def test_a_sale_line_travels_with_its_sale_a_movement_with_its_sale_or_document_not_a_sale_with_its_shift():
    specs = {s.name: s for s in wire.travelling_specs()}
    assert [f.attr for f in specs["sale_line"].links] == ["sale_id"]
    assert {f.attr for f in specs["stock_movement"].links} == {"sale_id", "document_id"}
    assert specs["sale"].links == ()
    assert "refund_id" in {f.attr for f in specs["refund_line"].links}


def test_a_record_read_back_from_its_wire_form_says_the_same(shop):
    s = shop["session"]
    sale = shop["sell"]()
    spec = next(x for x in wire.travelling_specs() if x.name == "sale_line")
    rows = wire.select_rows(s, spec, spec.table.c.sale_id == sale.id)
    records = wire.dump_rows(s, spec, rows)
    assert records[0]["sale_uuid"] == sale.uuid and "sale_id" not in records[0] and "id" not in records[0]
    assert records[0]["seq"] == sale.lines[0].origin_seq
    values, refs = wire.load_record(spec, records[0])
    assert refs["sale_id"] == sale.uuid and values["qty"] == 1
    assert wire.same_content(spec, records[0], values, refs)
    other = copy.deepcopy(records[0])
    other["net_vnd"] += 1
    values, refs = wire.load_record(spec, other)
    assert not wire.same_content(spec, records[0], values, refs)


def test_a_bad_record_is_named_with_its_field():
    spec = next(x for x in wire.travelling_specs() if x.name == "payment")
    record = {"table": "payment", "uuid": "3fa85f64-5717-4562-b3fc-2c963f66afa6", "seq": 3}
    with pytest.raises(wire.BadRecord) as refused:
        wire.load_record(spec, record, 7)
    assert refused.value.field.startswith("records[7].") and "payment 3fa85f64" in str(refused.value)
    with pytest.raises(wire.BadRecord) as refused:
        wire.load_record(spec, dict(record, colour="red"), 2)
    assert refused.value.field == "records[2].colour"


def test_each_kind_of_bad_value_is_refused_naming_its_field_and_good_ones_load(shop):
    s = shop["session"]
    sale = shop["sell"]()
    spec = next(x for x in wire.travelling_specs() if x.name == "sale")
    good = wire.dump_rows(s, spec, wire.select_rows(s, spec, spec.table.c.id == sale.id))[0]
    values, refs = wire.load_record(spec, good, 0)
    assert values["total_vnd"] == sale.total_vnd and values["created_at"] == sale.created_at
    assert refs["till_id"] == sale.till.uuid and values["uuid"] == sale.uuid
    # A time with its zone is stored as naive UTC; an optional field left out takes its default.
    zoned = dict(good, created_at=sale.created_at.isoformat() + "+07:00")
    assert wire.load_record(spec, zoned)[0]["created_at"].hour == (sale.created_at.hour - 7) % 24
    optional = next(f for f in spec.fields if f.nullable and f.default is None)
    values, refs = wire.load_record(spec, {k: v for k, v in good.items() if k != optional.key})
    assert (refs if optional.kind == "ref" else values)[optional.attr] is None
    defaulted = next(f for f in spec.fields if f.default is not None and f.default.is_scalar)
    assert wire.load_record(spec, {k: v for k, v in good.items() if k != defaulted.key})[0][defaulted.attr] == \
        defaulted.default.arg
    long_str = next(f for f in spec.fields if f.kind == "str" and f.max_len and not f.nullable)
    for key, bad in (("total_vnd", True), ("total_vnd", "1000"), ("total_vnd", 2**31), ("total_vnd", None),
                     ("created_at", "hôm qua"), ("till_uuid", "not-a-uuid"), (long_str.key, "x" * (long_str.max_len + 1))):
        with pytest.raises(wire.BadRecord) as refused:
            wire.load_record(spec, dict(good, **{key: bad}), 4)
        assert refused.value.field == f"records[4].{key}", (key, bad)
    missing = {k: v for k, v in good.items() if k != "receipt_no"}
    with pytest.raises(wire.BadRecord) as refused:
        wire.load_record(spec, missing, 5)
    assert refused.value.field == "records[5].receipt_no"


def test_sequence_ranges_show_the_contiguous_part_and_the_gaps():
    ranges = sync_hub._ranges_add([], [1, 2, 3, 7, 8])
    assert ranges == [[1, 3], [7, 8]] and sync_hub._contiguous(ranges) == 3
    ranges = sync_hub._ranges_add(ranges, [4, 5, 6, 10])
    assert ranges == [[1, 8], [10, 10]] and sync_hub._contiguous(ranges) == 8
    assert sync_hub._contiguous(sync_hub._ranges_add([], [2, 3])) == 0
    from pos.models.sync import IngestState

    state = IngestState(held_ranges="[[1, 8], [10, 10], [15, 20]]")
    assert state.gaps == [[9, 9], [11, 14]] and state.highest_seq == 20


def test_a_sale_is_never_split_across_batches_and_batches_follow_the_sequence(shop):
    s = shop["session"]
    for n in (3, 1, 6, 2):
        shop["sell"](n)
    plans = sync_booth.plan_batches(s, max_records=5)
    seen = set()
    for plan in plans:
        batch = sync_booth.build_batch(s, plan)
        sale_uuids = {r["uuid"] for r in batch["records"] if r["table"] == "sale"}
        for r in batch["records"]:
            if r["table"] in ("sale_line", "payment") or (r["table"] == "stock_movement" and r["sale_uuid"]):
                assert r["sale_uuid"] in sale_uuids  # the whole sale is in this batch
            seen.add(r["uuid"])
        # Each batch carries the open shift its sales point at, unless the shift is in it already.
        shift_uuids = {r["uuid"] for r in batch["records"] + batch["context"] if r["table"] == "shift"}
        assert all(r["shift_uuid"] in shift_uuids for r in batch["records"] if r["table"] == "sale")
        assert {r["table"] for r in batch["refs"]} <= {"till", "user", "product", "producer"}
        assert all("password_hash" not in r for r in batch["refs"])
    total = sum(len(list(s.scalars(select(m.uuid)))) for m in (Sale, SaleLine, StockMovement))
    assert len(seen) >= total
    assert [p.min_seq for p in plans] == sorted(p.min_seq for p in plans)
    assert sum(p.count for p in plans) == sync_booth.unpushed_count(s)


def test_a_booth_counts_unpushed_records_per_database_that_wrote_them(shop):
    s = shop["session"]
    shop["sell"](2)
    before = sync_booth.unpushed_count(s)
    assert before == sync_booth.cursors(s)[-1].max_seq
    # A restore gives a new identity: the old records still wait under the old one.
    from pos.models import DbIdentity

    ident = s.scalars(select(DbIdentity)).one()
    old_id = ident.id
    s.execute(DbIdentity.__table__.update().values(id="0" * 8 + "-0000-4000-8000-" + "0" * 12, last_seq=0))
    s.commit()
    s.expire_all()
    cs = sync_booth.cursors(s)
    assert [c.origin_db for c in cs] == [old_id, "00000000-0000-4000-8000-000000000000"]
    assert sync_booth.unpushed_count(s) == before

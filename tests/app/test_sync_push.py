"""Pushing a booth's records to the hub: nothing lost, nothing counted twice, any difference shown.

Every test runs with the hub on a SQLite file and on a real PostgreSQL database (db_url);
the booth is always a SQLite file, as on a booth laptop.
"""
from __future__ import annotations

import re
import shutil
import threading

import pytest
from sqlalchemy import func, select, update

from pos.db import unit_of_work
from pos.extensions import db
from pos.models import Sale, SaleLine
from pos.services.sync import booth as sync_booth
from tests.app.test_sync_support import BoothSide, client_transport, dispose, hub_and_booth, make_app

QUE, MIEN = "Tinh dầu quế 10ml", "Miến dong Bình Liêu 500g"


@pytest.fixture
def pair(db_url, tmp_path):
    hub, booth, booth_id, token, key = hub_and_booth(db_url, tmp_path)
    yield hub, booth, booth_id, token
    dispose(booth.app)
    dispose(hub.app)


def _sell_some(hub, booth, n):
    que, mien = hub.products[QUE], hub.products[MIEN]
    for i in range(n):
        booth.sell({que: 1 + i % 3, mien: 1} if i % 2 else {que: 1})


def test_after_a_push_hub_totals_equal_booth_totals_record_for_record(pair):
    hub, booth, booth_id, token = pair
    _sell_some(hub, booth, 12)
    booth.void_last_sale()
    booth.sell({hub.products[QUE]: 3}, discount_vnd=10_000)
    booth.refund_first_line_of_last_sale(qty=2)
    result = booth.push(hub.transport(token), max_records=20)
    assert result.remaining == 0 and result.batches > 1
    assert hub.totals(booth_id) == booth.totals()
    assert result.compare == {"products": [], "records": []}
    assert booth.unpushed() == 0
    status = hub.status(booth_id)
    assert status["gaps"] == [] and status["duplicates"] == 0 and status["mismatches"] == 0
    # Voids and refunds count: the voided sale is out, two units of the discounted line came back.
    assert hub.totals(booth_id)["products"][hub.products[QUE]]["units"] == booth.totals()["products"][hub.products[QUE]]["units"]


def test_a_push_cut_off_mid_batch_then_resumed_counts_everything_once(pair):
    hub, booth, booth_id, token = pair
    _sell_some(hub, booth, 10)
    # The second batch reaches the hub and is stored, but the answer never comes back.
    lossy = client_transport(hub.app, token, lose_answer_of=2)
    with pytest.raises(sync_booth.HubUnreachable):
        booth.push(lossy, max_records=8)
    assert booth.state()["error"]  # the booth's page says the last push failed
    assert 0 < hub.status(booth_id)["records"] < booth.unpushed() + hub.status(booth_id)["records"]
    result = booth.push(hub.transport(token), max_records=8)
    assert result.remaining == 0 and result.compare == {"products": [], "records": []}
    assert hub.totals(booth_id) == booth.totals()
    assert hub.status(booth_id)["duplicates"] > 0  # the batch sent again was recognised, not stored twice
    assert booth.state()["error"] == ""


def test_a_push_whose_link_drops_before_the_hub_gets_anything_loses_nothing(pair):
    hub, booth, booth_id, token = pair
    _sell_some(hub, booth, 6)
    before = booth.unpushed()
    with pytest.raises(sync_booth.HubUnreachable):
        booth.push(client_transport(hub.app, token, cut_after=0))
    assert booth.unpushed() == before and hub.status(booth_id)["records"] == 0
    booth.push(hub.transport(token))
    assert hub.totals(booth_id) == booth.totals()


def test_the_same_batch_sent_twice_is_counted_once(pair):
    hub, booth, booth_id, token = pair
    _sell_some(hub, booth, 4)
    transport = hub.transport(token)
    with booth.app.app_context():
        plan = sync_booth.plan_batches(db.session)[0]
        batch = sync_booth.build_batch(db.session, plan)
    first = transport("POST", sync_booth.BATCHES_PATH, batch)
    again = transport("POST", sync_booth.BATCHES_PATH, batch)
    assert first["stored"] == plan.count and first["duplicates"] == 0
    assert again["stored"] == 0 and again["duplicates"] == plan.count
    assert again["contiguous_seq"] == first["contiguous_seq"]
    assert hub.count(Sale) == 4
    assert hub.totals(booth_id) == booth.totals()


def test_batches_arriving_out_of_order_lose_nothing_and_leave_no_gap(pair):
    hub, booth, booth_id, token = pair
    _sell_some(hub, booth, 9)
    transport = hub.transport(token)
    with booth.app.app_context():
        plans = sync_booth.plan_batches(db.session, 10)
        batches = [sync_booth.build_batch(db.session, p) for p in plans]
    assert len(batches) >= 3
    # The last batch first: its sales point at the shift opened in the first batch, which it carries
    # as context, so it is stored at once; the hub sees the gap in between and says so.
    last = transport("POST", sync_booth.BATCHES_PATH, batches[-1])
    assert last["gaps"] and last["contiguous_seq"] < last["highest_seq"]
    for b in reversed(batches[:-1]):
        answer = transport("POST", sync_booth.BATCHES_PATH, b)
    assert answer["gaps"] == [] and answer["contiguous_seq"] == answer["highest_seq"]
    with booth.app.app_context(), unit_of_work(db.session) as s:
        sync_booth.acknowledge(s, answer)
    assert booth.unpushed() == 0
    assert hub.totals(booth_id) == booth.totals()
    assert hub.status(booth_id)["gaps"] == []


def test_hub_down_while_the_booth_keeps_selling_then_a_push_catches_up(pair):
    hub, booth, booth_id, token = pair
    _sell_some(hub, booth, 3)
    booth.push(hub.transport(token))
    down = client_transport(hub.app, token, cut_after=0)
    for _ in range(3):
        _sell_some(hub, booth, 4)  # the cashier never notices the hub is gone
        with pytest.raises(sync_booth.HubUnreachable):
            booth.push(down)
    assert booth.unpushed() > 0
    result = booth.push(hub.transport(token), max_records=15)
    assert result.remaining == 0
    assert hub.count(Sale) == 15
    assert hub.totals(booth_id) == booth.totals()


def test_two_booths_pushing_at_once_both_arrive_whole(db_url, tmp_path):
    hub, booth_a, a_id, token_a, _ = hub_and_booth(db_url, tmp_path)
    b_id = hub.booth("B08", "Gian hàng Tiên Yên")
    token_b, _ = hub.credentials(b_id)
    booth_b = BoothSide(make_app(f"sqlite:///{tmp_path / 'booth_b.sqlite'}", tmp_path, "booth_b"))
    booth_b.provision(hub, token_b)
    booth_b.receive({u: 100 for u in hub.products.values()})
    try:
        _sell_some(hub, booth_a, 12)
        _sell_some(hub, booth_b, 12)
        errors = []

        def push(booth, token):
            try:
                booth.push(hub.transport(token), max_records=6)
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                errors.append(exc)

        threads = [threading.Thread(target=push, args=(booth_a, token_a)),
                   threading.Thread(target=push, args=(booth_b, token_b))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert errors == []
        assert hub.totals(a_id) == booth_a.totals() and hub.totals(b_id) == booth_b.totals()
        assert hub.count(Sale, booth_id=a_id) == 12 and hub.count(Sale, booth_id=b_id) == 12
    finally:
        dispose(booth_b.app)
        dispose(booth_a.app)
        dispose(hub.app)


def test_a_token_of_booth_a_cannot_push_as_booth_b(db_url, tmp_path):
    hub, booth_a, a_id, token_a, _ = hub_and_booth(db_url, tmp_path)
    b_id = hub.booth("B08", "Gian hàng Tiên Yên")
    token_b, _ = hub.credentials(b_id)
    booth_b = BoothSide(make_app(f"sqlite:///{tmp_path / 'booth_b.sqlite'}", tmp_path, "booth_b"))
    booth_b.provision(hub, token_b)
    booth_b.receive({u: 100 for u in hub.products.values()})
    try:
        _sell_some(hub, booth_b, 3)
        with booth_b.app.app_context():
            batch = sync_booth.build_batch(db.session, sync_booth.plan_batches(db.session)[0])
        # Booth A's token with booth B's batch: refused, nothing stored.
        with pytest.raises(sync_booth.HubRefused) as refused:
            hub.transport(token_a)("POST", sync_booth.BATCHES_PATH, batch)
        assert refused.value.status == 403
        # Booth A's header, but records claiming booth B: refused naming the record.
        batch["booth_uuid"] = hub.booth_uuid(a_id)
        with pytest.raises(sync_booth.HubRefused) as refused:
            hub.transport(token_a)("POST", sync_booth.BATCHES_PATH, batch)
        assert refused.value.status == 403 and batch["records"][0]["uuid"] in str(refused.value)
        assert hub.count(Sale) == 0
        # Booth A's token reads only booth A's provisioning, never booth B's staff.
        payload = hub.transport(token_a)("GET", sync_booth.PROVISION_PATH)
        users = {r["username"] for r in payload["records"] if r["table"] == "user"}
        assert users == {"ql.b07", "tn.b07"}
        assert {r["uuid"] for r in payload["records"] if r["table"] == "booth"} == {hub.booth_uuid(a_id)}
    finally:
        dispose(booth_b.app)
        dispose(booth_a.app)
        dispose(hub.app)


def test_a_booth_restored_from_a_backup_pushes_again_without_clashing(pair, tmp_path):
    hub, booth, booth_id, token = pair
    que = hub.products[QUE]
    _sell_some(hub, booth, 4)
    booth.push(hub.transport(token))
    dispose(booth.app)
    shutil.copy(tmp_path / "booth.sqlite", tmp_path / "backup.sqlite")  # the backup
    _sell_some(hub, booth, 3)  # sold and pushed after the backup, then the laptop dies
    booth.push(hub.transport(token))
    assert hub.count(Sale) == 7

    # `pos restore`: the backup, with a new identity (so its new records never clash with the old ones).
    restored = BoothSide.__new__(BoothSide)
    restored.app = make_app(f"sqlite:///{tmp_path / 'backup.sqlite'}", tmp_path, "restored")
    with restored.app.app_context(), unit_of_work(db.session) as s:
        from pos.services import backups

        backups.assign_new_identity(s, backup_name="backup.sqlite")
    try:
        # The first push after the restore sends the old identity's records again (no-ops) and learns
        # each till's last receipt number from the hub, so the next sale continues after it, in the
        # restored database's own series.
        result = restored.push(hub.transport(token))
        assert result.remaining == 0
        receipt = restored.sell({que: 2})
        assert re.fullmatch(r"X20-B07-T1-R[0-9A-F]{4}-000008", receipt)
        restored.push(hub.transport(token))
        assert restored.unpushed() == 0
        assert hub.count(Sale) == 8
        status = hub.status(booth_id)
        assert status["conflicts"] == 0 and status["gaps"] == [] and len(status["contiguous"]) == 2
        # The three sales lost with the laptop came back from the hub with the first push, unchanged.
        assert restored.state()["compare"] == dict(products=[], records=[], booth_unpushed=0)
        assert restored.totals() == hub.totals(booth_id)
        with restored.app.app_context():
            assert db.session.scalar(select(func.count()).select_from(Sale)) == 8
    finally:
        dispose(restored.app)


def test_a_restored_booth_numbers_shifts_and_stock_documents_after_those_the_hub_holds(pair, tmp_path):
    hub, booth, booth_id, token = pair
    que = hub.products[QUE]
    _sell_some(hub, booth, 2)
    first_doc = booth.receive({que: 10})
    booth.push(hub.transport(token))
    dispose(booth.app)
    shutil.copy(tmp_path / "booth.sqlite", tmp_path / "backup.sqlite")  # the backup: shift 1 open
    # After the backup: shift 1 closed, shift 2 opened, goods received; all pushed; then the laptop dies.
    assert booth.close_shift() == 1
    _sell_some(hub, booth, 1)
    assert booth.shift_number() == 2
    lost_doc = booth.receive({que: 5})
    booth.push(hub.transport(token))
    from pos.models import Shift, StockDocument

    documents_before = hub.count(StockDocument, booth_id=booth_id)

    restored = BoothSide.__new__(BoothSide)
    restored.app = make_app(f"sqlite:///{tmp_path / 'backup.sqlite'}", tmp_path, "restored")
    with restored.app.app_context(), unit_of_work(db.session) as s:
        from pos.services import backups

        backups.assign_new_identity(s, backup_name="backup.sqlite")
    try:
        assert restored.shift_number() == 1  # open in the backup
        restored.push(hub.transport(token))  # as `pos restore` says: push before selling
        # The hub holds shift 1 closed (its cash counted on the lost laptop): the booth closes it the same way,
        # and takes back shift 2, opened on the lost laptop and still open: the till sells on in it.
        assert restored.shift_number() == 2
        restored.close_shift()
        restored.open_shift()
        assert restored.shift_number() == 3
        new_doc = restored.receive({que: 4})
        assert new_doc[0] not in first_doc + lost_doc
        assert int(new_doc[0].split("-")[-1]) == int(lost_doc[0].split("-")[-1]) + 1
        assert re.fullmatch(r"PN-R[0-9A-F]{4}-\d{6}", new_doc[0])
        restored.sell({que: 1})
        result = restored.push(hub.transport(token))
        assert result.remaining == 0 and restored.unpushed() == 0
        status = hub.status(booth_id)
        assert status["conflicts"] == 0 and status["gaps"] == []
        assert hub.count(Shift, booth_id=booth_id) == 3
        assert hub.count(StockDocument, booth_id=booth_id) == documents_before + 1
        assert restored.totals() == hub.totals(booth_id)
    finally:
        dispose(restored.app)


def test_the_same_database_and_sequence_with_other_content_is_refused_and_recorded(pair):
    hub, booth, booth_id, token = pair
    _sell_some(hub, booth, 2)
    booth.push(hub.transport(token))
    with booth.app.app_context():
        seq = db.session.scalars(select(SaleLine.origin_seq).order_by(SaleLine.id)).first()
    # A cloned laptop: the same identity wrote other records with the same numbers.
    with booth.app.app_context(), unit_of_work(db.session) as s:
        s.execute(update(SaleLine).where(SaleLine.origin_seq == seq).values(stamp_code="khác"))
        from pos.models.sync import SyncCursor

        s.execute(update(SyncCursor).values(acked_seq=0))
    with pytest.raises(sync_booth.HubRefused) as refused:
        booth.push(hub.transport(token))
    assert refused.value.status == 409 and refused.value.error == "Conflict"
    status = hub.status(booth_id)
    assert status["conflicts"] == 1
    assert hub.count(Sale) == 2  # nothing merged, nothing lost


def test_the_hub_warns_when_a_booths_clock_is_far_off(pair):
    hub, booth, booth_id, token = pair
    _sell_some(hub, booth, 1)
    transport = hub.transport(token)

    def late_clock(method, path, body=None):
        if body and "sent_at" in body:
            body = dict(body, sent_at="2020-01-15T07:00:00")
        return transport(method, path, body)

    booth.push(late_clock)
    status = hub.status(booth_id)
    assert status["clock_warning"] and status["clock_skew_s"] < -3600
    assert booth.state()["skew"] < -3600  # the booth is told too


def test_a_shift_closed_after_it_was_pushed_reaches_the_hub_closed_and_stays_closed(pair):
    from pos.models import Shift
    from pos.services import shifts

    hub, booth, booth_id, token = pair
    _sell_some(hub, booth, 2)
    with booth.app.app_context():
        first_batch = sync_booth.build_batch(db.session, sync_booth.plan_batches(db.session)[0])
    booth.push(hub.transport(token))
    assert booth.unpushed() == 0
    with booth.app.app_context(), unit_of_work(db.session) as s:
        booth_row, till, manager, cashier = booth._ids(s)
        shift = s.scalars(select(Shift)).one()
        shifts.close_shift(s, booth_row, manager, shift.id, shifts.CashCount.of({"500000": 1, "200000": 1}))
    assert booth.unpushed() == 1  # the shift changed since the hub got it
    result = booth.push(hub.transport(token))
    assert result.remaining == 0 and booth.unpushed() == 0
    with hub.app.app_context():
        held = db.session.scalars(select(Shift)).one()
        assert held.closed_at is not None and held.counted_cash_vnd == 700_000
    # The open version coming again (a late retry) does not reopen it.
    hub.transport(token)("POST", sync_booth.BATCHES_PATH, first_batch)
    with hub.app.app_context():
        assert db.session.scalars(select(Shift)).one().closed_at is not None
    assert hub.totals(booth_id) == booth.totals() and hub.status(booth_id)["conflicts"] == 0

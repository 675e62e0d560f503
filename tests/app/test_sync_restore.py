"""A booth restored from a backup, with or without its hub: no receipt number twice, nothing stuck,
and everything any customer got a slip for ends up at the hub.

Each test runs with the hub on a SQLite file and on a real PostgreSQL database (db_url); the
booth is a SQLite file, restored through the same services `pos restore` and `pos recover` use.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from pos.db import unit_of_work
from pos.extensions import db
from pos.models import Sale
from pos.services import backups
from pos.services.sync import booth as sync_booth
from tests.conftest import login
from tests.app.test_sync_support import BoothSide, client_transport, dispose, hub_and_booth, make_app

QUE, MIEN = "Tinh dầu quế 10ml", "Miến dong Bình Liêu 500g"


@pytest.fixture
def pair(db_url, tmp_path):
    hub, booth, booth_id, token, key = hub_and_booth(db_url, tmp_path)
    yield hub, booth, booth_id, token
    dispose(booth.app)
    dispose(hub.app)


def _sell(hub, booth, n, slips: dict):
    """n sales; each slip the customer takes home is noted (receipt number -> amount)."""
    que, mien = hub.products[QUE], hub.products[MIEN]
    for i in range(n):
        receipt = booth.sell({que: 1 + i % 3, mien: 1} if i % 2 else {que: 1})
        assert receipt not in slips, f"receipt {receipt} issued twice"
        with booth.app.app_context():
            slips[receipt] = db.session.scalar(select(Sale.total_vnd).where(Sale.receipt_no == receipt))


def _restore(booth, backup: Path, tmp_path) -> tuple[BoothSide, Path]:
    """`pos restore BACKUP` with the server stopped: returns the restored booth and the set-aside database."""
    target = tmp_path / "booth.sqlite"
    dispose(booth.app)
    result = backups.copy_backup_into_place(backup, target, keep_dir=tmp_path / "kept")
    restored = BoothSide.__new__(BoothSide)
    restored.app = make_app(f"sqlite:///{target}", tmp_path, "restored")
    with restored.app.app_context(), unit_of_work(db.session) as s:
        backups.assign_new_identity(s, backup_name=backup.name)
    return restored, result.kept_previous


def _staff_pages_client(booth):
    from pos.models import Till

    client = booth.app.test_client()
    login(client, "ql.b07")
    with booth.app.app_context():
        till_id = db.session.scalar(select(Till.id))
    assert client.post("/sell/till", data={"till_id": till_id}).status_code == 302
    return client


def _hub_slips(hub, booth_id) -> dict:
    with hub.app.app_context():
        return dict(db.session.execute(select(Sale.receipt_no, Sale.total_vnd).where(Sale.booth_id == booth_id)).all())


def test_a_booth_restored_offline_never_repeats_a_receipt_and_the_hub_ends_with_every_slip(pair, tmp_path):
    hub, booth, booth_id, token = pair
    slips: dict[str, int] = {}
    _sell(hub, booth, 2, slips)
    booth.push(hub.transport(token))
    backup = backups.make_backup(tmp_path / "booth.sqlite", tmp_path / "backups", label="manual").path
    _sell(hub, booth, 10, slips)
    booth.push(hub.transport(token))
    _sell(hub, booth, 5, slips)  # the laptop dies before these are pushed

    restored, set_aside = _restore(booth, backup, tmp_path)
    booth.app = restored.app  # the fixture disposes it
    with restored.app.app_context():
        # What `pos restore` says: the database it set aside holds the 15 sales made after the backup.
        assert sync_booth.missing_sales(db.session, set_aside) == 15
    # Every staff page and the sell screen say what happened and what to do.
    client = _staff_pages_client(restored)
    for url in ("/sell", "/stock", "/sync", "/sell/sales"):
        page = client.get(url).get_data(as_text=True)
        assert 'id="restore-notice"' in page and "gửi dữ liệu lên hub" in page, url
    # At the fair the hub is out of reach: the booth sells on, and no number comes twice.
    offline = client_transport(hub.app, token, cut_after=0)
    with pytest.raises(sync_booth.HubUnreachable):
        restored.push(offline)
    _sell(hub, restored, 3, slips)
    new = [r for r in slips if r.count("-") == 4]
    assert len(new) == 3 and all(re.fullmatch(r"X20-B07-T1-R[0-9A-F]{4}-0000\d\d", r) for r in new)
    assert restored.unpushed() > 0

    # The hub is back: the push is accepted, and the ten sales the hub held come back to the booth.
    result = restored.push(hub.transport(token))
    assert result.remaining == 0 and restored.unpushed() == 0
    status = hub.status(booth_id)
    assert status["conflicts"] == 0 and status["gaps"] == []
    with restored.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Sale)) == 2 + 10 + 3
        assert sync_booth.missing_sales(db.session, set_aside) == 5
    assert 'id="restore-notice"' not in client.get("/sell").get_data(as_text=True)  # done: the notice goes
    # `pos recover` brings back the five only the set-aside database had; the next push sends them.
    said = restored.app.test_cli_runner().invoke(args=["recover", str(set_aside)])
    assert said.exit_code == 0, said.output
    assert "Đã lấy lại 5 đơn bán" in said.output
    result = restored.push(hub.transport(token))
    assert result.remaining == 0 and result.compare == {"products": [], "records": []}
    assert hub.status(booth_id)["conflicts"] == 0

    # Every slip any customer holds is at the hub once, and the hub's money is their sum.
    assert _hub_slips(hub, booth_id) == slips
    assert hub.totals(booth_id) == restored.totals()
    # Taking back is idempotent: a second recover and push add nothing.
    with restored.app.app_context(), unit_of_work(db.session) as s:
        assert sync_booth.recover(s, set_aside).records == 0
    assert restored.push(hub.transport(token)).sent == 0
    assert _hub_slips(hub, booth_id) == slips


def test_a_refused_push_names_the_record_and_the_way_out_and_never_shows_a_stale_match(pair):
    from sqlalchemy import update

    from pos.models.sync import SyncCursor

    hub, booth, booth_id, token = pair
    slips: dict[str, int] = {}
    _sell(hub, booth, 2, slips)
    booth.push(hub.transport(token))
    client = _staff_pages_client(booth)
    assert ">Khớp<" in client.get("/sync").get_data(as_text=True)
    # A laptop copied by hand (not through pos restore): the same identity wrote another first sale.
    first = sorted(slips)[0]
    with booth.app.app_context(), unit_of_work(db.session) as s:
        s.execute(update(Sale).where(Sale.receipt_no == first).values(note="chép tay"))
        s.execute(update(SyncCursor).values(acked_seq=0))
    with pytest.raises(sync_booth.HubRefused):
        booth.push(hub.transport(token))

    page = client.get("/sync").get_data(as_text=True)
    assert f"đơn {first}" in page and "pos restore" in page  # the record, as the cashier knows it, and the way out
    assert 'id="compare-stale"' in page and ">Khớp<" not in page  # the earlier match is not shown as current
    organiser = hub.app.test_client()
    login(organiser, "btc")
    hub_page = organiser.get(f"/sync/hub/booths/{booth_id}").get_data(as_text=True)
    assert first in hub_page and 'id="conflict-way-out"' in hub_page
    # Pushing again is refused the same way, and nothing was merged at the hub.
    with pytest.raises(sync_booth.HubRefused):
        booth.push(hub.transport(token))
    assert len(_hub_slips(hub, booth_id)) == 2


def test_pos_sync_push_and_export_exit_non_zero_when_a_step_did_not_complete(pair, tmp_path):
    hub, booth, booth_id, token = pair
    slips: dict[str, int] = {}
    _sell(hub, booth, 3, slips)
    good = hub.transport(token)

    def compare_fails(method, path, body=None):
        if path == sync_booth.COMPARE_PATH:
            raise sync_booth.HubUnreachable(why="mất kết nối khi so sánh (thử nghiệm)")
        return good(method, path, body)

    runner = booth.app.test_cli_runner()
    booth.app.config["SYNC_TRANSPORT_FACTORY"] = lambda url, tok: compare_fails
    said = runner.invoke(args=["sync", "push"])
    assert said.exit_code == 1 and "Chưa so sánh được tổng với hub" in said.output
    assert booth.unpushed() == 0  # the records went; only the comparison is missing
    booth.app.config["SYNC_TRANSPORT_FACTORY"] = lambda url, tok: good
    said = runner.invoke(args=["sync", "push"])
    assert said.exit_code == 0, said.output
    assert "khớp nhau" in said.output

    said = runner.invoke(args=["sync", "export", str(tmp_path / "no-such-stick" / "b07.fpsync")])
    assert said.exit_code == 1 and "Không ghi được" in said.output


def test_pos_hub_init_on_an_empty_database_brings_the_schema_up(db_url, tmp_path):
    from tests.app.test_sync_cli import pos

    instance = tmp_path / "hub-instance"
    instance.mkdir()
    made = pos(instance, "hub", "init", "--name", "Sở Công Thương Quảng Ninh", db_url=db_url)
    assert made.returncode == 0, made.stderr
    assert "Cơ sở dữ liệu này giờ là hub" in made.stdout and "Traceback" not in made.stderr
    again = pos(instance, "hub", "init", db_url=db_url)  # running it twice changes nothing
    assert again.returncode == 0, again.stderr
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("select name from sync_hub")).scalars().all() == ["Sở Công Thương Quảng Ninh"]
            assert conn.execute(text("select count(*) from db_identity")).scalar() == 1
            assert conn.execute(text("select count(*) from alembic_version")).scalar() == 1
    finally:
        engine.dispose()
    # The new hub works: a fair and a booth, and a token for it.
    assert pos(instance, "user", "create", "btc", "--role", "organiser", "--password", "matkhau123",
               db_url=db_url).returncode == 0


def test_a_booth_that_syncs_by_file_gets_a_signed_acknowledgement_and_its_count_drops_to_what_is_unsent(pair, tmp_path):
    import json

    from sqlalchemy import update

    from pos.models.sync import BoothSyncState

    hub, booth, booth_id, token = pair
    with booth.app.app_context(), unit_of_work(db.session) as s:
        s.execute(update(BoothSyncState).values(hub_url="", token=""))  # a booth with no network at all
    slips: dict[str, int] = {}
    _sell(hub, booth, 4, slips)
    assert booth.unpushed() > 0
    booth_cli, hub_cli = booth.app.test_cli_runner(), hub.app.test_cli_runner()
    first = tmp_path / "b07-1.fpsync"
    assert booth_cli.invoke(args=["sync", "export", str(first)]).exit_code == 0
    imported = hub_cli.invoke(args=["sync", "import", str(first)])
    assert imported.exit_code == 0, imported.output
    ack = tmp_path / "b07-1-ack.fpsync"
    assert ack.is_file() and "pos sync import b07-1-ack.fpsync" in imported.output

    # A tampered acknowledgement is refused and changes nothing.
    doc = json.loads(ack.read_text())
    doc["booth"] = "X20-B99"
    (tmp_path / "bad-ack.fpsync").write_text(json.dumps(doc))
    before = booth.unpushed()
    assert booth_cli.invoke(args=["sync", "import", str(tmp_path / "bad-ack.fpsync")]).exit_code == 1
    assert booth.unpushed() == before

    said = booth_cli.invoke(args=["sync", "import", str(ack)])
    assert said.exit_code == 0, said.output
    assert booth.unpushed() == 0 and "còn 0 bản ghi chưa gửi" in said.output and "khớp nhau" in said.output
    client = _staff_pages_client(booth)
    page = client.get("/sync").get_data(as_text=True)
    assert "bản ghi chưa gửi hub" not in page and ">Khớp<" in page

    # Two more sales: the next export holds only them.
    _sell(hub, booth, 2, slips)
    unsent = booth.unpushed()
    second = tmp_path / "b07-2.fpsync"
    said = booth_cli.invoke(args=["sync", "export", str(second)])
    assert said.exit_code == 0 and f"Đã ghi {unsent} bản ghi" in said.output
    with booth.app.app_context():
        from pos.models import SaleLine

        expected = db.session.scalar(select(func.count()).select_from(SaleLine).where(
            SaleLine.sale_id.in_(select(Sale.id).order_by(Sale.id.desc()).limit(2))))
    assert unsent >= 2 + expected  # two sales, their lines, payments and movements: nothing older
    assert unsent < 12
    assert hub_cli.invoke(args=["sync", "import", str(second)]).exit_code == 0
    assert booth_cli.invoke(args=["sync", "import", str(tmp_path / "b07-2-ack.fpsync")]).exit_code == 0
    assert booth.unpushed() == 0 and _hub_slips(hub, booth_id) == slips


def test_a_restored_booth_that_syncs_by_file_gets_back_what_the_hub_holds_with_the_acknowledgement(pair, tmp_path):
    from sqlalchemy import update

    from pos.models.sync import BoothSyncState

    hub, booth, booth_id, token = pair
    with booth.app.app_context(), unit_of_work(db.session) as s:
        s.execute(update(BoothSyncState).values(hub_url="", token=""))
    slips: dict[str, int] = {}
    hub_cli = hub.app.test_cli_runner()

    def carry(side, name):
        """Export at the booth, import at the hub, import the acknowledgement at the booth."""
        assert side.app.test_cli_runner().invoke(args=["sync", "export", str(tmp_path / name)]).exit_code == 0
        assert hub_cli.invoke(args=["sync", "import", str(tmp_path / name)]).exit_code == 0
        ack = tmp_path / name.replace(".fpsync", "-ack.fpsync")
        return side.app.test_cli_runner().invoke(args=["sync", "import", str(ack)])

    _sell(hub, booth, 2, slips)
    assert carry(booth, "f1.fpsync").exit_code == 0
    backup = backups.make_backup(tmp_path / "booth.sqlite", tmp_path / "backups", label="manual").path
    _sell(hub, booth, 3, slips)
    assert carry(booth, "f2.fpsync").exit_code == 0  # the hub has all five; then the laptop dies

    restored, _set_aside = _restore(booth, backup, tmp_path)
    booth.app = restored.app
    client = _staff_pages_client(restored)
    assert "nhập tệp xác nhận của hub" in client.get("/sell").get_data(as_text=True)
    _sell(hub, restored, 1, slips)
    said = carry(restored, "f3.fpsync")
    assert said.exit_code == 0, said.output
    assert "Đã lấy lại" in said.output
    assert restored.unpushed() == 0 and 'id="restore-notice"' not in client.get("/sell").get_data(as_text=True)
    with restored.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Sale)) == 6
    assert _hub_slips(hub, booth_id) == slips and hub.totals(booth_id) == restored.totals()


def test_a_shift_closed_again_on_the_restored_laptop_does_not_block_the_push(pair, tmp_path):
    hub, booth, booth_id, token = pair
    slips: dict[str, int] = {}
    _sell(hub, booth, 2, slips)
    booth.push(hub.transport(token))
    backup = backups.make_backup(tmp_path / "booth.sqlite", tmp_path / "backups", label="manual").path
    assert booth.close_shift() == 1  # counted on the laptop that is then lost
    _sell(hub, booth, 2, slips)
    booth.push(hub.transport(token))

    restored, _set_aside = _restore(booth, backup, tmp_path)
    booth.app = restored.app
    # Offline, the restored laptop sells on in shift 1 (open in the backup) and closes it again.
    _sell(hub, restored, 1, slips)
    assert restored.close_shift() == 1
    _sell(hub, restored, 1, slips)
    result = restored.push(hub.transport(token))
    assert result.remaining == 0 and restored.unpushed() == 0
    assert _hub_slips(hub, booth_id) == slips
    # The second closing is shown to the organiser, not merged and not blocking.
    assert hub.status(booth_id)["conflicts"] >= 1
    organiser = hub.app.test_client()
    login(organiser, "btc")
    assert "lần đóng đầu" in organiser.get(f"/sync/hub/booths/{booth_id}").get_data(as_text=True)
    assert restored.push(hub.transport(token)).sent == 0  # nothing left to send


def test_a_new_laptop_replacing_a_lost_one_numbers_in_a_series_of_its_own(pair, tmp_path):
    hub, booth, booth_id, token = pair
    slips: dict[str, int] = {}
    _sell(hub, booth, 3, slips)
    booth.push(hub.transport(token))
    _sell(hub, booth, 2, slips)  # printed, never pushed: then the laptop is stolen, with no backup
    spare = BoothSide(make_app(f"sqlite:///{tmp_path / 'spare.sqlite'}", tmp_path, "spare"))
    try:
        spare.provision(hub, token)
        spare.receive({u: 10 for u in hub.products.values()})
        _sell(hub, spare, 2, slips)  # _sell fails on a repeated number
        assert all(re.fullmatch(r"X20-B07-T1-R[0-9A-F]{4}-\d{6}", r) for r in list(slips)[-2:])
        assert spare.push(hub.transport(token)).remaining == 0
        assert hub.status(booth_id)["conflicts"] == 0
    finally:
        dispose(spare.app)


def test_the_restore_story_with_a_hub_process_and_the_pos_command(db_url, tmp_path):
    """By hand, as at a fair: a hub server process, and the booth's `pos` commands in processes of their own."""
    from tests.app.test_sync_cli import HubProcess, _free_port, pos
    from tests.app.test_sync_support import Hub

    hub = Hub(make_app(db_url, tmp_path, "hub-setup"))
    booth_id = hub.booth("B07", "Gian hàng Bình Liêu")
    hub.product(QUE, 95_000)
    hub.product(MIEN, 60_000)
    dispose(hub.app)
    hub_dir, booth_dir = tmp_path / "hub", tmp_path / "booth"
    hub_dir.mkdir()
    booth_dir.mkdir()
    token = pos(hub_dir, "hub", "booth-token", "X20-B07", db_url=db_url).stdout.split("\n")[1].strip()
    server = HubProcess(db_url, hub_dir, _free_port())
    server.start()
    url = f"http://127.0.0.1:{server.port}"
    slips: dict[str, int] = {}
    booth = BoothSide(make_app(f"sqlite:///{booth_dir / 'pos.sqlite'}", tmp_path, "booth"))
    try:
        assert pos(booth_dir, "provision", "--hub", url, "--token", token, "--allow-http").returncode == 0
        booth.receive({u: 100 for u in hub.products.values()})
        _sell(hub, booth, 2, slips)
        assert pos(booth_dir, "sync", "push").returncode == 0
        made = pos(booth_dir, "backup")
        assert made.returncode == 0, made.stderr
        backup = made.stdout.split(": ", 1)[1].split(" (")[0]
        _sell(hub, booth, 10, slips)
        assert pos(booth_dir, "sync", "push").returncode == 0
        _sell(hub, booth, 5, slips)
        dispose(booth.app)

        server.stop()  # the hub is out of reach for the rest of the day
        restored = pos(booth_dir, "restore", backup, "--yes")
        assert restored.returncode == 0, restored.stderr
        assert "có 15 đơn bán mà bản khôi phục không có" in restored.stdout
        kept = restored.stdout.split("Lấy lại: pos recover ", 1)[1].split("\n")[0].strip()
        booth.app = make_app(f"sqlite:///{booth_dir / 'pos.sqlite'}", tmp_path, "restored")
        _sell(hub, booth, 3, slips)
        down = pos(booth_dir, "sync", "push")
        assert down.returncode != 0 and "Không kết nối được hub" in down.stderr

        server.start()
        assert pos(booth_dir, "sync", "push").returncode == 0
        recovered = pos(booth_dir, "recover", kept)
        assert recovered.returncode == 0 and "Đã lấy lại 5 đơn bán" in recovered.stdout
        final = pos(booth_dir, "sync", "push")
        assert final.returncode == 0 and "khớp nhau" in final.stdout
    finally:
        server.stop()
        dispose(booth.app)
    hub = Hub.__new__(Hub)
    hub.app = make_app(db_url, tmp_path, "hub-check")
    try:
        assert _hub_slips(hub, booth_id) == slips and len(slips) == 20
        assert hub.totals(booth_id) == booth.totals()
    finally:
        dispose(hub.app)

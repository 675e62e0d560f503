"""Backups: online copies that are checked and kept N deep, a USB copy, `pos backup` / `pos restore`
(a restored database gets a new identity), and the integrity check before serving."""
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pos.errors import DomainError
from pos.extensions import db
from pos import workers
from pos.services import backups
from tests.conftest import login


def _rows(path, sql):
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_a_backup_is_a_checked_self_contained_copy_taken_while_a_till_is_writing(app, world, tmp_path):
    world.product(stock=5)
    live = tmp_path / "pos.sqlite"
    writer = sqlite3.connect(live, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # a till in the middle of a sale
    writer.execute("INSERT INTO producer (uuid, name, kind, province, district, commune, phone, bank_account, "
                   "is_active, search_key) VALUES ('u-1', 'Chưa lưu', 'htx', '', '', '', '', '', 1, '')")
    result = backups.make_backup(live, tmp_path / "backups", label="manual")
    writer.execute("COMMIT")
    writer.close()
    assert result.path.parent == tmp_path / "backups" and result.path.name.endswith("-manual.sqlite")
    assert not Path(str(result.path) + "-wal").exists() and not list((tmp_path / "backups").glob("*.partial"))
    info = backups.check_backup_file(result.path)
    assert info.last_seq > 0
    names = {r[0] for r in _rows(result.path, "SELECT name FROM producer")}
    assert "Chưa lưu" not in names and "HTX Thảo mộc Tuệ Lâm" in names  # only what was committed
    assert _rows(result.path, "PRAGMA journal_mode") == [("delete",)]


def test_only_the_last_n_backups_of_each_kind_are_kept(app, world, tmp_path):
    world.booth()
    folder = tmp_path / "backups"
    folder.mkdir()
    (folder / "notes.txt").write_text("not ours")
    shift = backups.make_backup(tmp_path / "pos.sqlite", folder, label="shift")
    made = [backups.make_backup(tmp_path / "pos.sqlite", folder, label="auto", keep=3).path for _ in range(5)]
    left = sorted(p.name for p in folder.iterdir())
    assert sorted(p.name for p in made[-3:]) == sorted(n for n in left if n.endswith("-auto.sqlite"))
    assert shift.path.name in left and "notes.txt" in left
    assert [b.path for b in backups.list_backups(folder)][:3] == list(reversed(made[-3:]))


def test_a_backup_is_copied_to_the_usb_stick_and_a_missing_stick_is_said_not_created(app, world, tmp_path):
    world.booth()
    stick = tmp_path / "usb"
    stick.mkdir()
    ok = backups.make_backup(tmp_path / "pos.sqlite", tmp_path / "b", copy_to=stick)
    assert [p.parent for p in ok.copies] == [stick] and backups.check_backup_file(ok.copies[0])
    unplugged = tmp_path / "media" / "usb"
    missing = backups.make_backup(tmp_path / "pos.sqlite", tmp_path / "b", copy_to=unplugged)
    assert missing.path.exists() and missing.copies == []
    assert "chưa cắm USB" in missing.copy_error and not unplugged.exists()


def test_files_that_are_not_good_backups_are_refused_with_the_reason(tmp_path):
    (tmp_path / "text.sqlite").write_text("hello")
    plain = tmp_path / "other.sqlite"
    sqlite3.connect(plain).execute("CREATE TABLE t (x)").connection.close()
    for path, words in ((tmp_path / "none.sqlite", "Không có tệp"), (tmp_path / "text.sqlite", "không phải cơ sở dữ liệu"),
                        (plain, "không phải bản sao lưu của Fair POS")):
        with pytest.raises(backups.BackupError) as err:
            backups.check_backup_file(path)
        assert words in err.value.text


def test_a_backup_after_a_shift_close_never_raises(app, tmp_path):
    from pos import create_app
    from pos.config import TestConfig

    hub = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://pos:pos@127.0.0.1/none"})
    assert backups.backup_after_shift_close(hub) is None  # PostgreSQL: pg_dump's job, logged, not raised
    app.config["BACKUP_DIR"] = str(tmp_path / "no" / "such" / "dir")
    assert backups.backup_after_shift_close(app) is None
    app.config["BACKUP_DIR"] = str(tmp_path / "ok")
    assert backups.backup_after_shift_close(app).label == "shift"


def test_the_manager_backs_up_from_the_page_and_it_is_audited(app, client, world, tmp_path):
    world.user("manager", username="quanly")
    app.config.update(BACKUP_DIR=str(tmp_path / "bk"), BACKUP_USB_PATH=str(tmp_path / "usb-not-plugged"))
    login(client, "quanly")
    response = client.post("/audit/backups")
    assert response.status_code == 302
    page = client.get("/audit/backups").get_data(as_text=True)
    assert "-manual.sqlite" in page and "không thấy" in page
    entry = client.get("/api/v1/audit/entries?action=db.backup").json["entries"][0]
    assert entry["username"] == "quanly" and "chưa cắm USB" in entry["details"]["copy_error"]


def test_the_periodic_backup_thread_makes_auto_backups_until_stopped(app, world, tmp_path):
    world.booth()
    app.config.update(BACKUP_DIR=str(tmp_path / "auto"), BACKUP_INTERVAL_MINUTES=0.005)  # 0.3 s
    stop = workers.start_periodic_backups(app)
    try:
        deadline = time.monotonic() + 30
        while not list((tmp_path / "auto").glob("*-auto.sqlite")) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop.set()
    assert list((tmp_path / "auto").glob("*-auto.sqlite"))
    app.config["BACKUP_INTERVAL_MINUTES"] = 0
    assert workers.start_periodic_backups(app) is None


# --- the `pos` command ---------------------------------------------------------------


def _pos(tmp_path, *args, input_text=None):
    env = {"POS_INSTANCE_PATH": str(tmp_path / "instance"), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
           "POS_DATABASE_URL": "sqlite:///demo.sqlite", "POS_BACKUP_INTERVAL_MINUTES": "0"}
    return subprocess.run([sys.executable, "-m", "pos.cli", *args], capture_output=True, text=True, env=env,
                          input=input_text, timeout=120)


def test_pos_backup_and_pos_restore_give_the_restored_database_a_new_identity(tmp_path):
    assert _pos(tmp_path, "demo", "--no-serve").returncode == 0
    live = tmp_path / "instance" / "demo.sqlite"
    [(old_id, old_seq)] = _rows(live, "SELECT id, last_seq FROM db_identity")

    made = _pos(tmp_path, "backup")
    assert made.returncode == 0, made.stderr
    backup = Path(made.stdout.split(": ", 1)[1].split(" (")[0])
    assert backup.parent == tmp_path / "instance" / "backups"
    # Work done after the backup: it will be lost by restoring, and the hub may already hold it.
    assert _pos(tmp_path, "user", "create", "thungan2", "--role", "cashier", "--password", "matkhau123").returncode == 0

    copy = tmp_path / "instance" / "copy.sqlite"
    second = _pos(tmp_path, "restore", str(backup), "--into", str(copy))
    assert second.returncode == 0, second.stderr
    assert "pos sync push" not in second.stdout  # a booth that never had a hub: nothing to push first
    [(copy_id, copy_seq)] = _rows(copy, "SELECT id, last_seq FROM db_identity")
    assert copy_id != old_id and copy_seq == 0
    lineage = _rows(copy, "SELECT details FROM audit_entry WHERE action = 'db.restore'")
    assert f'"restored_from_db": "{old_id}"' in lineage[0][0] and f'"restored_from_seq": {old_seq}' in lineage[0][0]
    assert _rows(live, "SELECT id FROM db_identity") == [(old_id,)]  # the live database was not touched

    # A booth provisioned from a hub is told to push (or provision) before it sells again.
    hub_booth = tmp_path / "hub-booth.sqlite"
    shutil.copy(backup, hub_booth)
    with sqlite3.connect(hub_booth) as con:
        con.execute("INSERT INTO booth_sync_state (booth_uuid, hub_url, allow_http, token, signing_key, "
                    "provisioned_via, last_push_error, last_export_records, last_compare, hub_numbers) "
                    "VALUES ('b', 'https://hub.example.vn', 0, 't', '', 'http', '', 0, '', '')")
    con.close()
    told = _pos(tmp_path, "restore", str(hub_booth), "--into", str(tmp_path / "instance" / "copy2.sqlite"))
    assert told.returncode == 0, told.stderr
    assert "Khi có mạng: gửi dữ liệu lên hub (pos sync push" in told.stdout

    refused = _pos(tmp_path, "restore", str(backup), input_text="n\n")
    assert refused.returncode != 0 and _rows(live, "SELECT count(*) FROM user WHERE username='thungan2'") == [(1,)]
    restored = _pos(tmp_path, "restore", str(backup), "--yes")
    assert restored.returncode == 0, restored.stderr
    assert "Dữ liệu trước khi khôi phục được giữ lại" in restored.stdout
    # Its receipts and documents are numbered in a series of its own; the set-aside database lost no sale.
    assert re.search(r"thuộc dãy R[0-9A-F]{4}", restored.stdout)
    assert "Dữ liệu đã để riêng không có đơn bán nào mà bản khôi phục thiếu" in restored.stdout
    [(new_id, new_seq)] = _rows(live, "SELECT id, last_seq FROM db_identity")
    assert new_id not in (old_id, copy_id) and new_seq == 0
    assert _rows(live, "SELECT count(*) FROM user WHERE username='thungan2'") == [(0,)]
    assert _rows(live, "PRAGMA journal_mode") == [("wal",)] and _rows(live, "PRAGMA integrity_check") == [("ok",)]
    # What was there before the restore is kept, and listed.
    listing = _pos(tmp_path, "backup", "--list").stdout
    assert "before-restore" in listing and backup.name in listing
    kept = next((tmp_path / "instance" / "backups").glob("*-before-restore.sqlite"))
    assert _rows(kept, "SELECT count(*) FROM user WHERE username='thungan2'") == [(1,)]

    # The next record written gets sequence 1 under the new identity: it cannot clash at the hub.
    from pos import create_app
    from pos.db import unit_of_work
    from pos.models import StockDocument, User
    from pos.services import booths, stock

    # A secret given: an app made here must not write instance/secret_key into the working tree.
    app = create_app(overrides={"SQLALCHEMY_DATABASE_URI": f"sqlite:///{live}", "SECRET_KEY": "test"})
    with app.app_context():
        booth = booths.current_booth(db.session)
        manager = db.session.query(User).filter_by(username="quanly").one()
        product_id = db.session.execute(db.text("select id from product limit 1")).scalar()
        with unit_of_work(db.session) as s:
            doc = stock.record_document(s, booth, s.get(User, manager.id), stock.NewDocument.of("damage",
                                        reason="Vỡ chai", lines=[dict(product_id=product_id, qty=1)]))
        doc = db.session.get(StockDocument, doc.id)
        assert (doc.origin_db, doc.origin_seq) == (new_id, 1)
        db.session.remove()
        db.engine.dispose()


def test_pos_restore_refuses_a_damaged_backup_and_leaves_the_database_alone(tmp_path):
    assert _pos(tmp_path, "demo", "--no-serve").returncode == 0
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"SQLite format 3\0" + b"\x01" * 8000)
    result = _pos(tmp_path, "restore", str(bad), "--yes")
    assert result.returncode != 0 and "bad.sqlite" in result.stderr
    assert _rows(tmp_path / "instance" / "demo.sqlite", "PRAGMA integrity_check") == [("ok",)]


def _damage(path: Path):
    """Scribble over the stock ledger's pages, as a failing disk or a torn write would.

    The schema stays readable, so the schema upgrade `pos serve` runs first gets through and the
    integrity check is what finds the damage.
    """
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    roots = [r[0] for r in conn.execute("SELECT rootpage FROM sqlite_master WHERE tbl_name = 'stock_movement'")]
    page = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    data = bytearray(path.read_bytes())
    for root in roots:
        start = (root - 1) * page
        data[start + 8:start + page - 8] = os.urandom(page - 16)
    path.write_bytes(bytes(data))


def test_a_damaged_database_is_caught_at_start_with_what_to_do(tmp_path):
    assert _pos(tmp_path, "demo", "--no-serve").returncode == 0
    assert _pos(tmp_path, "backup").returncode == 0
    live = tmp_path / "instance" / "demo.sqlite"
    _damage(live)
    from pos import create_app

    # A secret given: an app made here must not write instance/secret_key into the working tree.
    app = create_app(overrides={"SQLALCHEMY_DATABASE_URI": f"sqlite:///{live}", "SECRET_KEY": "test"})
    app.instance_path = str(tmp_path / "instance")
    advice = backups.problem_at_start(app)
    assert advice and "BỊ HỎNG" in advice and "pos restore" in advice
    newest = backups.list_backups(tmp_path / "instance" / "backups")[0].path
    assert str(newest) in advice  # the newest good backup, named
    served = _pos(tmp_path, "serve", "--port", "1")
    assert served.returncode != 0 and "pos restore" in served.stderr
    # Following the advice brings back a sound database; the damaged file is kept, not deleted.
    assert _pos(tmp_path, "restore", str(newest), "--yes").returncode == 0
    assert backups.problem_at_start(app) is None
    assert list((tmp_path / "instance" / "backups").glob("damaged-*"))


def test_a_sound_database_passes_the_start_check(app, world):
    world.booth()
    assert backups.problem_at_start(app) is None


def test_backups_of_a_postgresql_hub_are_refused_clearly():
    with pytest.raises(DomainError) as err:
        backups.sqlite_path("postgresql+psycopg://pos:pos@127.0.0.1/hub")
    assert "pg_dump" in err.value.text

"""Faults a booth laptop meets: the server killed (kill -9) in the middle of a stream of checkouts,
a database locked by another process, a full disk. A sale the cashier saw confirmed is kept; a sale
that could not be written is refused with a message and leaves nothing behind."""
import http.client
import http.cookiejar
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest
from sqlalchemy import event

from pos import db as pos_db
from pos.extensions import db
from tests.conftest import copy_demo, login


def _sale_body(till_id, product_id, price, lines=1, stamp=None):
    return dict(till_id=till_id, lines=[dict(product_id=product_id, qty=1, **({"stamp_code": stamp} if stamp else {}))
                                        for _ in range(lines)],
                payments=[dict(method="cash", tendered_vnd=price * lines)])


def _ledger(db_path):
    """What the database holds: sales by key, and the checks that tie the ledger to the sales."""
    conn = sqlite3.connect(db_path, timeout=30)  # after a kill, the first opener recovers the WAL
    try:
        sales = {key: (receipt, till) for key, receipt, till in conn.execute(
            "SELECT idempotency_key, receipt_no, till_id FROM sale")}
        moved = conn.execute("SELECT coalesce(-sum(qty), 0) FROM stock_movement WHERE kind = 'sale'").fetchone()[0]
        sold = conn.execute("SELECT coalesce(sum(qty), 0) FROM sale_line").fetchone()[0]
        incomplete = conn.execute(
            "SELECT count(*) FROM sale s WHERE NOT EXISTS (SELECT 1 FROM sale_line l WHERE l.sale_id = s.id)"
            " OR NOT EXISTS (SELECT 1 FROM payment p WHERE p.sale_id = s.id)"
            " OR (SELECT count(*) FROM sale_line l WHERE l.sale_id = s.id)"
            "    != (SELECT count(*) FROM stock_movement m WHERE m.sale_id = s.id AND m.kind = 'sale')").fetchone()[0]
        numbers = {}
        for till, number in conn.execute("SELECT till_id, number FROM sale ORDER BY number"):
            numbers.setdefault(till, []).append(number)
        last_numbers = dict(conn.execute("SELECT id, last_number FROM till"))
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()
    return dict(sales=sales, moved=moved, sold=sold, incomplete=incomplete, numbers=numbers,
                last_numbers=last_numbers, integrity=integrity)


# --- kill -9 ------------------------------------------------------------------------------

CONFIRMED_BEFORE_KILL = 15
MAX_SALES_PER_CLIENT = 60
DEADLINE_S = 90


class Till:
    """A cashier's device: its own cookies and CSRF token, talking HTTP to the booth server."""

    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.csrf = ""

    def request(self, method, path, body=None, headers=None, form=None, timeout=15):
        data, hdrs = None, dict(headers or {})
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        if method != "GET":
            hdrs["X-CSRFToken"] = self.csrf
        req = urllib.request.Request(self.base + path, data=data, headers=hdrs, method=method)
        try:
            with self.opener.open(req, timeout=timeout) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as err:
            return err.code, err.read()

    def log_in(self, username="thungan", password="demo1234"):
        _, page = self.request("GET", "/login")
        token = re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()
        self.csrf = token
        status, _ = self.request("POST", "/login", form=dict(username=username, password=password, csrf_token=token))
        assert status == 200, status  # the redirect was followed to the sell screen
        _, page = self.request("GET", "/stock")
        self.csrf = re.search(rb'name="csrf-token" content="([^"]+)"', page).group(1).decode()

    def sell(self, key, body):
        status, raw = self.request("POST", "/api/v1/sales", body=body, headers={"Idempotency-Key": key})
        return status, json.loads(raw) if raw.startswith(b"{") else raw


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_demo(tmp_path, port, demo_template):
    if not (tmp_path / "instance" / "demo.sqlite").exists():  # a restart serves the same database again
        copy_demo(demo_template, tmp_path / "instance")
    env = dict(os.environ, POS_INSTANCE_PATH=str(tmp_path / "instance"), POS_BACKUP_INTERVAL_MINUTES="0")
    proc = subprocess.Popen([sys.executable, "-m", "pos.cli", "demo", "--host", "127.0.0.1", "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc
        except OSError:
            if proc.poll() is not None:
                pytest.fail(f"pos demo exited: {proc.stderr.read().decode()[-2000:]}")
            if time.monotonic() > deadline:
                proc.kill()
                pytest.fail("pos demo did not listen within 60 s")
            time.sleep(0.2)


def test_kill_9_in_a_stream_of_checkouts_keeps_every_confirmed_sale_and_nothing_else(tmp_path, demo_template):
    port = _free_port()
    server = _start_demo(tmp_path, port, demo_template)
    db_path = tmp_path / "instance" / "demo.sqlite"
    base = f"http://127.0.0.1:{port}"
    try:
        with sqlite3.connect(db_path) as conn:
            tills = [r[0] for r in conn.execute(
                "SELECT id FROM till WHERE booth_id = (SELECT booth_id FROM db_identity) ORDER BY code")]
            products = conn.execute("SELECT p.id, p.price_vnd FROM product p JOIN stock_movement m ON m.product_id = p.id"
                                    " GROUP BY p.id HAVING sum(m.qty) >= 30").fetchall()
        assert len(tills) >= 2 and products
        confirmed, unanswered, refused = {}, {}, {}
        lock, killed = threading.Lock(), threading.Event()

        def cashier(n):
            till = Till(base)
            till.log_in()
            for i in range(MAX_SALES_PER_CLIENT):
                if killed.is_set():
                    return
                key = f"c{n}-{i}"
                product_id, price = products[(n + i) % len(products)]
                body = _sale_body(tills[n % len(tills)], product_id, price)
                try:
                    status, out = till.sell(key, body)
                except (OSError, urllib.error.URLError, http.client.HTTPException):
                    # Sent, no whole answer: the kill came first (refused, reset, or cut mid-answer).
                    with lock:
                        unanswered[key] = body
                    return
                with lock:
                    (confirmed if status == 201 else refused)[key] = (body, out) if status == 201 else (status, out)

        clients = [threading.Thread(target=cashier, args=(n,), daemon=True) for n in range(3)]
        before = set(_ledger(db_path)["sales"])  # the demo's own history of the fair
        for c in clients:
            c.start()
        deadline = time.monotonic() + DEADLINE_S
        while len(confirmed) < CONFIRMED_BEFORE_KILL and time.monotonic() < deadline and any(c.is_alive() for c in clients):
            time.sleep(0.02)
        assert len(confirmed) >= CONFIRMED_BEFORE_KILL, (len(confirmed), refused)
        os.kill(server.pid, signal.SIGKILL)  # mid-stream: requests are in flight
        killed.set()
        server.wait(timeout=10)
        for c in clients:
            c.join(timeout=60)
        # Every client has heard its last answer (or its error) before the database is read: a
        # client still waiting could record a confirmation after the ledger was taken.
        assert not any(c.is_alive() for c in clients), "a client still waits 60 s after the kill"
        assert refused == {}, refused

        after = _ledger(db_path)
        keys = set(after["sales"])
        with lock:
            lost = set(confirmed) - keys
        assert not lost, (lost, sorted(confirmed), sorted(unanswered))  # every sale confirmed survived the kill
        assert keys - before <= set(confirmed) | set(unanswered)  # nothing nobody asked for
        for key, (_body, out) in confirmed.items():
            assert after["sales"][key][0] == out["receipt_no"]

        # The restarted server; the tills retry what got no answer, with the same keys: each was
        # either written whole before the kill (200, the same sale) or not at all (201, made now).
        server = _start_demo(tmp_path, port, demo_template)
        till = Till(base)
        till.log_in()
        for key, body in unanswered.items():
            status, out = till.sell(key, body)
            assert status == (200 if key in keys else 201), (key, status, out)

        final = _ledger(db_path)
        assert set(final["sales"]) - before == set(confirmed) | set(unanswered)
        assert final["incomplete"] == 0 and final["integrity"] == "ok"
        assert final["moved"] == final["sold"]  # the stock ledger agrees with the sales
        for till_id, numbers in final["numbers"].items():  # receipt numbers: no gap, no repeat
            assert numbers == list(range(1, len(numbers) + 1)) and final["last_numbers"][till_id] == len(numbers)
    finally:
        server.kill()
        server.wait(timeout=10)


# --- a locked database, a full disk -------------------------------------------------------


@pytest.fixture
def counter(app, world, client):
    """A cashier logged in at T1, with a product of 500 in stock."""
    from pos.models import Till

    pid = world.product(price_vnd=60000, stock=500)
    world.user("cashier", username="thungan")
    login(client, "thungan")
    with app.app_context():
        till_id = db.session.query(Till).filter_by(code="T1").one().id
    return dict(pid=pid, till_id=till_id)


def _post_sale(client, key, body):
    return client.post("/api/v1/sales", json=body, headers={"Idempotency-Key": key})


def test_a_sale_while_another_process_holds_the_database_is_refused_clearly_and_leaves_nothing(
        app, client, world, counter, tmp_path, monkeypatch):
    monkeypatch.setattr(pos_db, "BUSY_TIMEOUT_MS", 300)  # the tills wait 10 s in real life
    with app.app_context():
        db.engine.dispose()  # new connections take the short wait
    before = _ledger(tmp_path / "pos.sqlite")
    other = sqlite3.connect(tmp_path / "pos.sqlite", isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # e.g. a copy tool or a second server holding the file
    try:
        body = _sale_body(counter["till_id"], counter["pid"], 60000)
        response = _post_sale(client, "locked-1", body)
        assert response.status_code == 503, response.data[:300]
        assert response.json["error"] == "DatabaseBusy"
        assert "chưa có gì được lưu" in response.json["message"]
    finally:
        other.execute("ROLLBACK")
        other.close()
    after = _ledger(tmp_path / "pos.sqlite")
    assert after["sales"] == before["sales"] and after["last_numbers"] == before["last_numbers"]
    assert world.on_hand(counter["pid"]) == 500
    retried = _post_sale(client, "locked-1", body)  # the same key, once the database is free: one sale
    assert retried.status_code == 201 and retried.json["receipt_no"].endswith("-000001")


def test_a_sale_on_a_full_disk_is_refused_clearly_and_never_half_written(app, client, world, counter, tmp_path):
    db_file = tmp_path / "pos.sqlite"

    def cap_size(dbapi_connection, _record):
        # What a full disk looks like to SQLite: the file may not grow by a single page.
        pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

    with app.app_context():
        engine = db.engine
        engine.dispose()
        event.listen(engine, "connect", cap_size)
    before = _ledger(db_file)
    # A big sale: 150 lines, each with its traceability stamp, needs pages the disk no longer has.
    body = _sale_body(counter["till_id"], counter["pid"], 60000, lines=150, stamp="BL-MD-500-" + "x" * 150)
    try:
        response = _post_sale(client, "full-1", body)
        assert response.status_code == 503, response.data[:300]
        assert response.json["error"] == "DiskFull" and "Ổ đĩa đã đầy" in response.json["message"]
        assert "chưa có gì được lưu" in response.json["message"]
    finally:
        event.remove(engine, "connect", cap_size)
        with app.app_context():
            engine.dispose()
    after = _ledger(db_file)
    assert after["sales"] == before["sales"] and after["last_numbers"] == before["last_numbers"]
    assert (after["moved"], after["sold"], after["integrity"]) == (before["moved"], before["sold"], "ok")
    assert world.on_hand(counter["pid"]) == 500
    retried = _post_sale(client, "full-1", body)  # space freed: the same checkout goes through, once
    assert retried.status_code == 201 and len(retried.json["lines"]) == 150
    assert world.on_hand(counter["pid"]) == 350


# --- a full disk, for real: a small filesystem ----------------------------------------------


@pytest.fixture
def small_disk(tmp_path):
    """A 3 MB tmpfs mounted for this test (needs root; skipped elsewhere, failed in CI)."""
    import subprocess

    from tests.conftest import skip_or_fail

    mount = tmp_path / "disk"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)], capture_output=True, text=True)
    if made.returncode != 0:
        skip_or_fail(f"cannot mount a small tmpfs: {made.stderr.strip() or made.returncode}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def _fill(folder):
    """Fill the filesystem to the last byte; returns the filler file."""
    filler = folder / "filler.bin"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        for size in (65536, 512, 1):
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError:
                pass
    finally:
        os.close(fd)
    return filler


def test_a_full_disk_is_named_logged_and_warned_about_before_it_happens(small_disk, tmp_path, schema_template, caplog):
    import logging

    from pos.services import backups
    from tests.conftest import World, _make_app

    app = _make_app(f"sqlite:///{small_disk / 'pos.sqlite'}", tmp_path, schema_template)
    world = World(app)
    pid = world.product(price_vnd=60000, stock=500)
    world.user("cashier", username="thungan")
    world.user("manager", username="quanly")
    cashier, manager = app.test_client(), app.test_client()
    login(cashier, "thungan")
    login(manager, "quanly")
    with app.app_context():
        from pos.models import Till

        till_id = db.session.query(Till).filter_by(code="T1").one().id
        assert backups.low_disk_warning(app) is not None  # 3 MB is below the 500 MB warning line
        db.session.remove()
        db.engine.dispose()
    # An empty WAL: the sale must grow a file on the full disk.
    conn = sqlite3.connect(small_disk / "pos.sqlite")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    app.config["LOW_DISK_MB"] = 1
    assert "Ổ đĩa sắp đầy" not in manager.get("/stock").get_data(as_text=True)

    filler = _fill(small_disk)
    body = _sale_body(till_id, pid, 60000, lines=150, stamp="BL-MD-500-" + "x" * 150)
    with caplog.at_level(logging.ERROR, logger="pos.db"):
        response = _post_sale(cashier, "full-1", body)
    assert response.status_code == 503, response.data[:300]
    assert response.json["error"] == "DiskFull" and "Ổ đĩa đã đầy" in response.json["message"]
    assert "đang bận" not in response.json["message"]  # not "busy": retrying now would not help
    assert any("disk full" in r.getMessage() for r in caplog.records)
    # The manager's pages and `pos serve` at start say the disk is running out; a cashier's do not.
    page = manager.get("/stock").get_data(as_text=True)
    assert 'id="disk-warning"' in page and "Ổ đĩa sắp đầy" in page
    assert 'id="disk-warning"' not in cashier.get("/sell/sales").get_data(as_text=True)
    with app.app_context():
        assert "Ổ đĩa sắp đầy" in backups.low_disk_warning(app)

    filler.unlink()  # space freed: the same checkout goes through, once
    retried = _post_sale(cashier, "full-1", body)
    assert retried.status_code == 201 and len(retried.json["lines"]) == 150
    assert world.on_hand(pid) == 350
    with app.app_context():
        db.engine.dispose()

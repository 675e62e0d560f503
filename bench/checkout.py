"""Checkouts per second through the booth app over HTTP, against a bare Flask + sqlite3 baseline.

    python bench/checkout.py                 # 4 clients x 200 checkouts each
    python bench/checkout.py --quick         # 4 clients x 15, for CI
    python bench/checkout.py --sales 500 --clients 4

The real app runs as its own process, `python -m pos.cli demo --host 127.0.0.1 --port P`
(waitress), on a demo booth built beforehand in a fresh temporary instance folder, so the
start time is the server getting ready on an existing booth database: from spawning the
process to its first successful GET /login, with bytecode caching allowed as on a user's
laptop (the build run leaves __pycache__ behind, as the first start there does). A manager session receives stock through
POST /api/v1/stock/documents so the run never runs out. Then each client, with its own
logged-in cashier session (standard library only: http.client with keep-alive, cookies
and the CSRF token of the page), makes a few untimed warm-up checkouts and then N timed
checkouts of the same five-line cash sale (five products, qty 1, cash tendered generously)
through POST /api/v1/sales, each with a fresh Idempotency-Key; every answer must be 201.
The server's resident memory is read from /proc after the run, and the stock on hand must
have gone down by exactly the sales made.

In the same run the bare baseline does the same writes: a minimal Flask app defined in
this file (this script run with --bare-server PORT DBPATH) served by waitress with the
same 8 threads, raw sqlite3 with the same pragmas (WAL, synchronous=FULL, foreign keys,
busy timeout) and BEGIN IMMEDIATE, the same tables, constraints and indexes for the rows
a sale writes, the same reads a checkout needs (idempotency key, till, prices, stock on
hand) and the same rows (one sale, five lines, five stock movements, one payment, with
the till's receipt number and the database's sequence numbers), a JSON body of the same
shape and the same client load. It has no login, session, CSRF or ORM: the ratio
app/bare is what those cost. Both servers run side by side, and the timed checkouts alternate
between them in rounds (--rounds, 4 by default: app, bare, app, bare...), so a spell of a busy
machine slows both and not one only; each figure is over all the rounds of its server.

Prints readable figures, then, as the LAST line, one JSON object: app_sales_per_s,
app_p50_ms, app_p95_ms, bare_sales_per_s, bare_p50_ms, bare_p95_ms, ratio_app_to_bare,
app_cpu_ms_per_sale and bare_cpu_ms_per_sale (each server's CPU time per checkout, from /proc),
start_s, rss_mb, sales, clients, failures and whether each aim is met: p95_under_50ms,
p95_within_2x_bare, ratio_at_least_35pct, ready_under_2s, rss_under_150mb. Aims (issue 14): p95
under 50 ms and within twice the bare app's p95, at least 35 % of the bare app's rate, ready in
under 2 s, under 150 MB. An aim not met is
reported, not fatal; the exit status is non-zero only when a request failed (or a
server did not start, or the stock does not add up).
"""
from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import ExitStack, contextmanager
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
CASHIER = ("thungan", "demo1234")
MANAGER = ("quanly", "demo1234")
TILL_ID = 1  # the demo booth's till T1
LINES_PER_SALE = 5
SERVER_THREADS = 8  # what pos.cli.serve.serve_app gives waitress
HTTP_TIMEOUT_S = 30.0
READY_TIMEOUT_S = 60.0
AIM_P95_MS = 50.0
AIM_RATIO = 0.35
AIM_READY_S = 2.0
AIM_RSS_MB = 150.0


class BenchError(Exception):
    """The benchmark could not run (a server did not start, a setup request failed)."""


# --------------------------------------------------------------------------- HTTP client


class Client:
    """One keep-alive HTTP connection with its own cookies (one browser, one session)."""

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection(HOST, port, timeout=HTTP_TIMEOUT_S)
        self.cookies: dict[str, str] = {}
        self.headers: dict[str, str] = {}  # sent with every request (e.g. X-CSRFToken)

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict | None = None) -> tuple[int, bytes]:
        all_headers = dict(self.headers)
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        all_headers.update(headers or {})
        try:
            self.conn.request(method, path, body=body, headers=all_headers)
            resp = self.conn.getresponse()
            data = resp.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()  # the next request opens a new connection
            raise
        for raw in resp.headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(raw)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return resp.status, data

    def post_json(self, path: str, payload, headers: dict | None = None) -> tuple[int, bytes]:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        return self.request("POST", path, body, {"Content-Type": "application/json", **(headers or {})})

    def get_json(self, path: str):
        status, data = self.request("GET", path)
        if status != 200:
            raise BenchError(f"GET {path}: HTTP {status} {data[:200]!r}")
        return json.loads(data)

    def close(self):
        self.conn.close()


def login(port: int, username: str, password: str) -> Client:
    """A client logged in through the login form, holding the CSRF token of a logged-in page."""
    client = Client(port)
    status, page = client.request("GET", "/login")
    token = re.search(rb'name="csrf_token" value="([^"]+)"', page)
    if status != 200 or not token:
        raise BenchError(f"GET /login: HTTP {status}, no CSRF token")
    form = urlencode({"username": username, "password": password, "csrf_token": token.group(1).decode()})
    status, _ = client.request("POST", "/login", form.encode(), {"Content-Type": "application/x-www-form-urlencoded"})
    if status != 302:
        raise BenchError(f"login as {username}: HTTP {status} (expected a redirect)")
    status, page = client.request("GET", "/stock")
    meta = re.search(rb'<meta name="csrf-token" content="([^"]+)"', page)
    if status != 200 or not meta:
        raise BenchError(f"GET /stock as {username}: HTTP {status}, no csrf-token meta")
    client.headers["X-CSRFToken"] = meta.group(1).decode()
    return client


# --------------------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def server_env(instance: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "POS_"))}
    env.update(POS_INSTANCE_PATH=str(instance), FLASK_APP="pos", PYTHONUNBUFFERED="1")
    return env


def spawn(cmd: list[str], env: dict, log_path: Path) -> subprocess.Popen:
    with open(log_path, "wb") as log:
        return subprocess.Popen(cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT)


def wait_ready(proc: subprocess.Popen, port: int, path: str, started: float) -> float:
    """Seconds from `started` until GET path answers 200. Raises BenchError if the server dies or hangs."""
    deadline = started + READY_TIMEOUT_S
    while time.perf_counter() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"the server exited with status {proc.returncode}")
        conn = http.client.HTTPConnection(HOST, port, timeout=2)
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            resp.read()
            if resp.status == 200:
                return time.perf_counter() - started
        except (OSError, http.client.HTTPException):
            pass
        finally:
            conn.close()
        time.sleep(0.01)
    raise BenchError(f"the server was not ready after {READY_TIMEOUT_S:.0f} s")


def stop(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


def tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def memory_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process in MB, from /proc (0 where /proc is missing)."""
    found = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] = int(value.split()[0]) / 1024  # kB
    except OSError:
        pass
    return found.get("VmRSS", 0.0), found.get("VmHWM", 0.0)


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far, from /proc (0 where /proc is missing)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
    except (OSError, IndexError, ValueError):
        return 0.0


# --------------------------------------------------------------------------- load


class Load:
    """Figures of one load run."""

    def __init__(self):
        self.latencies: list[float] = []  # seconds, timed checkouts that answered 201
        self.ok = 0  # 201 answers, warm-up included
        self.failures = 0
        self.errors: list[str] = []
        self.wall = 0.0
        self.server_cpu_s = 0.0  # the server process's CPU time over the run (warm-up included)
        self.lock = threading.Lock()

    def add(self, other: "Load") -> None:
        """Take in the figures of another round on the same server."""
        self.latencies += other.latencies
        self.ok += other.ok
        self.failures += other.failures
        self.errors += other.errors[:max(0, 5 - len(self.errors))]
        self.wall += other.wall
        self.server_cpu_s += other.server_cpu_s

    def fail(self, message: str):
        with self.lock:
            self.failures += 1
            if len(self.errors) < 5:
                self.errors.append(message)

    @property
    def cpu_ms_per_sale(self) -> float:
        """The server's CPU time per answered checkout (warm-up included), in milliseconds."""
        return self.server_cpu_s / self.ok * 1000 if self.ok else float("nan")

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.wall if self.wall else 0.0

    def pct_ms(self, p: float) -> float:
        """Nearest-rank percentile of the latencies, in milliseconds."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] * 1000


def run_load(clients: list[Client], path: str, body: bytes, expected_total: int, n: int, warmup: int) -> Load:
    """Each client makes `warmup` then n timed checkouts at once with the others; latencies per request."""
    load = Load()
    start = threading.Barrier(len(clients) + 1)

    def checkout(client: Client, timed: list | None):
        headers = {"Idempotency-Key": uuid.uuid4().hex}
        t0 = time.perf_counter()
        try:
            status, data = client.post_json(path, body, headers)
        except (OSError, http.client.HTTPException) as exc:
            load.fail(f"{type(exc).__name__}: {exc}")
            return
        elapsed = time.perf_counter() - t0
        if status != 201:
            load.fail(f"HTTP {status}: {data[:300].decode(errors='replace').strip()}")
            return
        try:
            total = json.loads(data)["total_vnd"]
        except (ValueError, KeyError, TypeError):
            total = None
        if total != expected_total:
            load.fail(f"201 but total_vnd {total!r}, expected {expected_total}")
            return
        with load.lock:
            load.ok += 1
        if timed is not None:
            timed.append(elapsed)

    def worker(client: Client, timed: list):
        try:
            for _ in range(warmup):
                checkout(client, None)
            start.wait(timeout=READY_TIMEOUT_S)
            for _ in range(n):
                checkout(client, timed)
        except threading.BrokenBarrierError:
            load.fail("the clients could not start together")
        except Exception as exc:  # noqa: BLE001  (counted, then reported)
            load.fail(f"{type(exc).__name__}: {exc}")
            start.abort()

    per_client: list[list[float]] = [[] for _ in clients]
    threads = [threading.Thread(target=worker, args=(c, t), daemon=True) for c, t in zip(clients, per_client)]
    for t in threads:
        t.start()
    try:
        start.wait(timeout=READY_TIMEOUT_S + HTTP_TIMEOUT_S * max(1, warmup))
    except threading.BrokenBarrierError:
        pass
    t0 = time.perf_counter()
    for t in threads:
        t.join(timeout=HTTP_TIMEOUT_S * (n + 1))
    load.wall = time.perf_counter() - t0
    if any(t.is_alive() for t in threads):
        load.fail("a client was still running at the time limit")
    for timed in per_client:
        load.latencies += timed
    return load


def sale_body(products: list[dict]) -> tuple[bytes, int]:
    """The five-line cash sale's JSON body and its total; cash tendered generously (rounded up, + 500.000)."""
    total = sum(p["price_vnd"] for p in products)
    tendered = (total // 500_000 + 2) * 500_000
    body = {"till_id": TILL_ID, "lines": [{"product_id": p["id"], "qty": 1} for p in products],
            "payments": [{"method": "cash", "tendered_vnd": tendered}]}
    return json.dumps(body).encode(), total


def pick_products(products: list[dict]) -> list[dict]:
    """Five different active products, taken in turn from each producer (in id order)."""
    by_producer: dict[int, list[dict]] = {}
    for p in sorted(products, key=lambda p: p["id"]):
        if p["is_active"] and p["price_vnd"] > 0:
            by_producer.setdefault(p["producer"]["id"], []).append(p)
    picked: list[dict] = []
    queues = list(by_producer.values())
    while len(picked) < LINES_PER_SALE and any(queues):
        for queue in queues:
            if queue and len(picked) < LINES_PER_SALE:
                picked.append(queue.pop(0))
    if len(picked) < LINES_PER_SALE:
        raise BenchError(f"the demo booth has only {len(picked)} products to sell")
    return picked


# --------------------------------------------------------------------------- the app


@contextmanager
def app_server(work: Path, clients: int, need: int):
    """The booth app serving a fresh demo booth with `need` of each of five products in stock, and one
    logged-in cashier client per till client. Yields a dict: proc, cashiers, manager, products, before
    (stock on hand per product), start_s, rss_ready_mb. Stops the server on the way out."""
    instance = work / "instance"
    env = server_env(instance)
    pos_cmd = [sys.executable, "-m", "pos.cli", "demo"]
    try:
        built = subprocess.run(pos_cmd + ["--no-serve"], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                               capture_output=True, timeout=300)
    except subprocess.TimeoutExpired:
        raise BenchError("pos demo --no-serve took more than 300 s") from None
    if built.returncode != 0:
        raise BenchError("pos demo --no-serve failed:\n" + (built.stdout + built.stderr).decode(errors="replace")[-2000:])

    port = free_port()
    log_path = work / "app-server.log"
    proc = None
    try:
        started = time.perf_counter()
        proc = spawn(pos_cmd + ["--host", HOST, "--port", str(port)], env, log_path)
        start_s = wait_ready(proc, port, "/login", started)
        rss_ready, _ = memory_mb(proc.pid)

        manager = login(port, *MANAGER)
        products = pick_products(manager.get_json("/api/v1/products")["products"])
        by_producer: dict[int, list] = {}
        for p in products:
            by_producer.setdefault(p["producer"]["id"], []).append({"product_id": p["id"], "qty": need})
        for producer_id, lines in by_producer.items():
            status, data = manager.post_json("/api/v1/stock/documents", {
                "kind": "receive", "producer_id": producer_id, "lines": lines,
                "reason": "bench/checkout.py: hàng cho đo tải"})
            if status != 201:
                raise BenchError(f"receiving stock: HTTP {status} {data[:300]!r}")
        before = {p["id"]: p["on_hand"] for p in manager.get_json("/api/v1/products")["products"]}
        cashiers = [login(port, *CASHIER) for _ in range(clients)]
        yield dict(proc=proc, manager=manager, cashiers=cashiers, products=products, before=before,
                   start_s=start_s, rss_ready_mb=rss_ready)
        for c in [manager, *cashiers]:
            c.close()
    except BenchError as exc:
        raise BenchError(f"{exc}\n-- app server log:\n{tail(log_path)}") from None
    finally:
        stop(proc)


def check_app_stock(app: dict, load: "Load") -> None:
    """The stock on hand of each product sold must have gone down by exactly the sales answered 201."""
    after = {p["id"]: p["on_hand"] for p in app["manager"].get_json("/api/v1/products")["products"]}
    for p in app["products"]:
        if app["before"][p["id"]] - after[p["id"]] != load.ok:
            load.fail(f"stock of product {p['id']} went from {app['before'][p['id']]} to {after[p['id']]} "
                      f"after {load.ok} sales")


# --------------------------------------------------------------------------- the bare baseline

BARE_SCHEMA = """
CREATE TABLE booth (id INTEGER PRIMARY KEY, code VARCHAR(16) NOT NULL, receipt_prefix VARCHAR(32) NOT NULL);
CREATE TABLE user (id INTEGER PRIMARY KEY, username VARCHAR(64) NOT NULL UNIQUE);
CREATE TABLE db_identity (id VARCHAR(36) PRIMARY KEY, booth_id INTEGER REFERENCES booth (id),
    last_seq INTEGER NOT NULL);
CREATE TABLE till (id INTEGER PRIMARY KEY, booth_id INTEGER NOT NULL REFERENCES booth (id),
    code VARCHAR(8) NOT NULL, last_number INTEGER NOT NULL, is_active BOOLEAN NOT NULL);
CREATE TABLE product (id INTEGER PRIMARY KEY, name VARCHAR(200) NOT NULL, price_vnd INTEGER NOT NULL,
    is_active BOOLEAN NOT NULL);
CREATE TABLE sale (
    id INTEGER PRIMARY KEY, till_id INTEGER NOT NULL REFERENCES till (id), number INTEGER NOT NULL,
    receipt_no VARCHAR(64) NOT NULL UNIQUE, cashier_id INTEGER NOT NULL REFERENCES user (id),
    created_at DATETIME NOT NULL, subtotal_vnd INTEGER NOT NULL, line_discount_vnd INTEGER NOT NULL,
    order_discount_vnd INTEGER NOT NULL, total_vnd INTEGER NOT NULL,
    idempotency_key VARCHAR(100) NOT NULL UNIQUE, request_digest VARCHAR(64) NOT NULL,
    discount_approved_by_id INTEGER REFERENCES user (id), buyer_name VARCHAR(200) NOT NULL,
    buyer_tax_code VARCHAR(20) NOT NULL, note TEXT NOT NULL, went_below_zero BOOLEAN NOT NULL,
    origin_db VARCHAR(36) NOT NULL, origin_seq INTEGER NOT NULL, booth_id INTEGER NOT NULL REFERENCES booth (id),
    uuid VARCHAR(36) NOT NULL UNIQUE,
    CHECK (total_vnd = subtotal_vnd - line_discount_vnd - order_discount_vnd), CHECK (total_vnd >= 0),
    UNIQUE (origin_db, origin_seq), UNIQUE (till_id, number));
CREATE INDEX ix_sale_booth_id ON sale (booth_id);
CREATE INDEX ix_sale_created_at ON sale (created_at);
CREATE INDEX ix_sale_till_id ON sale (till_id);
CREATE TABLE sale_line (
    id INTEGER PRIMARY KEY, sale_id INTEGER NOT NULL REFERENCES sale (id),
    product_id INTEGER NOT NULL REFERENCES product (id), product_name VARCHAR(200) NOT NULL,
    qty INTEGER NOT NULL, unit_price_vnd INTEGER NOT NULL, line_discount_vnd INTEGER NOT NULL,
    order_discount_vnd INTEGER NOT NULL, net_vnd INTEGER NOT NULL, stamp_code VARCHAR(200),
    origin_db VARCHAR(36) NOT NULL, origin_seq INTEGER NOT NULL, booth_id INTEGER NOT NULL REFERENCES booth (id),
    uuid VARCHAR(36) NOT NULL UNIQUE,
    CHECK (net_vnd = qty * unit_price_vnd - line_discount_vnd - order_discount_vnd), CHECK (net_vnd >= 0),
    CHECK (qty > 0), UNIQUE (origin_db, origin_seq));
CREATE INDEX ix_sale_line_booth_id ON sale_line (booth_id);
CREATE INDEX ix_sale_line_product_id ON sale_line (product_id);
CREATE INDEX ix_sale_line_sale_id ON sale_line (sale_id);
CREATE TABLE payment (
    id INTEGER PRIMARY KEY, sale_id INTEGER NOT NULL REFERENCES sale (id), method VARCHAR(16) NOT NULL,
    amount_vnd INTEGER NOT NULL, tendered_vnd INTEGER NOT NULL, change_vnd INTEGER NOT NULL,
    reference VARCHAR(40) NOT NULL, qr_payload TEXT NOT NULL,
    origin_db VARCHAR(36) NOT NULL, origin_seq INTEGER NOT NULL, booth_id INTEGER NOT NULL REFERENCES booth (id),
    uuid VARCHAR(36) NOT NULL UNIQUE,
    CHECK (method IN ('cash', 'transfer', 'card')), CHECK (amount_vnd > 0),
    CHECK (change_vnd >= 0 AND tendered_vnd >= 0), UNIQUE (origin_db, origin_seq));
CREATE INDEX ix_payment_booth_id ON payment (booth_id);
CREATE INDEX ix_payment_sale_id ON payment (sale_id);
CREATE TABLE stock_movement (
    id INTEGER PRIMARY KEY, product_id INTEGER NOT NULL REFERENCES product (id), kind VARCHAR(16) NOT NULL,
    qty INTEGER NOT NULL, document_id INTEGER, sale_id INTEGER REFERENCES sale (id), counted_qty INTEGER,
    reason TEXT NOT NULL, created_by_id INTEGER REFERENCES user (id), created_at DATETIME NOT NULL,
    origin_db VARCHAR(36) NOT NULL, origin_seq INTEGER NOT NULL, booth_id INTEGER NOT NULL REFERENCES booth (id),
    uuid VARCHAR(36) NOT NULL UNIQUE,
    CHECK (kind IN ('receive', 'sale', 'void', 'refund', 'return', 'sample', 'damage', 'adjust')),
    CHECK (counted_qty IS NULL OR counted_qty >= 0), UNIQUE (origin_db, origin_seq));
CREATE INDEX ix_stock_movement_booth_id ON stock_movement (booth_id);
CREATE INDEX ix_stock_movement_created_at ON stock_movement (created_at);
CREATE INDEX ix_stock_movement_document_id ON stock_movement (document_id);
CREATE INDEX ix_stock_movement_product_id ON stock_movement (product_id);
CREATE INDEX ix_stock_movement_sale_id ON stock_movement (sale_id);
"""


def bare_connect(path: str):
    import sqlite3

    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON", "busy_timeout=10000"):
        conn.execute(f"PRAGMA {pragma}")
    return conn


def bare_init(path: str, products: list[dict], stock_qty: int) -> None:
    """A fresh baseline database: one booth, cashier, till T1, the benchmark's products and their stock."""
    conn = bare_connect(path)
    conn.executescript(BARE_SCHEMA)
    ident = str(uuid.uuid4())
    now = time.strftime("%Y-%m-%d %H:%M:%S")
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO booth VALUES (1, 'B07', 'X20-B07')")
    conn.execute("INSERT INTO user VALUES (1, 'thungan')")
    conn.execute("INSERT INTO db_identity VALUES (?, 1, ?)", (ident, len(products)))
    conn.execute("INSERT INTO till VALUES (?, 1, 'T1', 0, 1)", (TILL_ID,))
    for seq, p in enumerate(products, start=1):
        conn.execute("INSERT INTO product VALUES (?, ?, ?, 1)", (p["id"], p["name"], p["price_vnd"]))
        conn.execute(
            "INSERT INTO stock_movement (product_id, kind, qty, reason, created_by_id, created_at, origin_db,"
            " origin_seq, booth_id, uuid) VALUES (?, 'receive', ?, '', 1, ?, ?, ?, 1, ?)",
            (p["id"], stock_qty, now, ident, seq, str(uuid.uuid4())))
    conn.execute("COMMIT")
    conn.close()


def bare_app(db_path: str):
    """The baseline: one POST /sales doing a checkout's reads and writes with raw sqlite3."""
    import hashlib
    from datetime import datetime, timezone

    from flask import Flask, jsonify, request

    app = Flask("bare_checkout")
    local = threading.local()

    def conn():
        if not hasattr(local, "conn"):
            local.conn = bare_connect(db_path)
        return local.conn

    @app.get("/ready")
    def ready():
        return "ok"

    @app.post("/sales")
    def create_sale():
        key = (request.headers.get("Idempotency-Key") or "").strip()
        data = request.get_json(silent=True)
        if not key or len(key) > 100 or not isinstance(data, dict):
            return jsonify(error="InvalidInput"), 400
        try:
            till_id = int(data["till_id"])
            lines = [(int(line["product_id"]), int(line["qty"])) for line in data["lines"]]
            tendered = int(next(p["tendered_vnd"] for p in data["payments"] if p["method"] == "cash"))
        except (KeyError, TypeError, ValueError, StopIteration):
            return jsonify(error="InvalidInput"), 400
        if not lines or any(qty < 1 for _, qty in lines):
            return jsonify(error="InvalidInput"), 400
        digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
        ids = sorted({pid for pid, _ in lines})
        marks = ",".join("?" * len(ids))
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        c = conn()
        c.execute("BEGIN IMMEDIATE")
        try:
            row = c.execute("SELECT id, request_digest FROM sale WHERE idempotency_key = ?", (key,)).fetchone()
            if row is not None:
                c.execute("ROLLBACK")
                return (jsonify(id=row[0]), 200) if row[1] == digest else (jsonify(error="IdempotencyConflict"), 409)
            till = c.execute("SELECT booth_id, code FROM till WHERE id = ? AND is_active", (till_id,)).fetchone()
            if till is None:
                c.execute("ROLLBACK")
                return jsonify(error="NotFound"), 404
            booth_id, till_code = till
            prefix = c.execute("SELECT receipt_prefix FROM booth WHERE id = ?", (booth_id,)).fetchone()[0]
            products = {r[0]: r for r in c.execute(
                f"SELECT id, name, price_vnd FROM product WHERE is_active AND id IN ({marks})", ids)}
            levels = dict(c.execute(
                f"SELECT product_id, COALESCE(SUM(qty), 0) FROM stock_movement WHERE booth_id = ?"
                f" AND product_id IN ({marks}) GROUP BY product_id", [booth_id, *ids]))
            wanted: dict[int, int] = {}
            for pid, qty in lines:
                wanted[pid] = wanted.get(pid, 0) + qty
            if any(pid not in products for pid in ids):
                c.execute("ROLLBACK")
                return jsonify(error="UnknownProduct"), 404
            if any(qty > levels.get(pid, 0) for pid, qty in wanted.items()):
                c.execute("ROLLBACK")
                return jsonify(error="OutOfStock"), 409
            total = sum(qty * products[pid][2] for pid, qty in lines)
            if tendered < total:
                c.execute("ROLLBACK")
                return jsonify(error="Underpaid"), 400
            number = c.execute("UPDATE till SET last_number = last_number + 1 WHERE id = ? RETURNING last_number",
                               (till_id,)).fetchone()[0]
            count = 1 + 2 * len(lines) + 1
            ident, last = c.execute("UPDATE db_identity SET last_seq = last_seq + ? RETURNING id, last_seq",
                                    (count,)).fetchone()
            seq = iter(range(last - count + 1, last + 1))
            receipt_no = f"{prefix}-{till_code}-{number:06d}"
            sale_uuid = str(uuid.uuid4())
            sale_id = c.execute(
                "INSERT INTO sale (till_id, number, receipt_no, cashier_id, created_at, subtotal_vnd,"
                " line_discount_vnd, order_discount_vnd, total_vnd, idempotency_key, request_digest,"
                " buyer_name, buyer_tax_code, note, went_below_zero, origin_db, origin_seq, booth_id, uuid)"
                " VALUES (?, ?, ?, 1, ?, ?, 0, 0, ?, ?, ?, '', '', '', 0, ?, ?, ?, ?)",
                (till_id, number, receipt_no, now, total, total, key, digest, ident, next(seq), booth_id,
                 sale_uuid)).lastrowid
            out_lines = []
            for pid, qty in lines:
                _, name, price = products[pid]
                c.execute(
                    "INSERT INTO sale_line (sale_id, product_id, product_name, qty, unit_price_vnd,"
                    " line_discount_vnd, order_discount_vnd, net_vnd, stamp_code, origin_db, origin_seq,"
                    " booth_id, uuid) VALUES (?, ?, ?, ?, ?, 0, 0, ?, NULL, ?, ?, ?, ?)",
                    (sale_id, pid, name, qty, price, qty * price, ident, next(seq), booth_id, str(uuid.uuid4())))
                c.execute(
                    "INSERT INTO stock_movement (product_id, kind, qty, sale_id, reason, created_by_id, created_at,"
                    " origin_db, origin_seq, booth_id, uuid) VALUES (?, 'sale', ?, ?, ?, 1, ?, ?, ?, ?, ?)",
                    (pid, -qty, sale_id, receipt_no, now, ident, next(seq), booth_id, str(uuid.uuid4())))
                out_lines.append({"product_id": pid, "name": name, "qty": qty, "unit_price_vnd": price,
                                  "line_discount_vnd": 0, "order_discount_vnd": 0, "net_vnd": qty * price,
                                  "stamp_code": None})
            c.execute(
                "INSERT INTO payment (sale_id, method, amount_vnd, tendered_vnd, change_vnd, reference, qr_payload,"
                " origin_db, origin_seq, booth_id, uuid) VALUES (?, 'cash', ?, ?, ?, '', '', ?, ?, ?, ?)",
                (sale_id, total, tendered, tendered - total, ident, next(seq), booth_id, str(uuid.uuid4())))
            c.execute("COMMIT")
        except BaseException:
            if c.in_transaction:
                c.execute("ROLLBACK")
            raise
        return jsonify(
            id=sale_id, uuid=sale_uuid, receipt_no=receipt_no, till_id=till_id, created_at=now.isoformat() + "Z",
            cashier="thungan", subtotal_vnd=total, discount_vnd=0, total_vnd=total, change_vnd=tendered - total,
            went_below_zero=False, buyer_name="", buyer_tax_code="", lines=out_lines,
            payments=[{"method": "cash", "amount_vnd": total, "tendered_vnd": tendered,
                       "change_vnd": tendered - total, "reference": ""}],
        ), 201

    return app


def bare_server_main(port: int, db_path: str) -> int:
    from waitress import serve

    serve(bare_app(db_path), host=HOST, port=port, threads=SERVER_THREADS, ident="bare")
    return 0


@contextmanager
def bare_server(work: Path, products: list[dict], clients: int, need: int):
    """The bare baseline serving the same products with `need` in stock. Yields a dict: proc, clients,
    db_path. Stops the server on the way out."""
    db_path = work / "bare.sqlite"
    bare_init(str(db_path), products, need)
    port = free_port()
    log_path = work / "bare-server.log"
    proc = None
    try:
        proc = spawn([sys.executable, str(Path(__file__).resolve()), "--bare-server", str(port), str(db_path)],
                     dict(os.environ), log_path)
        wait_ready(proc, port, "/ready", time.perf_counter())
        users = [Client(port) for _ in range(clients)]
        yield dict(proc=proc, clients=users, db_path=db_path)
        for c in users:
            c.close()
    except BenchError as exc:
        raise BenchError(f"{exc}\n-- bare server log:\n{tail(log_path)}") from None
    finally:
        stop(proc)


def check_bare_rows(bare: dict, load: "Load") -> None:
    rows = bare_connect(str(bare["db_path"])).execute("SELECT COUNT(*) FROM sale").fetchone()[0]
    if rows != load.ok:
        load.fail(f"the bare database holds {rows} sales after {load.ok} answers 201")


def timed_round(proc: subprocess.Popen, clients: list, path: str, products: list[dict], n: int, warmup: int) -> "Load":
    body, total = sale_body(products)
    cpu_before = cpu_s(proc.pid)
    load = run_load(clients, path, body, total, n, warmup)
    load.server_cpu_s = cpu_s(proc.pid) - cpu_before
    return load


def bench_both(work: Path, n: int, clients: int, warmup: int, rounds: int) -> tuple[dict, "Load", "Load"]:
    """Both servers run side by side; the timed checkouts alternate between them in `rounds` rounds
    (app, then bare, then app...), so a spell of a busy machine falls on both and not on one only."""
    need = clients * (n + warmup) + 10
    sizes = [n // rounds + (1 if i < n % rounds else 0) for i in range(rounds)]
    with ExitStack() as servers:
        app = servers.enter_context(app_server(work, clients, need))
        bare = servers.enter_context(bare_server(work, app["products"], clients, need))
        app_load, bare_load = Load(), Load()
        for i, size in enumerate(sizes):
            first = warmup if i == 0 else 0
            app_load.add(timed_round(app["proc"], app["cashiers"], "/api/v1/sales", app["products"], size, first))
            bare_load.add(timed_round(bare["proc"], bare["clients"], "/sales", app["products"], size, first))
        app["rss_mb"], app["hwm_mb"] = memory_mb(app["proc"].pid)
        check_app_stock(app, app_load)
        check_bare_rows(bare, bare_load)
    return app, app_load, bare_load


# --------------------------------------------------------------------------- main


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="15 checkouts per client (for CI)")
    parser.add_argument("--sales", type=int, default=None, help="timed checkouts per client (default 200, 15 with --quick)")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--warmup", type=int, default=3, help="untimed checkouts per client first (default 3)")
    parser.add_argument("--rounds", type=int, default=4,
                        help="the timed checkouts alternate between the app and the bare app in this many rounds "
                             "(default 4)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (databases, server logs)")
    parser.add_argument("--bare-server", nargs=2, metavar=("PORT", "DBPATH"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.bare_server:
        return bare_server_main(int(args.bare_server[0]), args.bare_server[1])
    n = args.sales or (15 if args.quick else 200)
    clients = max(1, args.clients)
    warmup = max(0, args.warmup)

    work = Path(tempfile.mkdtemp(prefix="pos-bench-checkout-"))
    try:
        print(f"Checkout of a {LINES_PER_SALE}-line cash sale, {clients} clients x {n} timed checkouts "
              f"(+{warmup} warm-up each) in {max(1, min(args.rounds, n))} rounds alternating app and bare, "
              f"waitress {SERVER_THREADS} threads, SQLite WAL synchronous=FULL, "
              f"{os.cpu_count()} CPUs", flush=True)
        try:
            app, a, b = bench_both(work, n, clients, warmup, max(1, min(args.rounds, n)))
        except BenchError as exc:
            print(f"benchmark failed: {exc}", file=sys.stderr)
            return 2
    finally:
        if args.keep:
            print(f"  kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    ratio = a.rate / b.rate if b.rate else 0.0

    def num(x: float, digits: int = 1):
        return None if math.isnan(x) else round(x, digits)  # JSON has no NaN: null when nothing was timed

    result = {
        "app_sales_per_s": num(a.rate), "app_p50_ms": num(a.pct_ms(50)), "app_p95_ms": num(a.pct_ms(95)),
        "bare_sales_per_s": num(b.rate), "bare_p50_ms": num(b.pct_ms(50)),
        "bare_p95_ms": num(b.pct_ms(95)), "ratio_app_to_bare": num(ratio, 3),
        "app_cpu_ms_per_sale": num(a.cpu_ms_per_sale, 2), "bare_cpu_ms_per_sale": num(b.cpu_ms_per_sale, 2),
        "start_s": round(app["start_s"], 3), "rss_mb": round(app["rss_mb"], 1),
        "sales": len(a.latencies), "clients": clients, "failures": a.failures + b.failures,
    }
    aims = {
        "p95_under_50ms": bool(a.latencies) and a.pct_ms(95) < AIM_P95_MS,
        "p95_within_2x_bare": bool(a.latencies) and a.pct_ms(95) <= 2 * b.pct_ms(95),
        "ratio_at_least_35pct": ratio >= AIM_RATIO,
        "ready_under_2s": app["start_s"] < AIM_READY_S,
        "rss_under_150mb": 0 < app["rss_mb"] < AIM_RSS_MB,
    }
    result.update(aims)

    def figures(name: str, load: Load) -> str:
        mean = statistics.fmean(load.latencies) * 1000 if load.latencies else float("nan")
        return (f"  {name:<5} {load.rate:7.1f} sales/s   p50 {load.pct_ms(50):6.1f} ms   p95 {load.pct_ms(95):6.1f} ms"
                f"   max {load.pct_ms(100):6.1f} ms   mean {mean:6.1f} ms"
                f"   server CPU {load.cpu_ms_per_sale:5.2f} ms/sale"
                f"   ({len(load.latencies)} timed sales, {load.wall:.2f} s, {load.failures} failed)")

    print(figures("app", a))
    print(figures("bare", b))
    print(f"  app/bare {ratio * 100:5.1f} % of the bare rate")
    print(f"  booth server ready in {app['start_s']:.2f} s (spawn to first GET /login 200); resident memory "
          f"{app['rss_ready_mb']:.1f} MB when ready, {app['rss_mb']:.1f} MB after the run (peak {app['hwm_mb']:.1f} MB)")
    labels = {"p95_under_50ms": f"p95 < {AIM_P95_MS:.0f} ms", "p95_within_2x_bare": "p95 <= 2x bare's",
              "ratio_at_least_35pct": f">= {AIM_RATIO:.0%} of bare",
              "ready_under_2s": f"ready < {AIM_READY_S:.0f} s", "rss_under_150mb": f"RSS < {AIM_RSS_MB:.0f} MB"}
    print("  aims: " + ", ".join(f"{labels[k]} {'OK' if ok else 'NOT MET'}" for k, ok in aims.items()))
    for name, load in (("app", a), ("bare", b)):
        for message in load.errors:
            print(f"  {name} failure: {message}")
    print(json.dumps(result, allow_nan=False), flush=True)
    return 1 if result["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())

"""Shared fixtures: a real database per test (SQLite file, or a fresh PostgreSQL database),
and factories that build rows through the real services."""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from pos import create_app, timeutil
from pos.config import TestConfig
from pos.db import unit_of_work
from pos.extensions import db

IN_CI = os.environ.get("CI") == "true"


def _compile_each_url_builder_once():
    """Every test builds its own app, and werkzeug compiles two URL-builder functions (ast + compile)
    for each of the app's ~140 routes each time: 0.3 s of every test's set-up, a third of the suite.
    A builder depends only on the rule's parsed parts and the names of its defaults (the values come
    in as arguments), so within one test process each is compiled once and reused, unchanged.
    Rules whose defaults fill a part of the path are compiled as usual."""
    from werkzeug.routing.rules import Rule

    compile_builder = getattr(Rule, "_compile_builder", None)
    if compile_builder is None or getattr(compile_builder, "pos_memoized", False):
        return  # another werkzeug: leave it alone, tests are only slower
    builders = {}

    def _compile_builder(self, append_unknown=True):
        defaults = self.defaults or {}
        if any(dynamic and part in defaults for dynamic, part in self._trace):
            return compile_builder(self, append_unknown)
        key = (self.rule, tuple(self._trace), tuple(sorted(defaults)), append_unknown)
        if key not in builders:
            builders[key] = compile_builder(self, append_unknown)
        return builders[key]

    _compile_builder.pos_memoized = True
    Rule._compile_builder = _compile_builder


_compile_each_url_builder_once()

# Tests hash passwords and PINs with scrypt at 1/32 of its memory cost (N=1024 instead of werkzeug's
# 32768): the same algorithm and stored form ("scrypt:1024:8:1$salt$hash", checked by the same
# check_password_hash), without the ~0.1-0.6 s each of the 3-5 hashes a test makes would cost.
# tests/unit/test_startup.py checks that the app itself stores full-strength hashes.
FULL_STRENGTH_PASSWORD_HASH = None


def _cheap_password_hashes_in_tests():
    global FULL_STRENGTH_PASSWORD_HASH
    from werkzeug.security import generate_password_hash as werkzeug_hash

    from pos.services import users

    FULL_STRENGTH_PASSWORD_HASH = users.generate_password_hash

    def generate_password_hash(password, method="scrypt", salt_length=16):
        return werkzeug_hash(password, "scrypt:1024:8:1" if method == "scrypt" else method, salt_length)

    users.generate_password_hash = generate_password_hash


_cheap_password_hashes_in_tests()

PG_ADMIN_URL = os.environ.get("POS_TEST_POSTGRES_URL", "postgresql+psycopg://pos:pos@127.0.0.1:5432/postgres")


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config):
    """The whole suite, or a folder of it, runs on every core (pytest-xdist, `-n auto`) unless told
    otherwise (`-n 0`, `-p no:xdist`, --pdb); a run of chosen files stays in one process, which
    starts faster. Here rather than in addopts, so that a venv installed before pytest-xdist joined
    the dev extra still runs the tests, one at a time."""
    if not hasattr(config.option, "numprocesses") or config.option.numprocesses is not None:
        return
    if os.environ.get("PYTEST_XDIST_WORKER") or config.getoption("usepdb", False):
        return
    whole = config.args_source == pytest.Config.ArgsSource.TESTPATHS
    if whole or any(os.path.isdir(arg) for arg in config.args):
        config.option.numprocesses = "auto"


def skip_or_fail(reason: str):
    """Without a browser or PostgreSQL a test may skip, saying why; in CI it fails."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: this must run, not skip)")
    pytest.skip(reason)


# Debian's Chromium, never a downloaded one; one Playwright and one browser per test process, shared by
# every browser test (tests/browser and the few in tests/app): Playwright's sync API allows one at a time
# in a thread, so a test that started its own beside the shared one failed, depending on the order.
CHROMIUM = os.environ.get("POS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic"]


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("the playwright package is not installed")
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        skip_or_fail(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def pg_admin_engine():
    try:
        import psycopg  # noqa: F401
    except ImportError:
        skip_or_fail("psycopg is not installed")
    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:  # noqa: BLE001 - any failure to connect means "no PostgreSQL here"
        skip_or_fail(f"no PostgreSQL at {PG_ADMIN_URL}: {type(exc).__name__}")
    yield engine
    engine.dispose()


@pytest.fixture
def pg_url(pg_admin_engine):
    """A brand-new PostgreSQL database for one test, dropped afterwards."""
    name = f"pos_test_{uuid.uuid4().hex[:12]}"
    with pg_admin_engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = pg_admin_engine.url.set(database=name)
    yield url.render_as_string(hide_password=False)
    with pg_admin_engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request, tmp_path):
    """The same test on a SQLite file and on a real PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'pos.sqlite'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture(scope="session")
def schema_template(tmp_path_factory) -> Path:
    """An empty SQLite database with every table, made once per test process and copied for each test
    (copying a file takes a fraction of a millisecond; creating the tables took ~60 ms a test)."""
    import pos.models  # noqa: F401 - registers every table in db.metadata (create_app would, later)

    path = tmp_path_factory.mktemp("schema") / "schema.sqlite"
    engine = create_engine(f"sqlite:///{path}")
    db.metadata.create_all(engine)
    engine.dispose()  # the last connection closing checkpoints the WAL into the file
    return path


def _make_app(url, tmp_path, template: Path | None = None):
    app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": url})
    app.instance_path = str(tmp_path / "instance")
    target = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None
    if template is not None and target is not None and not target.exists():
        shutil.copyfile(template, target)
    else:
        with app.app_context():
            db.create_all()
    return app


@pytest.fixture
def app(tmp_path, schema_template):
    app = _make_app(f"sqlite:///{tmp_path / 'pos.sqlite'}", tmp_path, schema_template)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def any_app(db_url, tmp_path, schema_template):
    """An app on SQLite, then on PostgreSQL."""
    app = _make_app(db_url, tmp_path, schema_template)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def session(schema_template):
    """A bare SQLAlchemy session on a fresh in-memory SQLite database, no Flask app (unit tests)."""
    engine = create_engine("sqlite://")  # one connection per thread, kept: the memory database lives in it
    with engine.connect() as conn, sqlite3.connect(schema_template) as template:
        template.backup(conn.connection.dbapi_connection)  # the tables, copied page by page
    with Session(engine) as s:
        yield s
    engine.dispose()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory) -> Path:
    """The demo booth's database, built once per test process by `pos demo --no-serve` (it takes
    several seconds); tests that serve the demo start from a copy of it (see copy_demo)."""
    instance = tmp_path_factory.mktemp("demo") / "instance"
    env = dict(os.environ, POS_INSTANCE_PATH=str(instance), POS_BACKUP_INTERVAL_MINUTES="0")
    built = subprocess.run([sys.executable, "-m", "pos.cli", "demo", "--no-serve"], env=env,
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    return instance / "demo.sqlite"


def copy_demo(template: Path, instance: Path) -> Path:
    """Put a copy of the built demo database in `instance`: `pos demo` there then serves it as is."""
    instance.mkdir(parents=True, exist_ok=True)
    target = instance / "demo.sqlite"
    assert not target.exists(), f"{target} is there already: copying over it would lose its WAL"
    with sqlite3.connect(template) as src, sqlite3.connect(target) as dst:
        src.backup(dst)  # consistent even if a WAL file were left beside the template
    return target


class World:
    """Builds rows through the real services, each in its own transaction, as a user would."""

    def __init__(self, app):
        self.app = app
        self.booth_id = None
        self._n = 0
        self._approvers = 0

    def _uow(self):
        return unit_of_work(db.session)

    def booth(self, **settings):
        from pos.services import booths, shifts, users

        with self.app.app_context(), self._uow() as s:
            booths.init_database(s)
            fair = booths.save_fair(s, dict(code="X20", name="Hội chợ OCOP Quảng Ninh – Xuân 2020"))
            booth = booths.save_booth(s, dict(dict(fair_id=fair.id, code="B07", name="Gian hàng Bình Liêu",
                                                   bank_bin="970405", bank_account="8002205012345"), **settings))
            booths.make_this_booth(s, booth)
            till = booths.save_till(s, booth, dict(code="T1", name="Quầy 1"))
            # Sales need an open cash shift: T1 starts with one, opened by its own cashier account "ca.t1".
            opener = users.save_user(s, dict(username="ca.t1", full_name="Thu ngân ca T1", role="cashier",
                                             password="matkhau123"), booth_id=booth.id)
            shifts.open_shift(s, booth, opener, shifts.NewShift(till_id=till.id))
            self.booth_id = booth.id
        return self.booth_id

    def user(self, role="manager", username=None, **extra):
        from pos.services import users

        if self.booth_id is None:
            self.booth()
        username = username or role
        data = dict(dict(username=username, full_name=f"{role} {username}", role=role, password="matkhau123"), **extra)
        if role in ("manager", "organiser") and "pin" not in data:
            # A PIN belongs to one person: the first approver gets 2468, the next ones others.
            data["pin"] = str(2468 + 1111 * self._approvers)
            self._approvers += 1
        with self.app.app_context(), self._uow() as s:
            return users.save_user(s, data, booth_id=self.booth_id).id

    def producer(self, name="HTX Thảo mộc Tuệ Lâm", **extra):
        from pos.services import catalogue

        with self.app.app_context(), self._uow() as s:
            return catalogue.save_producer(s, dict(dict(name=name, kind="htx", district="Bình Liêu"), **extra)).id

    def product(self, name="Tinh dầu quế 10ml", price_vnd=95_000, stock=0, producer_id=None, barcode=None, **extra):
        from pos.services import catalogue

        if self.booth_id is None:
            self.booth()
        producer_id = producer_id or self.producer()
        self._n += 1
        if barcode is None:  # a valid EAN-13, as a producer's GS1 code would be
            from pos.services.labels import check_digit

            barcode = f"89360000{self._n:04d}" + check_digit(f"89360000{self._n:04d}")
        with self.app.app_context(), self._uow() as s:
            product = catalogue.save_product(s, dict(dict(producer_id=producer_id, name=name, unit="chai",
                                                          price_vnd=price_vnd, barcodes=[barcode]), **extra))
            pid = product.id
        if stock:
            self.receive(producer_id, {pid: stock})
        return pid

    def manager_id(self):
        from pos.models import User

        with self.app.app_context():
            manager = db.session.query(User).filter_by(role="manager").first()
            found = manager.id if manager else None
        return found or self.user("manager", username="stocker")

    def receive(self, producer_id, qty_by_product: dict):
        """A consignment receipt, as a manager records it."""
        from pos.models import Booth, User
        from pos.services import stock as stock_service

        manager_id = self.manager_id()
        with self.app.app_context(), self._uow() as s:
            lines = [dict(product_id=pid, qty=qty) for pid, qty in qty_by_product.items()]
            stock_service.record_document(s, s.get(Booth, self.booth_id), s.get(User, manager_id),
                                          stock_service.NewDocument.of("receive", producer_id=producer_id, lines=lines))

    def on_hand(self, product_id):
        from pos.services import stock as stock_service

        with self.app.app_context():
            return stock_service.on_hand(db.session, self.booth_id, [product_id]).get(product_id, 0)


class Clock:
    """A clock the test holds still and moves on (pos.timeutil.use_clock): naive UTC, as utcnow()."""

    def __init__(self):
        self.now = timeutil.utcnow()

    def __call__(self):
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock():
    """The app's clock for this test, still until the test moves it (clock.advance(seconds))."""
    held = Clock()
    timeutil.use_clock(held)
    yield held
    timeutil.use_clock(None)


@pytest.fixture
def world(app):
    return World(app)


@pytest.fixture
def client(app):
    return app.test_client()


def login(client, username, password="matkhau123"):
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 302, response.data[:500]
    return response

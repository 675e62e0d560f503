"""Shared fixtures: a real database per test (SQLite file, or a fresh PostgreSQL database),
and factories that build rows through the real services."""
from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from pos import create_app
from pos.config import TestConfig
from pos.db import unit_of_work
from pos.extensions import db

IN_CI = os.environ.get("CI") == "true"
PG_ADMIN_URL = os.environ.get("POS_TEST_POSTGRES_URL", "postgresql+psycopg://pos:pos@127.0.0.1:5432/postgres")


def skip_or_fail(reason: str):
    """Without a browser or PostgreSQL a test may skip, saying why; in CI it fails."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: this must run, not skip)")
    pytest.skip(reason)


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


def _make_app(url, tmp_path):
    app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": url})
    app.instance_path = str(tmp_path / "instance")
    with app.app_context():
        db.create_all()
    return app


@pytest.fixture
def app(tmp_path):
    app = _make_app(f"sqlite:///{tmp_path / 'pos.sqlite'}", tmp_path)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def any_app(db_url, tmp_path):
    """An app on SQLite, then on PostgreSQL."""
    app = _make_app(db_url, tmp_path)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def session():
    """A bare SQLAlchemy session on a fresh SQLite database, no Flask app (unit tests)."""
    engine = create_engine("sqlite://")
    db.metadata.create_all(engine)
    with Session(engine) as s:
        yield s
    engine.dispose()


class World:
    """Builds rows through the real services, each in its own transaction, as a user would."""

    def __init__(self, app):
        self.app = app
        self.booth_id = None
        self._n = 0

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
            shifts.open_shift(s, booth, opener, dict(till_id=till.id))
            self.booth_id = booth.id
        return self.booth_id

    def user(self, role="manager", username=None, **extra):
        from pos.services import users

        if self.booth_id is None:
            self.booth()
        username = username or role
        data = dict(username=username, full_name=f"{role} {username}", role=role, password="matkhau123", **extra)
        if role in ("manager", "organiser"):
            data.setdefault("pin", "2468")
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

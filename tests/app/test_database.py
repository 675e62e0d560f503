"""The database itself: schema upgrades, SQLite's safety settings, the same rules on PostgreSQL."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, inspect, text

from pos import MIGRATIONS_DIR, create_app
from pos.config import TestConfig
from pos.extensions import db
from pos.models.product import has_search_index, has_trigram_index, is_search_index, is_search_table


def test_upgrading_an_empty_database_gives_exactly_the_models_schema(db_url, tmp_path):
    app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": db_url})
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR)
        with db.engine.connect() as conn:
            # The SQLite search index (FTS5 table and shadow tables) and the PostgreSQL trigram index
            # have no model, as env.py says.
            opts = {"compare_type": True,
                    "include_name": lambda name, type_, parent: not ((type_ == "table" and is_search_table(name))
                                                                     or (type_ == "index" and is_search_index(name)))}
            diff = compare_metadata(MigrationContext.configure(conn, opts=opts), db.metadata)
            search_index = has_search_index(conn)
            trigram_index = has_trigram_index(conn)
        tables = set(inspect(db.engine).get_table_names())
        db.engine.dispose()
    assert diff == []
    # On SQLite the trigram index and the triggers that keep it in step survive every later migration
    # (one that rebuilds the product table must install them again).
    assert search_index == db_url.startswith("sqlite")
    # On PostgreSQL (a hub) the GIN trigram index of product.search_key instead (pg_trgm is here).
    assert trigram_index == db_url.startswith("postgresql")
    assert {"sale", "stock_movement", "product", "barcode", "db_identity"} <= tables


def test_sqlite_runs_in_wal_with_full_sync_foreign_keys_and_a_busy_timeout(app):
    with app.app_context(), db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 5000


def test_a_write_use_case_takes_the_write_lock_at_its_start(app, world, tmp_path):
    """While one use case is open, another connection cannot even begin a write."""
    import sqlite3

    from pos.db import unit_of_work

    world.booth()
    with app.app_context():
        with unit_of_work(db.session):
            other = sqlite3.connect(str(tmp_path / "pos.sqlite"), timeout=0.1, isolation_level=None)
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
            other.close()


def test_stock_rules_hold_on_sqlite_and_postgresql(any_app):
    from tests.conftest import World

    w = World(any_app)
    tl = w.producer("HTX Thảo mộc Tuệ Lâm")
    que = w.product(name="Tinh dầu quế", producer_id=tl, stock=10)
    client = any_app.test_client()
    w.user("manager", username="quanly")
    client.post("/login", data={"username": "quanly", "password": "matkhau123"})
    assert client.post("/api/v1/stock/documents", json={"kind": "return", "producer_id": tl,
                                                         "lines": [{"product_id": que, "qty": 11}]}).status_code == 409
    assert client.post("/api/v1/stock/documents", json={"kind": "count",
                                                         "lines": [{"product_id": que, "qty": 8}]}).status_code == 201
    assert w.on_hand(que) == 8
    names = [p["name"] for p in client.get("/api/v1/products?q=tinh dau que").json["products"]]
    assert names == ["Tinh dầu quế"]


def test_a_check_constraint_refuses_a_negative_price_even_past_the_services(db_url):
    from sqlalchemy.exc import IntegrityError

    engine = create_engine(db_url)
    db.metadata.create_all(engine)
    with engine.connect() as conn, pytest.raises(IntegrityError):
        conn.execute(text("INSERT INTO producer (uuid, name, kind, province, district, commune, phone, bank_account,"
                          " is_active, search_key) VALUES ('u1', 'P', 'htx', '', '', '', '', '', true, 'p')"))
        conn.execute(text("INSERT INTO product (uuid, producer_id, name, unit, price_vnd, category, is_active, search_key)"
                          " VALUES ('u2', 1, 'X', 'chai', -1, '', true, 'x')"))
    engine.dispose()

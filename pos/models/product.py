from __future__ import annotations

import logging

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import HasUuid

log = logging.getLogger(__name__)

UNITS = ("chai", "hũ", "gói", "hộp", "lọ", "túi", "kg", "cái", "bó", "thùng")


class Product(HasUuid, db.Model):
    """A producer's product as the booth sells it, at one price in đồng."""

    __tablename__ = "product"
    id: Mapped[int] = mapped_column(primary_key=True)
    producer_id: Mapped[int] = mapped_column(ForeignKey("producer.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    unit: Mapped[str] = mapped_column(String(20), nullable=False, default="chai")
    price_vnd: Mapped[int] = mapped_column(Integer, nullable=False)
    ocop_stars: Mapped[int | None] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    # The code on the product's traceability stamp (tem truy xuất nguồn gốc).
    stamp_code: Mapped[str | None] = mapped_column(String(100), unique=True)
    is_active: Mapped[bool] = mapped_column(nullable=False, default=True)
    # Name and producer without diacritics: "mien dong" finds "Miến dong".
    search_key: Mapped[str] = mapped_column(String(400), nullable=False, default="", index=True)
    # The name's Vietnamese alphabetical order as plain ASCII (text.sort_column_key): searches are
    # sorted and cut to a page by the database, walking ix_product_sort_search, not in Python.
    sort_key: Mapped[str] = mapped_column(String(320), nullable=False, default="")

    producer: Mapped["Producer"] = relationship(back_populates="products")  # noqa: F821
    barcodes: Mapped[list["Barcode"]] = relationship(
        back_populates="product", cascade="all, delete-orphan", order_by="Barcode.id"
    )
    __table_args__ = (
        # In order, and covering the search's filter: a word that matches nothing reads the index
        # alone (30 ms over 20,000 products here, 166 ms through a sort_key-only index).
        Index("ix_product_sort_search", "sort_key", "is_active", "search_key"),
        CheckConstraint("price_vnd >= 0", name="price_nonneg"),
        CheckConstraint("ocop_stars IS NULL OR ocop_stars BETWEEN 3 AND 5", name="stars_range"),
    )

    @property
    def barcode_list(self) -> list[str]:
        return [b.code for b in self.barcodes]


class Barcode(db.Model):
    """One of a product's barcodes (a product may carry an EAN-13 and a booth's own label)."""

    __tablename__ = "barcode"
    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), nullable=False, index=True)
    code: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)

    product: Mapped[Product] = relationship(back_populates="barcodes")


# --- The SQLite search index -------------------------------------------------------------------
# A rare word ("mien dong binh") cannot be found by walking ix_product_sort_search in order: the
# walk reads most of the index before the page fills (18 ms over 20,000 products). On SQLite an
# FTS5 table with the trigram tokenizer (SQLite >= 3.34) indexes every three-letter run of
# product.search_key, so "which products contain 'mien'" is a look-up. It is an external-content
# table (it stores no copy of the key, only the index) kept in step by triggers: every way a row
# reaches product (save_product, imports, provisioning, bulk inserts, the upgrade) updates it.
# case_sensitive 1: the key is already folded, so the index matches bytes exactly, as LIKE does.
# A batch_alter_table('product') on SQLite copies and drops the table, and its triggers with it:
# a migration that does so must call install_search_index() again (the schema test checks).
SEARCH_TABLE = "product_search"
SEARCH_TRIGGERS = ("product_search_ai", "product_search_ad", "product_search_au")
SEARCH_INDEX_DDL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS product_search USING fts5("
    "search_key, content='product', content_rowid='id', tokenize='trigram case_sensitive 1')",
    "CREATE TRIGGER IF NOT EXISTS product_search_ai AFTER INSERT ON product BEGIN "
    "INSERT INTO product_search(rowid, search_key) VALUES (new.id, new.search_key); END",
    "CREATE TRIGGER IF NOT EXISTS product_search_ad AFTER DELETE ON product BEGIN "
    "INSERT INTO product_search(product_search, rowid, search_key) VALUES ('delete', old.id, old.search_key); END",
    "CREATE TRIGGER IF NOT EXISTS product_search_au AFTER UPDATE OF id, search_key ON product BEGIN "
    "INSERT INTO product_search(product_search, rowid, search_key) VALUES ('delete', old.id, old.search_key); "
    "INSERT INTO product_search(rowid, search_key) VALUES (new.id, new.search_key); END",
)


def is_search_table(name: str) -> bool:
    """The FTS5 table and its shadow tables (product_search_data, _idx, _docsize, _config): not models."""
    return name == SEARCH_TABLE or name.startswith(SEARCH_TABLE + "_")


def install_search_index(connection) -> bool:
    """Create the trigram index and its triggers on a SQLite database and fill it from the products
    already held. Returns False (and changes nothing) on PostgreSQL or on a SQLite without FTS5's
    trigram tokenizer: search then reads product.search_key alone, as before."""
    if connection.dialect.name != "sqlite":
        return False
    version = connection.exec_driver_sql("SELECT sqlite_version()").scalar()
    if tuple(int(x) for x in version.split(".")[:3]) < (3, 34, 0):
        return False
    try:
        connection.exec_driver_sql(SEARCH_INDEX_DDL[0])
    except Exception:  # noqa: BLE001 - no FTS5 compiled in: the search works without the index
        return False
    for statement in SEARCH_INDEX_DDL[1:]:
        connection.exec_driver_sql(statement)
    connection.exec_driver_sql("INSERT INTO product_search(product_search) VALUES ('rebuild')")
    return True


def drop_search_index(connection) -> None:
    for trigger in SEARCH_TRIGGERS:
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger}")
    connection.exec_driver_sql("DROP TABLE IF EXISTS product_search")


def has_search_index(connection) -> bool:
    """The index is there and kept in step (its table and all three triggers)."""
    if connection.dialect.name != "sqlite":
        return False
    names = (SEARCH_TABLE, *SEARCH_TRIGGERS)
    found = connection.exec_driver_sql(
        "SELECT count(*) FROM sqlite_master WHERE name IN (?, ?, ?, ?)", names).scalar()
    return found == len(names)


# --- The PostgreSQL search index (a hub) ---------------------------------------------------------
# On PostgreSQL the search is the same LIKE '%word%' on product.search_key, one per word. A GIN index
# of the key's trigrams (pg_trgm's gin_trgm_ops) answers it for any word of 3+ letters: PostgreSQL
# takes the pattern's trigrams, reads the few products holding them all, and rechecks the LIKE. The
# key is folded in Python (pos.text.fold), so no `unaccent` is needed. pg_trgm is a trusted extension
# (PostgreSQL >= 13: the database owner, or anyone with CREATE on it, may add it); where it cannot be
# created the index is left out, the upgrade goes on, and the search walks ix_product_sort_search as
# before. Not a model Index: it cannot exist without the extension (env.py and the schema test leave
# it out of the comparison with the models, as the SQLite FTS5 table).
TRIGRAM_INDEX = "ix_product_search_trgm"
TRIGRAM_INDEX_DDL = f"CREATE INDEX IF NOT EXISTS {TRIGRAM_INDEX} ON product USING gin (search_key gin_trgm_ops)"


def is_search_index(name: str) -> bool:
    """The PostgreSQL trigram index: made by install_trigram_index(), not from a model."""
    return name == TRIGRAM_INDEX


def install_trigram_index(connection) -> bool:
    """On PostgreSQL, add pg_trgm (if it is not there) and the GIN trigram index of product.search_key.
    Returns False, changing nothing and logging why, on SQLite or where the extension cannot be had."""
    if connection.dialect.name != "postgresql":
        return False
    try:
        if getattr(connection.connection.driver_connection, "autocommit", False):
            connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        else:
            with connection.begin_nested():  # a refusal must not abort the caller's transaction (a migration's)
                connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except Exception as exc:  # noqa: BLE001 - no rights or no contrib package: search works without it
        log.warning("pg_trgm is not available (%s: %s): product search on PostgreSQL goes without its "
                    "trigram index", type(exc).__name__, str(exc).splitlines()[0] if str(exc) else "")
        return False
    connection.exec_driver_sql(TRIGRAM_INDEX_DDL)
    return True


def has_trigram_index(connection) -> bool:
    if connection.dialect.name != "postgresql":
        return False
    return connection.exec_driver_sql(
        "SELECT count(*) FROM pg_indexes WHERE tablename = 'product' AND indexname = %(name)s",
        {"name": TRIGRAM_INDEX}).scalar() == 1


@event.listens_for(Product.__table__, "after_create")
def _index_new_product_table(table, connection, **kw):
    install_search_index(connection)
    install_trigram_index(connection)


@event.listens_for(Product.__table__, "before_drop")
def _drop_index_with_product_table(table, connection, **kw):
    if connection.dialect.name == "sqlite":
        drop_search_index(connection)

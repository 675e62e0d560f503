"""product: on PostgreSQL, pg_trgm and a GIN trigram index of search_key, for the LIKE '%word%' search

Revision ID: 4c8e1a7d2f56
Revises: 9f2c6a4e8b13
Create Date: 2026-12-05 14:55:00

At a hub (PostgreSQL) the search tested every product's search_key with LIKE; the index answers a
word of 3+ letters with a look-up (see pos/models/product.py). Where pg_trgm cannot be created (no
rights, no contrib package) a warning is logged and the upgrade goes on without the index. Nothing
on SQLite, which has its FTS5 index (9f2c6a4e8b13).
"""
from alembic import op

revision = '4c8e1a7d2f56'
down_revision = '9f2c6a4e8b13'
branch_labels = None
depends_on = None


def upgrade():
    from pos.models.product import install_trigram_index

    install_trigram_index(op.get_bind())


def downgrade():
    # The extension stays: other things at the hub may use it, and dropping it needs more rights.
    if op.get_bind().dialect.name == "postgresql":
        from pos.models.product import TRIGRAM_INDEX

        op.execute(f"DROP INDEX IF EXISTS {TRIGRAM_INDEX}")

"""product_search: an FTS5 trigram index of product.search_key on SQLite, filled for the products held

Revision ID: 9f2c6a4e8b13
Revises: 8e1d4b7a2c90
Create Date: 2026-12-05 13:35:00

A rare word no longer walks the whole sort index (see pos/models/product.py). On PostgreSQL, and on
a SQLite without FTS5's trigram tokenizer, nothing is created and the search reads search_key alone.
"""
from alembic import op

revision = '9f2c6a4e8b13'
down_revision = '8e1d4b7a2c90'
branch_labels = None
depends_on = None


def upgrade():
    from pos.models.product import install_search_index

    install_search_index(op.get_bind())


def downgrade():
    from pos.models.product import drop_search_index

    if op.get_bind().dialect.name == "sqlite":
        drop_search_index(op.get_bind())

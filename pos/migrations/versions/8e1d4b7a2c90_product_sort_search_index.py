"""product: one index for search pages (sort_key, is_active, search_key) instead of sort_key alone

Revision ID: 8e1d4b7a2c90
Revises: 7c3e9a1b5d22
Create Date: 2026-12-05 13:10:00

"""
from alembic import op

revision = '8e1d4b7a2c90'
down_revision = '7c3e9a1b5d22'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.drop_index('ix_product_sort_key')
        batch_op.create_index('ix_product_sort_search', ['sort_key', 'is_active', 'search_key'], unique=False)


def downgrade():
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.drop_index('ix_product_sort_search')
        batch_op.create_index('ix_product_sort_key', ['sort_key'], unique=False)

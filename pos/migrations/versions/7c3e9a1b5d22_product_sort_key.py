"""product.sort_key: the name's Vietnamese order as ASCII, indexed, so searches page in SQL

Revision ID: 7c3e9a1b5d22
Revises: 5d1e7a2c9b40
Create Date: 2026-12-05 13:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '7c3e9a1b5d22'
down_revision = '5d1e7a2c9b40'
branch_labels = None
depends_on = None


def upgrade():
    from pos.text import sort_column_key

    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sort_key', sa.String(length=320), nullable=False, server_default=''))
        batch_op.create_index(batch_op.f('ix_product_sort_key'), ['sort_key'], unique=False)
    bind = op.get_bind()
    product = sa.table('product', sa.column('id', sa.Integer), sa.column('name', sa.String),
                       sa.column('sort_key', sa.String))
    rows = [{"pid": pid, "key": sort_column_key(name)} for pid, name in bind.execute(sa.select(product.c.id, product.c.name))]
    if rows:
        bind.execute(product.update().where(product.c.id == sa.bindparam("pid")).values(sort_key=sa.bindparam("key")), rows)


def downgrade():
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_product_sort_key'))
        batch_op.drop_column('sort_key')

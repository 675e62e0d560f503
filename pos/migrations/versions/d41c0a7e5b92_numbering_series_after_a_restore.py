"""Numbering series: a restored database numbers receipts and shifts in a series of its own;
when it caught up with what the hub holds of its lost self

Revision ID: d41c0a7e5b92
Revises: 5a7c19e3d2f4
Create Date: 2026-12-05 12:20:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'd41c0a7e5b92'
down_revision = '5a7c19e3d2f4'
branch_labels = None
depends_on = None


def upgrade():
    # server_default '': every row already written is in the booth's main series.
    with op.batch_alter_table('db_identity', schema=None) as batch_op:
        batch_op.add_column(sa.Column('number_series', sa.String(length=8), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('caught_up_at', sa.DateTime(), nullable=True))
    for table in ('sale', 'shift'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('series', sa.String(length=8), nullable=False, server_default=''))
            batch_op.drop_constraint(f'uq_{table}_till_id_number', type_='unique')
            batch_op.create_unique_constraint(f'uq_{table}_till_id_series_number', ['till_id', 'series', 'number'])


def downgrade():
    for table in ('sale', 'shift'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f'uq_{table}_till_id_series_number', type_='unique')
            batch_op.create_unique_constraint(f'uq_{table}_till_id_number', ['till_id', 'number'])
            batch_op.drop_column('series')
    with op.batch_alter_table('db_identity', schema=None) as batch_op:
        batch_op.drop_column('caught_up_at')
        batch_op.drop_column('number_series')

"""booth_sync_state.hub_numbers: the highest shift and stock document numbers the hub holds

Revision ID: c7d2e9a41b30
Revises: fb5bbdca6330
Create Date: 2026-12-03 15:55:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'c7d2e9a41b30'
down_revision = 'fb5bbdca6330'
branch_labels = None
depends_on = None


def upgrade():
    # server_default: the booth laptop upgrading keeps its row (nothing said by the hub yet).
    with op.batch_alter_table('booth_sync_state', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hub_numbers', sa.Text(), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('booth_sync_state', schema=None) as batch_op:
        batch_op.drop_column('hub_numbers')

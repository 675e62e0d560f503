"""the customer display's state per till (booth-local, polled by the paired display)

Revision ID: 3b9e5f2a7c14
Revises: 8a4f2c6e1d57
Create Date: 2026-12-05 12:50:00

"""
import sqlalchemy as sa
from alembic import op

revision = '3b9e5f2a7c14'
down_revision = '8a4f2c6e1d57'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'till_display',
        sa.Column('till_id', sa.Integer(), nullable=False),
        sa.Column('state', sa.Text(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['till_id'], ['till.id'], name=op.f('fk_till_display_till_id_till')),
        sa.PrimaryKeyConstraint('till_id', name=op.f('pk_till_display')),
    )


def downgrade():
    op.drop_table('till_display')

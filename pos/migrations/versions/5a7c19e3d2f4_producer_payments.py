"""producer payments: money paid to a producer against its settlement statement

Revision ID: 5a7c19e3d2f4
Revises: 5d1e7a9c3b20
Create Date: 2026-12-05 12:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5a7c19e3d2f4'
down_revision = '5d1e7a9c3b20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('producer_payment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('producer_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('amount_vnd', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=100), nullable=False),
    sa.Column('received_by', sa.String(length=100), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('origin_db', sa.String(length=36), nullable=False),
    sa.Column('origin_seq', sa.Integer(), nullable=False),
    sa.Column('booth_id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.CheckConstraint("method IN ('cash', 'transfer')", name=op.f('ck_producer_payment_method')),
    sa.CheckConstraint('amount_vnd > 0', name=op.f('ck_producer_payment_amount_positive')),
    sa.ForeignKeyConstraint(['booth_id'], ['booth.id'], name=op.f('fk_producer_payment_booth_id_booth')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_producer_payment_created_by_id_user')),
    sa.ForeignKeyConstraint(['producer_id'], ['producer.id'], name=op.f('fk_producer_payment_producer_id_producer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_producer_payment')),
    sa.UniqueConstraint('origin_db', 'origin_seq', name=op.f('uq_producer_payment_origin_db_origin_seq')),
    sa.UniqueConstraint('uuid', name=op.f('uq_producer_payment_uuid'))
    )
    with op.batch_alter_table('producer_payment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_producer_payment_booth_id'), ['booth_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_producer_payment_producer_id'), ['producer_id'], unique=False)


def downgrade():
    with op.batch_alter_table('producer_payment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_producer_payment_producer_id'))
        batch_op.drop_index(batch_op.f('ix_producer_payment_booth_id'))
    op.drop_table('producer_payment')

"""sessions that can be ended, an idle limit and a cash-out limit per booth, who approved a cash out

Revision ID: 5d1e7a2c9b40
Revises: 3b9e5f2a7c14
Create Date: 2026-12-05 12:15:00

- user.session_version: every session carries it; bumping it ends that person's sessions.
- booth.session_idle_minutes (480) and booth.cash_out_limit_vnd (200.000 ₫).
- cash_movement.approved_by_id: the manager whose PIN allowed a cash out above the limit.

PINs: from now on no two approvers (managers, organisers) share a PIN. A PIN is stored
hashed with its own salt, so this migration cannot tell whether two existing approvers
share one (the demo's organiser `btc` and manager `quanly` both had 1234). They keep
working: an approval is credited to the booth's manager before an organiser, then to the
oldest account, and the README's upgrade note asks for the PINs to be reset
(Cài đặt → Nhân viên), after which the rule holds.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5d1e7a2c9b40'
down_revision = '3b9e5f2a7c14'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), nullable=False, server_default='1'))
    with op.batch_alter_table('booth', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_idle_minutes', sa.Integer(), nullable=False, server_default='480'))
        batch_op.add_column(sa.Column('cash_out_limit_vnd', sa.Integer(), nullable=False, server_default='200000'))
        batch_op.create_check_constraint(op.f('ck_booth_idle_range'), 'session_idle_minutes BETWEEN 5 AND 10080')
        batch_op.create_check_constraint(op.f('ck_booth_cash_out_limit_nonneg'), 'cash_out_limit_vnd >= 0')
    with op.batch_alter_table('cash_movement', schema=None) as batch_op:
        batch_op.add_column(sa.Column('approved_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_cash_movement_approved_by_id_user'), 'user',
                                    ['approved_by_id'], ['id'])


def downgrade():
    with op.batch_alter_table('cash_movement', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_cash_movement_approved_by_id_user'), type_='foreignkey')
        batch_op.drop_column('approved_by_id')
    with op.batch_alter_table('booth', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_booth_cash_out_limit_nonneg'), type_='check')
        batch_op.drop_constraint(op.f('ck_booth_idle_range'), type_='check')
        batch_op.drop_column('cash_out_limit_vnd')
        batch_op.drop_column('session_idle_minutes')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('session_version')

"""print jobs may carry a finished slip (kind 'report': Z reports, void and refund slips)

Revision ID: a1f3c2d4e5b6
Revises: 2041c69576ac
Create Date: 2026-11-29 20:50:00

"""
from alembic import op

revision = 'a1f3c2d4e5b6'
down_revision = '2041c69576ac'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('print_job', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_print_job_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_print_job_kind'),
                                         "kind IN ('receipt', 'reprint', 'prebill', 'report')")


def downgrade():
    with op.batch_alter_table('print_job', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_print_job_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_print_job_kind'), "kind IN ('receipt', 'reprint', 'prebill')")

"""print jobs may be 'sent': given to a printer that cannot say it printed them

Revision ID: 5d1e7a9c3b20
Revises: e2b3dab2d417
Create Date: 2026-12-05 12:30:00

"""
from alembic import op

revision = '5d1e7a9c3b20'
down_revision = 'e2b3dab2d417'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('print_job', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_print_job_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_print_job_status'),
                                         "status IN ('pending', 'printing', 'done', 'sent', 'failed', 'dismissed')")


def downgrade():
    op.execute("UPDATE print_job SET status = 'done' WHERE status = 'sent'")
    with op.batch_alter_table('print_job', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_print_job_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_print_job_status'),
                                         "status IN ('pending', 'printing', 'done', 'failed', 'dismissed')")

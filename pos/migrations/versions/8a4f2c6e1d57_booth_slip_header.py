"""booths carry the slip's header: organisation (HTX / group), address, phone, tax code

Revision ID: 8a4f2c6e1d57
Revises: d41c0a7e5b92
Create Date: 2026-12-05 12:45:00

"""
import sqlalchemy as sa
from alembic import op

revision = '8a4f2c6e1d57'
down_revision = 'd41c0a7e5b92'
branch_labels = None
depends_on = None


# Plain ALTER TABLE, not batch mode: rebuilding booth on SQLite would drop a table that every
# sale, till and stock movement points at (foreign keys are on). DROP COLUMN needs SQLite 3.35.
COLUMNS = (('organisation', 200), ('address', 300), ('phone', 30), ('tax_code', 20))


def upgrade():
    for name, length in COLUMNS:
        op.add_column('booth', sa.Column(name, sa.String(length=length), server_default='', nullable=False))


def downgrade():
    for name, _length in reversed(COLUMNS):
        op.drop_column('booth', name)

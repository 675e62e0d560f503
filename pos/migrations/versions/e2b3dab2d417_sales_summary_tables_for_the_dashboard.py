"""summary tables of the sales for the organiser's dashboard, filled from the sales already held

Revision ID: e2b3dab2d417
Revises: c7d2e9a41b30
Create Date: 2026-12-03 15:12:06.142455

A booth laptop upgrades with its sales kept: the tables are filled here from the ledger
(sale_line, sale, void, refund_line) with the same grouping as services.sales_summary.rebuild,
written out in SQL so that this migration never changes when the service does.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e2b3dab2d417'
down_revision = 'c7d2e9a41b30'
branch_labels = None
depends_on = None


def _fill(dialect: str) -> list[str]:
    if dialect == "postgresql":
        hour = "date_trunc('hour', s.created_at)"
    else:
        # SQLAlchemy stores "YYYY-MM-DD HH:MM:SS.ffffff" on SQLite: keep the hour, zero the rest.
        hour = "substr(s.created_at, 1, 13) || ':00:00.000000'"
    not_voided = "NOT EXISTS (SELECT 1 FROM void v WHERE v.sale_id = s.id)"
    live = "CASE WHEN EXISTS (SELECT 1 FROM void v WHERE v.sale_id = s.id) THEN 0 ELSE 1 END"
    dead = "CASE WHEN EXISTS (SELECT 1 FROM void v WHERE v.sale_id = s.id) THEN 1 ELSE 0 END"
    return [
        f"""INSERT INTO hourly_sales (booth_id, product_id, hour_at, units, gross_vnd, discount_vnd, net_vnd,
                                      refunded_units, refunded_vnd)
            SELECT booth_id, product_id, hour_at, SUM(units), SUM(gross), SUM(discount), SUM(net), SUM(r_units),
                   SUM(r_vnd)
            FROM (SELECT sl.booth_id AS booth_id, sl.product_id AS product_id, {hour} AS hour_at,
                         CAST(sl.qty AS BIGINT) AS units, CAST(sl.qty AS BIGINT) * sl.unit_price_vnd AS gross,
                         CAST(sl.line_discount_vnd + sl.order_discount_vnd AS BIGINT) AS discount,
                         CAST(sl.net_vnd AS BIGINT) AS net, CAST(0 AS BIGINT) AS r_units, CAST(0 AS BIGINT) AS r_vnd
                  FROM sale_line sl JOIN sale s ON s.id = sl.sale_id
                  WHERE {not_voided}
                  UNION ALL
                  SELECT sl.booth_id, sl.product_id, {hour}, 0, 0, 0, 0, rl.qty, rl.amount_vnd
                  FROM refund_line rl JOIN sale_line sl ON sl.id = rl.sale_line_id JOIN sale s ON s.id = sl.sale_id
                  WHERE {not_voided}) AS x
            GROUP BY booth_id, product_id, hour_at""",
        f"""INSERT INTO hourly_sale_count (booth_id, hour_at, sales, voided)
            SELECT booth_id, hour_at, SUM(live), SUM(dead)
            FROM (SELECT s.booth_id AS booth_id, {hour} AS hour_at, {live} AS live, {dead} AS dead
                  FROM sale s) AS x
            GROUP BY booth_id, hour_at""",
        f"""INSERT INTO hourly_producer_sale_count (booth_id, producer_id, hour_at, sales, voided)
            SELECT booth_id, producer_id, hour_at, SUM(live), SUM(dead)
            FROM (SELECT DISTINCT s.id, s.booth_id AS booth_id, p.producer_id AS producer_id, {hour} AS hour_at,
                         {live} AS live, {dead} AS dead
                  FROM sale s JOIN sale_line sl ON sl.sale_id = s.id JOIN product p ON p.id = sl.product_id) AS x
            GROUP BY booth_id, producer_id, hour_at""",
    ]


def upgrade():
    op.create_table('hourly_producer_sale_count',
    sa.Column('booth_id', sa.Integer(), nullable=False),
    sa.Column('producer_id', sa.Integer(), nullable=False),
    sa.Column('hour_at', sa.DateTime(), nullable=False),
    sa.Column('sales', sa.BigInteger(), nullable=False),
    sa.Column('voided', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['booth_id'], ['booth.id'], name=op.f('fk_hourly_producer_sale_count_booth_id_booth')),
    sa.ForeignKeyConstraint(['producer_id'], ['producer.id'], name=op.f('fk_hourly_producer_sale_count_producer_id_producer')),
    sa.PrimaryKeyConstraint('booth_id', 'producer_id', 'hour_at', name=op.f('pk_hourly_producer_sale_count'))
    )
    op.create_table('hourly_sale_count',
    sa.Column('booth_id', sa.Integer(), nullable=False),
    sa.Column('hour_at', sa.DateTime(), nullable=False),
    sa.Column('sales', sa.BigInteger(), nullable=False),
    sa.Column('voided', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['booth_id'], ['booth.id'], name=op.f('fk_hourly_sale_count_booth_id_booth')),
    sa.PrimaryKeyConstraint('booth_id', 'hour_at', name=op.f('pk_hourly_sale_count'))
    )
    op.create_table('hourly_sales',
    sa.Column('booth_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('hour_at', sa.DateTime(), nullable=False),
    sa.Column('units', sa.BigInteger(), nullable=False),
    sa.Column('gross_vnd', sa.BigInteger(), nullable=False),
    sa.Column('discount_vnd', sa.BigInteger(), nullable=False),
    sa.Column('net_vnd', sa.BigInteger(), nullable=False),
    sa.Column('refunded_units', sa.BigInteger(), nullable=False),
    sa.Column('refunded_vnd', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['booth_id'], ['booth.id'], name=op.f('fk_hourly_sales_booth_id_booth')),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_hourly_sales_product_id_product')),
    sa.PrimaryKeyConstraint('booth_id', 'product_id', 'hour_at', name=op.f('pk_hourly_sales'))
    )
    for statement in _fill(op.get_bind().dialect.name):
        op.execute(sa.text(statement))


def downgrade():
    op.drop_table('hourly_sales')
    op.drop_table('hourly_sale_count')
    op.drop_table('hourly_producer_sale_count')

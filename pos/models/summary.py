"""Summary tables of the sales, for the organiser's dashboard: derived data, never synced.

Each table equals a grouped query over the ledger (sale_line, sale, void, refund_line)
at every commit: services.sales_summary adds each sale, void and refund to them in the
same transaction as the record itself, and can rebuild them from the ledger or check them
against it. They have no UUIDs and do not travel: a booth keeps its own, the hub keeps its
own from what it ingests.

Hours are UTC hours (the stored time truncated to the hour, naive like every *_at column);
reports turn them into Vietnam's day and hour.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class HourlySales(db.Model):
    """Sale lines of sales not voided, per (booth, product, UTC hour of the sale), with their refunds.

    units, gross (qty × unit price), discount (line + order share) and net are summed over the
    lines; refunded_units and refunded_vnd over the refund lines of those sale lines.
    """

    __tablename__ = "hourly_sales"
    booth_id: Mapped[int] = mapped_column(ForeignKey("booth.id"), primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), primary_key=True)
    hour_at: Mapped[datetime] = mapped_column(primary_key=True)
    units: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    gross_vnd: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    discount_vnd: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    net_vnd: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    refunded_units: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    refunded_vnd: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)


class HourlySaleCount(db.Model):
    """Sales per (booth, UTC hour of the sale): those not voided, and those voided."""

    __tablename__ = "hourly_sale_count"
    booth_id: Mapped[int] = mapped_column(ForeignKey("booth.id"), primary_key=True)
    hour_at: Mapped[datetime] = mapped_column(primary_key=True)
    sales: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    voided: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)


class HourlyProducerSaleCount(db.Model):
    """Sales holding at least one of a producer's products, per (booth, producer, UTC hour of the sale).

    The producer is the product's producer as the catalogue says now: a product moved to
    another producer (catalogue.save_product, provisioning from the hub) has both producers'
    counts recomputed (sales_summary.rebuild_producer_counts).
    """

    __tablename__ = "hourly_producer_sale_count"
    booth_id: Mapped[int] = mapped_column(ForeignKey("booth.id"), primary_key=True)
    producer_id: Mapped[int] = mapped_column(ForeignKey("producer.id"), primary_key=True)
    hour_at: Mapped[datetime] = mapped_column(primary_key=True)
    sales: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    voided: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow
from .base import Travelling


class Void(Travelling, db.Model):
    """A whole sale cancelled within its open shift, with a manager's approval.

    The sale itself is never edited: this record points at it and its reversing
    stock movements (kind "void") put the goods back on hand.
    """

    __tablename__ = "void"
    id: Mapped[int] = mapped_column(primary_key=True)
    sale_id: Mapped[int] = mapped_column(ForeignKey("sale.id"), nullable=False, unique=True)
    shift_id: Mapped[int | None] = mapped_column(ForeignKey("shift.id"), index=True)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"), nullable=False)
    approved_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow, index=True)

    sale = relationship("Sale", backref="void")
    created_by = relationship("User", foreign_keys=[created_by_id])
    approved_by = relationship("User", foreign_keys=[approved_by_id])
    __table_args__ = (UniqueConstraint("origin_db", "origin_seq"),)


class Refund(Travelling, db.Model):
    """Money given back for some or all lines of a sale, with a manager's approval.

    Goods come back on hand (movement kind "refund") or are written off as damaged.
    """

    __tablename__ = "refund"
    id: Mapped[int] = mapped_column(primary_key=True)
    sale_id: Mapped[int] = mapped_column(ForeignKey("sale.id"), nullable=False, index=True)
    shift_id: Mapped[int | None] = mapped_column(ForeignKey("shift.id"), index=True)
    number: Mapped[str] = mapped_column(String(64), nullable=False)  # e.g. X20-B07-T1-000123-HT1
    method: Mapped[str] = mapped_column(String(16), nullable=False)  # how the money went back
    total_vnd: Mapped[int] = mapped_column(Integer, nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"), nullable=False)
    approved_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow, index=True)

    sale = relationship("Sale", backref="refunds")
    created_by = relationship("User", foreign_keys=[created_by_id])
    approved_by = relationship("User", foreign_keys=[approved_by_id])
    lines: Mapped[list["RefundLine"]] = relationship(back_populates="refund", order_by="RefundLine.id")
    __table_args__ = (
        UniqueConstraint("origin_db", "origin_seq"),
        UniqueConstraint("number"),
        CheckConstraint("method IN ('cash', 'transfer', 'card')", name="method"),
        CheckConstraint("total_vnd > 0", name="total_pos"),
    )


class RefundLine(Travelling, db.Model):
    """Units of one sale line refunded, at that line's net price per unit (discounts included)."""

    __tablename__ = "refund_line"
    id: Mapped[int] = mapped_column(primary_key=True)
    refund_id: Mapped[int] = mapped_column(ForeignKey("refund.id"), nullable=False, index=True)
    sale_line_id: Mapped[int] = mapped_column(ForeignKey("sale_line.id"), nullable=False, index=True)
    qty: Mapped[int] = mapped_column(Integer, nullable=False)
    amount_vnd: Mapped[int] = mapped_column(Integer, nullable=False)
    back_to_stock: Mapped[bool] = mapped_column(nullable=False, default=True)

    refund: Mapped[Refund] = relationship(back_populates="lines")
    sale_line = relationship("SaleLine")
    __table_args__ = (
        UniqueConstraint("origin_db", "origin_seq"),
        CheckConstraint("qty > 0", name="qty_pos"),
        CheckConstraint("amount_vnd >= 0", name="amount_nonneg"),
    )

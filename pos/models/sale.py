from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..errors import N_
from ..extensions import db
from ..timeutil import utcnow
from .base import Travelling

PAYMENT_METHODS = {"cash": N_("Tiền mặt"), "transfer": N_("Chuyển khoản"), "card": N_("Thẻ")}


class Sale(Travelling, db.Model):
    """A completed, paid sale. Immutable: a void or refund is a new record pointing at it."""

    __tablename__ = "sale"
    id: Mapped[int] = mapped_column(primary_key=True)
    till_id: Mapped[int] = mapped_column(ForeignKey("till.id"), nullable=False, index=True)
    # The cash shift the sale was made in (None only for sales recorded before shifts existed).
    shift_id: Mapped[int | None] = mapped_column(ForeignKey("shift.id"), index=True)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    # The numbering series (services/numbering): "" for the booth's own, R7F3A for a restored database's.
    series: Mapped[str] = mapped_column(String(8), nullable=False, default="")
    receipt_no: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    cashier_id: Mapped[int] = mapped_column(ForeignKey("user.id"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow, index=True)
    subtotal_vnd: Mapped[int] = mapped_column(Integer, nullable=False)  # Σ qty × unit price
    line_discount_vnd: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    order_discount_vnd: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    total_vnd: Mapped[int] = mapped_column(Integer, nullable=False)
    # The client's key for this checkout, and a digest of what it asked for: the same
    # key with the same content returns this sale, with other content is refused.
    idempotency_key: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    request_digest: Mapped[str] = mapped_column(String(64), nullable=False)
    discount_approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # For a VAT invoice the producer issues later (this slip is not one).
    buyer_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    buyer_tax_code: Mapped[str] = mapped_column(String(20), nullable=False, default="")
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # Set when the booth allows selling below zero and this sale did.
    went_below_zero: Mapped[bool] = mapped_column(nullable=False, default=False)

    till = relationship("Till")
    cashier = relationship("User", foreign_keys=[cashier_id])
    discount_approved_by = relationship("User", foreign_keys=[discount_approved_by_id])
    lines: Mapped[list["SaleLine"]] = relationship(back_populates="sale", order_by="SaleLine.id")
    payments: Mapped[list["Payment"]] = relationship(back_populates="sale", order_by="Payment.id")
    movements: Mapped[list["StockMovement"]] = relationship(back_populates="sale", order_by="StockMovement.id")  # noqa: F821
    __table_args__ = (
        UniqueConstraint("till_id", "series", "number"),
        UniqueConstraint("origin_db", "origin_seq"),
        CheckConstraint("total_vnd = subtotal_vnd - line_discount_vnd - order_discount_vnd", name="total_adds_up"),
        CheckConstraint("total_vnd >= 0", name="total_nonneg"),
    )

    @property
    def discount_vnd(self) -> int:
        return self.line_discount_vnd + self.order_discount_vnd

    @property
    def paid_vnd(self) -> int:
        return sum(p.amount_vnd for p in self.payments)

    @property
    def change_vnd(self) -> int:
        return sum(p.change_vnd for p in self.payments)


class SaleLine(Travelling, db.Model):
    """One product on a sale, with its share of the order discount to the đồng."""

    __tablename__ = "sale_line"
    id: Mapped[int] = mapped_column(primary_key=True)
    sale_id: Mapped[int] = mapped_column(ForeignKey("sale.id"), nullable=False, index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), nullable=False, index=True)
    # As printed on the slip at the time of sale, whatever the catalogue says later.
    product_name: Mapped[str] = mapped_column(String(200), nullable=False)
    qty: Mapped[int] = mapped_column(Integer, nullable=False)
    unit_price_vnd: Mapped[int] = mapped_column(Integer, nullable=False)
    line_discount_vnd: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    order_discount_vnd: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    net_vnd: Mapped[int] = mapped_column(Integer, nullable=False)
    stamp_code: Mapped[str | None] = mapped_column(String(200))

    sale: Mapped[Sale] = relationship(back_populates="lines")
    product = relationship("Product")
    __table_args__ = (
        UniqueConstraint("origin_db", "origin_seq"),
        CheckConstraint("qty > 0", name="qty_pos"),
        CheckConstraint("net_vnd = qty * unit_price_vnd - line_discount_vnd - order_discount_vnd", name="net_adds_up"),
        CheckConstraint("net_vnd >= 0", name="net_nonneg"),
    )

    @property
    def gross_vnd(self) -> int:
        return self.qty * self.unit_price_vnd


class Payment(Travelling, db.Model):
    """Money received for a sale: cash (with tendered and change), a bank transfer, or a card."""

    __tablename__ = "payment"
    id: Mapped[int] = mapped_column(primary_key=True)
    sale_id: Mapped[int] = mapped_column(ForeignKey("sale.id"), nullable=False, index=True)
    method: Mapped[str] = mapped_column(String(16), nullable=False)
    amount_vnd: Mapped[int] = mapped_column(Integer, nullable=False)  # what counts toward the total
    tendered_vnd: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    change_vnd: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # The transfer's payment reference, as put in the VietQR message, and the payload shown.
    reference: Mapped[str] = mapped_column(String(40), nullable=False, default="")
    qr_payload: Mapped[str] = mapped_column(Text, nullable=False, default="")

    sale: Mapped[Sale] = relationship(back_populates="payments")
    __table_args__ = (
        UniqueConstraint("origin_db", "origin_seq"),
        CheckConstraint("method IN ('cash', 'transfer', 'card')", name="method"),
        CheckConstraint("amount_vnd > 0", name="amount_pos"),
        CheckConstraint("change_vnd >= 0 AND tendered_vnd >= 0", name="cash_nonneg"),
    )

    @property
    def method_label(self) -> str:
        return PAYMENT_METHODS[self.method]


class ParkedCart(db.Model):
    """A cart put aside at a till to serve the next customer; picked up later. Does not travel."""

    __tablename__ = "parked_cart"
    id: Mapped[int] = mapped_column(primary_key=True)
    till_id: Mapped[int] = mapped_column(ForeignKey("till.id"), nullable=False, index=True)
    label: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    content: Mapped[str] = mapped_column(Text, nullable=False)  # the cart as JSON
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..errors import N_
from ..extensions import db
from ..timeutil import utcnow
from .base import Travelling

# What a stock document is, and the sign its movements take.
DOCUMENT_KINDS = {
    "receive": N_("Phiếu nhập hàng"),
    "return": N_("Phiếu trả hàng"),
    "sample": N_("Phiếu xuất dùng thử"),
    "damage": N_("Phiếu hàng hỏng"),
    "count": N_("Phiếu kiểm kê"),
}
DOCUMENT_PREFIX = {"receive": "PN", "return": "PT", "sample": "DT", "damage": "HH", "count": "KK"}

MOVEMENT_KINDS = {
    "receive": N_("Nhập từ chủ thể"),
    "sale": N_("Bán"),
    "void": N_("Hủy đơn"),
    "refund": N_("Trả lại"),
    "return": N_("Trả chủ thể"),
    "sample": N_("Dùng thử"),
    "damage": N_("Hỏng"),
    "adjust": N_("Điều chỉnh kiểm kê"),
}


class StockDocument(Travelling, db.Model):
    """A signed paper of the stock ledger: a consignment receipt, a return, samples, damage or a count."""

    __tablename__ = "stock_document"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    # PN-000001: numbered per kind and booth, for the signatures on paper.
    number: Mapped[str] = mapped_column(String(32), nullable=False)
    producer_id: Mapped[int | None] = mapped_column(ForeignKey("producer.id"))
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow, index=True)

    producer = relationship("Producer")
    created_by = relationship("User")
    movements: Mapped[list["StockMovement"]] = relationship(
        back_populates="document", order_by="StockMovement.id"
    )
    __table_args__ = (
        CheckConstraint("kind IN ('receive', 'return', 'sample', 'damage', 'count')", name="kind"),
        UniqueConstraint("booth_id", "number"),
        UniqueConstraint("origin_db", "origin_seq"),
    )

    @property
    def kind_label(self) -> str:
        return DOCUMENT_KINDS[self.kind]


class StockMovement(Travelling, db.Model):
    """One append-only change of a product's stock at a booth. On hand = the sum of qty."""

    __tablename__ = "stock_movement"
    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    qty: Mapped[int] = mapped_column(Integer, nullable=False)  # signed: + into stock, - out
    document_id: Mapped[int | None] = mapped_column(ForeignKey("stock_document.id"), index=True)
    sale_id: Mapped[int | None] = mapped_column(ForeignKey("sale.id"), index=True)
    # For a count: what was on the shelf. The movement's qty is counted - expected.
    counted_qty: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow, index=True)

    product = relationship("Product")
    document: Mapped[StockDocument | None] = relationship(back_populates="movements")
    sale = relationship("Sale", back_populates="movements")
    __table_args__ = (
        CheckConstraint(
            "kind IN ('receive', 'sale', 'void', 'refund', 'return', 'sample', 'damage', 'adjust')",
            name="kind",
        ),
        CheckConstraint("counted_qty IS NULL OR counted_qty >= 0", name="counted_nonneg"),
        UniqueConstraint("origin_db", "origin_seq"),
    )

    @property
    def kind_label(self) -> str:
        return MOVEMENT_KINDS[self.kind]

    @property
    def expected_qty(self) -> int | None:
        """For a count line: what the ledger said before the count."""
        return None if self.counted_qty is None else self.counted_qty - self.qty

"""A payment from the booth to a producer against its settlement statement (chi trả chủ thể)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..errors import N_
from ..extensions import db
from ..timeutil import utcnow
from .base import Travelling

PAYOUT_METHODS = {"cash": N_("Tiền mặt"), "transfer": N_("Chuyển khoản")}


class ProducerPayment(Travelling, db.Model):
    """Money paid to a producer for its goods sold at a booth: recorded once, never edited.

    It belongs to the booth whose statement it settles (booth_id), wherever it was written
    (at the booth, or at the hub by the organiser), and travels to the hub like a sale.
    """

    __tablename__ = "producer_payment"
    id: Mapped[int] = mapped_column(primary_key=True)
    producer_id: Mapped[int] = mapped_column(ForeignKey("producer.id"), nullable=False, index=True)
    method: Mapped[str] = mapped_column(String(16), nullable=False)
    paid_on: Mapped[date] = mapped_column(Date, nullable=False)  # the Vietnam day the money changed hands
    amount_vnd: Mapped[int] = mapped_column(Integer, nullable=False)
    # The bank transfer's reference, or the number of a paper receipt.
    reference: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    # Who took the money for the producer (signs the slip); the payer is created_by.
    received_by: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)

    producer = relationship("Producer")
    booth = relationship("Booth")
    created_by = relationship("User")
    __table_args__ = (
        CheckConstraint("method IN ('cash', 'transfer')", name="method"),
        CheckConstraint("amount_vnd > 0", name="amount_positive"),
        UniqueConstraint("origin_db", "origin_seq"),
    )

    @property
    def method_label(self) -> str:
        return PAYOUT_METHODS[self.method]

    @property
    def number(self) -> str:
        """A short number for the slip and the signatures: CT- and the UUID's first 8 characters."""
        return "CT-" + self.uuid[:8].upper()

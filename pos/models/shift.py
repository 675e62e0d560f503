from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..errors import N_
from ..extensions import db
from ..timeutil import utcnow
from .base import Travelling

CASH_MOVEMENT_KINDS = {"in": N_("Nộp tiền vào két"), "out": N_("Rút tiền khỏi két")}


class Shift(Travelling, db.Model):
    """A cash shift (ca bán hàng) at one till: opened with a float, closed by counting the cash.

    Closing stores the Z report as JSON (z_report), so the printed figures never change later.
    """

    __tablename__ = "shift"
    id: Mapped[int] = mapped_column(primary_key=True)
    till_id: Mapped[int] = mapped_column(ForeignKey("till.id"), nullable=False, index=True)
    number: Mapped[int] = mapped_column(Integer, nullable=False)  # per till: ca 1, 2, 3 …
    # The numbering series (services/numbering): "" for the booth's own, R7F3A for a restored database's.
    series: Mapped[str] = mapped_column(String(8), nullable=False, default="")
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"), nullable=False)
    opened_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    opening_float_vnd: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    closed_at: Mapped[datetime | None]
    expected_cash_vnd: Mapped[int | None] = mapped_column(Integer)
    counted_cash_vnd: Mapped[int | None] = mapped_column(Integer)
    # The count by denomination, JSON {"500000": 3, "200000": 1, …}.
    denominations: Mapped[str] = mapped_column(Text, nullable=False, default="")
    z_report: Mapped[str] = mapped_column(Text, nullable=False, default="")
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")

    till = relationship("Till")
    opened_by = relationship("User", foreign_keys=[opened_by_id])
    closed_by = relationship("User", foreign_keys=[closed_by_id])
    cash_movements: Mapped[list["CashMovement"]] = relationship(back_populates="shift", order_by="CashMovement.id")
    __table_args__ = (
        UniqueConstraint("till_id", "series", "number"),
        UniqueConstraint("origin_db", "origin_seq"),
        CheckConstraint("opening_float_vnd >= 0", name="float_nonneg"),
        CheckConstraint("counted_cash_vnd IS NULL OR counted_cash_vnd >= 0", name="counted_nonneg"),
    )

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def label(self) -> str:
        """The shift's number as people read it: "3", or "R7F3A-3" in a restored database's series,
        so that it is never taken for the main series' shift 3."""
        return f"{self.series}-{self.number}" if self.series else str(self.number)

    @property
    def difference_vnd(self) -> int | None:
        """Counted minus expected: negative means cash is missing."""
        if self.counted_cash_vnd is None or self.expected_cash_vnd is None:
            return None
        return self.counted_cash_vnd - self.expected_cash_vnd


class CashMovement(Travelling, db.Model):
    """Cash put into or taken out of the drawer during a shift, with its reason."""

    __tablename__ = "cash_movement"
    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shift.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(8), nullable=False)
    amount_vnd: Mapped[int] = mapped_column(Integer, nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    # The manager whose PIN allowed cash out above the booth's limit (None: within the limit).
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    shift: Mapped[Shift] = relationship(back_populates="cash_movements")
    created_by = relationship("User", foreign_keys=[created_by_id])
    approved_by = relationship("User", foreign_keys=[approved_by_id])
    __table_args__ = (
        UniqueConstraint("origin_db", "origin_seq"),
        CheckConstraint("kind IN ('in', 'out')", name="kind"),
        CheckConstraint("amount_vnd > 0", name="amount_pos"),
    )

    @property
    def kind_label(self) -> str:
        return CASH_MOVEMENT_KINDS[self.kind]

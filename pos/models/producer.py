from __future__ import annotations

from sqlalchemy import CheckConstraint, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..errors import N_
from ..extensions import db
from .base import HasUuid

PRODUCER_KINDS = {
    "htx": N_("Hợp tác xã (HTX)"),
    "company": N_("Công ty"),
    "household": N_("Hộ sản xuất"),
    "individual": N_("Cá nhân"),
}


class Producer(HasUuid, db.Model):
    """An OCOP producer (chủ thể) who consigns goods to booths."""

    __tablename__ = "producer"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False, default="htx")
    province: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    district: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    commune: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    phone: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    bank_account: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    # Overrides the fair's commission rate for this producer, in basis points.
    commission_bp: Mapped[int | None] = mapped_column(Integer)
    is_active: Mapped[bool] = mapped_column(nullable=False, default=True)
    # The name without diacritics, lower case: what "mat ong" is matched against.
    search_key: Mapped[str] = mapped_column(String(200), nullable=False, default="", index=True)

    products: Mapped[list["Product"]] = relationship(back_populates="producer")  # noqa: F821
    __table_args__ = (
        CheckConstraint("kind IN ('htx', 'company', 'household', 'individual')", name="kind"),
        CheckConstraint("commission_bp IS NULL OR commission_bp BETWEEN 0 AND 10000", name="commission_range"),
    )

    @property
    def kind_label(self) -> str:
        return PRODUCER_KINDS.get(self.kind, self.kind)

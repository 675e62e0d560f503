from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash

from ..errors import N_
from ..extensions import db
from .base import HasUuid

ROLES = {
    "organiser": N_("Ban tổ chức"),
    "manager": N_("Trưởng gian hàng"),
    "cashier": N_("Nhân viên bán hàng"),
    "producer": N_("Chủ thể OCOP"),
}


class User(HasUuid, db.Model):
    """A person who logs in. A producer user belongs to one producer and reads only its data."""

    __tablename__ = "user"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    full_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    password_hash: Mapped[str] = mapped_column(String(256), nullable=False)
    # A manager's PIN approves discounts, voids and refunds at a cashier's till.
    pin_hash: Mapped[str | None] = mapped_column(String(256))
    producer_id: Mapped[int | None] = mapped_column(ForeignKey("producer.id"))
    booth_id: Mapped[int | None] = mapped_column(ForeignKey("booth.id"))
    language: Mapped[str] = mapped_column(String(5), nullable=False, default="vi")
    is_active: Mapped[bool] = mapped_column(nullable=False, default=True)
    # Stored in the browser's session at login and checked on every request: bumped by a
    # logout, a password or role change or disabling the account, which ends that person's
    # sessions everywhere. Kept on this database only (never on the wire): a hub's value
    # pulled over a booth's could bring an ended session back.
    session_version: Mapped[int] = mapped_column(nullable=False, default=1, server_default="1",
                                                 info={"wire": False})

    producer = relationship("Producer")
    __table_args__ = (
        CheckConstraint("role IN ('organiser', 'manager', 'cashier', 'producer')", name="role"),
        CheckConstraint("(role = 'producer') = (producer_id IS NOT NULL)", name="producer_link"),
    )

    # Flask-Login's interface.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password or "")

    def check_pin(self, pin: str) -> bool:
        return bool(self.pin_hash) and check_password_hash(self.pin_hash, pin or "")

    @property
    def role_label(self) -> str:
        return ROLES.get(self.role, self.role)

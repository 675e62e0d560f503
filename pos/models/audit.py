from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import utcnow


class AuditEntry(db.Model):
    """One sensitive action: who, when, from where, what, and the details (JSON). Append-only."""

    __tablename__ = "audit_entry"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    username: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    action: Mapped[str] = mapped_column(String(48), nullable=False, index=True)
    target: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    details: Mapped[str] = mapped_column(Text, nullable=False, default="{}")
    address: Mapped[str] = mapped_column(String(64), nullable=False, default="")

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import utcnow


class TillDisplay(db.Model):
    """What the customer display paired with a till shows now: the till writes it, the display polls it.

    Booth-local and disposable (a cart being scanned, a QR being paid): it never travels to the hub.
    """

    __tablename__ = "till_display"
    till_id: Mapped[int] = mapped_column(ForeignKey("till.id"), primary_key=True)
    state: Mapped[str] = mapped_column(Text, nullable=False, default="{}")  # JSON, see services/display.py
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    updated_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)

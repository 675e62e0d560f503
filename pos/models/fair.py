from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..errors import FairClosed
from ..extensions import db
from .base import HasUuid


class Fair(HasUuid, db.Model):
    """A trade fair, e.g. "Hội chợ OCOP Quảng Ninh – Xuân 2020" (code X20)."""

    __tablename__ = "fair"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    location: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]
    # Commission on each producer's net sales, in basis points (1 % = 100).
    commission_bp: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    closed_at: Mapped[datetime | None]

    booths: Mapped[list["Booth"]] = relationship(back_populates="fair")
    __table_args__ = (CheckConstraint("commission_bp BETWEEN 0 AND 10000", name="commission_range"),)

    def includes(self, day: date) -> bool:
        """Whether a (Vietnam) day falls within the fair's dates; a fair without dates includes every day."""
        return (self.starts_on is None or day >= self.starts_on) and (self.ends_on is None or day <= self.ends_on)


class Booth(HasUuid, db.Model):
    """A booth (gian hàng) at a fair, with the settings its tills follow."""

    __tablename__ = "booth"
    id: Mapped[int] = mapped_column(primary_key=True)
    fair_id: Mapped[int] = mapped_column(ForeignKey("fair.id"), nullable=False)
    code: Mapped[str] = mapped_column(String(16), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    # Receipt numbers read <prefix>-<till>-<number>, e.g. X20-B07-T1-000123.
    receipt_prefix: Mapped[str] = mapped_column(String(32), nullable=False)
    bank_bin: Mapped[str] = mapped_column(String(6), nullable=False, default="")
    bank_account: Mapped[str] = mapped_column(String(19), nullable=False, default="")
    bank_account_name: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    # The largest order discount a cashier may give without a manager's PIN, in bp of the order.
    cashier_discount_limit_bp: Mapped[int] = mapped_column(Integer, nullable=False, default=1000)
    allow_negative_stock: Mapped[bool] = mapped_column(nullable=False, default=False)
    low_stock_qty: Mapped[int] = mapped_column(Integer, nullable=False, default=5)
    receipt_footer: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # The slip's header: who sells (the HTX or group running the booth), where, how to call, tax code.
    organisation: Mapped[str] = mapped_column(String(200), nullable=False, default="", server_default="")
    address: Mapped[str] = mapped_column(String(300), nullable=False, default="", server_default="")
    phone: Mapped[str] = mapped_column(String(30), nullable=False, default="", server_default="")
    tax_code: Mapped[str] = mapped_column(String(20), nullable=False, default="", server_default="")
    # A login session with no request for this long ends (8 hours: a fair day's lunch and lulls
    # never log a till out, a phone forgotten overnight is).
    session_idle_minutes: Mapped[int] = mapped_column(Integer, nullable=False, default=480, server_default="480")
    # Cash taken out of a shift above this needs a manager's PIN (change bought or a small
    # payment, a cashier does alone).
    cash_out_limit_vnd: Mapped[int] = mapped_column(Integer, nullable=False, default=200_000,
                                                    server_default="200000")

    fair: Mapped[Fair] = relationship(back_populates="booths")
    tills: Mapped[list["Till"]] = relationship(back_populates="booth", order_by="Till.code")
    # Read with the booth once per request (booths.current_booth): a checkout needs it to queue its slip.
    printer_setting: Mapped["PrinterSetting | None"] = relationship(uselist=False)
    __table_args__ = (
        UniqueConstraint("fair_id", "code"),
        CheckConstraint("cashier_discount_limit_bp BETWEEN 0 AND 10000", name="discount_limit_range"),
        CheckConstraint("low_stock_qty >= 0", name="low_stock_nonneg"),
        CheckConstraint("session_idle_minutes BETWEEN 5 AND 10080", name="idle_range"),
        CheckConstraint("cash_out_limit_vnd >= 0", name="cash_out_limit_nonneg"),
    )


class Till(HasUuid, db.Model):
    """A cashier device (quầy) registered with the booth server, with its own receipt series."""

    __tablename__ = "till"
    id: Mapped[int] = mapped_column(primary_key=True)
    booth_id: Mapped[int] = mapped_column(ForeignKey("booth.id"), nullable=False)
    code: Mapped[str] = mapped_column(String(8), nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    # The last receipt number used; the next sale takes last_number + 1 in its own transaction,
    # so the series has no gaps and no repeats.
    last_number: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    is_active: Mapped[bool] = mapped_column(nullable=False, default=True)

    booth: Mapped[Booth] = relationship(back_populates="tills")
    __table_args__ = (UniqueConstraint("booth_id", "code"),)


def ensure_open(booth: Booth | None) -> None:
    """Raise FairClosed when the booth's fair is closed: called first by every write use case at a booth."""
    if booth is not None and booth.fair is not None and booth.fair.closed_at is not None:
        raise FairClosed()

"""Bank statements imported by the manager, and the credits on them matched to transfer payments.

Booth-local: statements and credits do not travel to the hub. What the hub needs (the
transfer payments themselves) already travels with each sale; matching is the booth's
own follow-up of the money that reached its account.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow


class BankStatement(db.Model):
    """One statement file a manager imported (CSV or .xlsx), with what the import found."""

    __tablename__ = "bank_statement"
    id: Mapped[int] = mapped_column(primary_key=True)
    booth_id: Mapped[int] = mapped_column(ForeignKey("booth.id"), nullable=False, index=True)
    bank: Mapped[str] = mapped_column(String(32), nullable=False)  # the column mapping used (a preset or "custom")
    filename: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    # The same file imported twice is recognised by its bytes and adds nothing.
    file_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    imported_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    rows_read: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    credits_new: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # Credits already imported from an earlier (overlapping) statement: not added again.
    credits_repeated: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    debits_skipped: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    matched_at_import: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    imported_by = relationship("User")
    credits: Mapped[list["BankCredit"]] = relationship(back_populates="statement", order_by="BankCredit.row_number")
    __table_args__ = (UniqueConstraint("booth_id", "file_sha256"),)


class BankCredit(db.Model):
    """Money that came into the booth's account, as a statement line shows it.

    payment_id is the transfer payment it was matched to (by its reference in the message
    and its amount, or by a manager's hand with a note); None while it waits for follow-up.
    """

    __tablename__ = "bank_credit"
    id: Mapped[int] = mapped_column(primary_key=True)
    booth_id: Mapped[int] = mapped_column(ForeignKey("booth.id"), nullable=False, index=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("bank_statement.id"), nullable=False, index=True)
    row_number: Mapped[int] = mapped_column(Integer, nullable=False)  # as the spreadsheet numbers it
    tx_date: Mapped[date] = mapped_column(nullable=False, index=True)
    amount_vnd: Mapped[int] = mapped_column(Integer, nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    bank_reference: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    # Date, amount, message and occurrence: the same line in an overlapping statement has the same one.
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payment.id"))
    matched_at: Mapped[datetime | None]
    matched_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))  # None: matched automatically
    match_note: Mapped[str] = mapped_column(Text, nullable=False, default="")

    statement: Mapped[BankStatement] = relationship(back_populates="credits")
    payment = relationship("Payment")
    matched_by = relationship("User")
    __table_args__ = (
        UniqueConstraint("booth_id", "fingerprint"),
        UniqueConstraint("payment_id"),  # one credit pays one transfer payment
        CheckConstraint("amount_vnd > 0", name="amount_pos"),
    )

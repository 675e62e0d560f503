from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import utcnow


class DbIdentity(db.Model):
    """This database's identity: one row, a new id for every fresh install or restore.

    booth_id is the booth this database serves (None on a hub). last_seq is the
    last sequence number handed to a travelling record.
    """

    __tablename__ = "db_identity"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    booth_id: Mapped[int | None] = mapped_column(ForeignKey("booth.id"))
    last_seq: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    is_demo: Mapped[bool] = mapped_column(nullable=False, default=False)
    # The series this database numbers receipts, shifts and stock documents in ("" for the booth's
    # main series). A database restored from a backup gets its own (R7F3A, see services/numbering):
    # numbers the lost database printed after the backup are known to nobody, so they can only be
    # avoided by never writing into their series again.
    number_series: Mapped[str] = mapped_column(String(8), nullable=False, default="")
    # A restored database: when it took in what the hub holds of its lost self (services/sync/booth
    # fetch_lost); None until then, and the staff pages say so.
    caught_up_at: Mapped[datetime | None]

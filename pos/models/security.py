"""The database's lineage: which identity a restored database replaced.

Failed logins and PINs are not counted in a table of their own: they are audit entries
(auth.login_failed, auth.pin_failed), and the delays are computed from the audit log
(pos/services/security.py), so the manager reads exactly why an account is waiting and
nothing can drift between two records of the same event.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import utcnow


class DbRestore(db.Model):
    """A restore from backup: this database (db_id) continues from restored_from_db's state.

    What the hub needs to tell a restored laptop from a duplicate: records of
    restored_from_db up to restored_from_seq came back with the backup; the hub may hold
    later ones (pushed before the laptop failed), which this booth no longer has. New
    records are written under db_id, from sequence 1, so they never clash.
    """

    __tablename__ = "db_restore"
    id: Mapped[int] = mapped_column(primary_key=True)
    db_id: Mapped[str] = mapped_column(String(36), nullable=False, index=True)
    booth_id: Mapped[int | None] = mapped_column(ForeignKey("booth.id"))
    restored_from_db: Mapped[str] = mapped_column(String(36), nullable=False)
    restored_from_seq: Mapped[int] = mapped_column(Integer, nullable=False)
    backup_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    restored_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")

"""Sync between booths and the organiser's hub: credentials, cursors, ingest state, conflicts.

The same schema serves both places. A database is a hub when it holds a SyncHub row
(`pos hub init`); a booth holds a BoothSyncState row once provisioned. Nothing here
travels: these tables describe the travelling, they are not part of it.
"""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow


class SyncHub(db.Model):
    """One row: this database is an organiser's hub (it ingests booths' pushes and provisions booths).

    Kept in the database rather than in the configuration, so a hub database can never be
    served as a booth by forgetting an environment variable.
    """

    __tablename__ = "sync_hub"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)


class HubBooth(db.Model):
    """Hub side: a booth's credentials and the last comparison of its totals with the hub's.

    The login token is shown once and stored only as its SHA-256 (a 256-bit random token
    needs no slow hash). The signing key for files is kept in clear because HMAC needs it on
    both sides; it is separate from the token so a leaked token cannot forge a USB file.
    """

    __tablename__ = "hub_booth"
    id: Mapped[int] = mapped_column(primary_key=True)
    booth_id: Mapped[int] = mapped_column(ForeignKey("booth.id"), nullable=False, unique=True)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    token_hint: Mapped[str] = mapped_column(String(16), nullable=False, default="")  # first characters, to recognise it
    token_created_at: Mapped[datetime | None]
    signing_key: Mapped[str | None] = mapped_column(String(64))  # hex, 32 bytes
    key_created_at: Mapped[datetime | None]
    last_compare_at: Mapped[datetime | None]
    # JSON: {"products": [...differences...], "records": [...], "booth_unpushed": n}
    last_compare: Mapped[str] = mapped_column(Text, nullable=False, default="")

    booth = relationship("Booth")

    @property
    def compare(self) -> dict | None:
        return json.loads(self.last_compare) if self.last_compare else None


class IngestState(db.Model):
    """Hub side: what the hub holds of one booth database's records (one row per origin_db).

    held_ranges is the JSON list of [first, last] sequence ranges held, merged and sorted:
    [[1, 800], [901, 950]] means 1..800 contiguous and 801..900 missing (a gap).
    """

    __tablename__ = "ingest_state"
    id: Mapped[int] = mapped_column(primary_key=True)
    booth_id: Mapped[int] = mapped_column(ForeignKey("booth.id"), nullable=False, index=True)
    origin_db: Mapped[str] = mapped_column(String(36), nullable=False, unique=True)
    contiguous_seq: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    held_ranges: Mapped[str] = mapped_column(Text, nullable=False, default="[]")
    records_stored: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # records received again, ignored
    batches: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    first_push_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    last_push_at: Mapped[datetime | None]
    last_via: Mapped[str] = mapped_column(String(8), nullable=False, default="")  # "http" or "file"
    # The booth's clock minus the hub's at the last live push, in seconds (positive: the booth is ahead).
    clock_skew_s: Mapped[int | None] = mapped_column(Integer)

    booth = relationship("Booth")

    @property
    def ranges(self) -> list[list[int]]:
        return json.loads(self.held_ranges or "[]")

    @property
    def highest_seq(self) -> int:
        ranges = self.ranges
        return ranges[-1][1] if ranges else 0

    @property
    def gaps(self) -> list[list[int]]:
        """The missing [first, last] ranges below the highest sequence held."""
        out, expected = [], 1
        for lo, hi in self.ranges:
            if lo > expected:
                out.append([expected, lo - 1])
            expected = hi + 1
        return out


class SyncConflict(db.Model):
    """Hub side: a record the hub refused because it clashes with one it holds (never merged silently)."""

    __tablename__ = "sync_conflict"
    id: Mapped[int] = mapped_column(primary_key=True)
    booth_id: Mapped[int] = mapped_column(ForeignKey("booth.id"), nullable=False, index=True)
    origin_db: Mapped[str] = mapped_column(String(36), nullable=False)
    origin_seq: Mapped[int | None] = mapped_column(Integer)
    record_table: Mapped[str] = mapped_column(String(64), nullable=False)
    record_uuid: Mapped[str] = mapped_column(String(36), nullable=False, default="")
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    received: Mapped[str] = mapped_column(Text, nullable=False, default="")  # the record as sent (JSON)
    held: Mapped[str] = mapped_column(Text, nullable=False, default="")  # the record the hub holds (JSON)
    detected_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow, index=True)

    booth = relationship("Booth")

    @property
    def label(self) -> str:
        """The number people read on paper for the record as sent (a receipt, a shift, a document)."""
        try:
            rec = json.loads(self.received or "{}")
        except ValueError:
            return ""
        if not isinstance(rec, dict):
            return ""
        for key in ("receipt_no", "number"):
            if rec.get(key) not in (None, ""):
                return str(rec[key])
        return ""


class BoothSyncState(db.Model):
    """Booth side, one row once provisioned: where the hub is, how to log in, the key for files.

    The token is kept in clear here: the booth must send it. It lives in the booth's own
    database, which never leaves the laptop except as a backup.
    """

    __tablename__ = "booth_sync_state"
    id: Mapped[int] = mapped_column(primary_key=True)
    booth_uuid: Mapped[str] = mapped_column(String(36), nullable=False)
    hub_url: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    allow_http: Mapped[bool] = mapped_column(nullable=False, default=False)
    token: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    signing_key: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    provisioned_at: Mapped[datetime | None]
    provisioned_via: Mapped[str] = mapped_column(String(8), nullable=False, default="")
    last_push_at: Mapped[datetime | None]  # the last push the hub answered
    last_push_error: Mapped[str] = mapped_column(Text, nullable=False, default="")
    last_attempt_at: Mapped[datetime | None]
    last_export_at: Mapped[datetime | None]
    last_export_records: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_compare_at: Mapped[datetime | None]
    last_compare: Mapped[str] = mapped_column(Text, nullable=False, default="")  # JSON, as HubBooth.last_compare
    clock_skew_s: Mapped[int | None] = mapped_column(Integer)  # as the hub last measured it
    # Records that change once (wire.MUTABLE: a shift, when closed) were sent again up to this
    # moment of their change: a shift closed later is sent again on the next push.
    mutable_pushed_until: Mapped[datetime | None]
    # The highest shift and stock document numbers the hub holds for this booth (JSON, see
    # services/numbering): a booth restored from an older backup numbers after them.
    hub_numbers: Mapped[str] = mapped_column(Text, nullable=False, default="")

    @property
    def compare(self) -> dict | None:
        return json.loads(self.last_compare) if self.last_compare else None


class SyncCursor(db.Model):
    """Booth side: per database that wrote records here, the highest sequence the hub acknowledged.

    A booth restored from a backup has a new identity but still holds its old identity's
    records, so there is one cursor per origin_db. max_seq is the highest sequence of an
    old identity present here (frozen: nothing new is written under it); for the current
    identity it is None and DbIdentity.last_seq is used.
    """

    __tablename__ = "sync_cursor"
    origin_db: Mapped[str] = mapped_column(String(36), primary_key=True)
    acked_seq: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    max_seq: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)

from __future__ import annotations

from datetime import datetime
from functools import cache

from sqlalchemy import ForeignKey, Integer, String, bindparam, func, select, update
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.orm.attributes import set_committed_value

from ..db import kept_row, request_rows
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


def identity(session):
    """This database's identity row (created by init_database); read once per request."""
    rows = request_rows(session)
    if (row := kept_row(rows, "identity")) is not None:
        return row
    row = session.scalars(select(DbIdentity)).first()
    if row is None:
        raise RuntimeError("the database has no identity: run `pos init` or `pos demo`")
    if rows is not None:
        rows["identity"] = row
    return row


@cache  # built once per set of models: building it cost more than running it
def _take_statement(keyed_models: tuple):
    """Move last_seq on by :count and return it, with the highest key of each keyed model."""
    table = DbIdentity.__table__  # a Core statement: the row in the session is updated below, not re-read
    return (update(table)
            .where(table.c.id == bindparam("ident"))
            .values(last_seq=table.c.last_seq + bindparam("count"))
            .returning(table.c.last_seq, *(select(func.max(m.__table__.c.id)).scalar_subquery() for m in keyed_models)))


def stamp(session, *records, assign_keys=()):
    """Give travelling records this database's id, booth and the next sequence numbers.

    The sequence is gap-free per database, so a hub that holds 1..n and then n+2
    knows one record is missing. Must run inside the write transaction.

    assign_keys: models whose records among `records` get their primary keys here too, on SQLite,
    read in the same statement. With its keys known the ORM writes a sale's lines (or movements)
    as one executemany instead of one INSERT ... RETURNING each (SQLite cannot return the keys of
    a many-row insert in order). Safe because BEGIN IMMEDIATE keeps every other writer out until
    commit. PostgreSQL returns many keys from one statement and owns its sequences: nothing assigned.
    """
    ident = identity(session)
    count = len(records)
    keyed = {}
    if assign_keys and session.get_bind().dialect.name == "sqlite":
        keyed = {model: [r for r in records if type(r) is model] for model in assign_keys}
    last, *tops = session.connection().execute(_take_statement(tuple(keyed)), {"ident": ident.id, "count": count}).one()
    set_committed_value(ident, "last_seq", last)
    for keyed_records, top in zip(keyed.values(), tops):
        for key, record in enumerate(keyed_records, start=(top or 0) + 1):
            record.id = key
    first = last - count + 1
    for offset, record in enumerate(records):
        record.origin_db = ident.id
        record.origin_seq = first + offset
        if getattr(record, "booth_id", None) is None and hasattr(record, "booth_id"):
            record.booth_id = ident.booth_id
    return records

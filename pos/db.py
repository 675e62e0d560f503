"""The database: SQLite pragmas, one transaction per use case, sequence numbers.

Every write use case runs inside unit_of_work(session). On SQLite it starts with
BEGIN IMMEDIATE, so the write lock is taken before anything is read: two tills
can never both read "1 jar left" and both sell it, and the loser waits (busy
timeout) instead of failing at commit with "database is locked".

Within one server process the writers also queue, in the order they came, on a lock
taken before BEGIN IMMEDIATE (WriterQueue): SQLite's busy handler sleeps and retries,
so under four tills a newcomer often overtook a till that had waited longest, and the
slowest checkouts spent most of their time sleeping, not working.
"""
from __future__ import annotations

import logging
import threading
import uuid
from collections import deque
from contextlib import contextmanager
from pathlib import Path

from flask import g, has_request_context
from sqlalchemy import event
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import make_transient_to_detached, scoped_session

from .errors import DomainError, N_, NotFound

# Alembic's versions (Flask-Migrate): the schema a booth laptop is upgraded to, keeping its data.
MIGRATIONS_DIR = str(Path(__file__).parent / "migrations")

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000
_IMMEDIATE = "pos_begin_immediate"


class DatabaseBusy(DomainError):
    message = N_("Cơ sở dữ liệu đang bận hoặc không ghi được, chưa có gì được lưu. Vui lòng thử lại.")


class DiskFull(DatabaseBusy):
    """The disk has no room left: pressing retry will not help until space is freed."""

    message = N_("Ổ đĩa đã đầy: chưa có gì được lưu. Trưởng gian hàng cần giải phóng chỗ trống (xóa tệp không cần, "
                 "chép bản sao lưu cũ sang USB) rồi thử lại; bấm thử lại ngay sẽ không được.")


def _is_disk_full(exc) -> bool:
    orig = getattr(exc, "orig", None)
    if getattr(orig, "sqlstate", None) == "53100":  # PostgreSQL: disk_full
        return True
    text = str(orig if orig is not None else exc)
    return "disk is full" in text or "No space left" in text


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection, _record):
    if type(dbapi_connection).__module__.split(".")[0] not in ("sqlite3", "pysqlite2"):
        return
    # Let SQLAlchemy, not pysqlite, say when a transaction begins (see _sqlite_on_begin).
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    # FULL: a sale the cashier saw as done survives a power cut, not only a crash.
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cur.close()


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(conn):
    if conn.dialect.name != "sqlite":
        return
    if conn.get_execution_options().get(_IMMEDIATE):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")


class WriterQueue:
    """One writer at a time, first come first served; the thread holding it may enter again."""

    def __init__(self):
        self._mutex = threading.Lock()
        self._waiting: deque = deque()  # (thread id, Event) in arrival order
        self._owner = None
        self._depth = 0

    def acquire(self, timeout_s: float) -> bool:
        me = threading.get_ident()
        with self._mutex:
            if self._owner == me:
                self._depth += 1
                return True
            if self._owner is None and not self._waiting:
                self._owner, self._depth = me, 1
                return True
            turn = (me, threading.Event())
            self._waiting.append(turn)
        if turn[1].wait(timeout_s):
            return True
        with self._mutex:
            if self._owner == me:  # handed over just as the wait ran out
                return True
            self._waiting.remove(turn)
            return False

    def release(self) -> None:
        with self._mutex:
            self._depth -= 1
            if self._depth:
                return
            if self._waiting:
                owner, event = self._waiting.popleft()
                self._owner, self._depth = owner, 1
                event.set()
            else:
                self._owner = None


_queues_mutex = threading.Lock()
_queues: dict[str, WriterQueue] = {}  # one per SQLite database file this process writes to


def writer_queue(engine) -> WriterQueue | None:
    """The process's queue of writers for this engine's database; None where the database queues
    writers itself (PostgreSQL row locks)."""
    if engine.dialect.name != "sqlite":
        return None
    key = str(engine.url)
    with _queues_mutex:
        return _queues.setdefault(key, WriterQueue())


@contextmanager
def _write_turn(session):
    queue = writer_queue(session.get_bind())
    if queue is None:
        yield
        return
    if not queue.acquire(BUSY_TIMEOUT_MS / 1000):
        raise DatabaseBusy()
    try:
        yield
    finally:
        queue.release()


def _commit_keeping_rows(session) -> None:
    """Commit without expiring the loaded rows (the caller says which, if any, to read again)."""
    expire_on_commit = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire_on_commit


def _end_read_snapshot(session, keep_request_rows: bool) -> None:
    """Commit the read transaction (nothing is pending) so the write one can begin IMMEDIATE.

    Every row read so far is expired, to be read again inside the write lock, except, when asked,
    the ones the request keeps (its user, booth and this database's identity): they were read by
    this request a moment ago and the checks made on them (log-in, role, session version) were made
    on those values. Only for use cases that do not change those rows (a checkout): one that
    changes them (a password, a booth setting) reads them again under the lock, so two such
    changes at once cannot overwrite each other with a value read before.
    """
    rows = request_rows(session) if keep_request_rows else None
    kept = {id(row) for name, row in (rows or {}).items() if name != "session"}
    if not kept:
        session.commit()
        return
    _commit_keeping_rows(session)
    for row in list(session.identity_map.values()):
        if id(row) not in kept:
            session.expire(row)


@contextmanager
def unit_of_work(session, *, keep_request_rows: bool = False, keep_written: bool = False):
    """Run one write use case in one transaction: commit at the end, roll back on any error.

    A read transaction left open by loading the user is ended first, so that
    the write transaction can begin IMMEDIATE on SQLite. Raises DatabaseBusy
    when SQLite stays locked or cannot write (disk full), with nothing written.
    keep_request_rows: the request's user, booth and identity are not read again inside the write
    lock (see _end_read_snapshot). keep_written: the rows loaded and written stay as they were
    committed (no re-read for the answer); safe because the write lock was held from their
    reading to the commit.
    """
    if isinstance(session, scoped_session):
        session = session()
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("unit_of_work() started with unsaved changes in the session")
    if session.in_transaction():
        _end_read_snapshot(session, keep_request_rows)
    with _write_turn(session):
        try:
            # Inside the try: a BEGIN IMMEDIATE that times out on another process's lock is DatabaseBusy too.
            session.connection(execution_options={_IMMEDIATE: True})
            yield session
            if keep_written:
                _commit_keeping_rows(session)
            else:
                session.commit()
        except OperationalError as exc:
            session.rollback()
            text = str(exc.orig) if exc.orig else str(exc)
            if _is_disk_full(exc):
                # Named, and logged: staff must free space, not press retry.
                log.error("disk full, nothing written: %s", text)
                raise DiskFull() from exc
            if any(s in text for s in ("locked", "busy", "full", "disk I/O")):
                log.warning("database busy or not writable, nothing written: %s", text)
                raise DatabaseBusy() from exc
            raise
        except BaseException:
            session.rollback()
            raise


# The largest id a BIGINT/SQLite INTEGER key holds: a larger one names no row (and would make
# the driver raise OverflowError or "out of range" instead of answering "not found").
MAX_ID = 2**63 - 1


def get_row(session, model, row_id, *, with_for_update: bool = False):
    """The row with this primary key, or None for an unknown or malformed id (URLs, forms, cookies)."""
    try:
        row_id = int(row_id)
    except (TypeError, ValueError):
        return None
    if not 0 < row_id <= MAX_ID:
        return None
    return session.get(model, row_id, with_for_update=with_for_update)


def required_row(session, model, row_id, message: str, *, field: str | None = None):
    """The row with this primary key (see get_row). Raises NotFound(message, field) when there is none."""
    row = get_row(session, model, row_id)
    if row is None:
        raise NotFound(message, field=field)
    return row


def booth_row(session, model, booth, row_id, message: str, *, field: str | None = None, check=None,
              with_for_update: bool = False):
    """The row of this booth with this primary key (see of_booth). Raises NotFound(message, field)."""
    return of_booth(get_row(session, model, row_id, with_for_update=with_for_update), booth, message,
                    field=field, check=check)


def of_booth(row, booth, message: str, *, field: str | None = None, check=None):
    """row, if it is a row of this booth and passes check(row) when one is given.

    Raises NotFound(message, field) otherwise: a missing row, another booth's row and a row
    check() refuses look the same, so an id tried from elsewhere tells nothing about that booth.
    """
    if row is None or row.booth_id != booth.id or (check is not None and not check(row)):
        raise NotFound(message, field=field)
    return row


def new_uuid() -> str:
    return str(uuid.uuid4())


def request_rows(session) -> dict | None:
    """The rows this request has read once and keeps (this database's identity, the booth, the user),
    or None outside a request (CLI, workers, unit tests), where nothing is kept.

    Held on flask.g, so they live as long as the request and never pass to another one: a checkout
    reads its user and booth once, not once for the session checks, again for the view and again
    inside the write lock.
    """
    if not has_request_context():
        return None
    if isinstance(session, scoped_session):
        session = session()
    rows = g.get("_pos_rows")
    if rows is None or rows["session"] is not session:
        rows = g._pos_rows = {"session": session}
    return rows


def kept_row(rows: dict | None, name: str):
    """A row request_rows() holds under `name`, if it is still a row of that session; else None."""
    row = rows.get(name) if rows is not None else None
    if row is None:
        return None
    state = sa_inspect(row)
    return row if state.persistent and state.session is rows["session"] else None


def keep_for_request(session, name: str, row) -> None:
    """Keep a row read by this request for the rest of it (see request_rows)."""
    rows = request_rows(session)
    if rows is not None and row is not None:
        rows[name] = row


class _Columns:
    """What insert_records needs to know of a mapped class, worked out once per class."""

    def __init__(self, cls):
        mapper = sa_inspect(cls)
        self.table = mapper.local_table
        self.pk = mapper.primary_key[0]
        self.pk_key = mapper.get_property_by_column(self.pk).key
        # (attribute, column key, how a missing value is found) of every column; the foreign keys a
        # many-to-one relationship fills, from the record it points at.
        self.columns = [(prop.key, prop.columns[0].key, self._default(prop.columns[0]))
                        for prop in mapper.column_attrs]
        self.to_one = [(rel.key, [(mapper.get_property_by_column(local).key,
                                   rel.mapper.get_property_by_column(remote).key)
                                  for local, remote in rel.local_remote_pairs])
                       for rel in mapper.relationships if rel.direction.name == "MANYTOONE"]
        self.insert = self.table.insert()
        self.insert_returning = self.table.insert().returning(self.pk, sort_by_parameter_order=True)

    def _default(self, column):
        if column is self.pk or (column.default is None and column.server_default is not None):
            return _FROM_DATABASE  # the database's to give (an unset attribute is read back when asked for)
        if column.default is None:
            return (False, None)
        return (column.default.is_callable, column.default.arg)

    def row(self, record) -> dict:
        """The record's column values, its relationships' keys and the columns' Python defaults filled in."""
        # Written straight into the instance's dict, without change events: insert_records then makes
        # the record detached, which takes whatever the dict holds as loaded.
        values = record.__dict__
        for rel_key, pairs in self.to_one:
            if (target := values.get(rel_key)) is not None:
                for local, remote in pairs:
                    values[local] = getattr(target, remote)
        row = {}
        for key, column_key, default in self.columns:
            if key in values:
                row[column_key] = values[key]
            elif default is not _FROM_DATABASE:
                is_callable, arg = default
                row[column_key] = values[key] = arg(None) if is_callable else arg
        return row


_FROM_DATABASE = object()
_columns: dict[type, _Columns] = {}


def insert_records(session, *groups) -> None:
    """Write new ORM records with Core INSERTs, then hold them in the session as if read from it.

    Each group is a list of records of one class, in the order the foreign keys need them (a
    sale before its lines). A group is one executemany; its keys are read back in order where
    they were not given (PostgreSQL: RETURNING, sort_by_parameter_order). A many-to-one
    relationship set on a record (line.sale) fills its foreign key from the record written before.

    Why not session.add() and flush(): for a sale of five lines the unit of work's bookkeeping
    (cascades, history, dependency sort) cost more than its whole SQL. The records must be new
    and not in the session; every column comes from them or from its Python default.
    """
    for records in groups:
        if not records:
            continue
        cols = _columns.get(type(records[0])) or _columns.setdefault(type(records[0]), _Columns(type(records[0])))
        rows = [cols.row(record) for record in records]
        connection = session.connection()
        if all(row.get(cols.pk.key) is not None for row in rows):
            connection.execute(cols.insert, rows)
        else:
            for row in rows:
                row.pop(cols.pk.key, None)
            keys = connection.execute(cols.insert_returning, rows).scalars().all()
            for record, key in zip(records, keys):
                setattr(record, cols.pk_key, key)
    written = [record for records in groups for record in records]
    for record in written:
        make_transient_to_detached(record)
    for record in written:
        if record not in session:  # adding a sale brings its lines along (cascade): each is added once
            session.add(record)

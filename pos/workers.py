"""The background loops `pos serve` starts: printing the queue, pushing to the hub, periodic backups.

All three run through run_every(); none is started by create_app or on import, so tests and
CLI commands stay quiet and deterministic.
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Callable

from .db import unit_of_work
from .errors import DomainError
from .extensions import db
from .models import PrintJob
from .services import backups, booths, print_queue
from .services.sync import booth as sync_booth

log = logging.getLogger(__name__)

PUSH_FIRST_WAIT_S = 5.0  # a first push soon after start
PUSH_BACKOFF_MAX_S = 15 * 60


def run_every(name: str, step: Callable[[], object], interval_s: float, *, first_wait_s: float = 0.0,
              backoff_max_s: float | None = None, on_error: Callable[[Exception], None] | None = None,
              ) -> threading.Event:
    """Run step() in a daemon thread called name until the returned event is set.

    The thread waits first_wait_s, then calls step(); a truthy result means more work is waiting
    and step() runs again at once, else the thread waits interval_s. An exception never ends the
    loop (a printer, disk or network fault is passing): on_error(err) logs it (by default with its
    traceback) and, with backoff_max_s, each failure doubles the wait up to backoff_max_s until a
    step succeeds; without it the next try comes after interval_s.
    """
    stop = threading.Event()

    def run():
        delay = first_wait_s
        while not stop.wait(delay):
            try:
                delay = 0.0 if step() else interval_s
            except Exception as err:  # noqa: BLE001 - never let the loop die; on_error logs it
                (on_error or _log_failure(name))(err)
                delay = min(delay * 2 or interval_s, backoff_max_s) if backoff_max_s else interval_s

    threading.Thread(target=run, name=name, daemon=True).start()
    return stop


def _log_failure(name: str) -> Callable[[Exception], None]:
    return lambda err: log.exception("%s failed", name)


# --- printing ---------------------------------------------------------------------------------

def process_next_job(app) -> bool:
    """Print the oldest pending job, if any: claim it, send it outside any transaction, record the outcome.

    Returns False when nothing was waiting.
    """
    with app.app_context():
        with unit_of_work(db.session) as s:
            job = print_queue.claim_next_job(s)
            job_id = job.id if job else None
        if job_id is None:
            return False
        job = db.session.get(PrintJob, job_id)
        settings = print_queue.printer_settings(db.session, booths.current_booth(db.session), app.config)
        error, confirmed = print_queue.send_job(db.session, job, settings)
        db.session.rollback()  # end the read before the write below begins IMMEDIATE
        with unit_of_work(db.session) as s:
            print_queue.finish_job(s, job_id, error, confirmed=confirmed)
        if error:
            log.warning("print job %s failed: %s", job_id, error)
        db.session.remove()
    return True


def print_pending(app) -> int:
    """Print every pending job now, one after another. Returns how many were tried."""
    count = 0
    while process_next_job(app):
        count += 1
    return count


def start_print_worker(app, interval_s: float = 0.5) -> threading.Event:
    """Print the queue in a daemon thread, job after job, looking again every interval_s when it is empty."""
    return run_every("print-worker", lambda: process_next_job(app), interval_s,
                     on_error=lambda err: log.exception("print worker error"))


def recover_at_start(app) -> int:
    """Mark jobs a crash left unprinted as failed, so a person decides: retry or dismiss."""
    with app.app_context():
        with unit_of_work(db.session) as s:
            return print_queue.recover_interrupted_jobs(s)


# --- pushing to the hub -----------------------------------------------------------------------

def background_push(app) -> int | None:
    """Push once if this is a provisioned booth with records waiting; returns how many were sent."""
    with app.app_context():
        try:
            st = sync_booth.state(db.session)
            if st is None or not st.hub_url or not st.token:
                return None
            # A restored booth fetches what it lost as soon as the hub answers, even with nothing to send.
            if not sync_booth.unpushed_count(db.session) and not sync_booth.needs_catching_up(db.session):
                return None
            transport = sync_booth.transport_for(db.session, factory=app.config.get("SYNC_TRANSPORT_FACTORY"),
                                                 timeout=20)
            return sync_booth.push(db.session, transport,
                                   max_records=int(app.config.get("SYNC_BATCH_RECORDS", sync_booth.BATCH_RECORDS))).sent
        finally:
            db.session.remove()


def start_push_worker(app, interval_s: float | None = None) -> threading.Event:
    """Push in a daemon thread whenever the hub is reachable, backing off while it is not.

    Its reads never block a till (SQLite WAL) and its only writes are the cursor's, one short
    transaction per batch; the network waits happen outside any transaction.
    """
    def push() -> None:
        sent = background_push(app)
        if sent:
            log.info("pushed %s records to the hub", sent)

    interval = float(interval_s or app.config.get("SYNC_PUSH_INTERVAL_S", 60))
    return run_every("sync-push", push, interval, first_wait_s=PUSH_FIRST_WAIT_S,
                     backoff_max_s=PUSH_BACKOFF_MAX_S, on_error=_push_failed)


def _push_failed(err: Exception) -> None:
    if isinstance(err, DomainError):  # hub unreachable or refusing: already recorded for the booth's page
        log.info("push to the hub failed: %s", err)
    else:
        log.exception("background push error")


# --- periodic backups -------------------------------------------------------------------------

def start_periodic_backups(app) -> threading.Event | None:
    """Back up every BACKUP_INTERVAL_MINUTES in a daemon thread, skipping a round when nothing was
    written since the last copy. Returns the stop event, or None when off (interval 0) or not on SQLite."""
    minutes = float(app.config.get("BACKUP_INTERVAL_MINUTES") or 0)
    try:
        db_path = backups.sqlite_path(app.config["SQLALCHEMY_DATABASE_URI"])
    except backups.BackupError:
        return None
    if minutes <= 0:
        return None
    return run_every("backups", _backup_if_changed(app, db_path), minutes * 60, first_wait_s=minutes * 60,
                     on_error=lambda err: log.exception("periodic backup failed"))


def _backup_if_changed(app, db_path: Path) -> Callable[[], None]:
    """A backup step that skips the round when the database files did not change since its last copy."""
    last = {"signature": None}

    def step() -> None:
        signature = _signature(db_path)
        if signature == last["signature"]:
            return
        result = backups.backup_now(app, label="auto")
        last["signature"] = signature
        if result.copy_error:
            log.warning("backup %s made, USB copy failed: %s", result.path.name, result.copy_error)

    return step


def _signature(db_path: Path):
    """Size and modification time of the database and its WAL: what changes when anything is written."""
    parts = []
    for suffix in ("", "-wal"):
        p = Path(str(db_path) + suffix)
        st = p.stat() if p.exists() else None
        parts.append((st.st_size, st.st_mtime_ns) if st else None)
    return tuple(parts)

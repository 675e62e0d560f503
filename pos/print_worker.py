"""Background printing, started by `pos serve` (never by create_app, so tests stay deterministic)."""
from __future__ import annotations

import logging
import threading

from .db import unit_of_work
from .extensions import db
from .models import PrintJob
from .services import booths, print_queue

log = logging.getLogger(__name__)


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
    """Run the print queue in a daemon thread until the returned event is set."""
    stop = threading.Event()

    def run():
        while not stop.is_set():
            try:
                busy = process_next_job(app)
            except Exception:  # noqa: BLE001 - a printer or database hiccup must not kill the worker; logged
                log.exception("print worker error")
                busy = False
            if not busy:
                stop.wait(interval_s)

    threading.Thread(target=run, name="print-worker", daemon=True).start()
    return stop


def recover_at_start(app) -> int:
    """Mark jobs a crash left unprinted as failed, so a person decides: retry or dismiss."""
    with app.app_context():
        with unit_of_work(db.session) as s:
            return print_queue.recover_interrupted_jobs(s)

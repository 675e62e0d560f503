"""The print queue: slips recorded after their sale commits, sent to the printer, retried or dismissed.

A printer that is off, out of paper or unplugged never loses or blocks a sale:
the job fails with the reason, the sell screen says so, and it can be retried or
the slip reprinted. Jobs left unprinted by a crash are marked failed at start,
listed for retry or dismissal, and never printed unasked.
"""
from __future__ import annotations

import json
from dataclasses import asdict, fields
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import and_, or_, select

from ..db import required_row
from ..errors import InvalidInput, N_
from ..models import PrinterSetting, PrintJob, Sale
from ..printing import (PrinterConfigError, PrinterSettings, ReceiptData, ReceiptLine,
                        ReceiptPayment, build_prebill, build_receipt, deliver, parse_printer_url, slip_to_bytes)
from ..printing.errors import PrintingError
from ..printing.layout import slip_from_json, slip_to_json
from ..timeutil import to_local, utcnow

_SETTING_FIELDS = ("url", "paper_mm", "profile", "mode", "codepage", "slot_tcvn3_lower", "slot_tcvn3_upper",
                   "slot_cp1258", "cancel_chinese", "has_cutter", "has_drawer", "timeout", "asks_status")
INTERRUPTED = "Chưa in xong thì máy chủ dừng (mất điện hoặc tắt máy). Bấm In lại nếu khách còn cần phiếu."


def printer_settings(session, booth, config) -> PrinterSettings:
    """The printer settings in force: PRINTER_* from the config, overridden by the manager's page."""
    base = {k: v for k, v in config.items() if k.startswith("PRINTER_")}
    row = booth.printer_setting if booth is not None else None  # usually read with the booth
    saved = json.loads(row.values) if row else {}
    merged = {**{k[len("PRINTER_"):].lower(): v for k, v in base.items()}, **saved}
    try:
        return _settings_of(tuple(sorted(merged.items())))
    except TypeError:  # a value that cannot be a cache key (a list in a hand-edited setting): not cached
        return _settings_of.__wrapped__(tuple(sorted(merged.items())))


@lru_cache(maxsize=16)  # read for every sale; PrinterSettings is frozen, so one object can serve them all
def _settings_of(items: tuple) -> PrinterSettings:
    merged = dict(items)
    try:
        return PrinterSettings.from_mapping(merged)
    except PrinterConfigError:
        return PrinterSettings.from_mapping({k: v for k, v in merged.items() if k != "url"})


def save_printer_settings(session, booth, data: dict) -> PrinterSettings:
    """Check and keep the manager's printer settings. Raises InvalidInput naming the setting."""
    values = {k: data[k] for k in _SETTING_FIELDS if k in data and data[k] is not None}
    for flag in ("cancel_chinese", "has_cutter", "has_drawer", "asks_status"):
        values[flag] = str(data.get(flag, "")).lower() in ("1", "true", "on", "yes")
    try:
        settings = PrinterSettings.from_mapping(values)
        parse_printer_url(settings.url)
    except PrinterConfigError as err:
        raise InvalidInput(getattr(err, "setting", None) or "url", str(err)) from None
    if settings.paper_mm not in (58, 80):
        raise InvalidInput("paper_mm", "Khổ giấy là 58 hoặc 80 mm")
    row = booth.printer_setting or PrinterSetting(booth_id=booth.id)
    booth.printer_setting = row
    row.values = json.dumps({f.name: getattr(settings, f.name) for f in fields(settings)
                             if f.name in _SETTING_FIELDS}, ensure_ascii=False)
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    return settings


def receipt_data(sale: Sale, *, reprinted_at=None) -> ReceiptData:
    """What the slip of a sale says, from the sale as recorded (names and prices at the time of sale)."""
    booth = sale.till.booth
    return ReceiptData(
        fair_name=booth.fair.name, booth_name=booth.name, receipt_no=sale.receipt_no,
        created_at=to_local(sale.created_at), till_name=sale.till.name, cashier_name=sale.cashier.full_name,
        lines=[ReceiptLine(name=ln.product_name, qty=ln.qty, unit_price_vnd=ln.unit_price_vnd,
                           line_total_vnd=ln.gross_vnd - ln.line_discount_vnd, line_discount_vnd=ln.line_discount_vnd,
                           ocop_stars=ln.product.ocop_stars, stamp_code=ln.stamp_code or None) for ln in sale.lines],
        total_vnd=sale.total_vnd, order_discount_vnd=sale.order_discount_vnd,
        payments=[ReceiptPayment(method=p.method_label, amount_vnd=p.amount_vnd,
                                 tendered_vnd=p.tendered_vnd if p.method == "cash" else None,
                                 change_vnd=p.change_vnd if p.method == "cash" else None,
                                 reference=p.reference or None) for p in sale.payments],
        buyer_name=sale.buyer_name or None, buyer_tax_code=sale.buyer_tax_code or None,
        footer=booth.receipt_footer, reprinted_at=to_local(reprinted_at) if reprinted_at else None,
        organisation=booth.organisation, address=booth.address, phone=booth.phone, tax_code=booth.tax_code,
    )


def enqueue_receipt(session, sale: Sale, settings: PrinterSettings, *, reprint=False) -> PrintJob | None:
    """Record a job to print a sale's slip (a reprint says "BẢN IN LẠI"); None when the booth has no printer.

    The cash drawer opens for a cash sale, on the first print only.
    """
    if settings.target.kind == "none":
        return None
    has_cash = any(p.method == "cash" for p in sale.payments)
    job = PrintJob(kind="reprint" if reprint else "receipt", sale_id=sale.id,
                   open_drawer=has_cash and not reprint and settings.has_drawer)
    session.add(job)
    session.flush()
    return job


def enqueue_prebill(session, data: ReceiptData, qr_payload: str, settings: PrinterSettings) -> PrintJob | None:
    """Record a job to print a pre-bill (phiếu tạm tính) with the VietQR code to scan from paper."""
    if settings.target.kind == "none":
        return None
    payload = asdict(data)
    payload["created_at"] = data.created_at.isoformat()
    payload.pop("reprinted_at", None)
    payload["qr_payload"] = qr_payload
    job = PrintJob(kind="prebill", payload=json.dumps(payload, ensure_ascii=False))
    session.add(job)
    session.flush()
    return job


def enqueue_slip(session, slip, settings: PrinterSettings) -> PrintJob | None:
    """Record a job to print a finished slip (a Z report, a void or refund slip); None without a printer."""
    if settings.target.kind == "none":
        return None
    job = PrintJob(kind="report", payload=slip_to_json(slip))
    session.add(job)
    session.flush()
    return job


def job_bytes(session, job: PrintJob, settings: PrinterSettings) -> bytes:
    """The exact bytes a job sends to the printer, rendered now with the settings in force."""
    return slip_to_bytes(job_slip(job), settings, open_drawer=job.open_drawer)


def job_slip(job: PrintJob):
    if job.kind == "report":
        return slip_from_json(job.payload)
    if job.kind == "prebill":
        raw = json.loads(job.payload)
        qr = raw.pop("qr_payload")
        raw["created_at"] = datetime.fromisoformat(raw["created_at"])
        raw["lines"] = [ReceiptLine(**ln) for ln in raw["lines"]]
        raw["payments"] = [ReceiptPayment(**p) for p in raw["payments"]]
        return build_prebill(ReceiptData(**raw), qr)
    return build_receipt(receipt_data(job.sale, reprinted_at=job.created_at if job.kind == "reprint" else None))


def get_job(session, job_id) -> PrintJob:
    return required_row(session, PrintJob, job_id, N_("Không tìm thấy lệnh in"))


def claim_next_job(session) -> PrintJob | None:
    """Take the oldest pending job for printing (in the caller's transaction)."""
    job = session.scalars(select(PrintJob).where(PrintJob.status == "pending").order_by(PrintJob.id).limit(1)).first()
    if job is not None:
        job.status, job.attempts, job.updated_at = "printing", job.attempts + 1, utcnow()
        session.flush()
    return job


def finish_job(session, job_id: int, error: str | None = None, *, confirmed: bool = True) -> PrintJob:
    """Mark a job printed ("done", the printer said so), only sent ("sent", a printer that cannot
    answer), or failed with the reason in plain words."""
    job = get_job(session, job_id)
    job.updated_at = utcnow()
    if error:
        job.status, job.last_error = "failed", error[:1000]
    else:
        job.status, job.last_error, job.printed_at = "done" if confirmed else "sent", "", utcnow()
    session.flush()
    return job


def retry_job(session, job_id) -> PrintJob:
    """Send a failed (or dismissed) job to the printer again. Raises NotFound, InvalidInput."""
    job = get_job(session, job_id)
    if job.status in ("done", "printing", "pending"):
        raise InvalidInput("status", "Lệnh in này không cần in lại (%(status)s)", status=job.status)
    job.status, job.updated_at = "pending", utcnow()
    session.flush()
    return job


def dismiss_job(session, job_id) -> PrintJob:
    job = get_job(session, job_id)
    if job.status == "done":
        raise InvalidInput("status", "Lệnh in đã in xong")
    job.status, job.updated_at = "dismissed", utcnow()
    session.flush()
    return job


def recover_interrupted_jobs(session) -> int:
    """At start: jobs a crash left pending or half-printed are marked failed, to be retried or dismissed by hand."""
    jobs = list(session.scalars(select(PrintJob).where(PrintJob.status.in_(("pending", "printing")))))
    for job in jobs:
        job.status, job.last_error, job.updated_at = "failed", INTERRUPTED, utcnow()
    session.flush()
    return len(jobs)


def open_jobs(session) -> list[PrintJob]:
    """Jobs that still need someone: waiting, printing or failed; and those of the last half hour only
    sent to a printer that cannot confirm, so the cashier can check the slip came out."""
    recent = utcnow() - timedelta(minutes=30)
    return list(session.scalars(select(PrintJob).where(or_(
        PrintJob.status.in_(("pending", "printing", "failed")),
        and_(PrintJob.status == "sent", PrintJob.updated_at >= recent))).order_by(PrintJob.id.desc())))


def send_job(session, job: PrintJob, settings: PrinterSettings) -> tuple[str | None, bool]:
    """Render and send a claimed job, outside any write transaction.

    Returns (error, confirmed): the error in plain words, or None; confirmed is True only when the
    printer answered after the job that it is well.
    """
    try:
        data = job_bytes(session, job, settings)
        delivery = deliver(data, settings)
    except PrintingError as err:  # PrinterUnavailable included: the reason is in the message
        return str(err), False
    return None, delivery.confirmed

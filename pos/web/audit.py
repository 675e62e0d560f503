"""The audit log, login/PIN waits and backups: what managers and organisers read to see who did what (issue 5).

Pages: `bp` under /audit; JSON: `api_bp` under /api/v1/audit (the log's entries). The `pos backup` and
`pos restore` commands are in pos/cli/audit.py."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .access import MANAGERS, roles
from ..db import unit_of_work
from ..errors import DomainError
from ..extensions import db
from ..services import audit, audit_log, backups, security
from .templating import flash_error
from ..timeutil import local_today
from . import schemas as sc
from .apispec import endpoint
from .errors import http_status
from .forms import arg_id

bp = Blueprint("audit", __name__, url_prefix="/audit")
api_bp = Blueprint("audit_api", __name__, url_prefix="/api/v1/audit")


def _log_page(flt, status=200, error_field=None):
    entries, has_more = audit_log.list_entries(db.session, flt, before_id=arg_id("before"))
    return render_template("audit/log.html", entries=entries, has_more=has_more, flt=flt, args=request.args,
                           actions=audit_log.known_actions(db.session), label=audit_log.action_label,
                           details=audit_log.details, error_field=error_field), status


@bp.get("")
@roles(*MANAGERS)
def log():
    try:
        flt = audit_log.parse_filter(request.args)
    except DomainError as err:
        flash_error(err)
        return _log_page(audit_log.AuditFilter(), http_status(err), err.field)
    return _log_page(flt)


@bp.get("/export.csv")
@roles(*MANAGERS)
def export_csv():
    flt = audit_log.parse_filter(request.args)  # a bad date: the app's error page, with the field's message
    text = audit_log.export_csv(db.session, flt, translate=_)
    name = f"nhat-ky-{local_today().strftime('%Y%m%d')}.csv"
    return Response(text.encode("utf-8"), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/waits")
@roles(*MANAGERS)
def waits():
    return render_template("audit/waits.html", rows=security.recent_failures(db.session),
                           free=security.FREE_FAILURES, max_delay=security.MAX_DELAY_S,
                           window_min=int(security.WINDOW.total_seconds() // 60))


@bp.post("/waits/clear")
@roles(*MANAGERS)
def clear_wait():
    username, address = request.form.get("username", "").strip(), request.form.get("address", "").strip()
    try:
        with unit_of_work(db.session) as s:
            security.unlock(s, current_user, username=username or None, address=address or None,
                            reason=request.form.get("reason", "")[:200])
    except DomainError as err:
        flash_error(err)
        return redirect(url_for("audit.waits"))
    flash(_("Đã xóa thời gian chờ của %(who)s.", who=username or address), "success")
    return redirect(url_for("audit.waits"))


def _backup_folders() -> list[Path]:
    folders = [backups.backup_dir(current_app.config, current_app.instance_path)]
    if current_app.config.get("BACKUP_USB_PATH"):
        folders.append(Path(current_app.config["BACKUP_USB_PATH"]))
    return folders


@bp.get("/backups")
@roles(*MANAGERS)
def backups_page():
    folders = _backup_folders()
    return render_template("audit/backups.html", files=backups.list_backups(*folders)[:100], folders=folders,
                           usb=current_app.config.get("BACKUP_USB_PATH") or "",
                           usb_ok=bool(current_app.config.get("BACKUP_USB_PATH"))
                           and Path(current_app.config["BACKUP_USB_PATH"]).is_dir(),
                           interval=current_app.config.get("BACKUP_INTERVAL_MINUTES"),
                           keep=current_app.config.get("BACKUP_KEEP"))


@bp.post("/backups")
@roles(*MANAGERS)
def backup_now():
    try:
        result = backups.backup_now(current_app, label="manual")
        with unit_of_work(db.session) as s:
            audit.record(s, current_user, "db.backup", result.path.name, address=request.remote_addr or "",
                         size_bytes=result.size_bytes, copies=[str(p) for p in result.copies],
                         copy_error=result.copy_error)
    except DomainError as err:
        flash_error(err)
        return redirect(url_for("audit.backups_page"))
    flash(_("Đã sao lưu: %(name)s.", name=result.path.name), "success")
    if result.copy_error:
        flash(result.copy_error, "warning")
    return redirect(url_for("audit.backups_page"))


@api_bp.get("/entries")
@roles(*MANAGERS)
@endpoint("The audit log, newest first, filtered; page on with before=<next_before>", query=sc.AuditQuery,
          response={"type": "object", "properties": {
              "entries": {"type": "array", "items": {"type": "object", "properties": {
                  "id": {"type": "integer"}, "at": {"type": "string", "format": "date-time"},
                  "username": {"type": ["string", "null"]}, "action": {"type": "string"},
                  "target": {"type": ["string", "null"]}, "address": {"type": ["string", "null"]},
                  "details": {"type": ["object", "null"]}}}},
              "has_more": {"type": "boolean"}, "next_before": {"type": ["integer", "null"]}}}, tags=["audit"])
def api_entries(query: sc.AuditQuery):
    flt = audit_log.parse_filter(request.args)
    entries, has_more = audit_log.list_entries(db.session, flt, before_id=query.before,
                                               limit=min(query.limit or audit_log.PAGE_SIZE, audit_log.PAGE_SIZE))
    return jsonify(entries=[audit_log.entry_json(e) for e in entries], has_more=has_more,
                   next_before=entries[-1].id if entries and has_more else None)

"""The audit log, login/PIN waits and backups: what managers and organisers read to see who did what (issue 5)."""
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
from ..services.sync import booth as sync_booth
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


def init_cli(app) -> None:
    """`pos backup` and `pos restore` (called by pos.cli.init_app)."""
    import click

    def _fail(err: DomainError):
        raise click.ClickException(err.text)

    @app.cli.command("backup")
    @click.option("--to", "to", type=click.Path(file_okay=False), default=None,
                  help="folder to write to (a USB stick); default: the configured backup folder")
    @click.option("--list", "list_only", is_flag=True, help="list the backups instead of making one")
    def backup_command(to, list_only):
        """Back up the booth's database now (SQLite online backup, checked), or list the backups."""
        if list_only:
            folders = _folders(app, to)
            found = backups.list_backups(*folders)
            if not found:
                click.echo("Chưa có bản sao lưu nào trong: " + ", ".join(str(f) for f in folders))
            for b in found:
                click.echo(f"{b.created_at:%d/%m/%Y %H:%M:%S}  {b.label:<15} {b.size_bytes / 1024:>9.0f} KB  {b.path}")
            return
        try:
            result = backups.backup_now(app, label="manual", to=Path(to) if to else None)
        except DomainError as err:
            _fail(err)
        click.echo(f"Đã sao lưu (đã kiểm tra toàn vẹn): {result.path} ({result.size_bytes / 1024:.0f} KB)")
        for copy in result.copies:
            click.echo(f"Bản chép trên USB: {copy}")
        if result.copy_error:
            click.echo(f"Cảnh báo: {result.copy_error}", err=True)

    @app.cli.command("restore")
    @click.argument("backup_file", type=click.Path(dir_okay=False))
    @click.option("--into", "into", type=click.Path(dir_okay=False), default=None,
                  help="restore into this database file (a second copy) instead of the booth's database")
    @click.option("--yes", is_flag=True, help="do not ask for confirmation")
    def restore_command(backup_file, into, yes):
        """Restore a checked backup into place, giving the database a new identity for the hub.

        Stop `pos serve` first. What was there is kept in the backup folder.
        """
        from .. import create_app
        from ..cli import upgrade_schema
        from ..models.identity import identity

        try:
            info = backups.check_backup_file(Path(backup_file))
            target = Path(into) if into else backups.sqlite_path(app.config["SQLALCHEMY_DATABASE_URI"])
        except DomainError as err:
            _fail(err)
        click.echo(f"Bản sao lưu tốt: {backup_file} (mã cơ sở dữ liệu {info.db_id}, đến số thứ tự {info.last_seq}).")
        if not yes and not into:
            click.confirm(f"Thay cơ sở dữ liệu {target} bằng bản sao lưu này? (hãy dừng pos serve trước)", abort=True)
        keep_dir = backups.backup_dir(app.config, app.instance_path)
        try:
            result = backups.copy_backup_into_place(Path(backup_file), target, keep_dir=keep_dir)
        except DomainError as err:
            _fail(err)
        restored = create_app(overrides={"SQLALCHEMY_DATABASE_URI": f"sqlite:///{target.resolve()}"})
        with restored.app_context():
            from sqlalchemy import inspect

            # A backup from an older version is brought to this version's schema (as `pos serve` would).
            if inspect(db.engine).has_table("alembic_version"):
                db.engine.dispose()
                upgrade_schema(restored)
            try:
                with unit_of_work(db.session) as s:
                    new_id, old_id, old_seq = backups.assign_new_identity(s, backup_name=Path(backup_file).name)
                    synced = sync_booth.state(s) is not None  # provisioned from a hub, by network or file
                    series = identity(s).number_series
            except DomainError as err:
                _fail(err)
            lacking = None
            if result.kept_previous:
                try:  # a database set aside damaged may not be readable: then nothing can be said of it
                    lacking = sync_booth.missing_sales(db.session, result.kept_previous)
                except DomainError as err:
                    click.echo(f"Không đọc được dữ liệu đã để riêng: {err.text}", err=True)
            db.session.remove()
            db.engine.dispose()
        if result.kept_previous:
            click.echo(f"Dữ liệu trước khi khôi phục được giữ lại: {result.kept_previous}")
        click.echo(f"Đã khôi phục vào {target}.")
        click.echo(f"Mã cơ sở dữ liệu mới: {new_id} (tiếp nối {old_id} đến số thứ tự {old_seq}); "
                   "các bản ghi mới không trùng với bản ghi đã gửi máy chủ tổng.")
        click.echo(f"Số phiếu, số ca và số phiếu kho từ nay thuộc dãy {series} (ví dụ …-{series}-000123): "
                   "không bao giờ trùng với số máy cũ đã in sau bản sao lưu.")
        if lacking:
            click.echo(f"Dữ liệu đã để riêng ({result.kept_previous}) có {lacking} đơn bán mà bản khôi phục không có. "
                       f"Lấy lại: pos recover {result.kept_previous}")
        elif lacking == 0:
            click.echo("Dữ liệu đã để riêng không có đơn bán nào mà bản khôi phục thiếu.")
        if synced:
            click.echo("Khi có mạng: gửi dữ liệu lên hub (pos sync push, hoặc nút Gửi ở trang Đồng bộ): máy lấy lại "
                       "các bản ghi hub đang giữ mà bản sao lưu không có (đơn bán, ca, phiếu kho).")


def _folders(app, to) -> list[Path]:
    if to:
        return [Path(to)]
    folders = [backups.backup_dir(app.config, app.instance_path)]
    if app.config.get("BACKUP_USB_PATH"):
        folders.append(Path(app.config["BACKUP_USB_PATH"]))
    return folders

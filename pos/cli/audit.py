"""`pos backup` and `pos restore`: the booth's database copied out, checked, and put back."""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import inspect

from ..db import unit_of_work
from ..errors import DomainError
from ..extensions import db
from ..models.identity import identity
from ..services import backups
from ..services.sync import booth as sync_booth
from .common import app_on, fail, upgrade_schema


def _folders(app, to) -> list[Path]:
    if to:
        return [Path(to)]
    folders = [backups.backup_dir(app.config, app.instance_path)]
    if app.config.get("BACKUP_USB_PATH"):
        folders.append(Path(app.config["BACKUP_USB_PATH"]))
    return folders


@click.command("backup")
@click.option("--to", "to", type=click.Path(file_okay=False), default=None,
              help="folder to write to (a USB stick); default: the configured backup folder")
@click.option("--list", "list_only", is_flag=True, help="list the backups instead of making one")
@with_appcontext
def backup_command(to, list_only):
    """Back up the booth's database now (SQLite online backup, checked), or list the backups."""
    app = current_app._get_current_object()
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
        fail(err)
    click.echo(f"Đã sao lưu (đã kiểm tra toàn vẹn): {result.path} ({result.size_bytes / 1024:.0f} KB)")
    for copy in result.copies:
        click.echo(f"Bản chép trên USB: {copy}")
    if result.copy_error:
        click.echo(f"Cảnh báo: {result.copy_error}", err=True)


@click.command("restore")
@click.argument("backup_file", type=click.Path(dir_okay=False))
@click.option("--into", "into", type=click.Path(dir_okay=False), default=None,
              help="restore into this database file (a second copy) instead of the booth's database")
@click.option("--yes", is_flag=True, help="do not ask for confirmation")
@with_appcontext
def restore_command(backup_file, into, yes):
    """Restore a checked backup into place, giving the database a new identity for the hub.

    Stop `pos serve` first. What was there is kept in the backup folder.
    """
    app = current_app._get_current_object()
    try:
        info = backups.check_backup_file(Path(backup_file))
        target = Path(into) if into else backups.sqlite_path(app.config["SQLALCHEMY_DATABASE_URI"])
    except DomainError as err:
        fail(err)
    click.echo(f"Bản sao lưu tốt: {backup_file} (mã cơ sở dữ liệu {info.db_id}, đến số thứ tự {info.last_seq}).")
    if not yes and not into:
        click.confirm(f"Thay cơ sở dữ liệu {target} bằng bản sao lưu này? (hãy dừng pos serve trước)", abort=True)
    keep_dir = backups.backup_dir(app.config, app.instance_path)
    try:
        result = backups.copy_backup_into_place(Path(backup_file), target, keep_dir=keep_dir)
    except DomainError as err:
        fail(err)
    new_id, old_id, old_seq, series, synced, lacking = _take_over(target, Path(backup_file).name, result.kept_previous)
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


def _take_over(target: Path, backup_name: str, kept_previous: Path | None):
    """Open the restored file as its own app: upgrade its schema, give it a new identity, and count
    the sales the database set aside holds that it lacks.

    Returns (new id, old id, old last seq, number series, provisioned?, sales lacking or None).
    """
    restored = app_on(target.resolve())
    with restored.app_context():
        # A backup from an older version is brought to this version's schema (as `pos serve` would).
        if inspect(db.engine).has_table("alembic_version"):
            db.engine.dispose()
            upgrade_schema(restored)
        try:
            with unit_of_work(db.session) as s:
                new_id, old_id, old_seq = backups.assign_new_identity(s, backup_name=backup_name)
                synced = sync_booth.state(s) is not None  # provisioned from a hub, by network or file
                series = identity(s).number_series
        except DomainError as err:
            fail(err)
        lacking = None
        if kept_previous:
            try:  # a database set aside damaged may not be readable: then nothing can be said of it
                lacking = sync_booth.missing_sales(db.session, kept_previous)
            except DomainError as err:
                click.echo(f"Không đọc được dữ liệu đã để riêng: {err.text}", err=True)
        db.session.remove()
        db.engine.dispose()
    return new_id, old_id, old_seq, series, synced, lacking


COMMANDS = (backup_command, restore_command)

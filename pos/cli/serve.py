"""`pos serve` and `pos demo`: the booth app under waitress, with the background loops of pos.workers."""
from __future__ import annotations

import atexit
import gc
import socket
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from .. import workers
from ..db import unit_of_work
from ..extensions import db
from ..services import backups, booths, demo
from ..services.sync import booth as sync_booth
from .common import app_on, refuse_a_damaged_database, upgrade_schema


def _lan_addresses() -> list[str]:
    """The laptop's addresses that phones on the booth's Wi-Fi can reach (no traffic is sent)."""
    addrs = set()
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            addrs.add(info[4][0])
    except OSError:
        pass
    return sorted(a for a in addrs if not a.startswith("127."))


def serve_app(app, host: str, port: int, threads: int = 8) -> None:
    """Serve with waitress (runs on Windows booth laptops too), with the print queue in the background."""
    from waitress import serve  # lazy: only `pos serve` and `pos demo` need the server

    _start_background_work(app)
    click.echo(f"Fair POS đang chạy: http://127.0.0.1:{port}/")
    if host in ("0.0.0.0", "::"):
        for addr in _lan_addresses():
            click.echo(f"  Từ điện thoại/máy tính bảng trong Wi-Fi gian hàng: http://{addr}:{port}/")
    click.echo("Nhấn Ctrl+C để dừng.")
    # What start-up built (modules, mappers, compiled statements) lives as long as the server: moved out
    # of the collector's sight, so its full collections no longer walk it while a till waits.
    gc.freeze()
    serve(app, host=host, port=port, threads=threads, ident="FairPOS")


def _start_background_work(app) -> None:
    """Warn of a nearly full disk, settle what a crash left half-printed, start the three loops."""
    with app.app_context():
        disk = backups.low_disk_warning(app)
    if disk:
        click.echo(f"⚠ {disk}", err=True)
    interrupted = workers.recover_at_start(app)
    if interrupted:
        click.echo(f"{interrupted} phiếu chưa in xong khi máy dừng: xem Bán hàng → Lệnh in để in lại hoặc bỏ qua.")
    workers.start_print_worker(app)
    workers.start_push_worker(app)  # a provisioned booth pushes to its hub whenever it is reachable
    atexit.register(warn_unpushed, app)
    if workers.start_periodic_backups(app):
        click.echo(f"Sao lưu tự động {app.config['BACKUP_INTERVAL_MINUTES']:g} phút một lần vào "
                   f"{backups.backup_dir(app.config, app.instance_path)}")


def warn_unpushed(app) -> str | None:
    """At shutdown: say how many records the hub does not have yet."""
    try:
        with app.app_context():
            warning = sync_booth.unpushed_warning(db.session)
            db.session.remove()
    except Exception:  # noqa: BLE001 - a warning at exit must not turn into a crash
        return None
    if warning:
        click.echo(f"⚠ {warning}", err=True)
    return warning


@click.command("serve")
@click.option("--host", default="0.0.0.0", show_default=True, help="0.0.0.0 lets phones on the booth's Wi-Fi in")
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def serve_command(host, port):
    """Serve the booth app with waitress."""
    refuse_a_damaged_database(current_app)
    upgrade_schema(current_app)
    serve_app(current_app._get_current_object(), host, port)


@click.command("demo")
@click.option("--reset", is_flag=True, help="Throw the demo database away and build it again")
@click.option("--serve/--no-serve", default=True, show_default=True)
@click.option("--host", default="0.0.0.0", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def demo_command(reset, serve, host, port):
    """Build the demo booth in instance/demo.sqlite (never the real database) and serve it."""
    path = Path(current_app.instance_path) / "demo.sqlite"
    if reset:
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    app = app_on(path)
    refuse_a_damaged_database(app)
    upgrade_schema(app)
    with app.app_context():
        if booths.current_booth(db.session) is None:
            with unit_of_work(db.session) as s:
                demo.load_demo(s)
            click.echo(f"Đã tạo dữ liệu mẫu: {path}")
    click.echo("Tài khoản mẫu (mật khẩu / mã PIN):")
    for username, role, password, pin in [(u["username"], u["role"], demo.DEMO_PASSWORD, u.get("pin")) for u in demo.USERS]:
        click.echo(f"  {username:<10} {role:<10} mật khẩu {password}" + (f"  PIN {pin}" if pin else ""))
    if serve:
        serve_app(app, host, port)


COMMANDS = (serve_command, demo_command)

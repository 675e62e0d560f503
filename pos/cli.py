"""The `pos` command: init, demo, user create, serve (and Flask's own `db` commands)."""
from __future__ import annotations

import atexit
import os
import socket
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup

from .db import unit_of_work
from .errors import DomainError
from .extensions import db


def _create_app():
    from . import create_app

    return create_app()


def upgrade_schema(app) -> None:
    """Bring the database to the newest schema (Flask-Migrate), keeping its data."""
    from flask_migrate import upgrade

    from . import MIGRATIONS_DIR

    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR)


def refuse_a_damaged_database(app) -> None:
    """Check the database before anything touches it; a damaged one stops here with advice, not a traceback."""
    from .services import backups

    problem = backups.problem_at_start(app)
    if problem:
        raise click.ClickException(problem)


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
    from waitress import serve

    from . import workers
    from .services import backups

    with app.app_context():
        disk = backups.low_disk_warning(app)
    if disk:
        click.echo(f"⚠ {disk}", err=True)
    interrupted = workers.recover_at_start(app)
    if interrupted:
        click.echo(f"{interrupted} phiếu chưa in xong khi máy dừng: xem Bán hàng → Lệnh in để in lại hoặc bỏ qua.")
    workers.start_print_worker(app)
    workers.start_push_worker(app)  # a provisioned booth pushes to its hub whenever it is reachable
    from .web.sync import warn_unpushed

    atexit.register(warn_unpushed, app)  # say at shutdown how many records the hub does not have yet
    if workers.start_periodic_backups(app):
        click.echo(f"Sao lưu tự động {app.config['BACKUP_INTERVAL_MINUTES']:g} phút một lần vào "
                   f"{backups.backup_dir(app.config, app.instance_path)}")
    click.echo(f"Fair POS đang chạy: http://127.0.0.1:{port}/")
    if host in ("0.0.0.0", "::"):
        for addr in _lan_addresses():
            click.echo(f"  Từ điện thoại/máy tính bảng trong Wi-Fi gian hàng: http://{addr}:{port}/")
    click.echo("Nhấn Ctrl+C để dừng.")
    serve(app, host=host, port=port, threads=threads, ident="FairPOS")


def _fail(err: DomainError):
    field = f" [{err.field}]" if err.field else ""
    raise click.ClickException(f"{err}{field}")


def init_app(app):
    from .web import AREAS

    for area in AREAS:
        if hasattr(area, "init_cli"):
            area.init_cli(app)

    @app.cli.command("init")
    def init_command():
        """Create (or upgrade) this booth's database, empty, with a new identity."""
        from .services import booths

        upgrade_schema(current_app)
        with unit_of_work(db.session) as s:
            ident = booths.init_database(s)
        click.echo(f"Cơ sở dữ liệu sẵn sàng: {current_app.config['SQLALCHEMY_DATABASE_URI']}")
        click.echo(f"Mã cơ sở dữ liệu: {ident.id}")
        click.echo("Tạo tài khoản ban tổ chức đầu tiên: pos user create --role organiser USERNAME")

    @app.cli.group("user")
    def user_group():
        """Manage accounts."""

    @user_group.command("create")
    @click.argument("username")
    @click.option("--role", type=click.Choice(["organiser", "manager", "cashier", "producer"]), required=True)
    @click.option("--full-name", default="")
    @click.option("--producer-id", type=int, default=None)
    @click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
    @click.option("--pin", default="", help="4–8 digits, for managers and organisers")
    def user_create(username, role, full_name, producer_id, password, pin):
        """Create an account."""
        from .services import booths, users

        try:
            with unit_of_work(db.session) as s:
                booth = booths.current_booth(s)
                user = users.save_user(s, dict(username=username, role=role, full_name=full_name or username,
                                               producer_id=producer_id, password=password, pin=pin),
                                       booth_id=booth.id if booth else None)
        except DomainError as err:
            _fail(err)
        click.echo(f"Đã tạo tài khoản {user.username} ({user.role_label}).")

    @app.cli.command("serve")
    @click.option("--host", default="0.0.0.0", show_default=True, help="0.0.0.0 lets phones on the booth's Wi-Fi in")
    @click.option("--port", default=5000, show_default=True, type=int)
    def serve_command(host, port):
        """Serve the booth app with waitress."""
        refuse_a_damaged_database(current_app)
        upgrade_schema(current_app)
        serve_app(current_app._get_current_object(), host, port)

    @app.cli.command("demo")
    @click.option("--reset", is_flag=True, help="Throw the demo database away and build it again")
    @click.option("--serve/--no-serve", default=True, show_default=True)
    @click.option("--host", default="0.0.0.0", show_default=True)
    @click.option("--port", default=5000, show_default=True, type=int)
    def demo_command(reset, serve, host, port):
        """Build the demo booth in instance/demo.sqlite (never the real database) and serve it."""
        from . import create_app
        from .services import demo

        path = Path(current_app.instance_path) / "demo.sqlite"
        if reset:
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
        app = create_app(overrides={"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
        refuse_a_damaged_database(app)
        upgrade_schema(app)
        with app.app_context():
            from .services import booths

            if booths.current_booth(db.session) is None:
                with unit_of_work(db.session) as s:
                    demo.load_demo(s)
                click.echo(f"Đã tạo dữ liệu mẫu: {path}")
        click.echo("Tài khoản mẫu (mật khẩu / mã PIN):")
        for username, role, password, pin in [(u["username"], u["role"], demo.DEMO_PASSWORD, u.get("pin")) for u in demo.USERS]:
            click.echo(f"  {username:<10} {role:<10} mật khẩu {password}" + (f"  PIN {pin}" if pin else ""))
        if serve:
            serve_app(app, host, port)


cli = FlaskGroup(create_app=_create_app, add_default_commands=True, help="Fair POS booth and hub commands.")


def main():
    os.environ.setdefault("FLASK_APP", "pos")
    cli.main(prog_name="pos")


if __name__ == "__main__":
    sys.exit(main())

"""`pos init` and `pos user create`: a booth's database and its accounts."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from ..db import unit_of_work
from ..errors import DomainError
from ..extensions import db
from ..services import booths, users
from .common import fail, upgrade_schema


@click.command("init")
@with_appcontext
def init_command():
    """Create (or upgrade) this booth's database, empty, with a new identity."""
    upgrade_schema(current_app)
    with unit_of_work(db.session) as s:
        ident = booths.init_database(s)
    click.echo(f"Cơ sở dữ liệu sẵn sàng: {current_app.config['SQLALCHEMY_DATABASE_URI']}")
    click.echo(f"Mã cơ sở dữ liệu: {ident.id}")
    click.echo("Tạo tài khoản ban tổ chức đầu tiên: pos user create --role organiser USERNAME")


@click.group("user", cls=AppGroup)
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
    try:
        with unit_of_work(db.session) as s:
            booth = booths.current_booth(s)
            user = users.save_user(s, dict(username=username, role=role, full_name=full_name or username,
                                           producer_id=producer_id, password=password, pin=pin),
                                   booth_id=booth.id if booth else None)
    except DomainError as err:
        fail(err)
    click.echo(f"Đã tạo tài khoản {user.username} ({user.role_label}).")


COMMANDS = (init_command, user_group)

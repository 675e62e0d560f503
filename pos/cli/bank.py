"""`pos bank-import`: a bank statement matched to the booth's transfer payments."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from ..db import unit_of_work
from ..errors import DomainError
from ..extensions import db
from ..models import User
from ..money import format_vnd
from ..services import bank_statements as bank
from ..services import users
from .common import fail, this_booth


@click.command("bank-import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--bank", "which", default="auto", show_default=True,
              type=click.Choice(["auto", *bank.PRESETS]), help="column mapping of the statement")
@click.option("--user", "username", required=True, help="the manager importing it (for the audit log)")
@with_appcontext
def bank_import_command(path, which, username):
    """Import a bank statement file (CSV or .xlsx) and match its credits to transfer payments."""
    user = db.session.scalars(select(User).where(func.lower(User.username) == username.lower())).first()
    if user is None or user.role not in users.APPROVER_ROLES:  # the roles the bank pages let in
        raise click.ClickException(f"không có trưởng gian hàng / ban tổ chức tên {username}")
    booth = this_booth()
    try:
        read = bank.read_statement(Path(path).name, Path(path).read_bytes(), bank=which)
        with unit_of_work(db.session) as s:
            result = bank.import_statement(s, booth, s.get(User, user.id), read)
    except bank.StatementRejected as err:
        raise click.ClickException("\n".join([err.text, *err.problems])) from None
    except DomainError as err:
        fail(err)
    if result.already_imported:
        click.echo("Sao kê này đã được nhập trước đây: không thêm gì.")
    else:
        click.echo(f"Đã nhập {result.new} khoản tiền vào ({result.repeated} đã có), khớp thêm {result.matched} đơn.")
    rec = bank.reconciliation(db.session, booth)
    click.echo(f"Chưa khớp: {len(rec.unmatched_credits)} khoản tiền vào ({format_vnd(rec.unmatched_credits_vnd)}), "
               f"{len(rec.unmatched_payments)} đơn chuyển khoản ({format_vnd(rec.unmatched_payments_vnd)}).")


COMMANDS = (bank_import_command,)

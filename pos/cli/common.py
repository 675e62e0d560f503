"""What the `pos` commands share: one fail() for refused requests, the schema upgrade, the check of
the database before serving, and the booth the command works on."""
from __future__ import annotations

import click
from flask import current_app
from flask_migrate import upgrade

from ..db import MIGRATIONS_DIR
from ..errors import DomainError
from ..extensions import db
from ..models import Booth
from ..services import backups, booths


def fail(err: DomainError):
    """Exit non-zero with the refusal's message and the field it names, nothing written."""
    field = f" [{err.field}]" if err.field else ""
    raise click.ClickException(f"{err}{field}")


def upgrade_schema(app) -> None:
    """Bring the database to the newest schema (Flask-Migrate), keeping its data."""
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR)


def app_on(database_path):
    """An app like the current one on another SQLite file (the demo's, a backup being restored), built
    by the factory that built the current app."""
    return current_app.extensions["pos.create_app"](overrides={"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database_path}"})


def refuse_a_damaged_database(app) -> None:
    """Check the database before anything touches it; a damaged one stops here with advice, not a traceback."""
    problem = backups.problem_at_start(app)
    if problem:
        raise click.ClickException(problem)


def this_booth() -> Booth:
    """The booth this database belongs to; a database `pos init` left empty stops the command."""
    booth = booths.current_booth(db.session)
    if booth is None:
        raise click.ClickException("Gian hàng chưa được cài đặt")
    return booth

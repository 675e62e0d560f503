"""The `pos` command: one module per area registers its commands here (and Flask's own `db` commands).

setup.cfg's console script is `pos = pos.cli:main`; `python -m pos.cli` runs the same (__main__.py).
The app is found as Flask finds it (FLASK_APP=pos: the factory pos.create_app), so this package never
imports the top floor; create_app calls init_app below.
"""
from __future__ import annotations

import os

from flask.cli import FlaskGroup

from . import audit, bank, reports, serve, setup, shifts, sync

AREAS = (setup, serve, audit, bank, shifts, sync, reports)


def init_app(app) -> None:
    """Add every area's commands to the app's `pos` command group (create_app calls this)."""
    for area in AREAS:
        for command in area.COMMANDS:
            app.cli.add_command(command)


cli = FlaskGroup(add_default_commands=True, help="Fair POS booth and hub commands.")


def main():
    os.environ["FLASK_APP"] = "pos"  # the `pos` command always means this app, whatever the shell says
    cli.main(prog_name="pos")

"""`pos shift list` and `pos shift report`: cash shifts, and their X or Z report as the printer lays it out."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from ..errors import DomainError
from ..extensions import db
from ..money import format_vnd
from ..printing import lay_out
from ..services import shifts
from ..timeutil import format_datetime
from .common import fail, this_booth


@click.group("shift", cls=AppGroup)
def shift_group():
    """Cash shifts: list them, print an X or Z report."""


@shift_group.command("list")
@click.option("--till", "till_code", default=None, help="only this till's shifts (e.g. T1)")
def shift_list(till_code):
    """List the booth's shifts, newest first, with expected, counted and difference."""
    for s in shifts.list_shifts(db.session, this_booth()):
        if till_code and s.till.code != till_code.upper():
            continue
        state = "đang mở" if s.is_open else (
            f"đóng {format_datetime(s.closed_at)}  phải có {format_vnd(s.expected_cash_vnd)}  "
            f"đếm {format_vnd(s.counted_cash_vnd)}  chênh {format_vnd(s.difference_vnd)}")
        click.echo(f"#{s.id:<5} {s.till.code:<4} ca {s.label:<3} mở {format_datetime(s.opened_at)}  {state}")


@shift_group.command("report")
@click.argument("shift_id", type=int)
@click.option("--columns", default=48, show_default=True, help="32 for 58 mm paper, 48 for 80 mm")
def shift_report(shift_id, columns):
    """Print a shift's X report (open) or Z report (closed) as the receipt printer lays it out."""
    booth = this_booth()
    try:
        shift = shifts.get_shift(db.session, booth, shift_id)
    except DomainError as err:
        fail(err)
    for line in lay_out(shifts.build_z_report_slip(shifts.report_of(db.session, shift)), columns):
        click.echo(line)


COMMANDS = (shift_group,)

"""`pos report …`: the daily report, a settlement statement, catalogue import, closing the fair,
rebuilding and checking the dashboard's summary tables."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from ..db import unit_of_work
from ..errors import DomainError
from ..extensions import db
from ..models import Booth
from ..services import booths, imports, sales_summary
from ..services.reporting import closing, exports, reports, settlement
from ..timeutil import local_today
from .common import fail


@click.group("report", cls=AppGroup)
def report_group():
    """Reports, statements, catalogue import and closing the fair."""


def _booth(booth_id) -> Booth:
    booth = reports.get_booth(db.session, booth_id) if booth_id else booths.current_booth(db.session)
    if booth is None:
        raise click.ClickException("Chưa có gian hàng: dùng --booth-id")
    return booth


def _write(tables, out) -> None:
    fmt = "xlsx" if str(out).endswith(".xlsx") else "csv"
    body, _mime = exports.render(tables, fmt)
    if out == "-":
        sys.stdout.buffer.write(body)
    else:
        Path(out).write_bytes(body)
        click.echo(f"Đã ghi {out}")


@report_group.command("daily")
@click.option("--day", default="", help="dd/mm/yyyy (default: today)")
@click.option("--booth-id", type=int, default=None)
@click.option("--out", default="-", help="file.xlsx or file.csv; - prints CSV")
def daily_command(day, booth_id, out):
    """The booth's daily report."""
    try:
        booth = _booth(booth_id)
        r = reports.daily_report(db.session, booth, reports.parse_day(day) or local_today())
    except DomainError as err:
        fail(err)
    _write(list(reports.daily_tables(r).values()), out)


@report_group.command("settlement")
@click.argument("producer_id", type=int)
@click.option("--booth-id", type=int, default=None)
@click.option("--out", default="-", help="file.xlsx or file.csv; - prints CSV")
def settlement_command(producer_id, booth_id, out):
    """One producer's settlement statement at the booth."""
    try:
        st = settlement.statement(db.session, _booth(booth_id), producer_id)
    except DomainError as err:
        fail(err)
    _write(settlement.statement_tables(st), out)


def _echo_bad_rows(rep) -> None:
    for line in rep.sheet_errors:
        click.echo(line, err=True)
    for r in rep.bad_rows:
        click.echo(f"dòng {r.row}: {'; '.join(r.errors)}", err=True)


@report_group.command("import")
@click.argument("kind", type=click.Choice(sorted(imports.KINDS)))
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--skip-bad-rows", is_flag=True, help="import the good rows, list the bad ones")
@click.option("--check", is_flag=True, help="check only, write nothing")
def import_command(kind, path, skip_bad_rows, check):
    """Import producers or products from an .xlsx or .csv sheet."""
    data = Path(path).read_bytes()
    try:
        sheet = imports.read_sheet(kind, path, data)  # read before the write lock
        if check:
            with unit_of_work(db.session) as s:
                rep = imports.check_sheet(s, sheet)
        else:
            with unit_of_work(db.session) as s:
                rep = imports.import_sheet(s, sheet, skip_bad_rows=skip_bad_rows)
    except imports.ImportHasErrors as err:
        _echo_bad_rows(err.report)
        fail(err)
    except DomainError as err:
        fail(err)
    _echo_bad_rows(rep)
    click.echo(f"Hợp lệ {len(rep.good_rows)} dòng, lỗi {len(rep.bad_rows)} dòng, đã nhập {rep.imported}.")
    if check and rep.has_errors:
        raise SystemExit(1)


@report_group.command("close-fair")
@click.option("--yes", is_flag=True, help="confirm closing the fair at this booth")
@click.option("--allow-unpushed", is_flag=True, help="close with records still to push to the hub")
def close_command(yes, allow_unpushed):
    """Close the fair at this booth (read-only afterwards)."""
    booth = _booth(None)
    try:
        with unit_of_work(db.session) as s:
            state = closing.close_fair(s, s.get(Booth, booth.id), None,
                                       closing.CloseFair(bool(yes), bool(allow_unpushed)))
    except DomainError as err:
        fail(err)
    click.echo(f"Đã đóng hội chợ {booth.fair.code} ở gian hàng {booth.code}.")
    if state.unpushed:
        click.echo(f"Còn {state.unpushed} bản ghi chưa gửi lên máy chủ ban tổ chức.")


@report_group.command("rebuild-summary")
def rebuild_summary_command():
    """Recompute the dashboard's summary tables from the sales, voids and refunds (after a manual repair)."""
    with unit_of_work(db.session) as s:
        written = sales_summary.rebuild(s)
    for table, rows in written.items():
        click.echo(f"{table}: {rows} dòng")
    click.echo("Đã tính lại bảng tổng hợp từ dữ liệu bán hàng.")


@report_group.command("check-summary")
@click.option("--limit", type=int, default=50, help="differences to list (default 50)")
def check_summary_command(limit):
    """Compare the dashboard's summary tables with the sales; list the rows that differ (exit 1 if any)."""
    differences = sales_summary.check(db.session)
    db.session.rollback()
    for difference in differences[:limit]:
        click.echo(str(difference))
    if differences:
        click.echo(f"{len(differences)} dòng lệch: chạy `pos report rebuild-summary` để tính lại.", err=True)
        raise SystemExit(1)
    click.echo("Bảng tổng hợp khớp với dữ liệu bán hàng.")


COMMANDS = (report_group,)

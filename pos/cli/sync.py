"""`pos provision`, `pos recover`, `pos sync push/export/import/status` at a booth, and
`pos hub init/booth-token/provision-file` at the organiser's hub."""
from __future__ import annotations

import os
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from ..db import unit_of_work
from ..errors import DomainError, InvalidInput
from ..extensions import db
from ..models.identity import identity
from ..services import booths
from ..services.sync import booth as sync_booth
from ..services.sync import hub as sync_hub
from .common import fail, upgrade_schema


def _needs_identity() -> None:
    try:
        identity(db.session)
    except RuntimeError as err:  # a database `pos init` never prepared
        raise click.ClickException(str(err)) from None


def _write_file(path: Path, data: bytes) -> None:
    """Write a file whole (to a USB stick, often): on a full or unplugged stick, exit non-zero saying so."""
    try:
        with open(path, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except OSError as err:
        raise click.ClickException(f"Không ghi được {path}: {err.strerror or err}") from None


def _cfg_batch() -> int:
    return int(current_app.config.get("SYNC_BATCH_RECORDS", sync_booth.BATCH_RECORDS))


def _echo_differences(diff: dict | None) -> None:
    if diff is None:
        return
    if not diff["products"] and not diff["records"]:
        click.echo("Tổng ở gian hàng và ở hub khớp nhau.")
        return
    click.echo("Tổng ở gian hàng và ở hub KHÁC nhau:")
    for p in diff["products"]:
        click.echo(f"  {p['name']}: gian hàng {p['booth_units']} / {p['booth_net_vnd']} đ, "
                   f"hub {p['hub_units']} / {p['hub_net_vnd']} đ")
    for r in diff["records"]:
        click.echo(f"  {r['table']}: gian hàng {r['booth']}, hub {r['hub']}")


# --- at a booth -------------------------------------------------------------------------------

@click.command("provision")
@click.option("--hub", "hub_url", help="The hub's address, https://… (http:// only with --allow-http)")
@click.option("--token", help="The booth's token, shown once at the hub")
@click.option("--allow-http", is_flag=True, help="Allow plain http:// to a hub on the local network")
@click.option("--file", "file_path", type=click.Path(exists=True, dir_okay=False),
              help="A provisioning file exported at the hub (no network)")
@click.option("--key", help="The booth's signing key (with --file), shown once at the hub")
@with_appcontext
def provision_command(hub_url, token, allow_http, file_path, key):
    """Fetch the fair, this booth's settings, producers, products, prices and staff from the hub."""
    _needs_identity()
    try:
        if file_path:
            if not key:
                raise InvalidInput("key", "Cần --key: khóa ký tệp của gian hàng")
            with unit_of_work(db.session) as s:
                result = sync_booth.provision_from_file(s, Path(file_path).read_bytes(), key)
        else:
            if not hub_url or not token:
                raise InvalidInput("hub", "Cần --hub ĐỊA_CHỈ --token MÃ, hoặc --file TỆP --key KHÓA")
            url = sync_booth.check_hub_url(hub_url, allow_http=allow_http)
            factory = current_app.config.get("SYNC_TRANSPORT_FACTORY") or sync_booth.http_transport
            payload = sync_booth.fetch_provisioning(factory(url, token))
            with unit_of_work(db.session) as s:
                result = sync_booth.provision(s, payload, hub_url=url, token=token, allow_http=allow_http,
                                              signing_key=payload.get("signing_key"))
    except DomainError as err:
        fail(err)
    click.echo(f"Gian hàng: {result.booth.fair.code}-{result.booth.code} {result.booth.name}")
    for table in sync_booth.PROVISION_TABLES:
        n, m = result.created.get(table, 0), result.updated.get(table, 0)
        if n or m:
            click.echo(f"  {table}: {n} mới, {m} cập nhật")


@click.command("recover")
@click.argument("file", type=click.Path(dir_okay=False))
@with_appcontext
def recover_command(file):
    """Merge back the records of FILE (the database `pos restore` set aside) that this one lacks."""
    _needs_identity()
    try:
        with unit_of_work(db.session) as s:
            result = sync_booth.recover(s, Path(file))
    except DomainError as err:
        fail(err)
    click.echo(f"Đã lấy lại {result.sales} đơn bán ({result.records} bản ghi) từ {file}; "
               "chúng giữ nguồn gốc, lần gửi hub tới chỉ gửi những gì hub chưa có.")


@click.group("sync", cls=AppGroup)
def sync_group():
    """Push this booth's records to the hub, or move them on a USB stick."""


@sync_group.command("push")
def sync_push():
    """Send every record the hub does not have yet, with a progress bar."""
    _needs_identity()
    try:
        transport = sync_booth.transport_for(db.session, factory=current_app.config.get("SYNC_TRANSPORT_FACTORY"))
        total = sync_booth.unpushed_count(db.session)
        with click.progressbar(length=max(total, 1), label="Đang gửi lên hub") as bar:
            def progress(done, _total):
                bar.update(done - bar.pos)

            result = sync_booth.push(db.session, transport, max_records=_cfg_batch(), on_progress=progress)
            bar.update(max(total, 1) - bar.pos)
    except DomainError as err:
        fail(err)
    click.echo(f"Đã gửi {result.sent} bản ghi trong {result.batches} lô; còn {result.remaining} chưa gửi.")
    _echo_differences(result.compare)
    # Any step not completed is a failure for scripts: records left, no comparison, a difference.
    if result.compare is None:
        click.echo(f"Chưa so sánh được tổng với hub: {result.compare_error or 'không rõ lý do'}", err=True)
    if not result.complete or result.compare["products"] or result.compare["records"]:
        raise SystemExit(1)


@sync_group.command("export")
@click.argument("file", type=click.Path(dir_okay=False, writable=True))
def sync_export(file):
    """Write every record not yet on the hub to FILE, signed with this booth's key."""
    _needs_identity()
    try:
        with unit_of_work(db.session) as s:
            data, count = sync_booth.export_file(s, max_records=_cfg_batch())
    except DomainError as err:
        fail(err)
    _write_file(Path(file), data)
    click.echo(f"Đã ghi {count} bản ghi vào {file}. Mang tệp đến hub: pos sync import {Path(file).name}")


@sync_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--ack", "ack_path", type=click.Path(dir_okay=False), default=None,
              help="(Hub) where to write the signed acknowledgement for the booth; default: FILE-ack.fpsync")
def sync_import(file, ack_path):
    """At the hub: import a booth's signed file and write the acknowledgement the booth imports.
    At a booth: import the hub's acknowledgement."""
    data = Path(file).read_bytes()
    if sync_hub.is_hub(db.session):
        _import_at_hub(data, Path(file), ack_path)
    else:
        _import_acknowledgement(data)


def _import_acknowledgement(data: bytes) -> None:
    _needs_identity()
    try:
        with unit_of_work(db.session) as s:
            result = sync_booth.import_acknowledgement(s, data)
    except DomainError as err:
        fail(err)
    if result.taken_back:
        click.echo(f"Đã lấy lại {result.taken_back} bản ghi hub đang giữ của máy trước khi khôi phục.")
    click.echo(f"Đã nhập xác nhận của hub: còn {result.unpushed} bản ghi chưa gửi.")
    _echo_differences(result.differences)
    if result.differences["products"] or result.differences["records"]:
        raise SystemExit(1)


def _import_at_hub(data: bytes, file: Path, ack_path: str | None) -> None:
    try:
        booth, results = sync_hub.store_file(db.session, data)
        ack = sync_hub.acknowledgement_file(db.session, booth, pushed=data)
    except DomainError as err:
        fail(err)
    for r in results:
        click.echo(f"{r.origin_db}: {r.stored} mới, {r.duplicates} đã có; liên tục đến {r.contiguous_seq}"
                   + (f"; thiếu {r.gaps}" if r.gaps else ""))
    click.echo(f"Đã nhập tệp của gian hàng {sync_hub.booth_label(booth)} {booth.name}.")
    out = Path(ack_path) if ack_path else file.with_name(file.stem + "-ack.fpsync")
    _write_file(out, ack)
    click.echo(f"Tệp xác nhận cho gian hàng: {out}. Ở gian hàng: pos sync import {out.name}")


@sync_group.command("status")
def sync_status():
    """How many records are not yet on the hub, and the last push."""
    _needs_identity()
    st = sync_booth.state(db.session)
    for c in sync_booth.cursors(db.session):
        click.echo(f"{c.origin_db}: hub đã nhận đến {c.acked_seq} / {c.max_seq} (chưa gửi {c.unpushed})")
    if st:
        click.echo(f"Hub: {st.hub_url or '(chỉ dùng tệp)'}; lần gửi cuối: {st.last_push_at or 'chưa'}")
        if st.last_push_error:
            click.echo(f"Lỗi lần gửi cuối: {st.last_push_error}")


# --- at the hub -------------------------------------------------------------------------------

@click.group("hub", cls=AppGroup)
def hub_group():
    """The organiser's hub: booths' tokens and keys, provisioning files."""


@hub_group.command("init")
@click.option("--name", default="", help="The hub's name, e.g. Sở Công Thương Quảng Ninh")
def hub_init_command(name):
    """Make this database the organiser's hub (an empty database gets the schema first, as `pos init`)."""
    upgrade_schema(current_app)
    try:
        with unit_of_work(db.session) as s:
            booths.init_database(s)
            sync_hub.make_hub(s, name)
    except DomainError as err:
        fail(err)
    click.echo("Cơ sở dữ liệu này giờ là hub.")


@hub_group.command("booth-token")
@click.argument("booth")
@click.option("--new-key", is_flag=True, help="Also replace the booth's signing key for files")
def booth_token(booth, new_key):
    """Create or replace BOOTH's token (FAIR-BOOTH code, e.g. X20-B07); printed once."""
    try:
        with unit_of_work(db.session) as s:
            creds = sync_hub.issue_token(s, sync_hub.find_booth(s, booth), new_key=new_key)
            label = sync_hub.booth_label(creds.booth)
    except DomainError as err:
        fail(err)
    click.echo(f"Gian hàng {label}: mã đăng nhập (chỉ in một lần, mã cũ hết hiệu lực):")
    click.echo(f"  {creds.token}")
    if creds.signing_key:
        click.echo("Khóa ký tệp (chỉ in một lần; dùng với pos provision --file):")
        click.echo(f"  {creds.signing_key}")


@hub_group.command("provision-file")
@click.argument("booth")
@click.argument("file", type=click.Path(dir_okay=False, writable=True))
def provision_file(booth, file):
    """Write BOOTH's provisioning data to FILE, signed with its key."""
    try:
        data = sync_hub.provisioning_file(db.session, sync_hub.find_booth(db.session, booth))
    except DomainError as err:
        fail(err)
    Path(file).write_bytes(data)
    click.echo(f"Đã ghi {file}. Ở gian hàng: pos provision --file {Path(file).name} --key KHÓA")


COMMANDS = (provision_command, recover_command, sync_group, hub_group)

"""Sync between a booth and the organiser's hub: the booth's push page, the hub's status pages,
the hub's token-authenticated JSON API, the `pos provision / sync / hub` commands and the
background push that `pos serve` starts."""
from __future__ import annotations

import logging
from pathlib import Path

import click
from flask import (Blueprint, Response, current_app, flash, jsonify, redirect, render_template, request, url_for)
from flask_babel import gettext as _
from flask_login import current_user

from .access import ALL_STAFF, MANAGERS, PUBLIC, roles
from .errors import domain_error_response, http_status
from ..db import unit_of_work
from ..errors import DomainError, InvalidInput, NotFound
from ..extensions import csrf, db
from ..models import Booth
from ..services import booths
from ..services.sync import signing, booth as sync_booth, hub as sync_hub, wire as sync_wire
from ..timeutil import utcnow
from . import schemas as sc
from .apispec import endpoint, loads_checked
from .forms import arg_id, form_dict

log = logging.getLogger(__name__)

bp = Blueprint("sync", __name__, url_prefix="/sync")
api_bp = Blueprint("sync_api", __name__, url_prefix="/api/v1/sync")
TAGS = ["sync"]

DEFAULT_MAX_BATCH_BYTES = 8 * 1024 * 1024


@api_bp.errorhandler(DomainError)
def api_error(err: DomainError):
    """A refusal of the sync API, as every API answers it; a bad token also says how to authenticate."""
    body, status, headers = domain_error_response(err)
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="fair-pos-hub"'
    return body, status, headers


def _transport_factory():
    """How this app reaches its hub: HTTP, or what a test puts in SYNC_TRANSPORT_FACTORY."""
    return current_app.config.get("SYNC_TRANSPORT_FACTORY") or sync_booth.http_transport


def _batch_records() -> int:
    return int(current_app.config.get("SYNC_BATCH_RECORDS", sync_booth.BATCH_RECORDS))


# --- hub API (token) --------------------------------------------------------------------------

_BATCH = {"type": "object", "required": ["format", "version", "booth_uuid", "origin_db", "records"],
          "additionalProperties": False, "properties": {
              "format": {"const": sync_wire.BATCH_FORMAT}, "version": {"const": 1},
              "booth_uuid": {"type": "string", "format": "uuid"}, "origin_db": {"type": "string", "format": "uuid"},
              "sent_at": {"type": "string", "format": "date-time", "description": "the booth's clock, UTC"},
              "records": {"type": "array", "description": "travelling records: {table, uuid, seq, <columns>, <fk>_uuid}",
                          "items": {"type": "object"}},
              "context": {"type": "array", "items": {"type": "object"},
                          "description": "unacknowledged records the batch points at (stored if missing)"},
              "refs": {"type": "array", "items": {"type": "object"},
                       "description": "catalogue rows named (till, user, product, producer): created only if unknown"}}}
_ANSWER = {"type": "object", "properties": {
    "origin_db": {"type": "string"}, "contiguous_seq": {"type": "integer"}, "highest_seq": {"type": "integer"},
    "gaps": {"type": "array", "items": {"type": "array", "items": {"type": "integer"}}},
    "stored": {"type": "integer"}, "duplicates": {"type": "integer"}, "clock_skew_s": {"type": ["integer", "null"]}}}
_COMPARE = {"type": "object", "properties": {
    "format": {"const": sync_wire.TOTALS_FORMAT}, "products": {"type": "object"}, "records": {"type": "object"},
    "unpushed": {"type": "integer"}}}


def _token_booth() -> Booth:
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        raise sync_hub.BadToken()
    return sync_hub.booth_for_token(db.session, token.strip())


def _json_body(limit: int | None = None):
    limit = limit or int(current_app.config.get("SYNC_MAX_BATCH_BYTES", DEFAULT_MAX_BATCH_BYTES))
    if request.content_length is not None and request.content_length > limit:
        raise sync_hub.BatchTooLarge(max=f"{limit // (1024 * 1024)} MB")
    raw = request.stream.read(limit + 1)
    if len(raw) > limit:
        raise sync_hub.BatchTooLarge(max=f"{limit // (1024 * 1024)} MB")
    try:
        return loads_checked(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise InvalidInput("body", "Nội dung phải là một đối tượng JSON hợp lệ") from None


def ingest_whole(booth_id: int | None, run):
    """Run one ingest use case; on a conflict, record it in a transaction of its own (the batch's
    was rolled back) and refuse."""
    try:
        with unit_of_work(db.session) as s:
            return run(s)
    except sync_wire.Conflict as err:
        if booth_id is not None:
            with unit_of_work(db.session) as s:
                sync_hub.record_conflicts(s, s.get(Booth, booth_id), err.conflicts)
        raise


@api_bp.post("/batches")
@roles(PUBLIC)  # authenticated by the booth's token, not a login
@csrf.exempt
@endpoint("Hub: store a booth's batch whole, or refuse it whole naming the bad record", security="token",
          body_schema=_BATCH, response=_ANSWER, errors=(401, 403, 404, 409, 413, 422), tags=TAGS, description=(
              "Records already held are no-ops; the answer is the highest contiguous sequence. 403: a record of "
              "another booth; 409: same (origin_db, seq) or uuid with other content (recorded)."))
def receive_batch():
    booth = _token_booth()
    batch = _json_body()
    result = ingest_whole(booth.id, lambda s: sync_hub.ingest_batch(s, booth, batch, via="http"))
    return jsonify(result.as_json())


@api_bp.get("/provision")
@roles(PUBLIC)
@endpoint("Hub: the booth's fair, settings, tills, producers, products with prices and barcodes, its own staff, "
          "and its signing key", security="token", response={"type": "object"}, errors=(401, 404), tags=TAGS)
def provisioning():
    booth = _token_booth()
    response = jsonify(sync_hub.provisioning_payload(db.session, booth, include_key=True))
    response.headers["Cache-Control"] = "no-store"  # it carries the booth's signing key
    return response


@api_bp.post("/compare")
@roles(PUBLIC)
@csrf.exempt
@endpoint("Hub: compare the booth's totals per product and records per table with the hub's", security="token",
          body_schema=_COMPARE, response={"type": "object"}, errors=(401, 404, 413, 422), tags=TAGS)
def compare():
    booth = _token_booth()
    data = _json_body()
    with unit_of_work(db.session) as s:
        out = sync_hub.compare_totals(s, s.get(Booth, booth.id), data)
    return jsonify(out)


@api_bp.get("/records")
@roles(PUBLIC)
@endpoint("Hub: a restored booth's lost records: those of one of its databases above a sequence, and its shifts "
          "held closed, as one batch (origin kept), with the hub's contiguous sequence", security="token",
          query=sc.LostRecordsQuery, response={"type": "object", "description": "{batch, contiguous_seq}"},
          errors=(401, 404), tags=TAGS)
def lost_records(query: sc.LostRecordsQuery):
    """A restored booth fetches its lost self's records above its backup (sync_booth.fetch_lost)."""
    booth = _token_booth()
    response = jsonify(sync_hub.records_of(db.session, booth, query.origin_db, query.after))
    response.headers["Cache-Control"] = "no-store"
    return response


# --- booth API (login) ------------------------------------------------------------------------

def _booth_status_json() -> dict:
    banner = sync_booth.banner(db.session) or {}
    st = sync_booth.state(db.session)
    return {"unpushed": banner.get("unpushed", 0), "provisioned": bool(banner.get("provisioned")),
            "last_push_at": st.last_push_at.isoformat() + "Z" if st and st.last_push_at else None,
            "error": st.last_push_error if st else "", "can_push": bool(st and st.hub_url and st.token)}


@api_bp.get("/status")
@roles(*ALL_STAFF)
@endpoint("Booth: records not yet on the hub, last push, last error (logged-in staff)", response={
    "type": "object", "properties": {"unpushed": {"type": "integer"}, "provisioned": {"type": "boolean"},
                                     "last_push_at": {"type": ["string", "null"]}, "error": {"type": ["string", "null"]},
                                     "can_push": {"type": "boolean"}}}, tags=TAGS)
def booth_status():
    return jsonify(_booth_status_json())


@api_bp.post("/push-step")
@roles(*ALL_STAFF)
@endpoint("Booth: send the next batch to the hub (call until done)", response={"type": "object", "properties": {
    "sent": {"type": "integer"}, "remaining": {"type": "integer"}, "done": {"type": "boolean"},
    "differences": {"type": ["object", "array", "null"]}}}, errors=(409, 502, 503), tags=TAGS)
def push_step():
    """One batch to the hub (the page calls this until done, showing progress)."""
    transport = sync_booth.transport_for(db.session, factory=_transport_factory())
    step = sync_booth.push_step(db.session, transport, max_records=_batch_records())
    differences = None
    if step.done:
        try:
            differences = sync_booth.compare_with_hub(db.session, transport)
        except (sync_booth.HubUnreachable, sync_booth.HubRefused) as err:  # pushed; compared next time
            log.warning("totals not compared with the hub: %s", err)
    return jsonify(sent=step.sent, remaining=step.remaining, done=step.done, differences=differences)


# --- booth pages ------------------------------------------------------------------------------

@bp.route("")
@roles(*ALL_STAFF)
def index():
    if sync_hub.is_hub(db.session):
        if current_user.role == "organiser":
            return redirect(url_for("sync.hub"))
        return render_template("error.html", code=403, message=_("Trang hub chỉ dành cho ban tổ chức.")), 403
    booth = booths.current_booth(db.session)
    if booth is None:
        return render_template("sync/setup.html")
    return _booth_page(booth)


def _booth_page(booth, status=200, error_field=None):
    st = sync_booth.state(db.session)
    return render_template("sync/booth.html", booth=booth, st=st, cursors=sync_booth.cursors(db.session),
                           unpushed=sync_booth.unpushed_count(db.session), compare=st.compare if st else None,
                           compare_status=sync_booth.compare_status(st),
                           clock_warn_s=sync_hub.CLOCK_WARN_S, error_field=error_field, form=None), status


@bp.post("/push")
@roles(*ALL_STAFF)
def push_now():
    """Push everything now (the page's button without JavaScript)."""
    try:
        transport = sync_booth.transport_for(db.session, factory=_transport_factory())
        result = sync_booth.push(db.session, transport, max_records=_batch_records())
    except DomainError as err:
        flash(err.text, "error")
        return redirect(url_for("sync.index"))
    if result.compare and (result.compare["products"] or result.compare["records"]):
        flash(_("Đã gửi %(n)s bản ghi, nhưng tổng ở gian hàng và ở hub còn khác nhau: xem bảng bên dưới.", n=result.sent),
              "warning")
    else:
        flash(_("Đã gửi %(n)s bản ghi lên hub; tổng ở gian hàng và ở hub khớp nhau.", n=result.sent), "success")
    return redirect(url_for("sync.index"))


@bp.get("/export")
@roles(*MANAGERS)
def export():
    """Download the unpushed records as a signed file, for a USB stick."""
    try:
        with unit_of_work(db.session) as s:
            data, _count = sync_booth.export_file(s, max_records=_batch_records())
            booth = sync_booth.booth_of_state(s)
            name = f"fairpos-{booth.fair.code}-{booth.code}-{utcnow():%Y%m%d-%H%M}.fpsync"
    except DomainError as err:
        flash(err.text, "error")
        return redirect(url_for("sync.index"))
    return Response(data, mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@bp.post("/ack")
@roles(*MANAGERS)
def import_ack():
    """Import the hub's acknowledgement file (a booth that syncs by USB stick)."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("Chọn tệp xác nhận của hub (.fpsync) để nhập."), "error")
        return redirect(url_for("sync.index"))
    try:
        with unit_of_work(db.session) as s:
            result = sync_booth.import_acknowledgement(s, upload.read())
    except DomainError as err:
        flash(err.text, "error")
        return redirect(url_for("sync.index"))
    flash(_("Đã nhập xác nhận của hub: còn %(n)s bản ghi chưa gửi.", n=result.unpushed), "success")
    return redirect(url_for("sync.index"))


@bp.post("/provision")
@roles(*MANAGERS)
def provision():
    """Provision (again) from the hub over the network, or from a file with the booth's key."""
    data = form_dict(checkboxes=("allow_http",))
    upload = request.files.get("file")
    try:
        if upload and upload.filename:
            with unit_of_work(db.session) as s:
                result = sync_booth.provision_from_file(s, upload.read(), data.get("key", ""))
        else:
            st = sync_booth.state(db.session)
            hub_url = data.get("hub") or (st.hub_url if st else "")
            token = data.get("token") or (st.token if st else "")
            allow_http = bool(data.get("allow_http")) or bool(st and st.allow_http and not data.get("hub"))
            if not hub_url:
                raise InvalidInput("hub", "Không được để trống")
            if not token:
                raise InvalidInput("token", "Không được để trống")
            url = sync_booth.check_hub_url(hub_url, allow_http=allow_http)
            payload = sync_booth.fetch_provisioning(_transport_factory()(url, token))
            with unit_of_work(db.session) as s:
                result = sync_booth.provision(s, payload, hub_url=url, token=token, allow_http=allow_http,
                                              signing_key=payload.get("signing_key"))
    except DomainError as err:
        flash(err.text, "error")
        booth = booths.current_booth(db.session)
        if booth is None:
            return render_template("sync/setup.html", error_field=err.field, form=data), http_status(err)
        return _booth_page(booth, http_status(err), err.field)
    flash(_("Đã nhận dữ liệu từ hub cho gian hàng %(booth)s: %(n)s mục mới, %(m)s mục cập nhật.",
            booth=result.booth.name, n=sum(result.created.values()), m=sum(result.updated.values())), "success")
    return redirect(url_for("sync.index"))


# --- hub pages --------------------------------------------------------------------------------

@bp.post("/hub/init")
@roles("organiser")
def hub_init():
    try:
        with unit_of_work(db.session) as s:
            sync_hub.make_hub(s, request.form.get("name", ""))
    except DomainError as err:
        flash(err.text, "error")
        return redirect(url_for("sync.index"))
    flash(_("Cơ sở dữ liệu này giờ là hub của ban tổ chức."), "success")
    return redirect(url_for("sync.hub"))


@bp.get("/hub")
@roles("organiser")
def hub():
    if not sync_hub.is_hub(db.session):
        return redirect(url_for("sync.index"))
    return render_template("sync/hub.html", rows=sync_hub.hub_overview(db.session), clock_warn_s=sync_hub.CLOCK_WARN_S)


def _hub_booth(booth_id) -> Booth:
    sync_hub.require_hub(db.session)
    booth = db.session.get(Booth, booth_id)
    if booth is None:
        raise NotFound("Không tìm thấy gian hàng")
    return booth


@bp.get("/hub/booths/<int:booth_id>")
@roles("organiser")
def hub_booth(booth_id):
    booth = _hub_booth(booth_id)
    return render_template("sync/hub_booth.html", s=sync_hub.booth_status(db.session, booth),
                           clock_warn_s=sync_hub.CLOCK_WARN_S)


@bp.post("/hub/booths/<int:booth_id>/token")
@roles("organiser")
def hub_token(booth_id):
    booth = _hub_booth(booth_id)
    with unit_of_work(db.session) as s:
        creds = sync_hub.issue_token(s, s.get(Booth, booth.id), new_key=bool(request.form.get("new_key")))
        label = sync_hub.booth_label(creds.booth)
    response = Response(render_template("sync/credentials.html", booth=db.session.get(Booth, booth_id), label=label,
                                        token=creds.token, signing_key=creds.signing_key,
                                        hub_url=request.host_url.rstrip("/")))
    response.headers["Cache-Control"] = "no-store"  # shown once: never kept by the browser
    return response


@bp.get("/hub/booths/<int:booth_id>/provision-file")
@roles("organiser")
def hub_provision_file(booth_id):
    booth = _hub_booth(booth_id)
    data = sync_hub.provisioning_file(db.session, booth)
    name = f"fairpos-provision-{sync_hub.booth_label(booth)}.fpsync"
    return Response(data, mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@bp.get("/hub/booths/<int:booth_id>/ack")
@roles("organiser")
def hub_ack_file(booth_id):
    """The signed acknowledgement of what the hub holds of a booth, for a booth that syncs by file."""
    booth = db.session.get(Booth, booth_id)
    if booth is None:
        return render_template("error.html", code=404, message=_("Không tìm thấy gian hàng")), 404
    try:
        data = sync_hub.acknowledgement_file(db.session, booth)
    except DomainError as err:
        flash(err.text, "error")
        return redirect(url_for("sync.hub_booth", booth_id=booth_id))
    name = f"fairpos-{sync_hub.booth_label(booth)}-ack-{utcnow():%Y%m%d-%H%M}.fpsync"
    return Response(data, mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@bp.post("/hub/import")
@roles("organiser")
def hub_import():
    """Import a booth's signed file from an upload (the hub's status page of that booth, or any)."""
    sync_hub.require_hub(db.session)
    booth_id = arg_id("booth_id", request.form)
    expected = db.session.get(Booth, booth_id) if booth_id else None
    upload = request.files.get("file")
    back = url_for("sync.hub_booth", booth_id=booth_id) if expected else url_for("sync.hub")
    if upload is None or not upload.filename:
        flash(_("Chọn tệp đồng bộ (.fpsync) để nhập."), "error")
        return redirect(back), 303
    data = upload.read()
    try:
        booth, results = _import(data, expected)
    except DomainError as err:
        flash(err.text, "error")
        status = sync_hub.booth_status(db.session, expected) if expected else None
        if expected:
            return render_template("sync/hub_booth.html", s=status, clock_warn_s=sync_hub.CLOCK_WARN_S,
                                   error_field="file"), http_status(err)
        return render_template("sync/hub.html", rows=sync_hub.hub_overview(db.session),
                               clock_warn_s=sync_hub.CLOCK_WARN_S, error_field="file"), http_status(err)
    flash(_("Đã nhập tệp của gian hàng %(booth)s: %(n)s bản ghi mới, %(d)s bản ghi đã có.",
            booth=booth.name, n=sum(r.stored for r in results), d=sum(r.duplicates for r in results)), "success")
    return redirect(url_for("sync.hub_booth", booth_id=booth.id))


def _import(data: bytes, expected: Booth | None):
    header = signing.read_header(data)
    file_booth = db.session.query(Booth).filter_by(uuid=header["booth_uuid"]).first()
    holder = {}

    def run(s):
        booth, results = sync_hub.import_file(s, data, booth=s.get(Booth, expected.id) if expected else None)
        holder["booth_id"] = booth.id
        return results

    # Conflicts are recorded against the booth whose key signed the file (checked inside import_file).
    results = ingest_whole(file_booth.id if file_booth else None, run)
    return db.session.get(Booth, holder["booth_id"]), results


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


# --- the `pos` commands -----------------------------------------------------------------------

def _fail(err: DomainError):
    field = f" [{err.field}]" if err.field else ""
    raise click.ClickException(f"{err}{field}")


def _needs_identity() -> None:
    from ..models.identity import identity

    try:
        identity(db.session)
    except RuntimeError as err:  # a database `pos init` never prepared
        raise click.ClickException(str(err)) from None


def init_cli(app) -> None:
    """Add this area's `pos` commands (called by pos.cli.init_app)."""

    @app.cli.command("provision")
    @click.option("--hub", "hub_url", help="The hub's address, https://… (http:// only with --allow-http)")
    @click.option("--token", help="The booth's token, shown once at the hub")
    @click.option("--allow-http", is_flag=True, help="Allow plain http:// to a hub on the local network")
    @click.option("--file", "file_path", type=click.Path(exists=True, dir_okay=False),
                  help="A provisioning file exported at the hub (no network)")
    @click.option("--key", help="The booth's signing key (with --file), shown once at the hub")
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
                factory = app.config.get("SYNC_TRANSPORT_FACTORY") or sync_booth.http_transport
                payload = sync_booth.fetch_provisioning(factory(url, token))
                with unit_of_work(db.session) as s:
                    result = sync_booth.provision(s, payload, hub_url=url, token=token, allow_http=allow_http,
                                                  signing_key=payload.get("signing_key"))
        except DomainError as err:
            _fail(err)
        click.echo(f"Gian hàng: {result.booth.fair.code}-{result.booth.code} {result.booth.name}")
        for table in sync_booth.PROVISION_TABLES:
            n, m = result.created.get(table, 0), result.updated.get(table, 0)
            if n or m:
                click.echo(f"  {table}: {n} mới, {m} cập nhật")

    @app.cli.command("recover")
    @click.argument("file", type=click.Path(dir_okay=False))
    def recover_command(file):
        """Merge back the records of FILE (the database `pos restore` set aside) that this one lacks."""
        _needs_identity()
        try:
            with unit_of_work(db.session) as s:
                result = sync_booth.recover(s, Path(file))
        except DomainError as err:
            _fail(err)
        click.echo(f"Đã lấy lại {result.sales} đơn bán ({result.records} bản ghi) từ {file}; "
                   "chúng giữ nguồn gốc, lần gửi hub tới chỉ gửi những gì hub chưa có.")

    @app.cli.group("sync")
    def sync_group():
        """Push this booth's records to the hub, or move them on a USB stick."""

    @sync_group.command("push")
    def sync_push():
        """Send every record the hub does not have yet, with a progress bar."""
        _needs_identity()
        try:
            transport = sync_booth.transport_for(db.session, factory=app.config.get("SYNC_TRANSPORT_FACTORY"))
            total = sync_booth.unpushed_count(db.session)
            with click.progressbar(length=max(total, 1), label="Đang gửi lên hub") as bar:
                def progress(done, _total):
                    bar.update(done - bar.pos)

                result = sync_booth.push(db.session, transport, max_records=_cfg_batch(app), on_progress=progress)
                bar.update(max(total, 1) - bar.pos)
        except DomainError as err:
            _fail(err)
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
                data, count = sync_booth.export_file(s, max_records=_cfg_batch(app))
        except DomainError as err:
            _fail(err)
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
        if not sync_hub.is_hub(db.session):
            _needs_identity()
            try:
                with unit_of_work(db.session) as s:
                    result = sync_booth.import_acknowledgement(s, data)
            except DomainError as err:
                _fail(err)
            if result.taken_back:
                click.echo(f"Đã lấy lại {result.taken_back} bản ghi hub đang giữ của máy trước khi khôi phục.")
            click.echo(f"Đã nhập xác nhận của hub: còn {result.unpushed} bản ghi chưa gửi.")
            _echo_differences(result.differences)
            if result.differences["products"] or result.differences["records"]:
                raise SystemExit(1)
            return
        try:
            booth, results = _import(data, None)
            ack = sync_hub.acknowledgement_file(db.session, booth, pushed=data)
        except DomainError as err:
            _fail(err)
        for r in results:
            click.echo(f"{r.origin_db}: {r.stored} mới, {r.duplicates} đã có; liên tục đến {r.contiguous_seq}"
                       + (f"; thiếu {r.gaps}" if r.gaps else ""))
        click.echo(f"Đã nhập tệp của gian hàng {sync_hub.booth_label(booth)} {booth.name}.")
        out = Path(ack_path) if ack_path else Path(file).with_name(Path(file).stem + "-ack.fpsync")
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

    @app.cli.group("hub")
    def hub_group():
        """The organiser's hub: booths' tokens and keys, provisioning files."""

    @hub_group.command("init")
    @click.option("--name", default="", help="The hub's name, e.g. Sở Công Thương Quảng Ninh")
    def hub_init_command(name):
        """Make this database the organiser's hub (an empty database gets the schema first, as `pos init`)."""
        from ..cli import upgrade_schema

        upgrade_schema(current_app)
        try:
            with unit_of_work(db.session) as s:
                from ..services import booths as booth_service

                booth_service.init_database(s)
                sync_hub.make_hub(s, name)
        except DomainError as err:
            _fail(err)
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
            _fail(err)
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
            _fail(err)
        Path(file).write_bytes(data)
        click.echo(f"Đã ghi {file}. Ở gian hàng: pos provision --file {Path(file).name} --key KHÓA")


def _write_file(path: Path, data: bytes) -> None:
    """Write a file whole (to a USB stick, often): on a full or unplugged stick, exit non-zero saying so."""
    import os

    try:
        with open(path, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except OSError as err:
        raise click.ClickException(f"Không ghi được {path}: {err.strerror or err}") from None


def _cfg_batch(app) -> int:
    return int(app.config.get("SYNC_BATCH_RECORDS", sync_booth.BATCH_RECORDS))


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

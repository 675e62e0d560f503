"""Sync between a booth and the organiser's hub: the booth's push page, the hub's status pages and
the hub's token-authenticated JSON API (the commands are in pos/cli/sync.py, the background push
in pos/workers.py).

Pages: `bp` under /sync (the booth's, and the hub's under /sync/hub); JSON: `api_bp` under
/api/v1/sync (the hub's, authenticated by a booth's token, and the booth's push steps for its page).
"""
from __future__ import annotations

import logging

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
from ..services.sync import booth as sync_booth, hub as sync_hub, wire as sync_wire
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
    result = sync_hub.store_whole(db.session, booth.id, lambda s: sync_hub.ingest_batch(s, booth, batch, via="http"))
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
        booth, results = sync_hub.store_file(db.session, data, booth=expected)
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

"""The customer display: a second screen (a phone or tablet on the booth's Wi-Fi, or a window on a
monitor turned to the customer) paired with one till. It shows the cart as the cashier scans, the
VietQR large while the customer pays by transfer, the change after cash, then a thank-you.

The till writes a small state after each change (POST /api/v1/display/tills/<id>/state); the
display polls GET /api/v1/display/<token>/state twice a second. Polling a few hundred bytes is
kinder to waitress's few threads than a server-sent-events stream held open per display.

Pages: `bp` under /display (pairing, the display's screen); JSON: `api_bp` under /api/v1/display.
"""
from __future__ import annotations

from typing import Annotated, Literal, Optional

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for
from pydantic import Field

from .access import ALL_STAFF, PUBLIC, current_booth_or_404, roles
from ..db import unit_of_work
from ..errors import DomainError
from ..extensions import db
from ..services import booths, security
from ..services import display as displays
from ..vietqr import qr_svg
from .apispec import endpoint
from .schemas import Str, Strict, Vnd

bp = Blueprint("display", __name__, url_prefix="/display")
api_bp = Blueprint("display_api", __name__, url_prefix="/api/v1/display")


class DisplayLine(Strict):
    name: Str(200)
    qty: Annotated[int, Field(ge=1, le=100_000)]
    total_vnd: Vnd


class DisplayQr(Strict):
    payload: Str(512, "the VietQR payload being paid")
    amount_vnd: Vnd
    reference: Str(40) = ""


class DisplayPaid(Strict):
    total_vnd: Vnd
    change_vnd: Vnd = 0
    cash: bool = False


class DisplayStateIn(Strict):
    phase: Literal["idle", "cart", "transfer", "done"]
    lines: Annotated[list[DisplayLine], Field(max_length=displays.MAX_LINES)] = []
    total_vnd: Vnd = 0
    discount_vnd: Vnd = 0
    qr: Optional[DisplayQr] = None
    paid: Optional[DisplayPaid] = None


STATE_OUT = {"type": "object", "properties": {
    "version": {"type": "integer"}, "till": {"type": "string"},
    "phase": {"type": "string", "enum": list(displays.PHASES)},
    "lines": {"type": "array", "items": {"type": "object", "properties": {
        "name": {"type": "string"}, "qty": {"type": "integer"}, "total_vnd": {"type": "integer"}}}},
    "total_vnd": {"type": "integer"}, "discount_vnd": {"type": "integer"},
    "qr": {"type": ["object", "null"], "properties": {
        "amount_vnd": {"type": "integer"}, "reference": {"type": "string"}, "svg": {"type": "string"}}},
    "paid": {"type": ["object", "null"], "properties": {
        "total_vnd": {"type": "integer"}, "change_vnd": {"type": "integer"}, "cash": {"type": "boolean"}}}}}


def _secret() -> str:
    return current_app.config["SECRET_KEY"]


def pairing(till) -> dict:
    """What the till's screen shows to pair a display: the code, the link and its QR."""
    token = displays.display_token(_secret(), till)
    url = url_for("display.screen", token=token, _external=True)
    return {"code": displays.pairing_code(_secret(), till), "url": url, "qr_svg": qr_svg(url, box_size=5),
            "pair_url": url_for("display.pair", _external=True)}


@bp.route("", methods=["GET", "POST"])
@roles(PUBLIC)
def pair():
    """The display device's first page: type the till's 6-digit code (or scan the QR on the till)."""
    error, status = None, 200
    if request.method == "POST":
        address = request.remote_addr or ""
        try:
            security.check_pair_allowed(db.session, address)
            booth = current_booth_or_404(refusal=True)  # no booth: said on the form, like a wrong code
            till = displays.till_for_code(db.session, booth, _secret(), request.form.get("code", ""))
        except security.TooManyAttempts as err:
            error, status = err.text, 429
        except DomainError as err:
            error, status = err.text, 422
            with unit_of_work(db.session) as s:
                security.record_pair_failure(s, address)
        else:
            return redirect(url_for("display.screen", token=displays.display_token(_secret(), till)))
    return render_template("display/pair.html", error=error), status


@bp.get("/<token>")
@roles(PUBLIC)
def screen(token):
    till = displays.till_for_token(db.session, current_booth_or_404(refusal=True), _secret(), token)
    return render_template("display/screen.html", till=till, booth=till.booth,
                           state_url=url_for("display_api.state", token=token))


@api_bp.get("/<token>/state")
@roles(PUBLIC)
@endpoint("What the customer display of the till paired by this token shows now (polled)", response=STATE_OUT,
          tags=["display"])
def state(token):
    till = displays.till_for_token(db.session, current_booth_or_404(refusal=True), _secret(), token)
    response = jsonify(displays.current_state(db.session, till))
    response.headers["Cache-Control"] = "no-store"
    return response


@api_bp.post("/tills/<int:till_id>/state")
@roles(*ALL_STAFF)
@endpoint("Set what the till's customer display shows (the sell screen writes it after each change)",
          body=DisplayStateIn, response={"type": "object", "properties": {"version": {"type": "integer"}}},
          tags=["display"])
def push_state(till_id, body: DisplayStateIn):
    booth = current_booth_or_404(refusal=True)
    till = booths.get_till(db.session, booth, till_id)
    with unit_of_work(db.session) as s:
        row = displays.save_state(s, s.get(type(till), till.id), body.model_dump())
        version = row.version
    return jsonify(version=version)

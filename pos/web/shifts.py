"""Cash shifts, X and Z reports, voids and refunds (issue 5).

A cashier may open and close their own shift, put cash in or take it out, and start a void or a
refund, which a manager approves by typing their PIN on the same form (a manager or organiser doing
it themselves types theirs too).

Pages: `bp` under /shifts; JSON: `api_bp` under /api/v1/shifts. `pos shift` is in pos/cli/shifts.py.
"""
from __future__ import annotations

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .access import ALL_STAFF, current_booth_or_404, roles
from ..db import MAX_ID, unit_of_work
from ..errors import DomainError, InvalidInput
from ..extensions import db
from ..models import PAYMENT_METHODS, Refund, Shift, Void
from ..money import format_vnd
from ..printing import lay_out
from ..services import backups, booths, print_queue, returns, sales, shifts
from ..services import validate as v
from . import schemas as sc
from .apispec import endpoint
from .errors import http_status
from .forms import arg_id, form_dict, rerender
from .sell import current_till

bp = Blueprint("shifts", __name__, url_prefix="/shifts")
api_bp = Blueprint("shifts_api", __name__, url_prefix="/api/v1/shifts")


def _address() -> str:
    return request.remote_addr or ""


def _columns(booth) -> int:
    return print_queue.printer_settings(db.session, booth, current_app.config).columns


# ---- pages -----------------------------------------------------------------------------------------

@bp.route("")
@roles(*ALL_STAFF)
def index():
    booth = current_booth_or_404()
    tills = [(t, shifts.current_shift(db.session, t)) for t in booths.active_tills(db.session, booth)]
    return render_template("shifts/index.html", tills=tills, this_till=current_till(booth),
                           history=shifts.list_shifts(db.session, booth, till_id=arg_id("till_id")))


@bp.route("/tills/<int:till_id>")
@roles(*ALL_STAFF)
def till_page(till_id):
    booth = current_booth_or_404()
    till = booths.get_till(db.session, booth, till_id)
    return _till_page(booth, till)


def _till_page(booth, till, *, status=200, **context):
    shift = shifts.current_shift(db.session, till)
    context.setdefault("form", None)
    context.setdefault("error_field", None)
    if shift is None:
        return render_template("shifts/till.html", till=till, shift=None, **context), status
    report = shifts.shift_report(db.session, shift)
    sold = shifts.shift_sales(db.session, shift)
    voided = returns.voided_sale_ids(db.session, [s.id for s in sold])
    return render_template("shifts/till.html", till=till, shift=shift, report=report, sales=sold, voided=voided,
                           **context), status


@bp.post("/tills/<int:till_id>/open")
@roles(*ALL_STAFF)
def open_shift(till_id):
    booth = current_booth_or_404()
    till = booths.get_till(db.session, booth, till_id)
    try:
        with unit_of_work(db.session) as s:
            shift = shifts.open_shift(s, booth, current_user, _new_shift_form(till), address=_address())
    except DomainError as err:
        flash(err.text, "error")
        return _till_page(booth, till, status=http_status(err), form=form_dict(), error_field=err.field)
    flash(_("Đã mở ca %(n)s tại %(till)s.", n=shift.label, till=till.name), "success")
    if current_till(booth) is not None and current_till(booth).id == till.id:
        return redirect(url_for("sell.screen"))
    return redirect(url_for("shifts.till_page", till_id=till.id))


def _new_shift_form(till) -> shifts.NewShift:
    """The open-shift form: the float typed as an amount ("1.000.000", "1.000.000 ₫"), blank = none."""
    return shifts.NewShift(till.id, v.money(request.form, "opening_float_vnd", required=False),
                           request.form.get("note", ""))


def _cash_form() -> shifts.CashMove:
    """The cash in/out form: the amount typed as an amount, the reason, the PIN when over the limit."""
    kind = request.form.get("kind", "")
    if kind not in ("in", "out"):
        raise InvalidInput("kind", "Chọn nộp tiền vào hay rút tiền ra")
    return shifts.CashMove(kind, v.money(request.form, "amount_vnd", allow_zero=False),
                           request.form.get("reason", ""), request.form.get("manager_pin", ""))


@bp.post("/<int:shift_id>/cash")
@roles(*ALL_STAFF)
def cash(shift_id):
    booth = current_booth_or_404()
    shift = shifts.get_shift(db.session, booth, shift_id)
    try:
        with unit_of_work(db.session) as s:
            movement = shifts.record_cash_movement(s, booth, current_user, shift.id, _cash_form(),
                                                   address=_address())
    except DomainError as err:
        flash(err.text, "error")
        return _till_page(booth, shift.till, status=http_status(err), form=form_dict(), error_field=err.field)
    flash(_("Đã ghi %(kind)s %(amount)s.", kind=_(movement.kind_label).lower(),
            amount=format_vnd(movement.amount_vnd)), "success")
    return redirect(url_for("shifts.till_page", till_id=shift.till_id))


def queue_slip(booth, build) -> None:
    """Print a slip after its action committed (Z report, void, refund): a printer fault never undoes it.

    build(session) makes the slip from freshly loaded rows. Failures are logged; the
    slip can be printed again from its page.
    """
    settings = print_queue.printer_settings(db.session, booth, current_app.config)
    if settings.target.kind == "none":
        return
    try:
        with unit_of_work(db.session) as s:
            print_queue.enqueue_slip(s, build(s), settings)
    except Exception:  # noqa: BLE001 - the action is committed; its slip is secondary and logged
        current_app.logger.exception("could not queue a slip")


def _z_slip(shift_id):
    return lambda s: shifts.build_z_report_slip(shifts.z_report(s.get(Shift, shift_id)))


def _void_slip(void_id):
    return lambda s: returns.build_void_slip(s.get(Void, void_id))


def _refund_slip(refund_id):
    return lambda s: returns.build_refund_slip(s.get(Refund, refund_id))


def _count_form() -> shifts.CashCount:
    """The count typed on the close page (inputs count-<denomination>; blank = none of that note)."""
    counts = {d: v.integer({f"counts.{d}": request.form.get(f"count-{d}", "")}, f"counts.{d}", required=False,
                           default=0, minimum=0, maximum=shifts.MAX_NOTES) for d in shifts.DENOMINATIONS}
    return shifts.CashCount(counts, request.form.get("note", ""))


@bp.route("/<int:shift_id>/close", methods=["GET", "POST"])
@roles(*ALL_STAFF)
def close(shift_id):
    booth = current_booth_or_404()
    shift = shifts.get_shift(db.session, booth, shift_id)
    if not shift.is_open:
        return redirect(url_for("shifts.report", shift_id=shift.id))
    context = dict(shift=shift, denominations=shifts.DENOMINATIONS, checked=None)
    if request.method == "POST":
        if request.form.get("action") == "check":
            # Shows the count against the expected cash without closing: a second count before signing.
            try:
                counts = shifts.checked_count(_count_form())
            except DomainError as err:
                return rerender("shifts/close.html", err, **context)
            counted = sum(d * n for d, n in counts.items())
            expected = shifts.shift_report(db.session, shift)["expected_cash_vnd"]
            context["checked"] = {"counted": counted, "expected": expected, "difference": counted - expected}
            return render_template("shifts/close.html", form=form_dict(), error_field=None, **context)
        try:
            count = _count_form()
            with unit_of_work(db.session) as s:
                shifts.close_shift(s, booth, current_user, shift.id, count, address=_address())
        except DomainError as err:
            return rerender("shifts/close.html", err, **context)
        queue_slip(booth, _z_slip(shift_id))
        if backups.backup_after_shift_close(current_app._get_current_object()) is None:
            flash(_("Ca đã đóng nhưng chưa sao lưu được cơ sở dữ liệu: xem Nhật ký → Sao lưu."), "warning")
        flash(_("Đã đóng ca %(n)s. Báo cáo chốt ca (Z) đã lưu.", n=shift.label), "success")
        return redirect(url_for("shifts.report", shift_id=shift.id))
    return render_template("shifts/close.html", form=None, error_field=None, **context)


@bp.route("/<int:shift_id>")
@roles(*ALL_STAFF)
def report(shift_id):
    """The X report of an open shift or the Z report of a closed one, printable on A4 or receipt width."""
    booth = current_booth_or_404()
    shift = shifts.get_shift(db.session, booth, shift_id)
    data = shifts.report_of(db.session, shift)
    paper = "slip" if request.args.get("paper") == "slip" else "a4"
    slip_text = lay_out(shifts.build_z_report_slip(data), _columns(booth))
    return render_template("shifts/report.html", shift=shift, report=data, paper=paper, slip_text=slip_text,
                           denominations=shifts.DENOMINATIONS, methods=PAYMENT_METHODS)


def _refund_form() -> returns.NewRefund:
    """The refund form as a typed refund: inputs qty-<sale line id> (blank ones skipped), a ticked
    damaged-<sale line id> writes the units off; till_id blank = no till."""
    lines = []
    for key, value in request.form.items():
        if key.startswith("qty-") and value.strip():
            line_id = key[len("qty-"):]
            i = len(lines)
            item = {"sale_line_id": line_id, "qty": value.strip()}
            try:
                lines.append(returns.RefundItem(v.integer(item, "sale_line_id", minimum=1, maximum=MAX_ID),
                                                v.integer(item, "qty", minimum=1, maximum=returns.MAX_REFUND_QTY),
                                                not request.form.get(f"damaged-{line_id}")))
            except InvalidInput as err:
                raise InvalidInput(f"lines[{i}].{err.field}", err.message, **err.params) from None
    till_id = v.integer(request.form, "till_id", minimum=1, maximum=MAX_ID, required=False)
    return returns.NewRefund(tuple(lines), request.form.get("reason", ""), request.form.get("method") or "cash",
                             till_id, request.form.get("manager_pin", ""))


@bp.route("/sales/<int:sale_id>/void", methods=["GET", "POST"])
@roles(*ALL_STAFF)
def void(sale_id):
    booth = current_booth_or_404()
    sale = sales.get_sale(db.session, booth, sale_id)
    context = dict(sale=sale, state=returns.sale_returns(db.session, sale))
    if request.method == "POST":
        data = returns.NewVoid(request.form.get("reason", ""), request.form.get("manager_pin", ""))
        try:
            with unit_of_work(db.session) as s:
                done = returns.void_sale(s, booth, current_user, sale.id, data, address=_address())
        except DomainError as err:
            return rerender("shifts/void.html", err, **context)
        queue_slip(booth, _void_slip(done.id))
        flash(_("Đã hủy đơn %(no)s; hàng đã về kho.", no=sale.receipt_no), "success")
        return redirect(url_for("shifts.void_slip", void_id=done.id))
    return render_template("shifts/void.html", form=None, error_field=None, **context)


@bp.route("/sales/<int:sale_id>/refund", methods=["GET", "POST"])
@roles(*ALL_STAFF)
def refund(sale_id):
    booth = current_booth_or_404()
    sale = sales.get_sale(db.session, booth, sale_id)
    this_till = current_till(booth)
    context = dict(sale=sale, state=returns.sale_returns(db.session, sale), methods=PAYMENT_METHODS,
                   tills=booths.active_tills(db.session, booth), this_till=this_till)
    if request.method == "POST":
        try:
            data = _refund_form()
            with unit_of_work(db.session) as s:
                done = returns.refund_sale(s, booth, current_user, sale.id, data, address=_address())
        except DomainError as err:
            return rerender("shifts/refund.html", err, **context)
        queue_slip(booth, _refund_slip(done.id))
        flash(_("Đã hoàn %(amount)s cho đơn %(no)s (phiếu %(number)s).", amount=format_vnd(done.total_vnd),
                no=sale.receipt_no, number=done.number), "success")
        return redirect(url_for("shifts.refund_slip", refund_id=done.id))
    return render_template("shifts/refund.html", form=None, error_field=None, **context)


@bp.route("/voids/<int:void_id>")
@roles(*ALL_STAFF)
def void_slip(void_id):
    booth = current_booth_or_404()
    done = returns.get_void(db.session, booth, void_id)
    return render_template("shifts/slip.html", kind="void", record=done, sale=done.sale, methods=PAYMENT_METHODS,
                           slip_text=lay_out(returns.build_void_slip(done), _columns(booth)))


@bp.route("/refunds/<int:refund_id>")
@roles(*ALL_STAFF)
def refund_slip(refund_id):
    booth = current_booth_or_404()
    done = returns.get_refund(db.session, booth, refund_id)
    return render_template("shifts/slip.html", kind="refund", record=done, sale=done.sale, methods=PAYMENT_METHODS,
                           slip_text=lay_out(returns.build_refund_slip(done), _columns(booth)))


# ---- JSON API --------------------------------------------------------------------------------------


def _iso(moment):
    return moment.isoformat() + "Z" if moment else None


def shift_json(shift: Shift) -> dict:
    return {
        "id": shift.id, "uuid": shift.uuid, "till_id": shift.till_id, "till_code": shift.till.code,
        "number": shift.number, "label": shift.label, "is_open": shift.is_open,
        "opened_at": _iso(shift.opened_at),
        "opened_by": shift.opened_by.username, "opening_float_vnd": shift.opening_float_vnd,
        "closed_at": _iso(shift.closed_at), "closed_by": shift.closed_by.username if shift.closed_by else None,
        "expected_cash_vnd": shift.expected_cash_vnd, "counted_cash_vnd": shift.counted_cash_vnd,
        "difference_vnd": shift.difference_vnd, "z_report": shifts.z_report(shift),
    }


def void_json(v: Void) -> dict:
    return {"id": v.id, "uuid": v.uuid, "sale_id": v.sale_id, "receipt_no": v.sale.receipt_no,
            "shift_id": v.shift_id, "reason": v.reason, "created_at": _iso(v.created_at),
            "created_by": v.created_by.username, "approved_by": v.approved_by.username,
            "total_vnd": v.sale.total_vnd}


def refund_json(r: Refund) -> dict:
    return {"id": r.id, "uuid": r.uuid, "number": r.number, "sale_id": r.sale_id, "shift_id": r.shift_id,
            "method": r.method, "total_vnd": r.total_vnd, "reason": r.reason, "created_at": _iso(r.created_at),
            "created_by": r.created_by.username, "approved_by": r.approved_by.username,
            "lines": [{"sale_line_id": rl.sale_line_id, "product": rl.sale_line.product_name, "qty": rl.qty,
                       "amount_vnd": rl.amount_vnd, "back_to_stock": rl.back_to_stock} for rl in r.lines]}


SHIFT = {"type": "object", "properties": {
    "id": {"type": "integer"}, "uuid": {"type": "string"}, "till_id": {"type": "integer"},
    "number": {"type": "integer", "description": "per till: 1, 2, 3 …"},
    "label": {"type": "string", "description": "the number as printed: 3, or R7F3A-3 in a restored database's series"},
    "is_open": {"type": "boolean"},
    "opening_float_vnd": {"type": "integer"}, "expected_cash_vnd": {"type": ["integer", "null"]},
    "counted_cash_vnd": {"type": ["integer", "null"]},
    "difference_vnd": {"type": ["integer", "null"], "description": "counted − expected; negative = missing"},
    "z_report": {"type": ["object", "null"], "description": "stored at close"}}}
REPORT = {"type": "object", "description": "sales (count, gross, discounts, net), payments per method, voids, "
                                           "refunds (per method), cash in/out, expected cash; a Z report adds "
                                           "counted, denominations and difference"}
TAGS = ["shifts"]


@api_bp.get("")
@roles(*ALL_STAFF)
@endpoint("Shifts of the booth, newest first", query=sc.ShiftsQuery,
          response={"type": "object", "properties": {"shifts": {"type": "array", "items": SHIFT}}}, tags=TAGS)
def api_list(query: sc.ShiftsQuery):
    booth = current_booth_or_404()
    found = shifts.list_shifts(db.session, booth, till_id=query.till_id)
    return jsonify(shifts=[shift_json(s) for s in found])


@api_bp.post("")
@roles(*ALL_STAFF)
@endpoint("Open a shift at a till with the float in the drawer (one open shift per till)", body=sc.OpenShiftIn,
          response=SHIFT, status=201, tags=TAGS)
def api_open(body: sc.OpenShiftIn):
    booth = current_booth_or_404()
    with unit_of_work(db.session) as s:
        shift = shifts.open_shift(s, booth, current_user, body.typed(), address=_address())
        out = shift_json(shift)
    return jsonify(out), 201


@api_bp.get("/current")
@roles(*ALL_STAFF)
@endpoint("The open shift of a till (409 NoOpenShift when there is none)", query=sc.TillRequiredQuery,
          response=SHIFT, errors=(404, 409), tags=TAGS)
def api_current(query: sc.TillRequiredQuery):
    booth = current_booth_or_404()
    till = booths.get_till(db.session, booth, query.till_id)
    return jsonify(shift_json(shifts.require_open_shift(db.session, till)))


@api_bp.get("/<int:shift_id>")
@roles(*ALL_STAFF)
@endpoint("One shift, with its Z report once closed", response=SHIFT, tags=TAGS)
def api_get(shift_id):
    return jsonify(shift_json(shifts.get_shift(db.session, current_booth_or_404(), shift_id)))


@api_bp.get("/<int:shift_id>/x-report")
@roles(*ALL_STAFF)
@endpoint("The X report (figures so far, nothing stored); the Z report for a closed shift", response=REPORT,
          tags=TAGS)
def api_x_report(shift_id):
    shift = shifts.get_shift(db.session, current_booth_or_404(), shift_id)
    return jsonify(shifts.report_of(db.session, shift))


@api_bp.post("/<int:shift_id>/cash")
@roles(*ALL_STAFF)
@endpoint("Put cash into the drawer or take it out, with the reason", body=sc.CashMovementIn,
          response={"type": "object"}, status=201, errors=(403, 429), tags=TAGS)
def api_cash(shift_id, body: sc.CashMovementIn):
    booth = current_booth_or_404()
    with unit_of_work(db.session) as s:
        m = shifts.record_cash_movement(s, booth, current_user, shift_id, body.typed(), address=_address())
        out = {"id": m.id, "uuid": m.uuid, "shift_id": m.shift_id, "kind": m.kind, "amount_vnd": m.amount_vnd,
               "reason": m.reason, "created_at": _iso(m.created_at)}
    return jsonify(out), 201


@api_bp.post("/<int:shift_id>/close")
@roles(*ALL_STAFF)
@endpoint("Close a shift with the cash counted by denomination; stores and returns the Z report",
          body=sc.CloseShiftIn, response=SHIFT, errors=(403,), tags=TAGS)
def api_close(shift_id, body: sc.CloseShiftIn):
    booth = current_booth_or_404()
    count = body.typed()
    with unit_of_work(db.session) as s:
        out = shift_json(shifts.close_shift(s, booth, current_user, shift_id, count, address=_address()))
    queue_slip(booth, _z_slip(shift_id))
    backups.backup_after_shift_close(current_app._get_current_object())
    return jsonify(out)


@api_bp.post("/sales/<int:sale_id>/void")
@roles(*ALL_STAFF)
@endpoint("Void a whole sale of a still-open shift (goods back on hand); refused after the shift closed",
          body=sc.VoidIn, response={"type": "object"}, status=201, errors=(403, 429), tags=TAGS)
def api_void(sale_id, body: sc.VoidIn):
    booth = current_booth_or_404()
    with unit_of_work(db.session) as s:
        out = void_json(returns.void_sale(s, booth, current_user, sale_id, body.typed(), address=_address()))
    queue_slip(booth, _void_slip(out["id"]))
    return jsonify(out), 201


@api_bp.post("/sales/<int:sale_id>/refunds")
@roles(*ALL_STAFF)
@endpoint("Refund some or all units of a sale; numbered <receipt_no>-HT1, -HT2 …", body=sc.RefundIn,
          response={"type": "object"}, status=201, errors=(403, 429), tags=TAGS)
def api_refund(sale_id, body: sc.RefundIn):
    booth = current_booth_or_404()
    with unit_of_work(db.session) as s:
        out = refund_json(returns.refund_sale(s, booth, current_user, sale_id, body.typed(), address=_address()))
    queue_slip(booth, _refund_slip(out["id"]))
    return jsonify(out), 201


@api_bp.get("/sales/<int:sale_id>/returns")
@roles(*ALL_STAFF)
@endpoint("A sale's void and refunds, and what each line can still be refunded", response={"type": "object"},
          tags=TAGS)
def api_returns(sale_id):
    sale = sales.get_sale(db.session, current_booth_or_404(), sale_id)
    state = returns.sale_returns(db.session, sale)
    return jsonify({
        "sale_id": sale.id, "receipt_no": sale.receipt_no, "can_void": state["can_void"],
        "can_refund": state["can_refund"], "void": void_json(state["void"]) if state["void"] else None,
        "refunds": [refund_json(r) for r in state["refunds"]],
        "lines": [{"sale_line_id": row["line"].id, "product": row["line"].product_name, "qty": row["line"].qty,
                   "net_vnd": row["line"].net_vnd, "refunded_qty": row["refunded_qty"],
                   "refunded_vnd": row["refunded_vnd"], "refundable_qty": row["refundable_qty"]}
                  for row in state["lines"]],
    })

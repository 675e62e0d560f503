"""The sell screen and what a cashier looks up: today's sales at this till, one sale's receipt.

Pages only (`bp` under /sell), plus the screen's own poll of stock on hand (/sell/on-hand, JSON); the
checkout itself posts to the JSON API in api.py (/api/v1/sales)."""
from __future__ import annotations

from flask import (Blueprint, Response, abort, current_app, flash, jsonify, make_response, redirect, render_template,
                   request, url_for)
from flask_babel import gettext as _

from .access import ALL_STAFF, current_booth_or_404, roles
from .display import pairing
from ..db import MAX_ID, unit_of_work
from ..errors import DomainError
from ..extensions import db
from ..printing import build_receipt, preview_png, preview_text
from ..services import booths, catalogue, print_queue, sales, shifts, stock
from ..timeutil import local_today, parse_date

bp = Blueprint("sell", __name__, url_prefix="/sell")

# Which till this device is: a device belongs to a till, whoever logs in on it.
TILL_COOKIE = "pos_till"


def current_till(booth):
    """The till this browser was registered as, or None."""
    try:
        till = booths.get_till(db.session, booth, request.cookies.get(TILL_COOKIE))
    except DomainError:
        return None
    return till if till.is_active else None


@bp.route("/till", methods=["GET", "POST"])
@roles(*ALL_STAFF)
def choose_till():
    booth = current_booth_or_404()
    tills = booths.active_tills(db.session, booth)
    if request.method == "POST":
        try:
            till = booths.get_till(db.session, booth, request.form.get("till_id"))
        except DomainError:
            abort(404)
        response = make_response(redirect(url_for("sell.screen")))
        response.set_cookie(TILL_COOKIE, str(till.id), max_age=400 * 24 * 3600, httponly=True, samesite="Lax")
        return response
    return render_template("sell/choose_till.html", tills=tills, current=current_till(booth))


@bp.route("")
@roles(*ALL_STAFF)
def screen():
    booth = current_booth_or_404()
    till = current_till(booth)
    if till is None:
        return redirect(url_for("sell.choose_till"))
    if shifts.current_shift(db.session, till) is None:
        # No sale outside a cash shift: the float must be counted in before the first sale.
        flash(_("%(till)s chưa mở ca: nhập tiền đầu ca để bắt đầu bán.", till=till.name), "warning")  # the name says "Quầy"
        return redirect(url_for("shifts.till_page", till_id=till.id))
    today = local_today()
    # Fairs are extended at the last minute: selling outside its dates is warned about, never refused.
    outside_fair = None if booth.fair.includes(today) else today
    return render_template("sell/screen.html", booth=booth, till=till, display=pairing(till), outside_fair=outside_fair,
                           best_sellers=sales.best_sellers(db.session, booth),
                           producers=catalogue.list_producers(db.session, active_only=True))


@bp.get("/on-hand")
@roles(*ALL_STAFF)
def on_hand():
    """What is on hand now for the products the sell screen shows (?ids=1,2,3), polled every few seconds."""
    booth = current_booth_or_404()
    # Ids no row can have (not digits, or past the database's range) are left out, not sent to it.
    ids = sorted({int(x) for x in (x.strip() for x in request.args.get("ids", "").split(","))
                  if x.isascii() and x.isdigit() and len(x) <= 19 and 0 < int(x) <= MAX_ID})[:200]
    levels = stock.on_hand(db.session, booth.id, ids) if ids else {}
    return jsonify(on_hand={str(pid): levels.get(pid, 0) for pid in ids})


@bp.route("/sales")
@roles(*ALL_STAFF)
def sales_list():
    booth = current_booth_or_404()
    till = current_till(booth)
    try:
        day = parse_date(request.args["day"]) if request.args.get("day") else local_today()
    except ValueError:
        day = local_today()
    all_tills = request.args.get("all") == "1"
    found = sales.list_sales(db.session, booth, till_id=None if all_tills or till is None else till.id, day=day)
    return render_template("sell/sales.html", sales=found, till=till, day=day, all_tills=all_tills,
                           total_vnd=sum(s.total_vnd for s in found))


@bp.route("/sales/<int:sale_id>")
@roles(*ALL_STAFF)
def sale(sale_id):
    booth = current_booth_or_404()
    sale = sales.get_sale(db.session, booth, sale_id)
    settings = print_queue.printer_settings(db.session, booth, current_app.config)
    slip_text = preview_text(build_receipt(print_queue.receipt_data(sale)), settings)
    return render_template("sell/sale.html", sale=sale, booth=booth, slip_text=slip_text, settings=settings)


@bp.get("/sales/<int:sale_id>/slip.png")
@roles(*ALL_STAFF)
def slip_png(sale_id):
    """The exact image image mode sends to the printer, for the preview."""
    booth = current_booth_or_404()
    sale = sales.get_sale(db.session, booth, sale_id)
    settings = print_queue.printer_settings(db.session, booth, current_app.config)
    png = preview_png(build_receipt(print_queue.receipt_data(sale)), settings)
    return Response(png, mimetype="image/png")


@bp.post("/sales/<int:sale_id>/reprint")
@roles(*ALL_STAFF)
def reprint(sale_id):
    booth = current_booth_or_404()
    sale = sales.get_sale(db.session, booth, sale_id)
    settings = print_queue.printer_settings(db.session, booth, current_app.config)
    with unit_of_work(db.session) as s:
        job = print_queue.enqueue_receipt(s, s.get(type(sale), sale.id), settings, reprint=True)
    if job is None:
        flash(_("Gian hàng chưa cài máy in (Cài đặt → Máy in)."), "warning")
    else:
        flash(_("Đã gửi lệnh in lại phiếu %(no)s.", no=sale.receipt_no), "success")
    return redirect(url_for("sell.sale", sale_id=sale.id))


@bp.get("/print-jobs")
@roles(*ALL_STAFF)
def print_jobs():
    return render_template("sell/print_jobs.html", jobs=print_queue.open_jobs(db.session))


@bp.post("/print-jobs/<int:job_id>/<any(retry, dismiss):action>")
@roles(*ALL_STAFF)
def print_job_action(job_id, action):
    try:
        with unit_of_work(db.session) as s:
            (print_queue.retry_job if action == "retry" else print_queue.dismiss_job)(s, job_id)
    except DomainError as err:
        flash(err.text, "error")
    return redirect(url_for("sell.print_jobs"))

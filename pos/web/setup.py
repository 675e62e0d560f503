"""Setting up a booth: fair and booth settings, tills, staff and the printer. Pages only (`bp` under
/setup), no JSON API."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .access import MANAGERS, current_booth_or_404, roles, start_session
from ..db import get_row, unit_of_work
from ..errors import DomainError
from ..extensions import db
from ..models import Fair, Till, User
from ..printing import print_test_page
from ..printing.errors import PrintingError
from ..services import booths, catalogue, print_queue, users
from .forms import form_dict, rerender

bp = Blueprint("setup", __name__, url_prefix="/setup")

@bp.route("/booth", methods=["GET", "POST"])
@roles(*MANAGERS)
def booth_settings():
    booth = booths.current_booth(db.session)
    fairs = booths.list_fairs(db.session)
    if booth is None and current_user.role != "organiser":
        abort(403)
    if not fairs:
        flash(_("Hãy tạo hội chợ trước, rồi đến gian hàng."), "info")
        return redirect(url_for("setup.edit_fair"))

    if request.method == "POST":
        try:
            with unit_of_work(db.session) as s:
                data = form_dict(checkboxes=("allow_negative_stock",))
                if booth is not None:
                    data.pop("fair_id", None)  # a booth stays at its fair
                saved = booths.save_booth(s, data, booth)
                if booth is None:
                    booths.make_this_booth(s, saved)
        except DomainError as err:
            return rerender("setup/booth.html", err, booth=booth, fairs=fairs)
        flash(_("Đã lưu cài đặt gian hàng."), "success")
        return redirect(url_for("setup.booth_settings"))
    return render_template("setup/booth.html", booth=booth, fairs=fairs, form=None, error_field=None)

@bp.route("/fairs")
@roles("organiser")
def fairs():
    return render_template("setup/fairs.html", fairs=booths.list_fairs(db.session))

@bp.route("/fairs/new", methods=["GET", "POST"], endpoint="edit_fair")
@bp.route("/fairs/<int:fair_id>", methods=["GET", "POST"])
@roles("organiser")
def edit_fair(fair_id=None):

    fair = db.get_or_404(Fair, fair_id) if fair_id else None
    if request.method == "POST":
        try:
            with unit_of_work(db.session) as s:
                booths.save_fair(s, form_dict(), fair)
        except DomainError as err:
            return rerender("setup/fair.html", err, fair=fair)
        flash(_("Đã lưu hội chợ."), "success")
        return redirect(url_for("setup.fairs"))
    return render_template("setup/fair.html", fair=fair, form=None, error_field=None)

@bp.route("/tills", methods=["GET", "POST"])
@roles(*MANAGERS)
def tills():

    booth = current_booth_or_404(setup_for_managers=True)
    if request.method == "POST":
        till = get_row(db.session, Till, request.form["till_id"]) if request.form.get("till_id") else None
        if request.form.get("till_id") and (till is None or till.booth_id != booth.id):
            abort(404)  # an unknown or malformed id ("1.5", "abc"): never a 500
        try:
            with unit_of_work(db.session) as s:
                booths.save_till(s, booth, form_dict(checkboxes=("is_active",) if till else ()), till)
        except DomainError as err:
            return rerender("setup/tills.html", err, booth=booth, tills=booth.tills)
        flash(_("Đã lưu quầy."), "success")
        return redirect(url_for("setup.tills"))
    return render_template("setup/tills.html", booth=booth, tills=booth.tills, form=None, error_field=None)

@bp.route("/users")
@roles(*MANAGERS)
def staff():
    return render_template("setup/users.html", users=users.list_users(db.session))

@bp.route("/users/new", methods=["GET", "POST"], endpoint="edit_user")
@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles(*MANAGERS)
def edit_user(user_id=None):

    user = db.get_or_404(User, user_id) if user_id else None
    producers = catalogue.list_producers(db.session)
    if request.method == "POST":
        data = form_dict(checkboxes=("is_active",) if user else ())
        # Only the organiser creates or edits organiser accounts.
        if current_user.role != "organiser" and ("organiser" in (data.get("role"), user and user.role)):
            abort(403)
        try:
            booth = booths.current_booth(db.session)
            with unit_of_work(db.session) as s:
                saved = users.save_user(s, data, user, booth_id=booth.id if booth else None)
        except DomainError as err:
            return rerender("setup/user.html", err, user=user, producers=producers)
        if saved.id == current_user.id and saved.is_active:
            # Her own new password ends her other sessions, not this one.
            start_session(saved)
        flash(_("Đã lưu tài khoản."), "success")
        return redirect(url_for("setup.staff"))
    return render_template("setup/user.html", user=user, producers=producers, form=None, error_field=None)


@bp.route("/printer", methods=["GET", "POST"])
@roles(*MANAGERS)
def printer():
    booth = current_booth_or_404(setup_for_managers=True)
    if request.method == "POST":
        try:
            with unit_of_work(db.session) as s:
                print_queue.save_printer_settings(s, booth, form_dict())
        except DomainError as err:
            return rerender("setup/printer.html", err, settings=print_queue.printer_settings(
                db.session, booth, current_app.config))
        flash(_("Đã lưu cài đặt máy in."), "success")
        return redirect(url_for("setup.printer"))
    return render_template("setup/printer.html", form=None, error_field=None,
                           settings=print_queue.printer_settings(db.session, booth, current_app.config))


@bp.post("/printer/test")
@roles(*MANAGERS)
def printer_test():
    booth = booths.current_booth(db.session)
    settings = print_queue.printer_settings(db.session, booth, current_app.config)
    try:
        print_test_page(settings)
    except PrintingError as err:
        # Plain words for the manager: what failed and where (refused, timed out, unplugged, no driver).
        flash(_("In thử không được: %(reason)s", reason=str(err)), "error")
    else:
        flash(_("Đã gửi trang in thử tới %(printer)s.", printer=settings.target.describe()), "success")
    return redirect(url_for("setup.printer"))

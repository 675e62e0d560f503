"""Logging in and out, and choosing the interface language."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from ..access import PUBLIC, roles
from ..db import unit_of_work
from ..extensions import db, login_manager
from ..models import User
from ..services import users

bp = Blueprint("auth", __name__)
login_manager.login_view = "auth.login"
login_manager.login_message = None

HOME = {"cashier": "sell.screen", "manager": "stock.overview", "organiser": "stock.overview",
        "producer": "stock.overview"}


@login_manager.user_loader
def load_user(user_id):
    user = db.session.get(User, int(user_id))
    return user if user is not None and user.is_active else None


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/"):
        return None
    return target


@bp.route("/")
@roles("organiser", "manager", "cashier", "producer")
def home():
    return redirect(url_for(HOME[current_user.role]))


@bp.route("/login", methods=["GET", "POST"])
@roles(PUBLIC)
def login():
    if request.method == "POST":
        user = users.authenticate(db.session, request.form.get("username", ""), request.form.get("password", ""))
        if user is None:
            flash(_("Sai tên đăng nhập hoặc mật khẩu."), "error")
            return render_template("auth/login.html", username=request.form.get("username", "")), 401
        session.clear()
        login_user(user)
        return redirect(_safe_next(request.args.get("next")) or url_for(HOME[user.role]))
    return render_template("auth/login.html", username="")


@bp.post("/logout")
@roles(PUBLIC)
def logout():
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


@bp.post("/language")
@roles(PUBLIC)
def set_language():
    lang = request.form.get("lang", "vi")
    if lang not in ("vi", "en"):
        lang = "vi"
    session["lang"] = lang
    if current_user.is_authenticated:
        with unit_of_work(db.session) as s:
            users.set_language(s, current_user, lang)
    return redirect(_safe_next(request.form.get("next")) or url_for("auth.home"))

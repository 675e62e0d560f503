"""Logging in and out, and choosing the interface language: pages only (`bp`: /, /login, /logout,
/language), no JSON API."""
from __future__ import annotations

from functools import cache
from urllib.parse import urlsplit

from flask import Blueprint, flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import bindparam, select

from .access import PUBLIC, roles, session_is_current, start_session
from ..db import keep_for_request, unit_of_work
from ..extensions import db, login_manager
from ..models import User
from ..services import security, users

bp = Blueprint("auth", __name__)
login_manager.login_view = "auth.login"
login_manager.login_message = None

HOME = {"cashier": "sell.screen", "manager": "stock.overview", "organiser": "stock.overview",
        "producer": "portal.home"}


@cache  # read for every request: built once
def _user_by_id():
    return select(User).where(User.id == bindparam("id"))


@login_manager.user_loader
def load_user(user_id):
    user = db.session.execute(_user_by_id(), {"id": int(user_id)}).scalar_one_or_none()
    # A session from before the user's last logout, password or role change is refused here.
    if user is None or not user.is_active or not session_is_current(user):
        return None
    keep_for_request(db.session, "user", user)  # checked here; not read again inside the write lock
    return user


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
        username, address = request.form.get("username", ""), request.remote_addr or ""
        # Growing delays after failed tries, per account and per address (services/security.py says why).
        wait = security.login_wait_seconds(db.session, username, address)
        if wait:
            flash(_("Đăng nhập sai nhiều lần. Vui lòng chờ %(seconds)s giây rồi thử lại.", seconds=wait), "error")
            response = make_response(render_template("auth/login.html", username=username), 429)
            response.headers["Retry-After"] = str(wait)
            return response
        user = users.authenticate(db.session, username, request.form.get("password", ""))
        if user is None:
            with unit_of_work(db.session) as s:
                security.record_login_failure(s, username, address)
            wait = security.login_wait_seconds(db.session, username, address)
            flash(_("Sai tên đăng nhập hoặc mật khẩu.") + (" " + _("Vui lòng chờ %(seconds)s giây trước khi thử lại.",
                                                                   seconds=wait) if wait else ""), "error")
            return render_template("auth/login.html", username=username), 401
        with unit_of_work(db.session) as s:
            security.record_login(s, user, address)
        session.clear()
        login_user(user)
        start_session(user)
        return redirect(_safe_next(request.args.get("next")) or url_for(HOME[user.role]))
    return render_template("auth/login.html", username="")


@bp.post("/logout")
@roles(PUBLIC)
def logout():
    if current_user.is_authenticated:
        # Ends this person's sessions everywhere, a copy of this cookie included.
        with unit_of_work(db.session) as s:
            users.end_sessions(s, current_user)
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

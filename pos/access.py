"""Who may open which page: every view declares its roles, and a view that declares
none is refused. A new route therefore cannot slip through unguarded."""
from __future__ import annotations

from functools import wraps

from flask import abort, current_app, redirect, request, url_for
from flask_babel import gettext
from flask_login import current_user

from . import api_errors

PUBLIC = "public"
ALL_STAFF = ("organiser", "manager", "cashier")
MANAGERS = ("organiser", "manager")


def roles(*allowed: str):
    """Declare which roles may use a view (or PUBLIC for the login page)."""

    def decorate(view):
        view.allowed_roles = frozenset(allowed)
        return view

    return decorate


def allowed_roles(endpoint: str) -> frozenset | None:
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "allowed_roles", None)


def _wants_json() -> bool:
    return api_errors.is_api_request()


def check_access():
    """before_request hook: log-in and role check for every endpoint."""
    endpoint = request.endpoint
    if endpoint is None or endpoint == "static":
        return None
    allowed = allowed_roles(endpoint)
    if allowed is None:
        current_app.logger.error("endpoint %s declares no roles: refused", endpoint)
        abort(403)
    if PUBLIC in allowed:
        return None
    if not current_user.is_authenticated:
        if _wants_json():
            return api_errors.error_response("Unauthorized", gettext("Cần đăng nhập"), 401)
        return redirect(url_for("auth.login", next=request.full_path))
    if current_user.role not in allowed:
        if _wants_json():
            return api_errors.error_response("Forbidden", gettext("Bạn không có quyền làm việc này"), 403)
        abort(403)
    return None


def require_producer_scope(producer_id: int):
    """A producer user may only read its own producer's data."""
    if current_user.role == "producer" and current_user.producer_id != producer_id:
        abort(404)


def wraps_view(f):
    return wraps(f)

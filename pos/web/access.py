"""Who may open which page: every view declares its roles, and a view that declares
none is refused. A new route therefore cannot slip through unguarded. Also the booth a
view works on (current_booth_or_404), which ends the request when none is set up yet.

Sessions: the browser's session carries the user's session_version from login (checked by
the user loader: a logout, a password or role change or a disabled account bumps it and
so ends every session of that person) and the time of its last request (a session idle
for longer than the booth's session_idle_minutes ends at its next request).
"""
from __future__ import annotations

from datetime import datetime

from flask import abort, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext
from flask_login import current_user, logout_user

from .errors import error_response, wants_json
from ..errors import NotFound
from ..extensions import db
from ..models import Booth
from ..services import booths
from ..timeutil import utcnow

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


SESSION_VERSION, LAST_SEEN = "_pos_sv", "_pos_seen"
# The last-seen time is rewritten at most once a minute, not into every response's cookie.
SEEN_RESOLUTION_S = 60
DEFAULT_IDLE_MINUTES = 480  # a database with no booth (the hub) ends idle sessions after 8 hours too
_EPOCH = datetime(1970, 1, 1)


def _now_s() -> int:
    return int((utcnow() - _EPOCH).total_seconds())


def start_session(user) -> None:
    """Stamp the browser's session at login (or after its own password change): version and time."""
    session[SESSION_VERSION] = user.session_version
    session[LAST_SEEN] = _now_s()


def session_is_current(user) -> bool:
    """Does this browser's session still belong to the user's current session version?"""
    return session.get(SESSION_VERSION) == user.session_version


def _idle_limit_s() -> int:
    booth = booths.current_booth(db.session)
    return 60 * (booth.session_idle_minutes if booth is not None else DEFAULT_IDLE_MINUTES)


def _end_idle_session() -> bool:
    """Log out a session idle for longer than the booth allows; otherwise note this request. True if ended."""
    if "_user_id" not in session:
        return False
    seen, now = session.get(LAST_SEEN), _now_s()
    if type(seen) is not int or now - seen > _idle_limit_s():
        logout_user()
        session.clear()
        return True
    if now - seen >= SEEN_RESOLUTION_S:
        session[LAST_SEEN] = now
    return False


def check_access():
    """before_request hook: log-in and role check for every endpoint."""
    endpoint = request.endpoint
    if endpoint is None or endpoint == "static":
        return None
    ended = _end_idle_session()
    allowed = allowed_roles(endpoint)
    if allowed is None:
        current_app.logger.error("endpoint %s declares no roles: refused", endpoint)
        abort(403)
    if PUBLIC in allowed:
        return None
    if not current_user.is_authenticated:
        if wants_json():
            return error_response("Unauthorized", gettext("Cần đăng nhập"), 401)
        if ended:
            flash(gettext("Phiên đăng nhập đã hết hạn vì lâu không dùng. Vui lòng đăng nhập lại."), "info")
        return redirect(url_for("auth.login", next=request.full_path))
    if current_user.role not in allowed:
        if wants_json():
            return error_response("Forbidden", gettext("Bạn không có quyền làm việc này"), 403)
        abort(403)
    return None


def current_booth_or_404(*, setup_for_managers: bool = False, refusal: bool = False) -> Booth:
    """The booth this database serves, for a view that works on it. With none set up yet the request ends:

    - a JSON request, or refusal=True: NotFound "booth not set up" (a JSON 404 under /api/, else the error
      page with that message, unless the view shows refusals itself, as the display's pairing form does);
    - setup_for_managers: a manager or organiser is sent to the booth settings, to set it up;
    - otherwise the page's plain 404.
    """
    booth = booths.current_booth(db.session)
    if booth is not None:
        return booth
    if refusal or wants_json():
        raise NotFound("Gian hàng chưa được cài đặt")
    if setup_for_managers and current_user.role in MANAGERS:
        abort(redirect(url_for("setup.booth_settings")))
    abort(404)

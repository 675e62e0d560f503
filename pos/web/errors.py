"""How the web face answers a refusal: whether a request wants JSON, and the one JSON shape
of every API refusal, for all API blueprints.

{"error": <kind>, "message": <in the user's language>, "field": <e.g. "lines[0].qty" or null>}

The app-level error handlers (templating.init_app) call these for requests under /api/, and the
sync blueprint for its own statuses; a DomainError carrying retry_after_s (a delayed PIN or
login) adds a Retry-After header.
"""
from __future__ import annotations

from flask import request
from flask_babel import gettext
from werkzeug.exceptions import HTTPException

from ..errors import N_, DomainError, http_status


def wants_json() -> bool:
    """Does this request want JSON (the API, under /api/) rather than a page? The one place that decides."""
    return request.path.startswith("/api/")


def error_response(kind: str, message: str, status: int, field_: str | None = None, headers=None):
    """The one JSON shape of every API refusal."""
    return {"error": kind, "message": message, "field": field_}, status, headers or {}


def domain_error_response(err: DomainError, status: int | None = None):
    headers = {}
    retry_after = getattr(err, "retry_after_s", None)
    if retry_after is not None:
        # A delayed PIN or login says when to try again (RFC 9110: whole seconds).
        headers["Retry-After"] = str(max(1, int(-(-retry_after // 1))))
    return error_response(type(err).__name__, err.text, status or http_status(err), err.field, headers)


_HTTP_MESSAGES = {
    400: N_("Yêu cầu không hợp lệ"), 404: N_("Không tìm thấy"), 405: N_("Phương thức không được hỗ trợ"),
    413: N_("Dữ liệu gửi lên quá lớn"), 415: N_("Kiểu nội dung không được hỗ trợ"),
}
_HTTP_KINDS = {400: "BadRequest", 404: "NotFound", 405: "MethodNotAllowed", 413: "TooLarge", 415: "UnsupportedMediaType"}


def http_error_response(err: HTTPException):
    code = err.code or 500
    message = gettext(_HTTP_MESSAGES[code]) if code in _HTTP_MESSAGES else (err.description or err.name)
    headers = {"Allow": ", ".join(err.valid_methods)} if code == 405 and getattr(err, "valid_methods", None) else {}
    return error_response(_HTTP_KINDS.get(code, type(err).__name__), message, code, None, headers)

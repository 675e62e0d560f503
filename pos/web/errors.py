"""How the web face answers a refusal: the one table from refusal classes to HTTP statuses
(http_status), whether a request wants JSON (wants_json), and the one JSON shape of every API
refusal, for all API blueprints.

{"error": <kind>, "message": <in the user's language>, "field": <e.g. "lines[0].qty" or null>}

The app-level error handlers (templating.init_app) call these for requests under /api/, and the
sync API blueprint too (adding WWW-Authenticate to a 401); a DomainError carrying retry_after_s
(a delayed PIN or login) adds a Retry-After header.
"""
from __future__ import annotations

from flask import request
from flask_babel import gettext
from werkzeug.exceptions import HTTPException

from ..db import DatabaseBusy
from ..errors import (N_, DiscountOverLimit, DomainError, Forbidden, IdempotencyConflict, InvalidInput, NotFound,
                      Underpaid, WrongPin)
from ..services.security import TooManyAttempts
from ..services.sync import booth as sync_booth
from ..services.sync import hub as sync_hub
from ..services.sync import signing, wire

# How the web answers each refusal (the services know nothing of HTTP). A refusal takes the status of
# the nearest class of its own in this table (UnknownProduct is a NotFound: 404); anything else is
# 409 Conflict: the request was understood, and the booth's rules refused it.
STATUS: dict[type[DomainError], int] = {
    NotFound: 404, InvalidInput: 422, Underpaid: 422, IdempotencyConflict: 422, TooManyAttempts: 429,
    WrongPin: 403, DiscountOverLimit: 403, Forbidden: 403, DatabaseBusy: 503,
    # Sync: a booth's token or file, the hub's answers as the booth's pages and API pass them on.
    sync_hub.BadToken: 401, sync_hub.BatchTooLarge: 413, wire.Conflict: 409,
    sync_booth.HubUnreachable: 503, sync_booth.HubRefused: 502, sync_booth.PushStuck: 502,
    sync_booth.NotProvisioned: 409, sync_booth.WrongBooth: 409, sync_booth.IsAHub: 409,
    signing.UnreadableFile: 422, signing.TamperedFile: 422, signing.ForeignFile: 422, signing.WrongKindFile: 422,
    signing.NoSigningKey: 409,
}


def http_status(err: DomainError) -> int:
    """The HTTP status for a refusal: the nearest of its classes in STATUS, else 409 Conflict."""
    for cls in type(err).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 409


def wants_json() -> bool:
    """Does this request want JSON (the API, under /api/) rather than a page? The one place that decides."""
    return request.path.startswith("/api/")


def error_response(kind: str, message: str, status: int, field_: str | None = None, headers=None):
    """The one JSON shape of every API refusal."""
    return {"error": kind, "message": message, "field": field_}, status, headers or {}


def domain_error_response(err: DomainError):
    """A refusal as JSON, at its status (http_status)."""
    headers = {}
    retry_after = getattr(err, "retry_after_s", None)
    if retry_after is not None:
        # A delayed PIN or login says when to try again (RFC 9110: whole seconds).
        headers["Retry-After"] = str(max(1, int(-(-retry_after // 1))))
    return error_response(type(err).__name__, err.text, http_status(err), err.field, headers)


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

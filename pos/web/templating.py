"""Jinja filters and the HTML error pages: templates only format values."""
from __future__ import annotations

from flask import current_app, flash, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from . import static_files
from .errors import domain_error_response, error_response, http_error_response, http_status, wants_json
from ..errors import DomainError
from ..extensions import db
from ..money import format_number, format_percent_bp, format_vnd
from ..services.backups import low_disk_warning
from ..services.booths import current_booth
from ..services.sync.booth import banner
from ..timeutil import format_date, format_datetime


def stars(n) -> str:
    return "★" * n if n else ""


def init_app(app):
    app.add_template_filter(format_vnd, "vnd")
    app.add_template_filter(format_number, "num")
    app.add_template_filter(format_datetime, "dt")
    app.add_template_filter(format_date, "date")
    app.add_template_filter(stars, "stars")
    app.add_template_filter(format_percent_bp, "percent")
    # A message id held in data (a column label), translated without %-formatting: Jinja's _() would
    # read the "%" of "Hoa hồng (%)" as a placeholder and fail.
    app.add_template_filter(lambda message: _(message), "msg")
    app.jinja_env.globals["get_locale"] = get_locale
    static_files.init_app(app)

    @app.context_processor
    def booth_context():
        if request.endpoint == "static":
            return {}
        staff = current_user.is_authenticated and current_user.role != "producer"
        manager = current_user.is_authenticated and current_user.role in ("manager", "organiser")
        # Every staff page says how much the hub does not have yet: nobody closes the fair by mistake.
        # A manager's pages also say when the disk is running out, before sales start failing.
        return {"this_booth": current_booth(db.session), "sync_banner": banner(db.session) if staff else None,
                "disk_warning": low_disk_warning(current_app) if manager else None}

    @app.errorhandler(403)
    def forbidden(_err):
        return render_template("error.html", code=403, message=_("Bạn không có quyền xem trang này.")), 403

    @app.errorhandler(404)
    def not_found(err):
        if wants_json():
            return http_error_response(err)
        return render_template("error.html", code=404, message=_("Không tìm thấy trang này.")), 404

    @app.errorhandler(413)
    def too_large(err):
        if wants_json():
            return http_error_response(err)
        return render_template("error.html", code=413, message=_("Dữ liệu gửi lên quá lớn.")), 413

    @app.errorhandler(DomainError)
    def domain_error(err: DomainError):
        # A refusal no view caught (e.g. an unknown id in a URL): a page or JSON with the right status.
        if wants_json():
            return domain_error_response(err)
        return render_template("error.html", code=http_status(err), message=err.text), http_status(err)

    @app.errorhandler(HTTPException)
    def other_http_error(err: HTTPException):
        # 400, 405, 415 ... under /api/ are JSON like every other refusal; pages keep werkzeug's own.
        if wants_json():
            return http_error_response(err)
        return err

    @app.errorhandler(CSRFError)
    def csrf_error(_err):
        message = _("Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ. Vui lòng tải lại trang và thử lại.")
        if wants_json():
            return error_response("CSRFError", message, 400)
        return render_template("error.html", code=400, message=message), 400


def flash_error(err: DomainError) -> None:
    """Show a refused request on the next page, naming the field when there is one."""
    flash(err.text, "error")

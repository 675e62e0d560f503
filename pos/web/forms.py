"""What the HTML blueprints share: reading a posted form and showing a refused one (or a refused page)."""
from __future__ import annotations

from flask import abort, render_template, request

from ..db import MAX_ID
from ..errors import DomainError
from .errors import http_status
from .templating import flash_error


def form_dict(checkboxes: tuple[str, ...] = ()) -> dict:
    """The posted form as a plain dict for a service (the CSRF token left out).

    A browser sends nothing for an unticked checkbox; the names in checkboxes
    are set to "" then, so the service sees "off" rather than "not on this form".
    """
    data = request.form.to_dict()
    data.pop("csrf_token", None)
    for name in checkboxes:
        data.setdefault(name, "")
    return data


def refused(template: str, err: DomainError, **context):
    """Show a page with the service's refusal: its message flashed, the field it names, its status."""
    flash_error(err)
    return render_template(template, error_field=err.field, **context), http_status(err)


def rerender(template: str, err: DomainError, **context):
    """Re-show a form with the service's message and the field it names, keeping what was typed."""
    return refused(template, err, form=form_dict(), **context)


def qty_lines(prefix: str = "qty-") -> list[dict]:
    """Lines typed in a table of products: inputs named qty-<product id>; blank ones are skipped."""
    lines = []
    for key, value in request.form.items():
        if key.startswith(prefix) and value.strip():
            lines.append({"product_id": key[len(prefix):], "qty": value.strip()})
    return lines


def arg_id(name: str, source=None) -> int | None:
    """An id from the query string (or `source`, e.g. request.form) for a page's filter; None when absent.

    Anything but plain digits within the database's range is a 404: no row has that id, and an
    id past 2^63 must not reach the database, where it raises instead of finding nothing.
    """
    raw = (request.args if source is None else source).get(name, "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 19 and 0 < int(raw) <= MAX_ID):
        abort(404)
    return int(raw)


def arg_page(name: str = "page") -> int:
    """A page number from the query string: 1 when absent or not a sensible number."""
    raw = request.args.get(name, "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < len(raw) <= 6 and int(raw) > 0 else 1

"""What the HTML blueprints share: reading a posted form and showing a refused one."""
from __future__ import annotations

from flask import render_template, request

from ..errors import DomainError, http_status
from ..templating import flash_error


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


def rerender(template: str, err: DomainError, **context):
    """Re-show a form with the service's message and the field it names, keeping what was typed."""
    flash_error(err)
    return render_template(template, error_field=err.field, form=form_dict(), **context), http_status(err)


def qty_lines(prefix: str = "qty-") -> list[dict]:
    """Lines typed in a table of products: inputs named qty-<product id>; blank ones are skipped."""
    lines = []
    for key, value in request.form.items():
        if key.startswith(prefix) and value.strip():
            lines.append({"product_id": key[len(prefix):], "qty": value.strip()})
    return lines

"""What the reports pages and the producer portal share: a report's tables as a download
(?format=xlsx|csv, ?table=<name>) and a settlement statement as JSON."""
from __future__ import annotations

from flask import Response, abort, request

from ..services.reporting import exports, settlement
from ..timeutil import local_today


def download(tables: list[exports.Table], fmt: str, *name_parts: str) -> Response:
    """The tables as an .xlsx or .csv attachment."""
    body, mimetype = exports.render(tables, fmt)
    name = exports.file_name(*name_parts, local_today().isoformat(), ext=fmt)
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'})


def wanted_format() -> str | None:
    """The download asked for (?format=xlsx or csv), or None for the page."""
    fmt = request.args.get("format")
    return fmt if fmt in ("xlsx", "csv") else None


def pick_tables(tables: dict[str, exports.Table]) -> list[exports.Table]:
    """?table=<name> keeps one table; without it, all (one sheet each in Excel)."""
    name = request.args.get("table")
    if name:
        if name not in tables:
            abort(404)
        return [tables[name]]
    return list(tables.values())


def statement_json(st: settlement.Statement) -> dict:
    """A producer's settlement statement at one booth, as the reports and portal APIs answer it."""
    fields = ("received", "sold", "voided", "refunded", "returned", "samples", "damaged", "adjusted", "on_hand",
              "counted_qty", "expected_at_count", "units_sold", "units_voided", "units_refunded", "units_net",
              "gross_vnd", "discount_vnd", "voided_vnd", "refunded_vnd", "net_vnd")
    return {
        "booth": {"id": st.booth.id, "code": st.booth.code, "name": st.booth.name},
        "fair": {"id": st.fair.id, "code": st.fair.code, "name": st.fair.name},
        "producer": {"id": st.producer.id, "name": st.producer.name},
        "commission_bp": st.commission_bp,
        "lines": [dict({"product_id": ln.product_id, "name": ln.name, "unit": ln.unit, "price_vnd": ln.price_vnd},
                       **{f: getattr(ln, f) for f in fields}) for ln in st.lines],
        "gross_vnd": st.gross_vnd, "discount_vnd": st.discount_vnd, "voided_vnd": st.voided_vnd,
        "refunded_vnd": st.refunded_vnd, "net_vnd": st.net_vnd, "commission_vnd": st.commission_vnd,
        "payable_vnd": st.payable_vnd, "paid_vnd": st.paid_vnd, "owed_vnd": st.owed_vnd,
        "payments": [{"uuid": p.uuid, "number": p.number, "paid_on": p.paid_on.isoformat(), "method": p.method,
                      "amount_vnd": p.amount_vnd, "reference": p.reference, "received_by": p.received_by}
                     for p in st.payments],
        "problems": st.problems,
    }

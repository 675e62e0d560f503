"""The producer portal: a producer reads its own products' stock, sales and settlement statements.

Every query here is scoped by the logged-in user's producer_id, never by an id from
the request: no page, download or API call of this area takes a producer id, and a
booth or fair id only selects among the producer's own booths (anything else is 404,
so a guessed id tells nothing).

Pages: `bp` under /portal; JSON: `api_bp` under /api/v1/portal. Downloads and the statement's JSON
shape are shared with the reports (web/reporting.py).
"""
from __future__ import annotations

from flask import Blueprint, abort, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .access import roles
from ..errors import DomainError, NotFound
from ..extensions import db
from ..services.reporting import charts, producer_payments, reports, settlement
from . import schemas as sc
from .apispec import endpoint
from .forms import arg_id, arg_page, refused
from .reporting import download, pick_tables, statement_json, wanted_format

bp = Blueprint("portal", __name__, url_prefix="/portal")
api_bp = Blueprint("portal_api", __name__, url_prefix="/api/v1/portal")

PRODUCER = ("producer",)
# A phone 360-390 px wide shows a chart card about 320-350 px wide inside: a chart this wide is never shrunk.
PHONE_CHART_WIDTH = 310


def _producer_id() -> int:
    return current_user.producer_id


# Query parameters that name a row. A portal request naming one that is not the producer's own
# is answered 404 before any route runs, so nothing of it (not even its name) reaches a page,
# a download or the API, whichever route a guessed id is tried on.
_ID_ARGS = ("product_id", "booth_id", "fair_id", "producer_id", "compare")


def _refuse_foreign_ids():
    if not current_user.is_authenticated or current_user.role != "producer":
        return None  # @roles answers these (401/403); nothing of a producer's is read for them
    named = {k: request.args.getlist(k) for k in _ID_ARGS if k in request.args}
    if not named:
        return None
    scope = reports.producer_scope(db.session, _producer_id())
    allowed = {"product_id": scope.product_ids, "booth_id": scope.booth_ids, "fair_id": scope.fair_ids,
               "compare": scope.fair_ids, "producer_id": {_producer_id()}}
    for name, values in named.items():
        for raw in values:
            raw = raw.strip()
            if raw == "":
                continue  # an empty filter means "all of mine"
            if raw.isascii() and raw.isdigit() and int(raw) not in allowed[name]:
                abort(404)  # not a number: the route refuses it (422), naming the field
    return None


bp.before_request(_refuse_foreign_ids)
api_bp.before_request(_refuse_foreign_ids)


def _own_booth(booth_id):
    for booth in settlement.producer_booths(db.session, _producer_id()):
        if booth.id == booth_id:
            return booth
    raise NotFound("Không tìm thấy gian hàng")


def _own_fair(fair_id=None):
    fairs = reports.producer_fairs(db.session, _producer_id())
    if fair_id is None:
        return (fairs[0] if fairs else None), fairs
    for fair in fairs:
        if fair.id == fair_id:
            return fair, fairs
    raise NotFound("Không tìm thấy hội chợ")


@bp.route("")
@roles(*PRODUCER)
def home():
    producer = current_user.producer
    stock = reports.producer_stock(db.session, producer.id)
    statements = [settlement.statement(db.session, b, producer.id)
                  for b in settlement.producer_booths(db.session, producer.id)]
    return render_template("portal/home.html", producer=producer, stock=stock, statements=statements)


def _sales_context(fair, start, end):
    board = reports.dashboard(db.session, fair, start=start, end=end, producer_id=_producer_id())
    period = {k: v for k, v in (("start", start), ("end", end)) if v}

    def drill_url(name, key):
        if name not in ("day", "product", "hour"):
            return None
        return url_for("portal.sales_list", fair_id=fair.id, **{reports.DIMENSIONS[name]: key}, **period)

    def draw(width):
        return {
            "day": charts.line_chart([charts.Series(_("Doanh thu"), [
                (r.label[:5], r.revenue_vnd, drill_url("day", r.key)) for r in board.days])],
                title=_("Doanh thu theo ngày"), width=width),
            "product": charts.bar_chart([charts.Bar(r.label, r.revenue_vnd, drill_url("product", r.key),
                                                    _("%(n)s sp", n=r.units)) for r in board.breakdowns["product"]],
                                        title=_("Doanh thu theo sản phẩm"), color=charts.PALETTE[2], width=width),
        }

    # Drawn twice: for a screen, and narrow for a phone (the page shows one), so that chart text is
    # never scaled below 12 px.
    wide, narrow = draw(640), draw(PHONE_CHART_WIDTH)
    chart = {name: (wide[name], narrow[name]) for name in wide}
    return board, chart, drill_url


@bp.route("/sales")
@roles(*PRODUCER)
def sales():
    fair, fairs = _own_fair(arg_id("fair_id"))
    start, end = request.args.get("start", ""), request.args.get("end", "")
    context = dict(fair=fair, fairs=fairs, start=start, end=end)
    if fair is None:
        return render_template("portal/sales.html", board=None, chart=None, error_field=None, **context)
    try:
        board, chart, drill_url = _sales_context(fair, start, end)
    except DomainError as err:
        return refused("portal/sales.html", err, board=None, chart=None, **context)
    if (fmt := wanted_format()):
        tables = reports.dashboard_tables(board)
        tables = {k: tables[k] for k in ("summary", "day", "product")}
        return download(pick_tables(tables), fmt, _("Doanh thu"), current_user.producer.name, fair.code)
    return render_template("portal/sales.html", board=board, chart=chart, drill_url=drill_url, error_field=None,
                           **context)


@bp.route("/sales/list")
@roles(*PRODUCER)
def sales_list():
    fair, _fairs = _own_fair(arg_id("fair_id"))
    if fair is None:
        abort(404)
    start, end = request.args.get("start", ""), request.args.get("end", "")
    try:
        # Only day, hour and product filters make sense here; the producer is always the logged-in one.
        filters = reports.clean_filters({k: request.args.get(k) for k in ("day", "hour", "product_id")
                                         if request.args.get(k) is not None})
        found = reports.drill(db.session, fair, filters, start=start, end=end, producer_id=_producer_id(),
                              page=arg_page())
    except DomainError as err:
        return refused("reports/drill.html", err, fair=fair, found=None, labels=[], back=None, portal=True)
    labels = reports.filter_labels(db.session, {k: v for k, v in found.filters.items() if k != "producer_id"})
    if (fmt := wanted_format()):
        return download([reports.drill_table(found, labels, with_sale_totals=False)], fmt, _("Đơn hàng"),
                        current_user.producer.name)
    back = url_for("portal.sales", fair_id=fair.id, **{k: v for k, v in (("start", start), ("end", end)) if v})
    return render_template("reports/drill.html", fair=fair, found=found, labels=labels, back=back, portal=True,
                           error_field=None)


@bp.route("/settlements/<int:booth_id>")
@roles(*PRODUCER)
def statement(booth_id):
    booth = _own_booth(booth_id)
    st = settlement.statement(db.session, booth, _producer_id())
    if (fmt := wanted_format()):
        return download(settlement.statement_tables(st), fmt, _("Quyết toán"), booth.fair.code, booth.code)
    return render_template("portal/statement.html", st=st, booth=booth,
                           payment_link=lambda p: url_for("portal.payment_slip", payment_id=p.id))


@bp.route("/payments/<int:payment_id>")
@roles(*PRODUCER)
def payment_slip(payment_id):
    """A payment the booth made to the producer, as its A4 slip (only the producer's own: else 404)."""
    payment = producer_payments.get_payment(db.session, payment_id)
    if payment.producer_id != _producer_id():
        abort(404)
    st = producer_payments.payment_statement(db.session, payment)
    return render_template("reports/payment_slip.html", payment=payment, st=st, portal=True, can_record=False,
                           before=producer_payments.paid_before(st, payment),
                           back=url_for("portal.statement", booth_id=payment.booth_id))


@bp.route("/invoices")
@roles(*PRODUCER)
def invoices():
    """The producer's sales whose buyer gave a tax code: what it must issue VAT invoices for."""
    fair, fairs = _own_fair(arg_id("fair_id"))
    lines = reports.invoice_lines(db.session, [b.id for b in fair.booths], producer_id=_producer_id()) if fair else []
    if fair is not None and (fmt := wanted_format()):
        return download([reports.invoice_table(lines, [_("KHÁCH CẦN HÓA ĐƠN GTGT"), fair.name,
                                                       current_user.producer.name])], fmt,
                        _("Khách cần hóa đơn"), current_user.producer.name, fair.code)
    return render_template("reports/invoices.html", groups=reports.invoice_groups(lines), fair=fair, fairs=fairs,
                           where=[fair.name] if fair else [], portal=True)


# --- JSON ---

@api_bp.get("/stock")
@roles(*PRODUCER)
@endpoint("The producer's goods on hand at every booth (producer accounts)", query=sc.NoQuery,
          response={"type": "object"}, tags=["portal"])
def api_stock(query: sc.NoQuery):
    return jsonify(booths=[{
        "booth": {"id": bs.booth.id, "code": bs.booth.code, "name": bs.booth.name},
        "fair": {"id": bs.booth.fair.id, "code": bs.booth.fair.code, "name": bs.booth.fair.name},
        "products": [{"product_id": r.product.id, "name": r.product.name, "on_hand": r.on_hand} for r in bs.rows],
    } for bs in reports.producer_stock(db.session, _producer_id())])


@api_bp.get("/sales")
@roles(*PRODUCER)
@endpoint("The producer's own sales at a fair: per day and per product (producer accounts)",
          query=sc.PortalSalesQuery, response={"type": "object"}, errors=(404,), tags=["portal"])
def api_sales(query: sc.PortalSalesQuery):
    fair, _fairs = _own_fair(query.fair_id)
    if fair is None:
        return jsonify(fair=None, days=[], products=[])
    board = reports.dashboard(db.session, fair, start=query.start, end=query.end, producer_id=_producer_id())
    return jsonify(
        fair={"id": fair.id, "code": fair.code, "name": fair.name}, revenue_vnd=board.revenue_vnd, units=board.units,
        transactions=board.transactions,
        days=[{"day": r.key, "revenue_vnd": r.revenue_vnd, "units": r.units, "transactions": r.transactions}
              for r in board.days],
        products=[{"product_id": int(r.key), "name": r.label, "revenue_vnd": r.revenue_vnd, "units": r.units}
                  for r in board.breakdowns["product"]])


@api_bp.get("/settlements/<int:booth_id>")
@roles(*PRODUCER)
@endpoint("The producer's settlement statement at one booth (producer accounts)", query=sc.NoQuery,
          response={"type": "object"}, tags=["portal"])
def api_statement(booth_id, query: sc.NoQuery):
    return jsonify(statement_json(settlement.statement(db.session, _own_booth(booth_id), _producer_id())))

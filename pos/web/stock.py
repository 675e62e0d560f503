"""Consigned stock: on hand per producer, the stock documents, each product's history. Pages only
(`bp` under /stock); stock's JSON is in api.py (/api/v1/stock)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .access import ALL_STAFF, MANAGERS, current_booth_or_404, roles
from ..db import MAX_ID, unit_of_work
from ..errors import DomainError, InvalidInput
from ..extensions import db
from ..models import DOCUMENT_KINDS
from ..services import catalogue, stock
from ..services import validate as v
from .forms import arg_id, qty_lines, rerender

bp = Blueprint("stock", __name__, url_prefix="/stock")


@bp.route("")
@roles(*ALL_STAFF, "producer")
def overview():
    booth = current_booth_or_404(setup_for_managers=True)
    # A producer reads its own products only.
    producer_id = current_user.producer_id if current_user.role == "producer" else arg_id("producer_id")
    groups = stock.stock_by_producer(db.session, booth, producer_id=producer_id)
    return render_template("stock/overview.html", booth=booth, groups=groups, producer_id=producer_id,
                           producers=catalogue.list_producers(db.session))


@bp.route("/products/<int:product_id>")
@roles(*ALL_STAFF, "producer")
def history(product_id):
    booth = current_booth_or_404(setup_for_managers=True)
    product = catalogue.get_product(db.session, product_id)
    if current_user.role == "producer" and product.producer_id != current_user.producer_id:
        abort(404)
    rows = stock.movement_history(db.session, booth, product.id)
    return render_template("stock/history.html", product=product, rows=rows)


@bp.route("/documents")
@roles(*MANAGERS)
def documents():
    booth = current_booth_or_404(setup_for_managers=True)
    kind = request.args.get("kind") if request.args.get("kind") in DOCUMENT_KINDS else None
    return render_template("stock/documents.html", documents=stock.list_documents(db.session, booth, kind=kind),
                           kind=kind, kinds=DOCUMENT_KINDS)


@bp.route("/documents/<int:document_id>")
@roles(*MANAGERS)
def document(document_id):
    booth = current_booth_or_404(setup_for_managers=True)
    return render_template("stock/document.html", doc=stock.get_document(db.session, booth, document_id), booth=booth)


def _document_form(kind: str):
    booth = current_booth_or_404(setup_for_managers=True)
    producer_id = arg_id("producer_id", request.values)
    needs_producer = kind in ("receive", "return")
    products = []
    if producer_id or not needs_producer:
        products = catalogue.search_products(db.session, producer_id=producer_id, active_only=kind != "return")
    levels = stock.on_hand(db.session, booth.id)
    context = dict(kind=kind, title=DOCUMENT_KINDS[kind], producers=catalogue.list_producers(db.session),
                   producer_id=producer_id, products=products, levels=levels, needs_producer=needs_producer)
    if request.method == "POST":
        try:
            document = _document_from_form(kind, producer_id)
            with unit_of_work(db.session) as s:
                doc = stock.record_document(s, booth, current_user, document)
        except DomainError as err:
            return rerender("stock/document_form.html", err, **context)
        flash(_("Đã ghi %(kind)s %(number)s.", kind=_(doc.kind_label).lower(), number=doc.number), "success")
        return redirect(url_for("stock.document", document_id=doc.id))
    return render_template("stock/document_form.html", form=None, error_field=None, **context)


def _document_from_form(kind: str, producer_id: int | None) -> stock.NewDocument:
    """The posted table of quantities (inputs qty-<product id>) as a typed stock document."""
    lines = []
    for i, line in enumerate(qty_lines()):
        try:
            lines.append(stock.DocumentLine(v.integer(line, "product_id", minimum=1, maximum=MAX_ID),
                                            v.integer(line, "qty", minimum=0, maximum=stock.MAX_LINE_QTY)))
        except InvalidInput as err:
            raise InvalidInput(f"lines[{i}].{err.field}", err.message, **err.params) from None
    return stock.NewDocument(kind, tuple(lines), producer_id, request.form.get("reason", ""))


@bp.route("/receive", methods=["GET", "POST"])
@roles(*MANAGERS)
def receive():
    return _document_form("receive")


@bp.route("/return", methods=["GET", "POST"])
@roles(*MANAGERS)
def return_goods():
    return _document_form("return")


@bp.route("/sample", methods=["GET", "POST"])
@roles(*MANAGERS)
def sample():
    return _document_form("sample")


@bp.route("/damage", methods=["GET", "POST"])
@roles(*MANAGERS)
def damage():
    return _document_form("damage")


@bp.route("/count", methods=["GET", "POST"])
@roles(*MANAGERS)
def count():
    return _document_form("count")

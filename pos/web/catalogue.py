"""Producers and products: lists, search, and the forms to keep them. Pages only (`bp`: /producers,
/products); the catalogue's JSON is in api.py (/api/v1/products, /api/v1/producers)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .access import ALL_STAFF, MANAGERS, roles
from ..db import unit_of_work
from ..errors import DomainError
from ..extensions import db
from ..models import PRODUCER_KINDS, UNITS
from ..services import catalogue
from .forms import arg_id, arg_page, form_dict, rerender

bp = Blueprint("catalogue", __name__)


@bp.route("/producers")
@roles(*ALL_STAFF)
def producers():
    return render_template("catalogue/producers.html", producers=catalogue.list_producers(db.session))


@bp.route("/producers/new", methods=["GET", "POST"], endpoint="edit_producer")
@bp.route("/producers/<int:producer_id>", methods=["GET", "POST"])
@roles(*MANAGERS)
def edit_producer(producer_id=None):
    producer = catalogue.get_producer(db.session, producer_id) if producer_id else None
    if request.method == "POST":
        try:
            with unit_of_work(db.session) as s:
                catalogue.save_producer(s, form_dict(checkboxes=("is_active",) if producer else ()), producer)
        except DomainError as err:
            return rerender("catalogue/producer.html", err, producer=producer, kinds=PRODUCER_KINDS)
        flash(_("Đã lưu chủ thể."), "success")
        return redirect(url_for("catalogue.producers"))
    return render_template("catalogue/producer.html", producer=producer, kinds=PRODUCER_KINDS, form=None, error_field=None)


@bp.route("/products")
@roles(*ALL_STAFF)
def products():
    q = request.args.get("q", "")
    producer_id = arg_id("producer_id")
    page = arg_page()
    size = catalogue.PAGE_SIZE
    # One page in Vietnamese order, one more product asked for to know whether a next page exists.
    found = catalogue.search_products(db.session, q, producer_id=producer_id, active_only=False,
                                      limit=size + 1, offset=(page - 1) * size)
    return render_template("catalogue/products.html", products=found[:size], q=q, producer_id=producer_id,
                           producers=catalogue.list_producers(db.session), page=page, has_more=len(found) > size,
                           first=(page - 1) * size + 1)


@bp.route("/products/new", methods=["GET", "POST"], endpoint="edit_product")
@bp.route("/products/<int:product_id>", methods=["GET", "POST"])
@roles(*MANAGERS)
def edit_product(product_id=None):
    product = catalogue.get_product(db.session, product_id) if product_id else None
    context = dict(product=product, producers=catalogue.list_producers(db.session), units=UNITS)
    if request.method == "POST":
        data = form_dict(checkboxes=("is_active",) if product else ())
        try:
            with unit_of_work(db.session) as s:
                catalogue.save_product(s, data, product)
        except DomainError as err:
            return rerender("catalogue/product.html", err, **context)
        flash(_("Đã lưu sản phẩm."), "success")
        return redirect(url_for("catalogue.products"))
    return render_template("catalogue/product.html", form=None, error_field=None, **context)



"""The JSON API under /api/v1 that the sell screen and other clients share: products, producers,
stock, sales and the checkout, print jobs, parked carts, and the OpenAPI document (/api/v1/openapi.json).
It calls the same services as the pages and the CLI. No pages: this module's `bp` is JSON only,
registered by create_app under /api/v1; the areas' own JSON routes are their modules' `api_bp`.

Errors are JSON: {"error": <kind>, "message": <text in the user's language>, "field": <name or null>}.
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from flask_babel import gettext
from flask_login import current_user

from .access import ALL_STAFF, MANAGERS, PUBLIC, current_booth_or_404, roles
from ..db import unit_of_work
from ..errors import InvalidInput
from ..extensions import db
from ..models import Sale
from ..services import booths, catalogue, print_queue, sales, stock
from ..timeutil import local_today, parse_date
from ..vietqr import qr_svg
from . import schemas as sc
from . import apispec
from .apispec import endpoint

bp = Blueprint("api", __name__)


def product_json(p, on_hand=None) -> dict:
    """A product (a Product record, or a catalogue.Listed from a search page) as the API shows it."""
    out = {
        "id": p.id, "uuid": p.uuid, "name": p.name, "unit": p.unit, "price_vnd": p.price_vnd,
        "ocop_stars": p.ocop_stars, "category": p.category, "barcodes": p.barcode_list,
        "stamp_code": p.stamp_code, "is_active": p.is_active,
        "producer": {"id": p.producer.id, "name": p.producer.name},
    }
    if on_hand is not None:
        out["on_hand"] = on_hand
    return out


def producer_json(p) -> dict:
    return {"id": p.id, "uuid": p.uuid, "name": p.name, "kind": p.kind, "province": p.province,
            "district": p.district, "commune": p.commune, "phone": p.phone, "is_active": p.is_active}


def document_json(d) -> dict:
    return {
        "id": d.id, "uuid": d.uuid, "kind": d.kind, "number": d.number, "reason": d.reason,
        "producer_id": d.producer_id, "created_at": d.created_at.isoformat() + "Z",
        "created_by": d.created_by.username,
        "lines": [{"product_id": m.product_id, "product": m.product.name, "qty": m.qty,
                   "counted_qty": m.counted_qty} for m in d.movements],
    }


@bp.get("/openapi.json")
@roles(PUBLIC)
@endpoint("This document (generated from the routes' declarations)", response={"type": "object"}, tags=["meta"])
def openapi_document():
    return jsonify(apispec.document(current_app))


@bp.get("/products")
@roles(*ALL_STAFF)
@endpoint("List or search products (diacritics ignored: q=mien dong finds Miến dong)", query=sc.ProductsQuery,
          response=sc.ProductsOut, tags=["catalogue"])
def list_products(query: sc.ProductsQuery):
    booth = current_booth_or_404()
    # One page (50 by default) in Vietnamese order; one more is asked for to know whether a next page exists.
    found = catalogue.search_listing(db.session, query.q, producer_id=query.producer_id,
                                     active_only=query.all != "1", limit=query.limit + 1, offset=query.offset)
    page, more = found[:query.limit], len(found) > query.limit
    levels = stock.on_hand(db.session, booth.id, [p.id for p in page])  # stock of the products shown only
    return jsonify(products=[product_json(p, levels.get(p.id, 0)) for p in page], has_more=more,
                   next_offset=query.offset + len(page) if more else None)


@bp.get("/products/<int:product_id>")
@roles(*ALL_STAFF)
@endpoint("One product", response=sc.ProductOut, tags=["catalogue"])
def get_product(product_id):
    booth = current_booth_or_404()
    product = catalogue.get_product(db.session, product_id)
    return jsonify(product_json(product, stock.on_hand(db.session, booth.id, [product.id]).get(product.id, 0)))


@bp.get("/products/by-code")
@roles(*ALL_STAFF)
@endpoint("The product a barcode or traceability-stamp code (or stamp URL) names", query=sc.CodeQuery,
          response=sc.ProductOut, tags=["catalogue"])
def product_by_code(query: sc.CodeQuery):
    booth = current_booth_or_404()
    product, stamp_code = catalogue.find_by_code(db.session, query.code)
    out = product_json(product, stock.on_hand(db.session, booth.id, [product.id]).get(product.id, 0))
    out["scanned_stamp_code"] = stamp_code
    return jsonify(out)


@bp.get("/producers")
@roles(*ALL_STAFF)
@endpoint("List producers in Vietnamese alphabetical order", response=sc.ProducersOut, tags=["catalogue"])
def list_producers():
    return jsonify(producers=[producer_json(p) for p in catalogue.list_producers(db.session)])


@bp.get("/stock")
@roles(*ALL_STAFF)
@endpoint("On hand per product, grouped by producer", query=sc.ProducerQuery, response={"type": "object"},
          tags=["stock"])
def stock_on_hand(query: sc.ProducerQuery):
    booth = current_booth_or_404()
    groups = stock.stock_by_producer(db.session, booth, producer_id=query.producer_id)
    return jsonify(producers=[
        {"producer": producer_json(g.producer), "total_units": g.total_units,
         "products": [{"product_id": r.product.id, "name": r.product.name, "on_hand": r.on_hand, "is_low": r.is_low}
                      for r in g.rows]}
        for g in groups
    ])


@bp.get("/stock/documents")
@roles(*MANAGERS)
@endpoint("List stock documents", query=sc.DocumentsQuery, response=sc.StockDocumentsOut, tags=["stock"])
def list_documents(query: sc.DocumentsQuery):
    booth = current_booth_or_404()
    return jsonify(documents=[document_json(d) for d in stock.list_documents(db.session, booth, kind=query.kind)])


@bp.post("/stock/documents")
@roles(*MANAGERS)
@endpoint("Record a stock document: receive, return, sample, damage or count", body=sc.NewStockDocument,
          response=sc.StockDocumentOut, status=201, tags=["stock"])
def create_document(body: sc.NewStockDocument):
    booth = current_booth_or_404()
    with unit_of_work(db.session) as s:
        doc = stock.record_document(s, booth, current_user, body.typed())
    return jsonify(document_json(doc)), 201


@bp.get("/stock/documents/<int:document_id>")
@roles(*MANAGERS)
@endpoint("One stock document", response=sc.StockDocumentOut, tags=["stock"])
def get_document(document_id):
    return jsonify(document_json(stock.get_document(db.session, current_booth_or_404(), document_id)))


def sale_json(sale) -> dict:
    return {
        "id": sale.id, "uuid": sale.uuid, "receipt_no": sale.receipt_no, "till_id": sale.till_id,
        "created_at": sale.created_at.isoformat() + "Z", "cashier": sale.cashier.username,
        "subtotal_vnd": sale.subtotal_vnd, "discount_vnd": sale.discount_vnd, "total_vnd": sale.total_vnd,
        "change_vnd": sale.change_vnd, "went_below_zero": sale.went_below_zero,
        "buyer_name": sale.buyer_name, "buyer_tax_code": sale.buyer_tax_code,
        "lines": [{"product_id": ln.product_id, "name": ln.product_name, "qty": ln.qty,
                   "unit_price_vnd": ln.unit_price_vnd, "line_discount_vnd": ln.line_discount_vnd,
                   "order_discount_vnd": ln.order_discount_vnd, "net_vnd": ln.net_vnd, "stamp_code": ln.stamp_code}
                  for ln in sale.lines],
        "payments": [{"method": p.method, "amount_vnd": p.amount_vnd, "tendered_vnd": p.tendered_vnd,
                      "change_vnd": p.change_vnd, "reference": p.reference} for p in sale.payments],
    }


@bp.post("/sales")
@roles(*ALL_STAFF)
@endpoint("Record a paid sale (idempotent: the same Idempotency-Key and content return the same sale with 200)",
          body=sc.NewSale, response=sc.SaleOut, status=201, also=(200,), errors=(403, 429), tags=["sales"],
          headers=[("Idempotency-Key", True, "one per checkout; a retry sends the same key and content")])
def create_sale(body: sc.NewSale):
    booth = current_booth_or_404()
    # Read before the write lock, in the snapshot that checked the log-in: the lock is held for the sale only.
    settings = print_queue.printer_settings(db.session, booth, current_app.config)
    # The cashier and booth checked by this request are not read again inside the write lock (a sale
    # changes neither), and the answer is made from the sale just written, not read back.
    with unit_of_work(db.session, keep_request_rows=True, keep_written=True) as s:
        result = sales.record_sale(s, booth, current_user, body.typed(), request.headers.get("Idempotency-Key"))
        sale_id = result.sale.id
    # Printed only after the commit: a paper jam must never undo a sale the customer already paid for.
    out = sale_json(result.sale)
    out["print_job"] = None if result.is_replay else queue_receipt(booth, sale_id, settings=settings)
    # A replay answers 200 with the sale already made, so a retrying client never fails the cashier.
    return jsonify(out), 200 if result.is_replay else 201


def queue_receipt(booth, sale_id: int, *, reprint=False, settings=None) -> dict:
    """Record the print job of a committed sale; its outcome is read from /print-jobs/<id>."""
    if settings is None:
        settings = print_queue.printer_settings(db.session, booth, current_app.config)
    if settings.target.kind == "none":
        return {"id": None, "status": "off"}  # no printer: no second write transaction per sale
    try:
        with unit_of_work(db.session) as s:
            job = print_queue.enqueue_receipt(s, s.get(Sale, sale_id), settings, reprint=reprint)
            return {"id": job.id, "status": job.status} if job else {"id": None, "status": "off"}
    except Exception:  # noqa: BLE001 - the sale is committed; a failure to queue its slip must not hide that
        current_app.logger.exception("could not queue the slip of sale %s", sale_id)
        return {"id": None, "status": "failed", "error": gettext("Không ghi được lệnh in; bấm In lại ở trang đơn hàng.")}


def job_json(job) -> dict:
    return {"id": job.id, "kind": job.kind, "sale_id": job.sale_id, "status": job.status,
            "status_label": gettext(job.status_label), "attempts": job.attempts, "error": job.last_error,
            "receipt_no": job.sale.receipt_no if job.sale else None}


@bp.get("/print-jobs")
@roles(*ALL_STAFF)
@endpoint("Print jobs waiting, printing or failed", response=sc.PrintJobsOut, tags=["printing"])
def list_print_jobs():
    return jsonify(jobs=[job_json(j) for j in print_queue.open_jobs(db.session)])


@bp.get("/print-jobs/<int:job_id>")
@roles(*ALL_STAFF)
@endpoint("One print job: pending, printing, done, failed (with the reason) or dismissed",
          response=sc.PrintJobOut, tags=["printing"])
def get_print_job(job_id):
    return jsonify(job_json(print_queue.get_job(db.session, job_id)))


@bp.post("/print-jobs/<int:job_id>/retry")
@roles(*ALL_STAFF)
@endpoint("Send a failed job to the printer again", response=sc.PrintJobOut, tags=["printing"])
def retry_print_job(job_id):
    with unit_of_work(db.session) as s:
        job = print_queue.retry_job(s, job_id)
    return jsonify(job_json(job))


@bp.post("/sales/<int:sale_id>/reprint")
@roles(*ALL_STAFF)
@endpoint("Print a sale's slip again, marked BẢN IN LẠI", response=sc.PrintJobRef, status=201, tags=["printing"])
def reprint_sale(sale_id):
    booth = current_booth_or_404()
    sales.get_sale(db.session, booth, sale_id)
    return jsonify(queue_receipt(booth, sale_id, reprint=True)), 201


@bp.post("/prebill")
@roles(*ALL_STAFF)
@endpoint("Print a pre-bill (phiếu tạm tính) with the VietQR code for the cart's total", body=sc.PrebillIn,
          response=sc.PrintJobRef, status=201, tags=["printing"])
def print_prebill(body: sc.PrebillIn):
    booth = current_booth_or_404()
    till = booths.get_till(db.session, booth, body.till_id)
    settings = print_queue.printer_settings(db.session, booth, current_app.config)
    with unit_of_work(db.session) as s:
        bill, qr = sales.prebill(s, booth, till, current_user, body.typed(), body.idempotency_key)
        job = print_queue.enqueue_prebill(s, bill, qr["payload"], settings)
        out = {"id": job.id, "status": job.status} if job else {"id": None, "status": "off"}
    return jsonify(out), 201


@bp.get("/sales")
@roles(*ALL_STAFF)
@endpoint("Sales of one Vietnam calendar day, newest first", query=sc.SalesQuery, response=sc.SalesOut,
          tags=["sales"])
def list_sales(query: sc.SalesQuery):
    booth = current_booth_or_404()
    try:
        day = parse_date(query.day) if query.day else local_today()
    except ValueError:
        raise InvalidInput("day", "Ngày không hợp lệ, ví dụ 20/01/2020") from None
    found = sales.list_sales(db.session, booth, till_id=query.till_id, day=day)
    return jsonify(sales=[sale_json(x) for x in found])


@bp.get("/sales/<int:sale_id>")
@roles(*ALL_STAFF)
@endpoint("One sale", response=sc.SaleOut, tags=["sales"])
def get_sale(sale_id):
    return jsonify(sale_json(sales.get_sale(db.session, current_booth_or_404(), sale_id)))


@bp.post("/sales/vietqr")
@roles(*ALL_STAFF)
@endpoint("The VietQR (NAPAS/EMVCo) payload and SVG for paying part of a checkout by bank transfer",
          body=sc.VietQRIn, response=sc.VietQROut, tags=["sales"])
def sale_vietqr(body: sc.VietQRIn):
    booth = current_booth_or_404()
    till = booths.get_till(db.session, booth, body.till_id)
    out = sales.vietqr_for_checkout(db.session, booth, till, body.amount_vnd, body.idempotency_key)
    out["svg"] = qr_svg(out["payload"])
    return jsonify(out)


@bp.get("/parked-carts")
@roles(*ALL_STAFF)
@endpoint("Carts parked at a till", query=sc.TillQuery, response=sc.ParkedCartsOut, tags=["sales"])
def list_parked_carts(query: sc.TillQuery):
    import json as _json

    till = booths.get_till(db.session, current_booth_or_404(), query.till_id)
    carts = []
    for cart in sales.parked_carts(db.session, till):
        content = _json.loads(cart.content)
        carts.append({"id": cart.id, "label": cart.label, "created_at": cart.created_at.isoformat() + "Z",
                      "total_vnd": content.get("total_vnd"), "lines_count": len(content.get("lines", []))})
    return jsonify(carts=carts)


@bp.post("/parked-carts")
@roles(*ALL_STAFF)
@endpoint("Park a cart to serve the next customer", body=sc.ParkCartIn, response=sc.CreatedOut, status=201,
          tags=["sales"])
def park_cart(body: sc.ParkCartIn):
    booth = current_booth_or_404()
    till = booths.get_till(db.session, booth, body.till_id)
    with unit_of_work(db.session) as s:
        cart = sales.park_cart(s, till, current_user, body.label, body.content)
    return jsonify(id=cart.id), 201


@bp.post("/parked-carts/<int:cart_id>/resume")
@roles(*ALL_STAFF)
@endpoint("Pick a parked cart up again (it leaves the list)", response=sc.CartContentOut, tags=["sales"])
def resume_parked_cart(cart_id):
    booth = current_booth_or_404()
    with unit_of_work(db.session) as s:
        content = sales.resume_cart(s, booth, cart_id)
    return jsonify(content=content)

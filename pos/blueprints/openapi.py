"""The OpenAPI 3.1 document for /api/v1. A test checks every API route is described here."""
from __future__ import annotations

ERROR = {"$ref": "#/components/schemas/Error"}


def _resp(description, schema=None, code="200"):
    out = {code: {"description": description}}
    if schema:
        out[code]["content"] = {"application/json": {"schema": schema}}
    for status, text in (("401", "Not logged in"), ("403", "Role not allowed"), ("422", "Invalid input, field named")):
        out[status] = {"description": text, "content": {"application/json": {"schema": ERROR}}}
    return out


def _op(summary, responses, *, params=(), body=None, tags=()):
    op = {"summary": summary, "responses": responses, "tags": list(tags)}
    if params:
        op["parameters"] = list(params)
    if body:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return op


def _param(name, where="query", schema=None, required=False, description=""):
    return {"name": name, "in": where, "required": required or where == "path",
            "schema": schema or {"type": "string"}, "description": description}


PATHS: dict = {
    "/api/v1/products": {"get": _op(
        "List or search products (diacritics ignored: q=mien dong finds Miến dong)",
        _resp("Products with on-hand stock", {"type": "object", "properties": {
            "products": {"type": "array", "items": {"$ref": "#/components/schemas/Product"}}}}),
        params=[_param("q"), _param("producer_id", schema={"type": "integer"}),
                _param("all", description="1 to include inactive products")], tags=["catalogue"])},
    "/api/v1/products/{product_id}": {"get": _op(
        "One product", _resp("The product", {"$ref": "#/components/schemas/Product"}),
        params=[_param("product_id", "path", {"type": "integer"})], tags=["catalogue"])},
    "/api/v1/products/by-code": {"get": _op(
        "The product a barcode or traceability-stamp code (or stamp URL) names",
        _resp("The product", {"$ref": "#/components/schemas/Product"}),
        params=[_param("code", required=True, description="what the scanner typed")], tags=["catalogue"])},
    "/api/v1/producers": {"get": _op(
        "List producers in Vietnamese alphabetical order",
        _resp("Producers", {"type": "object", "properties": {
            "producers": {"type": "array", "items": {"$ref": "#/components/schemas/Producer"}}}}),
        tags=["catalogue"])},
    "/api/v1/stock": {"get": _op(
        "On hand per product, grouped by producer",
        _resp("Stock", {"type": "object"}), params=[_param("producer_id", schema={"type": "integer"})], tags=["stock"])},
    "/api/v1/stock/documents": {
        "get": _op("List stock documents", _resp("Documents", {"type": "object"}),
                   params=[_param("kind")], tags=["stock"]),
        "post": _op("Record a stock document: receive, return, sample, damage or count",
                    _resp("The document", {"$ref": "#/components/schemas/StockDocument"}, "201"),
                    body={"$ref": "#/components/schemas/NewStockDocument"}, tags=["stock"]),
    },
    "/api/v1/stock/documents/{document_id}": {"get": _op(
        "One stock document", _resp("The document", {"$ref": "#/components/schemas/StockDocument"}),
        params=[_param("document_id", "path", {"type": "integer"})], tags=["stock"])},
    "/api/v1/sales": {
        "get": _op("Sales of one Vietnam calendar day, newest first", _resp("Sales", {"type": "object"}),
                   params=[_param("day", description="dd/mm/yyyy, default today"),
                           _param("till_id", schema={"type": "integer"})], tags=["sales"]),
        "post": _op("Record a paid sale (idempotent: the same Idempotency-Key and content return the same sale with 200)",
                    _resp("The sale", {"$ref": "#/components/schemas/Sale"}, "201"),
                    params=[_param("Idempotency-Key", "header", required=True)],
                    body={"$ref": "#/components/schemas/NewSale"}, tags=["sales"]),
    },
    "/api/v1/sales/{sale_id}": {"get": _op(
        "One sale", _resp("The sale", {"$ref": "#/components/schemas/Sale"}),
        params=[_param("sale_id", "path", {"type": "integer"})], tags=["sales"])},
    "/api/v1/sales/vietqr": {"post": _op(
        "The VietQR (NAPAS/EMVCo) payload and SVG for paying part of a checkout by bank transfer",
        _resp("QR", {"type": "object", "properties": {"reference": {"type": "string"}, "payload": {"type": "string"},
                                                      "svg": {"type": "string"}, "amount_vnd": {"type": "integer"}}}),
        body={"type": "object", "required": ["till_id", "amount_vnd", "idempotency_key"], "properties": {
            "till_id": {"type": "integer"}, "amount_vnd": {"type": "integer", "minimum": 1},
            "idempotency_key": {"type": "string"}}}, tags=["sales"])},
    "/api/v1/parked-carts": {
        "get": _op("Carts parked at a till", _resp("Carts", {"type": "object"}),
                   params=[_param("till_id", schema={"type": "integer"}, required=True)], tags=["sales"]),
        "post": _op("Park a cart to serve the next customer", _resp("Parked", {"type": "object"}, "201"),
                    body={"type": "object", "required": ["till_id", "content"], "properties": {
                        "till_id": {"type": "integer"}, "label": {"type": "string"}, "content": {"type": "object"}}},
                    tags=["sales"]),
    },
    "/api/v1/parked-carts/{cart_id}/resume": {"post": _op(
        "Pick a parked cart up again (it leaves the list)", _resp("The cart", {"type": "object"}),
        params=[_param("cart_id", "path", {"type": "integer"})], tags=["sales"])},
    "/api/v1/sales/{sale_id}/reprint": {"post": _op(
        "Print a sale's slip again, marked BẢN IN LẠI", _resp("The print job", {"$ref": "#/components/schemas/PrintJob"}, "201"),
        params=[_param("sale_id", "path", {"type": "integer"})], tags=["printing"])},
    "/api/v1/prebill": {"post": _op(
        "Print a pre-bill (phiếu tạm tính) with the VietQR code for the cart's total",
        _resp("The print job", {"$ref": "#/components/schemas/PrintJob"}, "201"),
        body={"type": "object", "required": ["till_id", "lines", "idempotency_key"], "properties": {
            "till_id": {"type": "integer"}, "lines": {"type": "array"}, "order_discount_vnd": {"type": "integer"},
            "idempotency_key": {"type": "string"}}}, tags=["printing"])},
    "/api/v1/print-jobs": {"get": _op(
        "Print jobs waiting, printing or failed", _resp("Jobs", {"type": "object"}), tags=["printing"])},
    "/api/v1/print-jobs/{job_id}": {"get": _op(
        "One print job: pending, printing, done, failed (with the reason) or dismissed",
        _resp("The job", {"$ref": "#/components/schemas/PrintJob"}),
        params=[_param("job_id", "path", {"type": "integer"})], tags=["printing"])},
    "/api/v1/print-jobs/{job_id}/retry": {"post": _op(
        "Send a failed job to the printer again", _resp("The job", {"$ref": "#/components/schemas/PrintJob"}),
        params=[_param("job_id", "path", {"type": "integer"})], tags=["printing"])},
}

SCHEMAS = {
    "Error": {"type": "object", "required": ["error", "message"], "properties": {
        "error": {"type": "string"}, "message": {"type": "string"}, "field": {"type": ["string", "null"]}}},
    "Product": {"type": "object", "properties": {
        "id": {"type": "integer"}, "uuid": {"type": "string", "format": "uuid"}, "name": {"type": "string"},
        "unit": {"type": "string"}, "price_vnd": {"type": "integer", "description": "integer đồng"},
        "ocop_stars": {"type": ["integer", "null"], "minimum": 3, "maximum": 5}, "category": {"type": "string"},
        "barcodes": {"type": "array", "items": {"type": "string"}}, "stamp_code": {"type": ["string", "null"]},
        "is_active": {"type": "boolean"}, "on_hand": {"type": "integer"},
        "producer": {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}}}},
    "Producer": {"type": "object", "properties": {
        "id": {"type": "integer"}, "uuid": {"type": "string"}, "name": {"type": "string"},
        "kind": {"enum": ["htx", "company", "household", "individual"]}, "province": {"type": "string"},
        "district": {"type": "string"}, "commune": {"type": "string"}, "phone": {"type": "string"},
        "is_active": {"type": "boolean"}}},
    "NewStockDocument": {"type": "object", "required": ["kind", "lines"], "additionalProperties": False, "properties": {
        "kind": {"enum": ["receive", "return", "sample", "damage", "count"]},
        "producer_id": {"type": "integer", "description": "required for receive and return"},
        "reason": {"type": "string", "description": "required for sample and damage"},
        "lines": {"type": "array", "minItems": 1, "items": {"type": "object", "required": ["product_id", "qty"],
                  "properties": {"product_id": {"type": "integer"},
                                 "qty": {"type": "integer", "description": "units moved; for a count, units on the shelf"}}}}}},
    "NewSale": {"type": "object", "required": ["till_id", "lines", "payments"], "additionalProperties": False,
                "properties": {
        "till_id": {"type": "integer"},
        "lines": {"type": "array", "minItems": 1, "items": {"type": "object", "required": ["product_id", "qty"],
                  "properties": {"product_id": {"type": "integer"}, "qty": {"type": "integer", "minimum": 1},
                                 "discount_vnd": {"type": "integer", "minimum": 0},
                                 "stamp_code": {"type": "string"}}}},
        "order_discount_vnd": {"type": "integer", "minimum": 0},
        "payments": {"type": "array", "minItems": 1, "items": {"type": "object", "required": ["method"], "properties": {
            "method": {"enum": ["cash", "transfer", "card"]},
            "tendered_vnd": {"type": "integer", "description": "cash: what the customer handed over"},
            "amount_vnd": {"type": "integer", "description": "transfer and card"}}}},
        "manager_pin": {"type": "string", "description": "needed when the discount is above the cashier's limit"},
        "buyer_name": {"type": "string"}, "buyer_tax_code": {"type": "string"}, "note": {"type": "string"}}},
    "Sale": {"type": "object", "properties": {
        "id": {"type": "integer"}, "uuid": {"type": "string"}, "receipt_no": {"type": "string"},
        "subtotal_vnd": {"type": "integer"}, "discount_vnd": {"type": "integer"}, "total_vnd": {"type": "integer"},
        "change_vnd": {"type": "integer"}, "went_below_zero": {"type": "boolean"},
        "lines": {"type": "array", "items": {"type": "object"}}, "payments": {"type": "array", "items": {"type": "object"}}}},
    "PrintJob": {"type": "object", "properties": {
        "id": {"type": ["integer", "null"]}, "status": {"enum": ["pending", "printing", "done", "failed", "dismissed", "off"]},
        "error": {"type": "string"}, "attempts": {"type": "integer"}, "receipt_no": {"type": ["string", "null"]}}},
    "StockDocument": {"type": "object", "properties": {
        "id": {"type": "integer"}, "uuid": {"type": "string"}, "kind": {"type": "string"}, "number": {"type": "string"},
        "reason": {"type": "string"}, "producer_id": {"type": ["integer", "null"]},
        "created_at": {"type": "string", "format": "date-time"}, "created_by": {"type": "string"},
        "lines": {"type": "array", "items": {"type": "object"}}}},
}


def _area_paths() -> dict:
    from . import AREAS

    paths: dict = {}
    for area in AREAS:
        paths.update(getattr(area, "OPENAPI_PATHS", {}))
    return paths


def document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Fair POS booth API", "version": "1",
                 "description": "Log in through /login (session cookie); send the CSRF token from the page's "
                                "<meta name=csrf-token> as the X-CSRFToken header on writes. Amounts are integer đồng."},
        "paths": {**PATHS, **_area_paths()},
        "components": {"schemas": SCHEMAS},
    }



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
    "StockDocument": {"type": "object", "properties": {
        "id": {"type": "integer"}, "uuid": {"type": "string"}, "kind": {"type": "string"}, "number": {"type": "string"},
        "reason": {"type": "string"}, "producer_id": {"type": ["integer", "null"]},
        "created_at": {"type": "string", "format": "date-time"}, "created_by": {"type": "string"},
        "lines": {"type": "array", "items": {"type": "object"}}}},
}


def document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Fair POS booth API", "version": "1",
                 "description": "Log in through /login (session cookie); send the CSRF token from the page's "
                                "<meta name=csrf-token> as the X-CSRFToken header on writes. Amounts are integer đồng."},
        "paths": PATHS,
        "components": {"schemas": SCHEMAS},
    }



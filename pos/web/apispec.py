"""The checked edge of the JSON API, and the OpenAPI document generated from it.

Each /api/v1 view declares, with @endpoint, what it takes (a body model, a query model; path
parameters come from its URL rule) and what it answers (the success status and schema, and the
refusals it can give). The decorator validates the request against the models before the view
body runs, so a service never sees an unchecked value, and document() writes the OpenAPI 3.1
document from the same declarations: what is checked is what is documented.

    @api_bp.post("/sales")
    @roles(*ALL_STAFF)
    @endpoint("Record a paid sale", body=schemas.NewSale, response=schemas.SaleOut, status=201,
              errors=(409, 429), tags=["sales"])
    def create_sale(body: schemas.NewSale): ...

Refusals are answered by one function, error_response(), for every API blueprint:
{"error": <kind>, "message": <in the user's language>, "field": <e.g. "lines[0].qty" or null>}.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import wraps
from typing import Any

from flask import current_app, request
from flask.json.provider import DefaultJSONProvider
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from .access import PUBLIC
from ..db import MAX_ID
from ..errors import InvalidInput, N_

# JSON bodies of the API are small (a sale of 200 lines is ~20 KB); uploads (bank statements,
# catalogue imports) and sync batches have their own, larger limits (MAX_CONTENT_LENGTH,
# SYNC_MAX_BATCH_BYTES).
DEFAULT_MAX_JSON_BYTES = 1024 * 1024
# Deeper than any request of this API; checked while parsing, so 10 000 nested brackets are a
# 422, not a RecursionError in the parser, the validator or the JSON encoder.
MAX_JSON_DEPTH = 32


# ---- parsing ----------------------------------------------------------------------------------

class JSONTooDeep(ValueError):
    pass


def json_depth(value) -> int:
    """How deeply lists and objects nest in a parsed JSON value (iterative: no recursion limit)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            if depth > MAX_JSON_DEPTH:
                return depth
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def loads_checked(data, **kwargs):
    """json.loads, with a nesting limit; any refusal is a ValueError (never a RecursionError)."""
    try:
        value = json.loads(data, **kwargs)
    except RecursionError:
        raise JSONTooDeep("nested too deeply") from None
    if json_depth(value) > MAX_JSON_DEPTH:
        raise JSONTooDeep("nested too deeply")
    return value


class CheckedJSONProvider(DefaultJSONProvider):
    """request.get_json() for the whole app, refusing JSON nested deeper than MAX_JSON_DEPTH."""

    def loads(self, s, **kwargs):
        return loads_checked(s, **kwargs)


class IdConverter(IntegerConverter):
    """<int:...> in URLs, bounded by the database's largest id: /sales/18446744073709551616 is a 404,
    not an overflow in the driver."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):  # noqa: A002 (werkzeug's names)
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


# ---- pydantic errors in the API's words ---------------------------------------------------------

def field_name(loc: tuple) -> str:
    """('lines', 0, 'qty') -> 'lines[0].qty'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "body"


def invalid_input(err: ValidationError, prefix: str = "", *, where: str = "body") -> InvalidInput:
    """The first problem pydantic found, as InvalidInput with a message in the user's language."""
    problems = err.errors(include_url=False)
    # An unknown field is named first: it usually explains the other problems (a misspelt name).
    first = next((p for p in problems if p["type"] == "extra_forbidden"), problems[0])
    kind, ctx, value = first["type"], first.get("ctx") or {}, first.get("input")
    loc = tuple(first["loc"])
    if kind == "extra_forbidden":
        name = field_name((prefix,) + loc if prefix else loc)
        if where == "query":
            return InvalidInput(name, N_("Tham số không được hỗ trợ: %(name)s"), name=name)
        return InvalidInput(name, N_("Trường không được hỗ trợ: %(name)s"), name=name)
    # A union (e.g. "int or null") adds the branch's name to the location: drop it.
    loc = tuple(p for p in loc if p not in ("int", "str", "none", "constrained-int", "constrained-str")
                and not str(p).startswith(("function-", "literal[")))
    name = field_name((prefix,) + loc if prefix else loc)
    if kind in ("int_type", "int_parsing", "int_from_float"):
        if isinstance(value, float):
            return InvalidInput(name, N_("Phải là số nguyên, không có phần thập phân (ví dụ 2, không phải 2.0)"))
        return InvalidInput(name, N_("Phải là số nguyên"))
    if kind == "greater_than_equal":
        return InvalidInput(name, N_("Phải từ %(min)s trở lên"), min=ctx.get("ge"))
    if kind == "less_than_equal":
        return InvalidInput(name, N_("Phải không quá %(max)s"), max=ctx.get("le"))
    if kind == "missing":
        return InvalidInput(name, N_("Không được để trống"))
    if kind == "string_too_short":
        return InvalidInput(name, N_("Không được để trống"))
    if kind == "string_too_long":
        return InvalidInput(name, N_("Dài quá %(max)s ký tự"), max=ctx.get("max_length"))
    if kind == "string_type":
        return InvalidInput(name, N_("Phải là chuỗi ký tự"))
    if kind in ("literal_error", "enum"):
        return InvalidInput(name, N_("Phải là một trong: %(values)s"), values=ctx.get("expected", ""))
    if kind in ("list_type", "tuple_type"):
        return InvalidInput(name, N_("Phải là một danh sách"))
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return InvalidInput(name, N_("Phải là một đối tượng JSON"))
    if kind == "too_short":
        return InvalidInput(name, N_("Cần ít nhất %(min)s mục"), min=ctx.get("min_length"))
    if kind == "too_long":
        return InvalidInput(name, N_("Nhiều nhất %(max)s mục"), max=ctx.get("max_length"))
    if kind == "bool_type":
        return InvalidInput(name, N_("Phải là true hoặc false"))
    return InvalidInput(name, N_("Giá trị không hợp lệ"))


def validate(model: type[BaseModel], data, prefix: str = "", *, where: str = "body") -> BaseModel:
    """data checked against model (strict); InvalidInput naming the first bad field otherwise."""
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise invalid_input(err, prefix, where=where) from None


def json_body(model: type[BaseModel]) -> BaseModel:
    """The request's JSON body checked against model. 413 above the size limit; 422 when malformed."""
    request.max_content_length = current_app.config.get("API_MAX_JSON_BYTES", DEFAULT_MAX_JSON_BYTES)
    try:
        data = request.get_json(force=True, silent=False)
    except HTTPException as err:
        if err.code == 413:
            raise
        raise InvalidInput("body", N_("Nội dung phải là một đối tượng JSON hợp lệ")) from None
    if not isinstance(data, dict):
        raise InvalidInput("body", N_("Nội dung phải là một đối tượng JSON hợp lệ"))
    return validate(model, data)


def query_args(model: type[BaseModel]) -> BaseModel:
    """The query string checked against model; an integer parameter must be written in digits."""
    return validate(model, request.args.to_dict(flat=True), where="query")


# ---- declaring an operation -----------------------------------------------------------------------

@dataclass
class Operation:
    summary: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: Any = None  # a model, a JSON Schema dict, or None (no JSON body described)
    status: int = 200
    also: tuple[int, ...] = ()  # other success statuses (a replayed sale answers 200)
    errors: tuple[int, ...] = ()  # refusals beyond the ones every route of its kind can give
    tags: tuple[str, ...] = ()
    headers: tuple[tuple[str, bool, str], ...] = ()  # (name, required, description)
    body_schema: dict | None = None  # a body the view reads itself (multipart upload, sync batch)
    body_media: str = "application/json"
    description: str = ""
    security: str = "session"  # "session" (cookie + CSRF header) or "token" (a booth's Bearer token)


def endpoint(summary: str, *, body=None, query=None, response=None, status=200, also=(), errors=(), tags=(),
             headers=(), body_schema=None, body_media="application/json", description="", security="session"):
    """Declare an /api/v1 view: the decorator checks the body and query before the view runs and
    passes them as the keyword arguments `body` and `query`; document() describes the route."""
    op = Operation(summary, body, query, response, status, tuple(also), tuple(errors), tuple(tags),
                   tuple(headers), body_schema, body_media, description, security)

    def decorate(view):
        @wraps(view)
        def checked(*args, **kwargs):
            if op.query is not None:
                kwargs["query"] = query_args(op.query)
            if op.body is not None:
                kwargs["body"] = json_body(op.body)
            return view(*args, **kwargs)

        checked.api_operation = op
        return checked

    return decorate


def init_app(app) -> None:
    """Before the blueprints are registered: bounded ids in URLs, bounded JSON nesting."""
    app.url_map.converters["int"] = IdConverter
    app.json = CheckedJSONProvider(app)
    app.config.setdefault("API_MAX_JSON_BYTES", DEFAULT_MAX_JSON_BYTES)


# ---- the generated OpenAPI document -------------------------------------------------------------

ERROR_SCHEMA = {"type": "object", "required": ["error", "message"], "properties": {
    "error": {"type": "string", "description": "the kind of refusal, e.g. InvalidInput, OutOfStock"},
    "message": {"type": "string", "description": "for a person, in the user's language"},
    "field": {"type": ["string", "null"], "description": "the field refused, e.g. lines[0].qty"}}}

_STATUS_TEXT = {
    200: "OK", 201: "Created", 400: "Bad request (e.g. missing CSRF token)", 401: "Not logged in (or bad token)",
    403: "Role not allowed, or a PIN refused", 404: "Not found (an unknown id, or no booth set up)",
    409: "Refused by a rule of the booth (out of stock, fair closed, no open shift ...)",
    413: "Body over the size limit", 422: "Invalid input; `field` names it (e.g. lines[0].qty)",
    429: "Too many attempts: wait (Retry-After)", 502: "The hub refused", 503: "Busy (another till is writing) or hub unreachable",
}


class _Schemas:
    """Collects component schemas from pydantic models, so each model is written once."""

    def __init__(self):
        self.components: dict[str, dict] = {"Error": ERROR_SCHEMA}

    def ref(self, model, mode: str) -> dict:
        if model is None:
            return {}
        if isinstance(model, dict):
            return model
        schema = model.model_json_schema(mode=mode, ref_template="#/components/schemas/{model}")
        for name, sub in schema.pop("$defs", {}).items():
            self.components[name] = sub
        self.components[model.__name__] = schema
        return {"$ref": f"#/components/schemas/{model.__name__}"}


def _query_parameters(model, schemas: _Schemas) -> list[dict]:
    schema = model.model_json_schema(mode="validation", ref_template="#/components/schemas/{model}")
    for name, sub in schema.pop("$defs", {}).items():
        schemas.components[name] = sub
    required = set(schema.get("required", []))
    params = []
    for name, prop in schema.get("properties", {}).items():
        prop = dict(prop)
        description = prop.pop("description", "")
        prop.pop("title", None)
        # "integer or null" with a null default is simply an optional integer in a query string.
        if "anyOf" in prop and {"type": "null"} in prop["anyOf"] and len(prop["anyOf"]) == 2:
            default = prop.pop("default", None)
            prop = {**next(s for s in prop["anyOf"] if s != {"type": "null"})}
            if default is not None:
                prop["default"] = default
        params.append({"name": name, "in": "query", "required": name in required, "schema": prop,
                       **({"description": description} if description else {})})
    return params


def _path_parameters(rule) -> list[dict]:
    params = []
    for name, conv in rule._converters.items():  # noqa: SLF001 - werkzeug has no public list of a rule's converters
        if isinstance(conv, IntegerConverter):
            schema = {"type": "integer", "minimum": 0, "maximum": conv.max if conv.max is not None else MAX_ID}
        else:
            schema = {"type": "string", "pattern": "^[^/]+$"}
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    return params


def _openapi_path(rule) -> str:
    path = rule.rule
    for name in rule._converters:  # noqa: SLF001
        path = re.sub(r"<(?:[^:<>]+:)?%s>" % re.escape(name), "{%s}" % name, path)
    return path


def _responses(op: Operation, *, public: bool, method: str, has_path_ids: bool, schemas: _Schemas) -> dict:
    out = {}
    ok = {"description": _STATUS_TEXT.get(op.status, "OK")}
    if op.response is not None:
        ok["content"] = {"application/json": {"schema": schemas.ref(op.response, "serialization")}}
    out[str(op.status)] = ok
    for status in op.also:
        out[str(status)] = dict(ok, description=_STATUS_TEXT.get(status, "OK"))
    codes = set(op.errors)
    if not public:
        # Logged out, the wrong role, or (404) no booth set up yet / an id that names nothing.
        codes |= {401, 403, 404}
    if op.body is not None or op.body_schema is not None:
        codes |= {413, 422}
    if op.query is not None or has_path_ids or op.headers:
        codes.add(422)
    if has_path_ids:
        codes.add(404)
    if method == "post":
        # A write may meet a rule of the booth (409), another till holding the write lock (503),
        # or, from a browser session, a missing CSRF token (400).
        codes |= {409, 503}
        if op.security == "session":
            codes.add(400)
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for code in sorted(codes):
        response = {"description": _STATUS_TEXT.get(code, "Refused"), "content": error}
        if code == 429:
            response["headers"] = {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}}
        out[str(code)] = response
    return out


def document(app) -> dict:
    """The OpenAPI 3.1 document of every /api/v1 route, written from the routes' declarations."""
    schemas = _Schemas()
    paths: dict[str, dict] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith("/api/v1/"):
            continue
        view = app.view_functions[rule.endpoint]
        op: Operation | None = getattr(view, "api_operation", None)
        if op is None:
            raise RuntimeError(f"{rule.endpoint} ({rule.rule}) declares no @endpoint")
        public = PUBLIC in getattr(view, "allowed_roles", frozenset())
        path_params = _path_parameters(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            method = method.lower()
            entry = {"operationId": rule.endpoint.replace(".", "_"), "summary": op.summary, "tags": list(op.tags)}
            if op.description:
                entry["description"] = op.description
            roles = sorted(getattr(view, "allowed_roles", ()))
            entry["x-roles"] = roles
            params = list(path_params)
            if op.query is not None:
                params += _query_parameters(op.query, schemas)
            for name, required, description in op.headers:
                params.append({"name": name, "in": "header", "required": required, "description": description,
                               "schema": {"type": "string", "minLength": 1 if required else 0, "maxLength": 100}})
            if op.security == "token":
                entry["security"] = [{"boothToken": []}]
            if params:
                entry["parameters"] = params
            if op.body is not None:
                entry["requestBody"] = {"required": True, "content": {
                    "application/json": {"schema": schemas.ref(op.body, "validation")}}}
            elif op.body_schema is not None:
                entry["requestBody"] = {"required": True, "content": {op.body_media: {"schema": op.body_schema}}}
            entry["responses"] = _responses(op, public=public, method=method,
                                            has_path_ids=bool(path_params), schemas=schemas)
            paths.setdefault(_openapi_path(rule), {})[method] = entry
    return {
        "openapi": "3.1.0",
        "info": {"title": "Fair POS booth API", "version": "1", "description": (
            "Log in through /login (session cookie); send the CSRF token from the page's <meta name=csrf-token> "
            "as the X-CSRFToken header on writes. Amounts are integer đồng and quantities whole units: a JSON "
            "integer only (1.5, 1.0, \"1\" and true are refused with 422 naming the field). Unknown fields are "
            "refused. Errors: {error, message, field}.")},
        "paths": paths,
        # The login session (a cookie set by /login) is described in info, not as a security scheme:
        # it is not a value a client chooses, and each operation lists its roles in x-roles.
        "components": {"schemas": schemas.components, "securitySchemes": {
            "boothToken": {"type": "http", "scheme": "bearer", "description": "a booth's sync token (hub only)"}}},
    }

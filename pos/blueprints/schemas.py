"""What the JSON API accepts, declared once: pydantic v2 models for bodies and query strings.

The API edge (apispec.py) validates every request against these before any service runs, and
the OpenAPI document is generated from them, so the document and the checks cannot drift apart.

Why pydantic v2: its strict mode refuses, per field, exactly what a point of sale must refuse
(1.5, "1", true for an integer), it reports every error with its location (lines[0].qty), and it
writes JSON Schema (draft 2020-12, which OpenAPI 3.1 uses) from the same models.

Rules every model follows (base class Strict):
- strict=True: an integer field takes a JSON integer only. 1.5 is refused, and so is 1.0: a
  client that sends 1.0 is computing counts or amounts in floating point, where 0.1 + 0.2 is
  not 0.3 and 100000.0 may be 99999.99999; refusing it tells that client's author at once,
  instead of silently accepting most values and one day rounding a price. "1" and true are
  refused too (a string or a boolean is not a number).
- extra="forbid": an unknown field is refused by name (a misspelt "discount" must not be
  dropped silently, and "unit_price_vnd" must not look as if it were honoured).
- Every integer has bounds, ids at most MAX_ID (the database's BIGINT), so no JSON number
  reaches the database other than as sent, and none overflows a column.
"""
from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from ..db import MAX_ID
from ..money import MAX_VND
from ..services import sales, stock


class Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


# Shared field types. minimum/maximum go into the generated document too.
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Vnd = Annotated[int, Field(ge=0, le=MAX_VND, description="integer đồng")]
PositiveVnd = Annotated[int, Field(ge=1, le=MAX_VND, description="integer đồng")]
Key = Annotated[str, Field(min_length=1, max_length=100)]


def _digits(value):
    """A query-string integer: plain ASCII digits only ("12"), read as an int; anything else
    (" 12", "1.0", "1e3", "true") is left as a string for the strict int check to refuse.
    An empty parameter (?producer_id=) means "not given"."""
    if value == "":
        return None
    if isinstance(value, str) and 0 < len(value) <= 20 and value.isascii() and value.isdigit():
        return int(value)
    return value


# An id in a query string (?till_id=3): the query arrives as text, so digits are read as an int.
QueryId = Annotated[int, BeforeValidator(_digits), Field(ge=1, le=MAX_ID)]


def text(max_len: int, description: str = ""):
    return Annotated[str, Field(max_length=max_len, description=description)]


# ---- selling -------------------------------------------------------------------------------

class SaleLineIn(Strict):
    product_id: Id
    qty: Annotated[int, Field(ge=1, le=sales.MAX_QTY)]
    discount_vnd: Vnd = 0
    stamp_code: text(200, "the traceability stamp scanned for this item") | None = None

    def typed(self) -> sales.CartLine:
        return sales.CartLine(self.product_id, self.qty, self.discount_vnd, self.stamp_code)


class PaymentIn(Strict):
    method: Literal["cash", "transfer", "card"]
    tendered_vnd: PositiveVnd | None = Field(None, description="cash: what the customer handed over")
    amount_vnd: PositiveVnd | None = Field(None, description="transfer and card: the amount paid")

    def typed(self) -> sales.Tender:
        # A cash payment without tendered_vnd (or a card without amount_vnd) reaches the service as 0,
        # which refuses it naming the field.
        return sales.Tender(self.method, self.tendered_vnd or 0, self.amount_vnd or 0)


Lines = Annotated[list[SaleLineIn], Field(min_length=1, max_length=sales.MAX_LINES)]


class NewSale(Strict):
    till_id: Id
    lines: Lines
    payments: Annotated[list[PaymentIn], Field(min_length=1, max_length=10)]
    order_discount_vnd: Vnd = 0
    manager_pin: text(20, "needed when the discount is above the cashier's limit") = ""
    buyer_name: text(200, "for a producer's tax invoice") = ""
    buyer_tax_code: text(20) = ""
    note: text(500) = ""

    def typed(self) -> sales.Checkout:
        return sales.Checkout(
            till_id=self.till_id, lines=tuple(ln.typed() for ln in self.lines),
            payments=tuple(p.typed() for p in self.payments), order_discount_vnd=self.order_discount_vnd,
            manager_pin=self.manager_pin, buyer_name=self.buyer_name, buyer_tax_code=self.buyer_tax_code,
            note=self.note)


class PrebillIn(Strict):
    till_id: Id
    lines: Lines
    order_discount_vnd: Vnd = 0
    idempotency_key: Key

    def typed(self) -> sales.Cart:
        return sales.Cart(tuple(ln.typed() for ln in self.lines), self.order_discount_vnd)


class VietQRIn(Strict):
    till_id: Id
    amount_vnd: PositiveVnd
    idempotency_key: Key


class ParkCartIn(Strict):
    till_id: Id
    label: text(100) = ""
    content: dict[str, Any] = Field(description="the till's own picture of the cart, given back as sent")


class TillQuery(Strict):
    till_id: QueryId


class SalesQuery(Strict):
    day: text(10, "dd/mm/yyyy, default today") = ""
    till_id: QueryId | None = None


# ---- catalogue and stock ---------------------------------------------------------------------

class ProductsQuery(Strict):
    q: text(200, "search words; diacritics ignored (mien dong finds Miến dong)") = ""
    producer_id: QueryId | None = None
    all: Literal["0", "1"] = Field("0", description="1 to include inactive products")


class CodeQuery(Strict):
    code: Annotated[str, Field(min_length=1, max_length=500, description="what the scanner typed")]


class ProducerQuery(Strict):
    producer_id: QueryId | None = None


class DocumentsQuery(Strict):
    kind: Literal["receive", "return", "sample", "damage", "count"] | None = None


class DocumentLineIn(Strict):
    product_id: Id
    qty: Annotated[int, Field(ge=0, le=stock.MAX_LINE_QTY,
                              description="units moved (at least 1); for a count, units on the shelf")]


class NewStockDocument(Strict):
    kind: Literal["receive", "return", "sample", "damage", "count"]
    producer_id: Id | None = Field(None, description="required for receive and return")
    reason: text(500, "required for sample and damage") = ""
    lines: Annotated[list[DocumentLineIn], Field(min_length=1, max_length=1000)]

    def typed(self) -> stock.NewDocument:
        return stock.NewDocument(self.kind, tuple(stock.DocumentLine(ln.product_id, ln.qty) for ln in self.lines),
                                 self.producer_id, self.reason)

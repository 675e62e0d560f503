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
from ..services.reporting import closing
from ..services import returns, sales, shifts, stock


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


def Str(max_len: int, description: str = ""):  # noqa: N802 - reads as a type
    return Annotated[str, Field(max_length=max_len, description=description)]


# ---- selling -------------------------------------------------------------------------------

class SaleLineIn(Strict):
    product_id: Id
    qty: Annotated[int, Field(ge=1, le=sales.MAX_QTY)]
    discount_vnd: Vnd = 0
    stamp_code: Str(200, "the traceability stamp scanned for this item") | None = None

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
    manager_pin: Str(20, "needed when the discount is above the cashier's limit") = ""
    buyer_name: Str(200, "for a producer's tax invoice") = ""
    buyer_tax_code: Str(20) = ""
    note: Str(500) = ""

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
    label: Str(100) = ""
    content: dict[str, Any] = Field(description="the till's own picture of the cart, given back as sent")


class TillQuery(Strict):
    till_id: QueryId


class SalesQuery(Strict):
    day: Str(10, "dd/mm/yyyy, default today") = ""
    till_id: QueryId | None = None


# ---- catalogue and stock ---------------------------------------------------------------------

class ProductsQuery(Strict):
    q: Str(200, "search words; diacritics ignored (mien dong finds Miến dong)") = ""
    producer_id: QueryId | None = None
    all: Literal["0", "1"] = Field("0", description="1 to include inactive products")
    limit: Annotated[int, BeforeValidator(_digits), Field(ge=1, le=500, description="products per page (default 50)")] = 50
    offset: Annotated[int, BeforeValidator(_digits), Field(ge=0, le=MAX_ID, description="products to skip: the next page "
                                                           "starts at next_offset")] = 0


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
    reason: Str(500, "required for sample and damage") = ""
    lines: Annotated[list[DocumentLineIn], Field(min_length=1, max_length=1000)]

    def typed(self) -> stock.NewDocument:
        return stock.NewDocument(self.kind, tuple(stock.DocumentLine(ln.product_id, ln.qty) for ln in self.lines),
                                 self.producer_id, self.reason)


class NoQuery(Strict):
    """A route that takes no query parameter: an unknown one (a typo) is refused, not ignored."""


# ---- shifts, voids and refunds -----------------------------------------------------------------
# Each model's typed() is the value its service takes (shifts.NewShift, returns.NewRefund ...).

PIN = Str(20, "a manager's PIN (a manager doing it types their own)")


class OpenShiftIn(Strict):
    till_id: Id
    opening_float_vnd: Vnd = 0
    note: Str(500) = ""

    def typed(self) -> shifts.NewShift:
        return shifts.NewShift(self.till_id, self.opening_float_vnd, self.note)


class CashMovementIn(Strict):
    kind: Literal["in", "out"]
    amount_vnd: PositiveVnd
    reason: Annotated[str, Field(min_length=1, max_length=500)]
    manager_pin: Str(20, "needed to take out more than the booth's cash_out_limit_vnd") = ""

    def typed(self) -> shifts.CashMove:
        return shifts.CashMove(self.kind, self.amount_vnd, self.reason, self.manager_pin)


class CloseShiftIn(Strict):
    counts: dict[Annotated[str, Field(max_length=12)], Annotated[int, Field(ge=0, le=100_000)]] = Field(
        description='notes per denomination, e.g. {"500000": 2, "500": 3}', max_length=30)
    note: Str(1000) = ""

    def typed(self) -> shifts.CashCount:
        """Raises InvalidInput naming counts.<key> for a note that does not exist (422)."""
        return shifts.CashCount.of(self.counts, self.note)


class VoidIn(Strict):
    reason: Annotated[str, Field(min_length=1, max_length=500)]
    manager_pin: PIN = ""

    def typed(self) -> returns.NewVoid:
        return returns.NewVoid(self.reason, self.manager_pin)


class RefundLineIn(Strict):
    sale_line_id: Id
    qty: Annotated[int, Field(ge=1, le=100_000)]
    back_to_stock: bool = Field(True, description="false: written off as damaged")


class RefundIn(Strict):
    lines: Annotated[list[RefundLineIn], Field(min_length=1, max_length=sales.MAX_LINES)]
    reason: Annotated[str, Field(min_length=1, max_length=500)]
    method: Literal["cash", "transfer", "card"] = "cash"
    till_id: Id | None = Field(None, description="the refunding till; required for cash")
    manager_pin: PIN = ""

    def typed(self) -> returns.NewRefund:
        return returns.NewRefund(
            tuple(returns.RefundItem(ln.sale_line_id, ln.qty, ln.back_to_stock) for ln in self.lines),
            self.reason, self.method, self.till_id, self.manager_pin)


class ShiftsQuery(Strict):
    till_id: QueryId | None = None


class TillRequiredQuery(Strict):
    till_id: QueryId


# ---- reports, closing, portal, audit ------------------------------------------------------------

Day = Str(10, "dd/mm/yyyy, a Vietnam calendar day")


class RangeQuery(Strict):
    fair_id: QueryId | None = Field(None, description="default: this booth's fair, else the newest")
    start: Day = ""
    end: Day = ""


class DashboardQuery(RangeQuery):
    booth_id: QueryId | None = None


class DrillQuery(RangeQuery):
    page: Annotated[int, BeforeValidator(_digits), Field(ge=1, le=100_000)] = 1
    booth_id: QueryId | None = None
    producer_id: QueryId | None = None
    product_id: QueryId | None = None
    category: Str(100) = ""
    stars: Literal["", "0", "3", "4", "5"] = Field("", description="3, 4 or 5; 0 for not rated")
    district: Str(100) = ""
    commune: Str(201, "district|commune") = ""
    day: Day = ""
    hour: Annotated[int, BeforeValidator(_digits), Field(ge=0, le=23)] | None = None


class DailyQuery(Strict):
    day: Day = ""
    booth_id: QueryId | None = Field(None, description="organisers: any booth")


class BoothQuery(Strict):
    booth_id: QueryId | None = Field(None, description="organisers: any booth")


class CloseFairIn(Strict):
    confirm: bool
    allow_unpushed: bool = False

    def typed(self) -> closing.CloseFair:
        return closing.CloseFair(self.confirm, self.allow_unpushed)


class AuditQuery(Strict):
    action: Str(48, "e.g. auth.login_failed, or auth for every auth.* action") = ""
    user: Str(64, "who did it (or, for a failed login, the name typed)") = ""
    from_: Day = Field("", alias="from")
    to: Day = ""
    text: Annotated[str, Field(max_length=100, description="words in the target, details or address")] = ""
    before: QueryId | None = None
    limit: Annotated[int, BeforeValidator(_digits), Field(ge=1, le=1000)] | None = None


class PortalSalesQuery(RangeQuery):
    pass


class LostRecordsQuery(Strict):
    origin_db: Annotated[str, Field(min_length=1, max_length=36, description="the lost database's id (a uuid)")]
    after: Annotated[int, BeforeValidator(_digits), Field(ge=0, le=MAX_ID, description="its last sequence kept")] = 0


# ---- what the API answers (documentation, and what the fuzz test checks answers against) -------

class Out(BaseModel):
    """An answer's shape. Fields may be added later, so a client must ignore ones it does not know."""


class ProducerRef(Out):
    id: int
    name: str


class ProductOut(Out):
    id: int
    uuid: str
    name: str
    unit: str | None
    price_vnd: int = Field(description="integer đồng")
    ocop_stars: int | None = Field(description="3, 4 or 5; null when not rated")
    category: str | None
    barcodes: list[str]
    stamp_code: str | None
    is_active: bool
    producer: ProducerRef
    on_hand: int | None = None
    scanned_stamp_code: str | None = None


class ProductsOut(Out):
    products: list[ProductOut]


class ProducerOut(Out):
    id: int
    uuid: str
    name: str
    kind: str
    province: str | None
    district: str | None
    commune: str | None
    phone: str | None
    is_active: bool


class ProducersOut(Out):
    producers: list[ProducerOut]


class DocumentLineOut(Out):
    product_id: int
    product: str
    qty: int
    counted_qty: int | None


class StockDocumentOut(Out):
    id: int
    uuid: str
    kind: Literal["receive", "return", "sample", "damage", "count"]
    number: str
    reason: str
    producer_id: int | None
    created_at: str
    created_by: str
    lines: list[DocumentLineOut]


class StockDocumentsOut(Out):
    documents: list[StockDocumentOut]


class SaleLineOut(Out):
    product_id: int
    name: str
    qty: int
    unit_price_vnd: int
    line_discount_vnd: int
    order_discount_vnd: int
    net_vnd: int
    stamp_code: str | None


class PaymentOut(Out):
    method: Literal["cash", "transfer", "card"]
    amount_vnd: int
    tendered_vnd: int
    change_vnd: int
    reference: str | None


class PrintJobRef(Out):
    id: int | None
    status: str
    error: str | None = None


class SaleOut(Out):
    id: int
    uuid: str
    receipt_no: str
    till_id: int
    created_at: str
    cashier: str
    subtotal_vnd: int
    discount_vnd: int
    total_vnd: int
    change_vnd: int
    went_below_zero: bool
    buyer_name: str | None
    buyer_tax_code: str | None
    lines: list[SaleLineOut]
    payments: list[PaymentOut]
    print_job: PrintJobRef | None = Field(None, description="the receipt's print job (new sales only)")


class SalesOut(Out):
    sales: list[SaleOut]


class PrintJobOut(Out):
    id: int
    kind: str
    sale_id: int | None
    status: Literal["pending", "printing", "done", "failed", "dismissed"]
    status_label: str
    attempts: int
    error: str | None
    receipt_no: str | None


class PrintJobsOut(Out):
    jobs: list[PrintJobOut]


class VietQROut(Out):
    reference: str
    payload: str
    amount_vnd: int
    bank_bin: str | None
    bank_account: str | None
    account_name: str | None
    svg: str


class ParkedCartOut(Out):
    id: int
    label: str
    created_at: str
    total_vnd: Any = None
    lines_count: int


class ParkedCartsOut(Out):
    carts: list[ParkedCartOut]


class CreatedOut(Out):
    id: int


class CartContentOut(Out):
    content: dict[str, Any]

"""Selling: a paid sale written whole in one transaction, never lost and never doubled."""
from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Iterable, Mapping

from sqlalchemy import bindparam, func, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm.attributes import set_committed_value

from .. import vietqr
from ..db import MAX_ID, booth_row, get_row, insert_records, of_booth
from ..errors import (N_, DiscountOverLimit, FairClosed, IdempotencyConflict, InvalidInput, NoOpenShift, OutOfStock,
                      Underpaid, UnknownProduct)
from ..models import Booth, Fair, ParkedCart, Payment, Product, Sale, SaleLine, Shift, StockMovement, Till
from ..models.fair import ensure_open
from ..models.identity import stamp
from ..money import MAX_VND, allocate, format_percent_bp, format_vnd
from ..printing import ReceiptData, ReceiptLine
from ..timeutil import local_day_bounds, to_local, utcnow
from . import audit, numbering, sales_summary, stock, users
from .catalogue import search_products
from .typed import text as checked_text, whole

MAX_LINES = 200
MAX_QTY = 10_000
PAYMENT_METHODS = ("cash", "transfer", "card")


# The typed values a checkout is made of. The JSON API builds them from its checked schemas
# (web/schemas.py), the demo and the tests build them directly; the service never sees a
# request. They hold Python ints, and the service still checks each is a true int in range
# (whole()), so a float from any caller is refused instead of being stored.
@dataclass(frozen=True)
class CartLine:
    product_id: int
    qty: int
    discount_vnd: int = 0
    stamp_code: str | None = None


@dataclass(frozen=True)
class Tender:
    """One way the customer pays: cash (tendered_vnd handed over) or transfer/card (amount_vnd)."""

    method: str
    tendered_vnd: int = 0
    amount_vnd: int = 0


@dataclass(frozen=True)
class Cart:
    """Lines and an order discount, not yet paid: what price_cart and a pre-bill need."""

    lines: tuple[CartLine, ...]
    order_discount_vnd: int = 0

    @classmethod
    def of(cls, lines: Iterable, order_discount_vnd: int = 0) -> "Cart":
        return cls(_cart_lines(lines), order_discount_vnd)


@dataclass(frozen=True)
class Checkout:
    """A paid sale as the till asks for it."""

    till_id: int
    lines: tuple[CartLine, ...]
    payments: tuple[Tender, ...]
    order_discount_vnd: int = 0
    manager_pin: str = field(default="", repr=False)
    buyer_name: str = ""
    buyer_tax_code: str = ""
    note: str = ""

    @classmethod
    def of(cls, *, till_id: int, lines: Iterable, payments: Iterable, **rest) -> "Checkout":
        """A checkout from lines and payments given as CartLine/Tender or as keyword mappings.

        For the demo, the CLI and tests: a mapping's keys must be the dataclass's fields
        (TypeError otherwise); nothing is converted.
        """
        tenders = tuple(p if isinstance(p, Tender) else Tender(**p) for p in payments)
        return cls(till_id=till_id, lines=_cart_lines(lines), payments=tenders, **rest)


def _cart_lines(lines: Iterable) -> tuple[CartLine, ...]:
    return tuple(ln if isinstance(ln, CartLine) else CartLine(**ln) for ln in lines)


@dataclass
class CheckoutResult:
    sale: Sale
    is_replay: bool  # the same key and content came again: this is the sale already made


def transfer_reference(booth: Booth, till: Till, idempotency_key: str) -> str:
    """The short payment reference a VietQR transfer carries, known before the sale exists.

    Booth and till codes plus six characters derived from the checkout's key, letters
    and digits only (banks strip the rest): the same checkout always gets the same
    reference, so the QR shown and the sale recorded agree without storing anything.
    """
    digest = hashlib.sha256(idempotency_key.encode()).digest()
    code = base64.b32encode(digest).decode()[:6]
    return vietqr.normalise_reference(f"{booth.code}{till.code}{code}")[:25]


def vietqr_for_checkout(session, booth: Booth, till: Till, amount_vnd: int, idempotency_key: str) -> dict:
    """The VietQR payload and reference for paying amount_vnd of this checkout by bank transfer.

    Raises InvalidInput (amount 0, no key, booth without a bank account).
    """
    amount = whole(amount_vnd, "amount_vnd", minimum=1, maximum=MAX_VND)
    key = _key(idempotency_key)
    if not (booth.bank_bin and booth.bank_account):
        raise InvalidInput("bank_account", "Gian hàng chưa cài đặt tài khoản ngân hàng cho VietQR")
    reference = transfer_reference(booth, till, key)
    try:
        payload = vietqr.build_payload(booth.bank_bin, booth.bank_account, amount, reference)
    except vietqr.VietQRError as err:
        raise InvalidInput(err.field or "amount_vnd", err.message) from None
    return {"reference": reference, "payload": payload, "amount_vnd": amount, "bank_bin": booth.bank_bin,
            "bank_account": booth.bank_account, "account_name": booth.bank_account_name}


def _key(idempotency_key) -> str:
    key = str(idempotency_key or "").strip()
    if not key:
        raise InvalidInput("Idempotency-Key", "Thiếu khóa chống trùng (Idempotency-Key)")
    if len(key) > 100:
        raise InvalidInput("Idempotency-Key", "Khóa chống trùng dài quá 100 ký tự")
    return key


def _digest(checkout: Checkout) -> str:
    """The fingerprint of a checkout's content (its PIN left out) that a replayed key must match."""
    # What dataclasses.asdict() gave (the stored digests were made from it), without its deep copying.
    content = {**vars(checkout), "lines": [vars(line) for line in checkout.lines],
               "payments": [vars(p) for p in checkout.payments]}
    del content["manager_pin"]
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def _check_lines(lines) -> list[CartLine]:
    if not lines:
        raise InvalidInput("lines", "Giỏ hàng đang trống")
    if len(lines) > MAX_LINES:
        raise InvalidInput("lines", "Quá nhiều dòng trong một đơn")
    for i, line in enumerate(lines):
        if not isinstance(line, CartLine):
            raise InvalidInput(f"lines[{i}]", "Dòng hàng không hợp lệ")
        whole(line.product_id, f"lines[{i}].product_id", minimum=1, maximum=MAX_ID)
        whole(line.qty, f"lines[{i}].qty", minimum=1, maximum=MAX_QTY)
        whole(line.discount_vnd, f"lines[{i}].discount_vnd", minimum=0, maximum=MAX_VND)
        checked_text(line.stamp_code, f"lines[{i}].stamp_code", max_len=200)
    return list(lines)


def _check_payments(payments) -> list[Tender]:
    if not payments:
        raise InvalidInput("payments", "Chưa chọn cách thanh toán")
    for i, p in enumerate(payments):
        if not isinstance(p, Tender) or p.method not in PAYMENT_METHODS:
            raise InvalidInput(f"payments[{i}].method", "Cách thanh toán không hợp lệ")
        if p.method == "cash":
            whole(p.tendered_vnd, f"payments[{i}].tendered_vnd", minimum=1, maximum=MAX_VND)
        else:
            whole(p.amount_vnd, f"payments[{i}].amount_vnd", minimum=1, maximum=MAX_VND)
    if sum(1 for p in payments if p.method == "cash") > 1:
        raise InvalidInput("payments", "Chỉ một khoản tiền mặt cho mỗi đơn")
    # The transfer reference is made from the checkout's key: a second transfer would carry the same
    # reference and could not be told apart on the bank statement.
    if sum(1 for p in payments if p.method == "transfer") > 1:
        raise InvalidInput("payments", "Chỉ một lần chuyển khoản cho mỗi đơn: gộp thành một mã QR, phần còn lại trả "
                                       "bằng tiền mặt hoặc thẻ")
    return list(payments)


def _existing(session, key: str, digest: str) -> Sale | None:
    sale = session.scalars(select(Sale).where(Sale.idempotency_key == key)).first()
    if sale is not None and sale.request_digest != digest:
        raise IdempotencyConflict()
    return sale


def record_sale(session, booth: Booth, cashier, checkout: Checkout, idempotency_key) -> CheckoutResult:
    """Record a paid sale and take its items out of stock, all in the caller's one transaction.

    The same key with the same content returns the sale already made (a double
    click or a retry never makes two sales); the same key with other content is
    refused. A discount above the cashier's limit needs a manager's PIN.
    Raises InvalidInput, UnknownProduct, OutOfStock, Underpaid, DiscountOverLimit,
    WrongPin, IdempotencyConflict, NotFound, NoOpenShift (the till has no open shift), FairClosed.
    """
    key, digest = _key(idempotency_key), _digest(checkout)
    till, shift_id, replay = _till_for_checkout(session, booth, checkout.till_id, key, digest)
    if replay is not None:
        return CheckoutResult(replay, True)
    lines = _check_lines(checkout.lines)
    payments = _check_payments(checkout.payments)
    cart = price_cart(session, checkout, on_hand_at=booth.id)
    approver = _approve_discount(session, booth, cashier, cart.subtotal_vnd,
                                 cart.line_discount_vnd + cart.order_discount_vnd, checkout.manager_pin)
    cash_due = _cash_due(cart.total_vnd, payments)
    went_below_zero = _check_stock(session, booth, lines, cart)

    number, series, receipt_no = numbering.next_receipt(session, booth, till)
    # The user record itself (also when given as flask_login's current_user proxy); its id as loaded,
    # without reading the user again.
    cashier_state = sa_inspect(cashier)
    cashier_id = cashier_state.identity[0]
    sale = Sale(
        booth_id=booth.id, till=till, shift_id=shift_id, number=number, series=series, receipt_no=receipt_no,
        cashier_id=cashier_id, subtotal_vnd=cart.subtotal_vnd, line_discount_vnd=cart.line_discount_vnd,
        order_discount_vnd=cart.order_discount_vnd, total_vnd=cart.total_vnd, idempotency_key=key,
        request_digest=digest, discount_approved_by_id=approver.id if approver else None,
        buyer_name=checked_text(checkout.buyer_name, "buyer_name", max_len=200),
        buyer_tax_code=_tax_code(checkout.buyer_tax_code), note=checked_text(checkout.note, "note", max_len=500),
        went_below_zero=went_below_zero,
    )
    _add_lines_and_movements(sale, cart, cashier_id)
    _add_payments(sale, booth, till, key, payments, cash_due)
    # Stamped before they are written, so no record is written without its sequence number.
    records = [sale, *(r for pair in zip(sale.lines, sale.movements) for r in pair), *sale.payments]
    stamp(session, *records, assign_keys=(Sale, SaleLine, StockMovement, Payment))
    insert_records(session, [sale], sale.lines, sale.movements, sale.payments)
    set_committed_value(sale, "cashier", cashier_state.obj())  # the answer names the cashier: no lookup
    sales_summary.add_new_sale(session, sale, {pid: p.producer_id for pid, p in cart.products.items()})
    if approver is not None and approver.id != cashier.id:
        audit.record(session, cashier, "discount.over_limit", sale.receipt_no, approver=approver.username,
                     discount_vnd=cart.line_discount_vnd + cart.order_discount_vnd, subtotal_vnd=cart.subtotal_vnd)
    return CheckoutResult(sale, False)


# The checkout's statements are built once (with bound parameters), not for every sale: building
# SQLAlchemy expressions cost a checkout more than running them.
@cache
def _till_statement():
    made_with_key = select(Sale.id).where(Sale.idempotency_key == bindparam("key")).scalar_subquery()
    # The till as a record (the sale points at it); of the shift and the fair only what is checked.
    return (select(Till, Shift.id, Fair.closed_at, made_with_key)
            .join(Booth, Booth.id == Till.booth_id).join(Fair, Fair.id == Booth.fair_id)
            .outerjoin(Shift, (Shift.till_id == Till.id) & Shift.closed_at.is_(None))
            .where(Till.id == bindparam("till_id"))
            .order_by(Shift.id.desc())
            .limit(1)
            .with_for_update(of=Till))


@cache
def _products_statement(with_stock: bool):
    """The cart's products (ids: an expanding parameter), row-locked, with their stock at booth_id if asked."""
    stmt = (select(Product).where(Product.id.in_(bindparam("ids", expanding=True))).order_by(Product.id)
            .with_for_update())
    return stmt.add_columns(stock.on_hand_column(bindparam("booth_id"))) if with_stock else stmt


def _till_for_checkout(session, booth: Booth, till_id, key: str, digest: str):
    """(till, the id of its open shift, None), or (None, None, the sale already made with this key) for a retry.

    Read in one statement inside the write lock: the till (row-locked where rows lock), its open
    shift, the id of a sale made with this key, and whether the booth's fair is closed, read again
    so that a fair closed a moment ago refuses the sale.
    Raises FairClosed, IdempotencyConflict, NotFound, NoOpenShift.
    """
    till_id = whole(till_id, "till_id", minimum=1, maximum=MAX_ID)
    row = session.execute(_till_statement(), {"till_id": till_id, "key": key}).first()
    till, shift_id, fair_closed_at, made_id = row if row is not None else (None, None, None, None)
    if row is None:
        ensure_open(booth)  # no such till: the booth's fair still answers first, as for every write
    elif fair_closed_at is not None:
        raise FairClosed()
    if (row is None or made_id is not None) and (sale := _existing(session, key, digest)) is not None:
        return None, None, sale
    of_booth(till, booth, N_("Không tìm thấy quầy bán hàng"), field="till_id", check=lambda t: t.is_active)
    # Every sale belongs to its till's open cash shift, so the shift's count can be checked against it.
    if shift_id is None:
        raise NoOpenShift(till=till.code)
    return till, shift_id, None


def _cash_due(total: int, payments: list[Tender]) -> int:
    """What the customer pays in cash: the total less transfers and cards. Raises InvalidInput, Underpaid."""
    paid_other = sum(p.amount_vnd for p in payments if p.method != "cash")
    cash = next((p for p in payments if p.method == "cash"), None)
    if paid_other > total:
        raise InvalidInput("payments", "Chuyển khoản và thẻ vượt quá số tiền phải trả")
    cash_due = total - paid_other
    if cash_due > 0 and (cash is None or cash.tendered_vnd < cash_due):
        paid = paid_other + (cash.tendered_vnd if cash else 0)
        raise Underpaid(paid=format_vnd(paid), missing=format_vnd(total - paid))
    if cash is not None and cash_due == 0:
        raise InvalidInput("payments", "Đơn đã được trả đủ, không cần tiền mặt")
    return cash_due


def _check_stock(session, booth: Booth, lines: list[CartLine], cart: PricedCart) -> bool:
    """Whether the sale takes a product below zero, which only a booth that allows it accepts.

    The write lock is already held (BEGIN IMMEDIATE / FOR UPDATE), so the levels hold until commit.
    Raises OutOfStock.
    """
    wanted: dict[int, int] = {}
    for line in lines:
        wanted[line.product_id] = wanted.get(line.product_id, 0) + line.qty
    levels = cart.on_hand if cart.on_hand is not None else stock.on_hand(session, booth.id, list(wanted))
    went_below_zero = False
    for pid, qty in wanted.items():
        if qty > levels.get(pid, 0):
            if not booth.allow_negative_stock:
                raise OutOfStock(product=cart.products[pid].name, on_hand=levels.get(pid, 0), qty=qty)
            went_below_zero = True
    return went_below_zero


def _add_lines_and_movements(sale: Sale, cart: PricedCart, cashier_id: int) -> None:
    """A sale line and a 'sale' stock movement per cart line, at the catalogue's prices."""
    # The order discount is shared over the lines to the đồng, so each producer's net sales add up.
    shares = allocate(cart.order_discount_vnd, [line.qty * cart.products[line.product_id].price_vnd
                                                - line.discount_vnd for line in cart.lines])
    for line, share in zip(cart.lines, shares):
        product = cart.products[line.product_id]
        gross = line.qty * product.price_vnd
        sale.lines.append(SaleLine(
            booth_id=sale.booth_id, product_id=product.id, product_name=product.name, qty=line.qty,
            unit_price_vnd=product.price_vnd, line_discount_vnd=line.discount_vnd, order_discount_vnd=share,
            net_vnd=gross - line.discount_vnd - share, stamp_code=(line.stamp_code or "").strip() or None,
        ))
        sale.movements.append(StockMovement(booth_id=sale.booth_id, product_id=product.id, kind="sale",
                                            qty=-line.qty, reason=sale.receipt_no, created_by_id=cashier_id))


def _add_payments(sale: Sale, booth: Booth, till: Till, key: str, payments: list[Tender], cash_due: int) -> None:
    """The sale's payments; a transfer carries the reference and VietQR the customer was shown."""
    for p in payments:
        if p.method == "cash":
            payment = Payment(booth_id=booth.id, method="cash", amount_vnd=cash_due, tendered_vnd=p.tendered_vnd,
                              change_vnd=p.tendered_vnd - cash_due)
        elif p.method == "transfer":
            reference = transfer_reference(booth, till, key)
            payload = ""
            if booth.bank_bin and booth.bank_account:
                payload = vietqr.build_payload(booth.bank_bin, booth.bank_account, p.amount_vnd, reference)
            payment = Payment(booth_id=booth.id, method="transfer", amount_vnd=p.amount_vnd,
                              reference=reference, qr_payload=payload)
        else:
            payment = Payment(booth_id=booth.id, method="card", amount_vnd=p.amount_vnd)
        sale.payments.append(payment)


@dataclass
class PricedCart:
    products: dict[int, Product]
    lines: list[CartLine]
    subtotal_vnd: int
    line_discount_vnd: int
    order_discount_vnd: int
    total_vnd: int
    on_hand: dict[int, int] | None = None  # {product id: on hand}, when read with the products


def price_cart(session, cart: Cart | Checkout, *, on_hand_at: int | None = None) -> PricedCart:
    """Price a cart from the catalogue (never from the client), with its discounts, writing nothing.

    on_hand_at: a booth whose stock of the cart's products is read in the same statement, on SQLite
    only. There the write lock is held from BEGIN IMMEDIATE on; on PostgreSQL the stock must be read
    by a statement of its own after the row locks below are granted, since a statement's snapshot
    is taken before it waits for a lock.
    Raises InvalidInput, UnknownProduct.
    """
    lines = _check_lines(cart.lines)
    wanted_ids = sorted({line.product_id for line in lines})
    # One query for all the cart's products. FOR UPDATE: on PostgreSQL two writers on one product
    # queue here (SQLite's BEGIN IMMEDIATE already serialises them); sorted ids avoid deadlocks.
    with_stock = on_hand_at is not None and session.get_bind().dialect.name == "sqlite"
    params = {"ids": wanted_ids, "booth_id": on_hand_at} if with_stock else {"ids": wanted_ids}
    rows = session.execute(_products_statement(with_stock), params).all()
    products = {row[0].id: row[0] for row in rows}
    on_hand = {row[0].id: int(row[1]) for row in rows} if with_stock else None
    for pid in wanted_ids:
        if pid not in products or not products[pid].is_active:
            raise UnknownProduct(code=pid)
    subtotal = line_discount = 0
    for i, line in enumerate(lines):
        gross = line.qty * products[line.product_id].price_vnd
        if line.discount_vnd > gross:
            raise InvalidInput(f"lines[{i}].discount_vnd", "Giảm giá lớn hơn tiền hàng của dòng")
        subtotal += gross
        line_discount += line.discount_vnd
    if subtotal > MAX_VND:
        raise InvalidInput("lines", "Tổng đơn quá lớn")
    order_discount = whole(cart.order_discount_vnd, "order_discount_vnd", minimum=0, maximum=MAX_VND)
    if order_discount > subtotal - line_discount:
        raise InvalidInput("order_discount_vnd", "Giảm giá lớn hơn tiền hàng")
    return PricedCart(products, lines, subtotal, line_discount, order_discount,
                      subtotal - line_discount - order_discount, on_hand)


def _tax_code(value) -> str:
    code = checked_text(value, "buyer_tax_code", max_len=20).replace(" ", "")
    # Vietnamese tax codes: 10 digits, or 10 digits, a dash and 3 more for a branch.
    if code and not (code.isdigit() and len(code) in (10, 12, 13)) and not (
            len(code) == 14 and code[10] == "-" and (code[:10] + code[11:]).isdigit()):
        raise InvalidInput("buyer_tax_code", "Mã số thuế gồm 10 chữ số (hoặc 10 số, gạch ngang, 3 số)")
    return code


def _approve_discount(session, booth: Booth, cashier, subtotal: int, discount: int, manager_pin: str):
    """The manager who approved a discount above the cashier's limit, or None when none was needed.

    A manager or organiser at the till approves their own discounts.
    Raises DiscountOverLimit (no PIN) and WrongPin.
    """
    if discount == 0 or discount * 10000 <= subtotal * booth.cashier_discount_limit_bp:
        return None
    if cashier.role in ("manager", "organiser"):
        return cashier
    pin = str(manager_pin or "")
    if not pin:
        raise DiscountOverLimit(limit=format_percent_bp(booth.cashier_discount_limit_bp) + " %")
    return users.verify_manager_pin(session, pin)


def prebill(session, booth: Booth, till: Till, cashier, cart: Cart, idempotency_key: str):
    """A pre-bill (phiếu tạm tính) for a cart not yet paid, with the VietQR for its total.

    Returns (ReceiptData, qr dict). Writes nothing. Raises InvalidInput, UnknownProduct.
    """
    priced = price_cart(session, cart)
    qr = vietqr_for_checkout(session, booth, till, priced.total_vnd, idempotency_key)
    products = priced.products
    lines = [ReceiptLine(name=products[ln.product_id].name, qty=ln.qty,
                         unit_price_vnd=products[ln.product_id].price_vnd,
                         line_total_vnd=ln.qty * products[ln.product_id].price_vnd - ln.discount_vnd,
                         line_discount_vnd=ln.discount_vnd, ocop_stars=products[ln.product_id].ocop_stars)
             for ln in priced.lines]
    bill = ReceiptData(fair_name=booth.fair.name, booth_name=booth.name, receipt_no="", created_at=to_local(utcnow()),
                       till_name=till.name, cashier_name=cashier.full_name, lines=lines, total_vnd=priced.total_vnd,
                       order_discount_vnd=priced.order_discount_vnd, footer=booth.receipt_footer,
                       organisation=booth.organisation, address=booth.address, phone=booth.phone,
                       tax_code=booth.tax_code)
    return bill, qr


def get_sale(session, booth: Booth, sale_id) -> Sale:
    return booth_row(session, Sale, booth, sale_id, N_("Không tìm thấy đơn hàng"))


def list_sales(session, booth: Booth, *, till_id=None, day: date | None = None, limit=500) -> list[Sale]:
    """Sales of a booth, newest first, optionally for one till and one Vietnam calendar day."""
    stmt = select(Sale).where(Sale.booth_id == booth.id)
    if till_id:
        stmt = stmt.where(Sale.till_id == int(till_id))
    if day:
        start, end = local_day_bounds(day)
        stmt = stmt.where(Sale.created_at >= start, Sale.created_at < end)
    return list(session.scalars(stmt.order_by(Sale.id.desc()).limit(limit)))


def best_sellers(session, booth: Booth, limit: int = 12) -> list[tuple[Product, int]]:
    """The products sold most at this booth (units), topped up with other active products in stock."""
    sold = session.execute(
        select(SaleLine.product_id, func.sum(SaleLine.qty).label("units"))
        .where(SaleLine.booth_id == booth.id).group_by(SaleLine.product_id)
        .order_by(func.sum(SaleLine.qty).desc()).limit(limit)
    ).all()
    levels = stock.on_hand(session, booth.id)
    chosen: list[Product] = []
    for pid, _units in sold:
        product = session.get(Product, pid)
        if product is not None and product.is_active:
            chosen.append(product)
    if len(chosen) < limit:
        for product in sorted(search_products(session), key=lambda p: -levels.get(p.id, 0)):
            if product not in chosen:
                chosen.append(product)
            if len(chosen) >= limit:
                break
    return [(p, levels.get(p.id, 0)) for p in chosen[:limit]]


def park_cart(session, till: Till, cashier, label: str, content: Mapping) -> ParkedCart:
    """Put a cart aside at a till to serve the next customer.

    content is the till's own picture of the cart (a JSON object), kept as sent and given back on resume.
    Raises InvalidInput.
    """
    ensure_open(till.booth)
    if not isinstance(content, Mapping):
        raise InvalidInput("content", "Giỏ hàng không hợp lệ")
    text = json.dumps(content, ensure_ascii=False)
    if len(text) > 200_000:
        raise InvalidInput("content", "Giỏ hàng quá lớn")
    label = checked_text(label, "label", max_len=10_000)[:100]
    cart = ParkedCart(till_id=till.id, label=label, content=text, created_by_id=cashier.id)
    session.add(cart)
    session.flush()
    return cart


def parked_carts(session, till: Till) -> list[ParkedCart]:
    return list(session.scalars(select(ParkedCart).where(ParkedCart.till_id == till.id).order_by(ParkedCart.id)))


def resume_cart(session, booth: Booth, cart_id) -> dict:
    """Take a parked cart back, at any till of the booth (it leaves the parked list). Raises NotFound."""
    ensure_open(booth)
    cart = get_row(session, ParkedCart, cart_id)
    # A parked cart belongs to a till: the till says whose it is.
    of_booth(cart and session.get(Till, cart.till_id), booth, N_("Không tìm thấy giỏ hàng đã tạm giữ"))
    content = json.loads(cart.content)
    session.delete(cart)
    session.flush()
    return content

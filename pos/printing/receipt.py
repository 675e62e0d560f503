"""What a receipt says: plain dataclasses describing a sale, and the slips built from them.

No ORM here: the sales service copies a committed sale into `ReceiptData`
(integer đồng everywhere), and `build_receipt` / `build_prebill` turn it into a
`Slip` that any printing mode can print or preview.

The slip is a "PHIẾU THANH TOÁN" (payment slip), never a "HÓA ĐƠN": in Vietnam
that word means a tax invoice, which the producers issue themselves from the
buyer's name and tax code printed here.

OCOP stars are written as "★" characters ("Mật ong rừng (OCOP ★★★)"). Image mode
prints the stars; the text modes print "(OCOP 3*)", because no code page has a
star and "3*" keeps the rating readable and short.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Optional, Sequence
from zoneinfo import ZoneInfo

from pos.money import format_vnd

from .layout import NBSP, Slip

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")

RECEIPT_TITLE = "PHIẾU THANH TOÁN"
PREBILL_TITLE = "PHIẾU TẠM TÍNH"
REPRINT_MARK = "BẢN IN LẠI"
STAR = "★"


@dataclass(frozen=True)
class ReceiptLine:
    """One sold product.

    line_total_vnd is what the customer pays for the line before the order
    discount: qty × unit_price_vnd − line_discount_vnd.
    """

    name: str
    qty: int
    unit_price_vnd: int
    line_total_vnd: int
    line_discount_vnd: int = 0
    ocop_stars: Optional[int] = None
    stamp_code: Optional[str] = None  # the traceability stamp scanned for this line, printed under it


@dataclass(frozen=True)
class ReceiptPayment:
    """One payment of the sale.

    method is the label printed ("Tiền mặt", "Chuyển khoản", "Thẻ"). For cash,
    tendered_vnd and change_vnd are what the customer handed over and got back;
    for a transfer, reference is the bank's transaction reference or the
    transfer message the customer used.
    """

    method: str
    amount_vnd: int
    tendered_vnd: Optional[int] = None
    change_vnd: Optional[int] = None
    reference: Optional[str] = None


@dataclass(frozen=True)
class ReceiptData:
    """A sale as printed on its slip.

    created_at and reprinted_at are shown as dd/mm/yyyy HH:MM in Vietnam time: an
    aware datetime is converted to Asia/Ho_Chi_Minh, a naive one is taken as
    already Vietnam wall-clock time. total_vnd is the sum of the line totals
    minus order_discount_vnd. buyer_name / buyer_tax_code are set when the
    customer wants a VAT invoice from the producer.
    """

    fair_name: str
    booth_name: str
    receipt_no: str
    created_at: datetime
    till_name: str
    cashier_name: str
    lines: Sequence[ReceiptLine]
    total_vnd: int
    order_discount_vnd: int = 0
    payments: Sequence[ReceiptPayment] = ()
    buyer_name: Optional[str] = None
    buyer_tax_code: Optional[str] = None
    footer: str = ""
    reprinted_at: Optional[datetime] = None
    # The booth's header, from its settings: the HTX or group selling, address, phone, tax code.
    organisation: str = ""
    address: str = ""
    phone: str = ""
    tax_code: str = ""


def amount(value_vnd: int) -> str:
    """format_vnd with a no-break space, so "120.000 ₫" never wraps between number and sign."""
    return format_vnd(value_vnd).replace(" ", NBSP)


def format_slip_time(moment: datetime) -> str:
    """dd/mm/yyyy HH:MM in Vietnam time (see ReceiptData for naive datetimes)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(VIETNAM)
    return moment.strftime("%d/%m/%Y %H:%M")


def item_name(line: ReceiptLine) -> str:
    """The product name with its OCOP rating: "Mật ong rừng (OCOP ★★★)"."""
    stars = line.ocop_stars
    if stars and 1 <= stars <= 5:
        return f"{line.name} (OCOP{NBSP}{STAR * stars})"
    return line.name


def _header(slip: Slip, data: ReceiptData, title: str) -> None:
    slip.title(title)
    if data.fair_name:
        slip.text(data.fair_name, align="center")
    if data.booth_name:
        slip.text(data.booth_name, align="center", bold=True)
    for text in (data.organisation, data.address, f"ĐT: {data.phone}" if data.phone else "",
                 f"MST: {data.tax_code}" if data.tax_code else ""):
        if text:
            slip.text(text, align="center")
    slip.separator()
    if data.receipt_no:
        slip.row("Số phiếu:", data.receipt_no)
    slip.row("Ngày:", format_slip_time(data.created_at))
    till = f"Quầy: {data.till_name}" if data.till_name else ""
    cashier = f"Thu ngân: {data.cashier_name}" if data.cashier_name else ""
    if till or cashier:
        slip.row(till or cashier, cashier if till else "")
    slip.separator()


def _lines_and_total(slip: Slip, data: ReceiptData) -> None:
    for line in data.lines:
        gross = line.qty * line.unit_price_vnd
        slip.item(item_name(line), line.qty, amount(line.unit_price_vnd),
                  amount(gross if line.line_discount_vnd else line.line_total_vnd))
        if line.line_discount_vnd:
            slip.row("  Giảm giá", amount(-line.line_discount_vnd))
        if line.stamp_code:
            slip.text(f"  Tem: {line.stamp_code}")
    slip.separator()
    if data.order_discount_vnd:
        slip.row("Cộng tiền hàng", amount(sum(line.line_total_vnd for line in data.lines)))
        slip.row("Giảm giá đơn hàng", amount(-data.order_discount_vnd))
    slip.row("TỔNG CỘNG", amount(data.total_vnd), bold=True)


def build_receipt(data: ReceiptData) -> Slip:
    """The "PHIẾU THANH TOÁN" slip of a completed sale, ending with a cut.

    Header (fair, booth, its HTX or group, address, phone and tax code when set,
    number, date/time, till, cashier), each line with its OCOP stars, discount and
    the traceability stamp scanned for it, the order discount, "TỔNG CỘNG", each payment (with
    "Tiền khách đưa" / "Tiền thừa" for cash and the transfer reference), the
    buyer's VAT invoice details when given, the footer, and "BẢN IN LẠI
    dd/mm/yyyy HH:MM" on a reprint. Raises nothing for odd text or amounts.
    """
    slip = Slip()
    _header(slip, data, RECEIPT_TITLE)
    _lines_and_total(slip, data)
    if data.payments:
        slip.separator()
    for payment in data.payments:
        slip.row(payment.method, amount(payment.amount_vnd))
        if payment.tendered_vnd is not None:
            slip.row("  Tiền khách đưa", amount(payment.tendered_vnd))
        if payment.change_vnd is not None:
            slip.row("  Tiền thừa", amount(payment.change_vnd))
        if payment.reference:
            slip.text(f"  Mã giao dịch: {payment.reference}")
    if data.buyer_name or data.buyer_tax_code:
        slip.separator()
        buyer = ", ".join(part for part in (
            data.buyer_name,
            f"MST {data.buyer_tax_code}" if data.buyer_tax_code else "",
        ) if part)
        slip.text(f"Thông tin xuất hóa đơn VAT: {buyer}")
    if data.footer:
        slip.blank()
        slip.text(data.footer, align="center")
    if data.reprinted_at is not None:
        slip.blank()
        slip.text(f"{REPRINT_MARK} {format_slip_time(data.reprinted_at)}", align="center", bold=True)
    return slip.cut()


def build_prebill(data: ReceiptData, qr_payload: str) -> Slip:
    """The "PHIẾU TẠM TÍNH" slip shown before payment: lines, total and the VietQR transfer code.

    qr_payload is the VietQR string for the exact total (built by pos.vietqr);
    an empty payload leaves the QR out. The slip says plainly that it is not a
    payment slip. Payments, buyer and reprint details of data are ignored.
    """
    slip = Slip()
    _header(slip, data, PREBILL_TITLE)
    _lines_and_total(slip, data)
    if qr_payload:
        slip.blank()
        slip.text("Quét mã để chuyển khoản", align="center")
        slip.qr(qr_payload)
        slip.text(amount(data.total_vnd), align="center", bold=True)
    slip.blank()
    slip.text("Chưa thanh toán. Phiếu này không phải phiếu thanh toán.", align="center")
    return slip.cut()

"""Paying producers (chi trả chủ thể): what the booth hands over, in cash or by transfer, against
a producer's settlement statement at one booth.

A payment is written once and never edited; it carries a UUID and the writing database's
sequence like every travelling record, so it reaches the hub with the booth's sales. The
statement (settlement.py) adds the payments up: paid, and still owed.
A payment slip (phiếu chi) prints on A4 from the browser and on the receipt printer, with
room for the producer's and the booth's signatures.
"""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import gettext
from ...db import required_row
from ...errors import Forbidden, InvalidInput, N_
from ...models import PAYOUT_METHODS, Booth, ProducerPayment
from ...models.identity import stamp
from ...printing import PrinterSettings, Slip
from ...printing.receipt import amount, format_slip_time
from ...timeutil import format_date, local_today, parse_date, to_local, utcnow
from .. import audit, print_queue, validate
from . import settlement

PAYERS = ("organiser", "manager")
# A payment dated this far back is a typo (a year typed wrong), not a late note.
_OLDEST_YEAR = 2000


def _paid_on(data: dict) -> date:
    raw = str(data.get("paid_on") or "").strip()
    if not raw:
        return local_today()
    try:
        day = parse_date(raw)
    except ValueError:
        raise InvalidInput("paid_on", "Ngày không hợp lệ, ví dụ 20/01/2020") from None
    if day > local_today():
        raise InvalidInput("paid_on", "Ngày trả chưa tới: không ghi trước một khoản chưa trả")
    if day.year < _OLDEST_YEAR:
        raise InvalidInput("paid_on", "Ngày không hợp lệ, ví dụ 20/01/2020")
    return day


def record_payment(session, booth: Booth, user, producer_id, data: dict) -> ProducerPayment:
    """Record money paid to a producer against its statement at this booth, in the caller's transaction.

    data: method (cash | transfer), amount_vnd ("1.250.000" or a number), paid_on (dd/mm/yyyy,
    today by default, never in the future), reference (required for a transfer), received_by,
    note. The amount must be more than 0 and at most what the statement still owes.
    Raises Forbidden (not an organiser or this booth's manager), NotFound (producer),
    InvalidInput naming the field.
    """
    if getattr(user, "role", None) not in PAYERS or (user.role == "manager" and user.booth_id not in (None, booth.id)):
        raise Forbidden()
    st = settlement.statement(session, booth, producer_id)  # NotFound for an unknown producer
    method = str(data.get("method") or "").strip()
    if method not in PAYOUT_METHODS:
        raise InvalidInput("method", "Chọn tiền mặt hoặc chuyển khoản")
    amount_vnd = validate.money(data, "amount_vnd", allow_zero=False)
    paid_on = _paid_on(data)
    reference = validate.text(data, "reference", required=method == "transfer", max_len=100)
    received_by = validate.text(data, "received_by", required=False, max_len=100)
    note = validate.text(data, "note", required=False, max_len=500)
    if amount_vnd > st.owed_vnd:
        if st.owed_vnd <= 0:
            raise InvalidInput("amount_vnd", "Đã trả đủ: bảng quyết toán không còn nợ %(name)s",
                               name=st.producer.name)
        raise InvalidInput("amount_vnd", "Lớn hơn số còn phải trả (%(owed)s)",
                           owed=f"{st.owed_vnd:,}".replace(",", ".") + " ₫")
    payment = ProducerPayment(booth_id=booth.id, producer_id=st.producer.id, method=method, paid_on=paid_on,
                              amount_vnd=amount_vnd, reference=reference, received_by=received_by, note=note,
                              created_by_id=user.id, created_at=utcnow())
    stamp(session, payment)
    session.add(payment)
    session.flush()
    audit.record(session, user, "producer.payment", f"{booth.code}/{st.producer.id}", producer=st.producer.name,
                 amount_vnd=amount_vnd, method=method, paid_on=paid_on.isoformat(), reference=reference,
                 uuid=payment.uuid)
    return payment


def get_payment(session, payment_id) -> ProducerPayment:
    """One payment by id. Raises NotFound."""
    return required_row(session, ProducerPayment, payment_id, N_("Không tìm thấy khoản chi trả"), field="payment_id")


def payment_statement(session, payment: ProducerPayment) -> settlement.Statement:
    """The statement a payment settles, as it stands now."""
    return settlement.statement(session, payment.booth, payment.producer_id)


def paid_before(st: settlement.Statement, payment: ProducerPayment) -> int:
    """What the statement's earlier payments came to, before this one (for the slip)."""
    total = 0
    for p in st.payments:
        if p.id == payment.id:
            break
        total += p.amount_vnd
    return total


# --- the slip on the receipt printer ---

def build_payment_slip(payment: ProducerPayment, st: settlement.Statement,
                       printed_at: datetime | None = None) -> Slip:
    """The payment slip (PHIẾU CHI TRẢ CHỦ THỂ) for the receipt printer, in the interface language.

    The fair and booth, the slip's number, the producer, how and when it was paid, the
    amount, the statement's figures (payable, paid before, this payment, still owed), two
    signature spaces (the producer's representative, the booth) and the time printed.
    Raises nothing.
    """
    before = paid_before(st, payment)
    slip = Slip().title(gettext("PHIẾU CHI TRẢ CHỦ THỂ"))
    slip.text(st.fair.name, align="center").text(st.booth.name, align="center", bold=True)
    slip.row(gettext("Số phiếu"), payment.number).separator()
    slip.text(gettext("Chủ thể: %(name)s", name=st.producer.name), bold=True)
    if st.producer.bank_account:
        slip.text(gettext("Tài khoản nhận tiền") + ": " + st.producer.bank_account)
    slip.row(gettext("Ngày trả"), format_date(payment.paid_on))
    slip.row(gettext("Hình thức"), gettext(payment.method_label))
    if payment.reference:
        slip.row(gettext("Tham chiếu"), payment.reference)
    if payment.received_by:
        slip.row(gettext("Người nhận"), payment.received_by)
    slip.row(gettext("Người chi"), payment.created_by.full_name or payment.created_by.username)
    if payment.note:
        slip.text(payment.note)
    slip.separator("=").row(gettext("Số tiền"), amount(payment.amount_vnd), bold=True).separator("=")
    slip.row(gettext("Số tiền trả chủ thể"), amount(st.payable_vnd))
    slip.row(gettext("Đã trả trước đó"), amount(before))
    slip.row(gettext("Lần này"), amount(payment.amount_vnd))
    slip.row(gettext("Còn phải trả"), amount(st.payable_vnd - before - payment.amount_vnd), bold=True)
    for who in (gettext("Người nhận tiền"), gettext("Người chi tiền")):
        slip.blank().text(who, align="center", bold=True).text(gettext("(Ký, ghi rõ họ tên)"), align="center")
        slip.blank().blank().blank().separator(".")
    slip.blank().row(gettext("In lúc"), format_slip_time(to_local(printed_at or utcnow())))
    return slip.cut()


def queue_payment_slip(session, payment: ProducerPayment, user, settings: PrinterSettings):
    """Queue a payment's slip on the receipt printer. Returns the job, or None with no printer."""
    if settings.target.kind == "none":
        return None
    st = payment_statement(session, payment)
    audit.record(session, user, "producer.payment_print", payment.number, producer=st.producer.name,
                 amount_vnd=payment.amount_vnd)
    return print_queue.enqueue_slip(session, build_payment_slip(payment, st), settings)

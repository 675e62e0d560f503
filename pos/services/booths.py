"""Fairs, booths, tills and this database's identity."""
from __future__ import annotations

import re
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import contains_eager, joinedload

from ..db import booth_row, keep_for_request, kept_row, new_uuid, request_rows
from ..errors import N_, Duplicate, InvalidInput, NotFound
from ..models import Booth, DbIdentity, Fair, PrinterSetting, Till
from ..models.identity import identity
from ..timeutil import parse_date
from . import audit, audit_log
from . import validate as v

_CODE = re.compile(r"^[A-Z0-9]{1,16}$")


def init_database(session, *, is_demo=False) -> DbIdentity:
    """Give a fresh database its identity (a new id: a restored copy gets another one)."""
    row = session.scalars(select(DbIdentity)).first()
    if row is None:
        row = DbIdentity(id=new_uuid(), last_seq=0, is_demo=is_demo)
        session.add(row)
        session.flush()
    return row


_BOOTH_SETTINGS = ("code", "name", "receipt_prefix", "bank_bin", "bank_account", "bank_account_name",
                   "cashier_discount_limit_bp", "allow_negative_stock", "low_stock_qty", "receipt_footer",
                   "organisation", "address", "phone", "tax_code", "session_idle_minutes", "cash_out_limit_vnd")
IDLE_MINUTES_MIN, IDLE_MINUTES_MAX = 5, 10080  # five minutes to a week


def _audit_settings(session, action, target, before: dict, after: dict, actor, address) -> None:
    """Audit a settings change: only the fields that changed, old and new (nothing when nothing changed)."""
    changes = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
    if changes:
        actor, address = audit_log.actor_and_address(actor, address)
        audit.record(session, actor, action, target, address=address, created=not before, changes=changes)


@cache  # read on every request: built once, not for each
def _identity_and_booth():
    return (select(DbIdentity, Booth).outerjoin(Booth, Booth.id == DbIdentity.booth_id)
            .outerjoin(PrinterSetting, PrinterSetting.booth_id == Booth.id)
            .options(contains_eager(Booth.printer_setting)).limit(1))


def current_booth(session) -> Booth | None:
    """The booth this database serves, or None before set-up (or on a hub). Read once per request,
    with this database's identity and the booth's printer setting in the same statement."""
    rows = request_rows(session)
    ident = kept_row(rows, "identity")
    booth = kept_row(rows, "booth")
    if ident is not None and booth is not None and ident.booth_id == booth.id:
        return booth
    # The booth's printer setting comes with it: a checkout reads it before the write lock to queue its slip.
    if ident is not None:
        booth = session.get(Booth, ident.booth_id, options=[joinedload(Booth.printer_setting)]) \
            if ident.booth_id is not None else None
    else:
        found = session.execute(_identity_and_booth()).first()
        ident, booth = found if found is not None else (None, None)
        keep_for_request(session, "identity", ident)
    keep_for_request(session, "booth", booth)
    return booth


def _code(data, field):
    code = v.text(data, field, max_len=16).upper()
    if not _CODE.match(code):
        raise InvalidInput(field, "Mã chỉ gồm chữ không dấu và số, không có khoảng trắng")
    return code


def _date(data, field):
    raw = (data.get(field) or "").strip() if isinstance(data.get(field), str) else data.get(field)
    if not raw:
        return None
    if hasattr(raw, "year"):
        return raw
    try:
        return parse_date(raw)
    except ValueError:
        raise InvalidInput(field, "Ngày không hợp lệ, ví dụ 20/01/2020") from None


def save_fair(session, data: dict, fair: Fair | None = None, *, actor=None, address: str | None = None) -> Fair:
    """Create or update a fair (audited as "settings.fair"). Raises InvalidInput, Duplicate."""
    code = _code(data, "code")
    name = v.text(data, "name")
    starts_on, ends_on = _date(data, "starts_on"), _date(data, "ends_on")
    if starts_on and ends_on and ends_on < starts_on:
        raise InvalidInput("ends_on", "Ngày kết thúc trước ngày bắt đầu")
    other = session.scalars(select(Fair).where(Fair.code == code)).first()
    if other is not None and other is not fair:
        raise Duplicate("Mã hội chợ %(code)s đã có", field="code", code=code)
    fields = ("code", "name", "location", "starts_on", "ends_on", "commission_bp")
    before = {f: getattr(fair, f) for f in fields} if fair is not None else {}
    fair = fair or Fair()
    fair.code, fair.name = code, name
    fair.location = v.text(data, "location", required=False)
    fair.starts_on, fair.ends_on = starts_on, ends_on
    fair.commission_bp = v.percent_bp(data, "commission_percent", default=fair.commission_bp or 0)
    session.add(fair)
    session.flush()
    _audit_settings(session, "settings.fair", fair.code, before, {f: getattr(fair, f) for f in fields}, actor, address)
    return fair


def save_booth(session, data: dict, booth: Booth | None = None, *, actor=None, address: str | None = None) -> Booth:
    """Create or update a booth and its settings (audited as "settings.booth", old and new values).

    Raises InvalidInput, Duplicate, NotFound.
    """
    fair = session.get(Fair, v.integer(data, "fair_id", minimum=1)) if "fair_id" in data else (booth and booth.fair)
    if fair is None:
        raise NotFound("Không tìm thấy hội chợ", field="fair_id")
    code = _code(data, "code")
    other = session.scalars(select(Booth).where(Booth.fair_id == fair.id, Booth.code == code)).first()
    if other is not None and other is not booth:
        raise Duplicate("Mã gian hàng %(code)s đã có ở hội chợ này", field="code", code=code)
    before = {f: getattr(booth, f) for f in _BOOTH_SETTINGS} if booth is not None else {}
    booth = booth or Booth()
    booth.fair = fair
    booth.code = code
    booth.name = v.text(data, "name")
    prefix = v.text(data, "receipt_prefix", required=False, max_len=32) or f"{fair.code}-{code}"
    if not re.fullmatch(r"[A-Za-z0-9-]{1,32}", prefix):
        raise InvalidInput("receipt_prefix", "Tiền tố chỉ gồm chữ không dấu, số và dấu gạch ngang")
    booth.receipt_prefix = prefix.upper()
    bank_bin = v.text(data, "bank_bin", required=False, max_len=6)
    if bank_bin and not re.fullmatch(r"\d{6}", bank_bin):
        raise InvalidInput("bank_bin", "Mã BIN ngân hàng gồm đúng 6 chữ số, ví dụ 970436")
    account = v.text(data, "bank_account", required=False, max_len=19).replace(" ", "")
    if account and not re.fullmatch(r"[A-Za-z0-9]{1,19}", account):
        raise InvalidInput("bank_account", "Số tài khoản chỉ gồm chữ và số")
    booth.bank_bin, booth.bank_account = bank_bin, account
    booth.bank_account_name = v.text(data, "bank_account_name", required=False, max_len=100)
    booth.cashier_discount_limit_bp = v.percent_bp(
        data, "cashier_discount_limit_percent", default=booth.cashier_discount_limit_bp if booth.id else 1000
    )
    booth.allow_negative_stock = v.boolean(data, "allow_negative_stock")
    booth.low_stock_qty = v.integer(data, "low_stock_qty", minimum=0, maximum=100000, required=False, default=5)
    booth.receipt_footer = v.text(data, "receipt_footer", required=False, max_len=500)
    booth.organisation = v.text(data, "organisation", required=False, max_len=200)
    booth.address = v.text(data, "address", required=False, max_len=300)
    booth.phone = v.text(data, "phone", required=False, max_len=30)
    tax_code = v.text(data, "tax_code", required=False, max_len=20).replace(" ", "")
    if tax_code and not re.fullmatch(r"\d{10}(-\d{3})?", tax_code):
        raise InvalidInput("tax_code", "Mã số thuế gồm 10 chữ số, hoặc 10 chữ số, gạch ngang và 3 chữ số")
    booth.tax_code = tax_code
    # Left out of a form (or an older client), a setting keeps its value: a new booth takes the default.
    booth.session_idle_minutes = v.integer(data, "session_idle_minutes", minimum=IDLE_MINUTES_MIN,
                                           maximum=IDLE_MINUTES_MAX, required=False,
                                           default=booth.session_idle_minutes or 480)
    booth.cash_out_limit_vnd = v.money(data, "cash_out_limit_vnd", required=False,
                                       default=200_000 if booth.cash_out_limit_vnd is None else booth.cash_out_limit_vnd)
    session.add(booth)
    session.flush()
    _audit_settings(session, "settings.booth", f"{fair.code}-{booth.code}", before,
                    {f: getattr(booth, f) for f in _BOOTH_SETTINGS}, actor, address)
    return booth


def make_this_booth(session, booth: Booth) -> None:
    """Make this database serve the booth (done once when setting up a booth laptop)."""
    identity(session).booth_id = booth.id
    session.flush()


def save_till(session, booth: Booth, data: dict, till: Till | None = None, *, actor=None,
              address: str | None = None) -> Till:
    """Register a till (a cashier device) with its own receipt series (audited as "settings.till").

    Raises InvalidInput, Duplicate.
    """
    code = _code(data, "code")
    other = session.scalars(select(Till).where(Till.booth_id == booth.id, Till.code == code)).first()
    if other is not None and other is not till:
        raise Duplicate("Mã quầy %(code)s đã có", field="code", code=code)
    before = {"code": till.code, "name": till.name, "is_active": till.is_active} if till is not None else {}
    till = till or Till(booth=booth, last_number=0)
    till.code = code
    till.name = v.text(data, "name", max_len=100)
    till.is_active = v.boolean(data, "is_active") if till.id else True
    session.add(till)
    session.flush()
    _audit_settings(session, "settings.till", till.code, before,
                    {"code": till.code, "name": till.name, "is_active": till.is_active}, actor, address)
    return till


def list_fairs(session) -> list[Fair]:
    return list(session.scalars(select(Fair).order_by(Fair.starts_on.desc(), Fair.id.desc())))


def list_booths(session) -> list[Booth]:
    return list(session.scalars(select(Booth).order_by(Booth.fair_id, Booth.code)))


def active_tills(session, booth: Booth) -> list[Till]:
    return list(session.scalars(select(Till).where(Till.booth_id == booth.id, Till.is_active).order_by(Till.code)))


def get_till(session, booth: Booth, till_id) -> Till:
    """A till of this booth (the id may come from a cookie or a form). Raises NotFound."""
    return booth_row(session, Till, booth, till_id, N_("Không tìm thấy quầy bán hàng"), field="till_id")

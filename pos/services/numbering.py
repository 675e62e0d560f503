"""The numbers people read on paper (receipts, shifts, stock documents) never repeat across a restore.

A booth numbers its receipts per till (X20-B07-T1-000008), its shifts per till (ca 4) and its
stock documents per kind (PN-000012) from its own database. A booth restored from an older
backup has lost the last of those: the ones it pushed are at the hub, the ones it printed after
its last push are on customers' slips only, known to nobody.

So a restored database numbers in a series of its own, named at the restore from its new
identity (R + four hex digits of the database id, checked against the series the backup already
holds): receipts X20-B07-T1-R7F3A-000012, stock documents PN-R7F3A-000013, shifts stored with the
series beside their number. No number of the lost database can have that series, with or without
a hub, however many times the same backup is restored. The database keeps its series for good:
the hub can confirm only what was pushed to it, never what the lost laptop printed afterwards,
so going back to the main series could repeat a slip a customer holds.

Within a series the count still continues after the highest number known (the backup's and,
once the hub has answered, the hub's), so a slip reads in order: the hub tells the booth, with
every comparison of totals after a push and with provisioning, the highest number of each series
it holds for that booth. Receipt numbers move Till.last_number forward; shift and document
numbers have no counter of their own and are kept in the booth's sync state as the hub said them.
A fresh database provisioned for a booth the hub already holds sales of (a new laptop replacing
a lost one) takes a series of its own the same way.
"""
from __future__ import annotations

import json

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm.attributes import set_committed_value

from ..models import Booth, BoothSyncState, Sale, Shift, StockDocument, Till
from ..models.identity import identity
from ..models.stock import DOCUMENT_PREFIX


# --- the series ---

def series(session) -> str:
    """The series this database numbers in ("" for the booth's main series)."""
    return identity(session).number_series or ""


def start_series(session) -> str:
    """Give this database a numbering series of its own (after a restore); returns it.

    Taken from the database's (new, random) id and never one the database already holds, so a
    backup restored twice numbers in two series. Must run inside a unit_of_work.
    """
    ident = identity(session)
    taken = set(session.scalars(select(Sale.series).distinct())) | set(session.scalars(select(Shift.series).distinct()))
    digits = ident.id.replace("-", "").upper()
    for i in range(len(digits) - 3):
        code = "R" + digits[i:i + 4]
        if code not in taken:
            break
    ident.number_series = code
    session.flush()
    return code


_SET_LAST_NUMBER = (update(Till.__table__).where(Till.__table__.c.id == bindparam("till_id"))
                    .values(last_number=bindparam("number")))


def next_receipt(session, booth: Booth, till: Till) -> tuple[int, str, str]:
    """The next receipt of a till: (number, series, receipt_no as printed). Moves the till's counter;
    the caller holds the till's row lock."""
    number = till.last_number + 1
    session.connection().execute(_SET_LAST_NUMBER, {"till_id": till.id, "number": number})
    set_committed_value(till, "last_number", number)  # as written: no re-read, no flush of the till
    code = series(session)
    middle = f"{till.code}-{code}" if code else till.code
    return number, code, f"{booth.receipt_prefix}-{middle}-{number:06d}"


def next_shift(session, till: Till) -> tuple[int, str]:
    """The next shift of a till: (number, series), after every shift of the till here or at the hub."""
    last = max(session.scalar(select(func.max(Shift.number)).where(Shift.till_id == till.id)) or 0,
               shift_floor(session, till))
    return last + 1, series(session)


def next_document(session, booth: Booth, kind: str) -> str:
    """The next stock document number of a kind (PN-000013, or PN-R7F3A-000013 in a restore series)."""
    numbers = session.scalars(select(StockDocument.number).where(StockDocument.booth_id == booth.id,
                                                                 StockDocument.kind == kind))
    last = max([number_of(n) for n in numbers] + [document_floor(session, kind)])
    code = series(session)
    return f"{DOCUMENT_PREFIX[kind]}-{code + '-' if code else ''}{last + 1:06d}"


# --- the hub's side ---

def high_water(session, booth: Booth) -> dict:
    """The highest number of each series the hub holds for a booth: receipts and shifts per till
    (by till uuid), stock documents per kind (the number after the prefix)."""
    tills = {uuid: int(n or 0) for uuid, n in session.execute(
        select(Till.uuid, func.max(Sale.number)).join(Sale, Sale.till_id == Till.id)
        .where(Till.booth_id == booth.id).group_by(Till.uuid))}
    shifts = {uuid: int(n or 0) for uuid, n in session.execute(
        select(Till.uuid, func.max(Shift.number)).join(Shift, Shift.till_id == Till.id)
        .where(Till.booth_id == booth.id).group_by(Till.uuid))}
    documents: dict[str, int] = {}
    for kind, number in session.execute(select(StockDocument.kind, StockDocument.number)
                                        .where(StockDocument.booth_id == booth.id)):
        documents[kind] = max(documents.get(kind, 0), number_of(number))
    return {"tills_high_water": tills, "shifts_high_water": shifts, "documents_high_water": documents}


# --- the booth's side ---

def remember(session, answer: dict) -> None:
    """Keep what the hub said (receipt numbers straight into each till's counter)."""
    for till_uuid, number in _numbers(answer.get("tills_high_water")).items():
        session.execute(Till.__table__.update().where(Till.uuid == till_uuid, Till.last_number < number)
                        .values(last_number=number))
    st = session.scalars(select(BoothSyncState)).first()
    if st is not None:
        st.hub_numbers = json.dumps({"shifts": _numbers(answer.get("shifts_high_water")),
                                     "documents": _numbers(answer.get("documents_high_water"))})


def shift_floor(session, till: Till) -> int:
    """The highest shift number of this till the hub holds (0 when it said none)."""
    return _said(session).get("shifts", {}).get(till.uuid, 0)


def document_floor(session, kind: str) -> int:
    """The highest stock document number of this kind the hub holds for this booth."""
    return _said(session).get("documents", {}).get(kind, 0)


def number_of(number: str | None) -> int:
    """The count in a document number such as PN-000012 (0 for none or a number typed otherwise)."""
    tail = (number or "").rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def _said(session) -> dict:
    st = session.scalars(select(BoothSyncState)).first()
    if st is None or not st.hub_numbers:
        return {}
    try:
        said = json.loads(st.hub_numbers)
    except ValueError:
        return {}
    return said if isinstance(said, dict) else {}


def _numbers(value) -> dict:
    """Only whole non-negative numbers from the hub's answer (it is input like any other)."""
    if not isinstance(value, dict):
        return {}
    return {str(k): n for k, n in value.items() if isinstance(n, int) and not isinstance(n, bool) and n >= 0}

"""The numbers people read on paper (receipts, shifts, stock documents) never repeat across a restore.

A booth numbers its receipts per till (X20-B07-T1-000008), its shifts per till (ca 4) and its
stock documents per kind (PN-000012) from its own database. A booth restored from an older
backup has lost the last of those, which the hub may already hold: numbered from the backup,
they would repeat, and the hub (where each is unique) would refuse the push.

So the hub tells the booth, with every comparison of totals after a push, the highest number
of each series it holds for that booth, and the booth numbers after the higher of its own and
the hub's. Receipt numbers move Till.last_number forward; shift and document numbers have no
counter of their own and are kept here, in the booth's sync state, as the hub last said them.
"""
from __future__ import annotations

import json

from sqlalchemy import func, select

from ..models import Booth, BoothSyncState, Sale, Shift, StockDocument, Till


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
    documents = {kind: number_of(number) for kind, number in session.execute(
        select(StockDocument.kind, func.max(StockDocument.number)).where(StockDocument.booth_id == booth.id)
        .group_by(StockDocument.kind))}
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

"""The customer display: a second screen paired with one till, showing what the customer needs to see.

The till writes a small state (the cart lines and total, the VietQR being paid, the change, a
thank-you) after each change; the paired display polls it. Pairing is by a secret derived from
the app's secret key and the till's UUID: the link /display/<token> (shown on the till as a QR
and a link) or a 6-digit code typed at /display. A token opens one till's state, never another's.
"""
from __future__ import annotations

import hashlib
import hmac
import json

from sqlalchemy import select

from ..errors import InvalidInput, NotFound
from ..models import Booth, Till, TillDisplay
from ..timeutil import utcnow
from ..vietqr import qr_svg

PHASES = ("idle", "cart", "transfer", "done")
MAX_LINES = 200
MAX_VND = 10**12


def _digest(secret: str, till: Till) -> bytes:
    return hmac.new(str(secret).encode(), f"customer-display:{till.uuid}".encode(), hashlib.sha256).digest()


def display_token(secret: str, till: Till) -> str:
    """The secret part of the display link of a till (24 hex digits)."""
    return _digest(secret, till).hex()[:24]


def pairing_code(secret: str, till: Till) -> str:
    """The 6-digit code typed on the display device to pair it with the till."""
    return f"{int.from_bytes(_digest(secret, till)[-4:], 'big') % 1_000_000:06d}"


def _tills(session, booth: Booth) -> list[Till]:
    return list(session.scalars(select(Till).where(Till.booth_id == booth.id, Till.is_active.is_(True))))


def till_for_token(session, booth: Booth, secret: str, token: str) -> Till:
    """The till whose display link this is. Raises NotFound."""
    for till in _tills(session, booth):
        # As bytes: compare_digest refuses str with non-ASCII characters (a TypeError, so a 500, for "/display/é").
        if hmac.compare_digest(display_token(secret, till).encode(), str(token or "").encode()):
            return till
    raise NotFound("Liên kết màn hình khách không đúng hoặc đã cũ: ghép nối lại từ màn hình bán hàng")


def till_for_code(session, booth: Booth, secret: str, code: str) -> Till:
    """The till whose pairing code this is. Raises InvalidInput naming the code."""
    code = "".join(ch for ch in str(code or "") if not ch.isspace())
    for till in _tills(session, booth):
        if hmac.compare_digest(pairing_code(secret, till).encode(), code.encode()):
            return till
    raise InvalidInput("code", "Mã ghép nối không đúng: xem mã 6 chữ số trên màn hình bán hàng (nút «Màn hình khách»)")


def _int(value, field: str, maximum: int = MAX_VND) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
        raise InvalidInput(field, "Giá trị không hợp lệ")
    return value


def _text(value, field: str, max_len: int) -> str:
    if not isinstance(value, str) or len(value) > max_len:
        raise InvalidInput(field, "Giá trị không hợp lệ")
    return value


def save_state(session, till: Till, data) -> TillDisplay:
    """Keep what the till's customer display should show now. Raises InvalidInput naming the field.

    data: {"phase": idle|cart|transfer|done, "lines": [{"name", "qty", "total_vnd"}], "total_vnd",
    "discount_vnd", "qr": {"payload", "amount_vnd", "reference"} or null (phase transfer),
    "paid": {"total_vnd", "change_vnd", "cash"} or null (phase done)}.
    """
    if not isinstance(data, dict):
        raise InvalidInput("body", "Nội dung phải là một đối tượng JSON hợp lệ")
    phase = data.get("phase")
    if phase not in PHASES:
        raise InvalidInput("phase", "Giá trị không hợp lệ")
    raw_lines = data.get("lines") or []
    if not isinstance(raw_lines, list) or len(raw_lines) > MAX_LINES:
        raise InvalidInput("lines", "Giá trị không hợp lệ")
    lines = []
    for i, line in enumerate(raw_lines):
        if not isinstance(line, dict):
            raise InvalidInput(f"lines[{i}]", "Giá trị không hợp lệ")
        lines.append({"name": _text(line.get("name"), f"lines[{i}].name", 200),
                      "qty": _int(line.get("qty"), f"lines[{i}].qty", 100_000),
                      "total_vnd": _int(line.get("total_vnd"), f"lines[{i}].total_vnd")})
    state = {"phase": phase, "lines": lines, "total_vnd": _int(data.get("total_vnd", 0), "total_vnd"),
             "discount_vnd": _int(data.get("discount_vnd", 0), "discount_vnd"), "qr": None, "paid": None}
    qr = data.get("qr")
    if phase == "transfer" and isinstance(qr, dict):
        payload = _text(qr.get("payload"), "qr.payload", 512)
        state["qr"] = {"amount_vnd": _int(qr.get("amount_vnd"), "qr.amount_vnd"),
                       "reference": _text(qr.get("reference", ""), "qr.reference", 40),
                       "svg": qr_svg(payload) if payload else ""}
    paid = data.get("paid")
    if phase == "done" and isinstance(paid, dict):
        state["paid"] = {"total_vnd": _int(paid.get("total_vnd"), "paid.total_vnd"),
                         "change_vnd": _int(paid.get("change_vnd", 0), "paid.change_vnd"),
                         "cash": bool(paid.get("cash"))}
    row = session.get(TillDisplay, till.id) or TillDisplay(till_id=till.id, version=0)
    row.state = json.dumps(state, ensure_ascii=False)
    row.version += 1
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    return row


def current_state(session, till: Till) -> dict:
    """What the till's display shows now, with its version (0 before the till wrote anything)."""
    row = session.get(TillDisplay, till.id)
    state = json.loads(row.state) if row else {"phase": "idle", "lines": [], "total_vnd": 0}
    return {"version": row.version if row else 0, "till": till.name, **state}

"""The audit log of sensitive actions: one function writes it, inside the action's own transaction."""
from __future__ import annotations

import json

from ..models import AuditEntry
from ..timeutil import utcnow


def record(session, user, action: str, target: str = "", address: str = "", **details) -> AuditEntry:
    """Append an audit entry in the caller's transaction (so the entry and the action commit together).

    action is a short dotted name such as "sale.void", "sale.refund", "discount.over_limit",
    "product.price", "stock.count", "settings.booth", "user.save", "auth.login", "auth.login_failed".
    """
    # The time is taken here (not by the column's default), so a test's clock is the one the delays read.
    entry = AuditEntry(at=utcnow(), user_id=getattr(user, "id", None), username=getattr(user, "username", "") or "",
                       action=action, target=str(target)[:200], address=(address or "")[:64],
                       details=json.dumps(details, ensure_ascii=False, default=str))
    session.add(entry)
    return entry

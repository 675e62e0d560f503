"""SQL expressions over the sales that the reports, the settlements and the summary tables share,
so the three always count a sale line's gross and a voided sale the same way."""
from __future__ import annotations

from sqlalchemy import BigInteger, cast, exists

from ..models import Sale, SaleLine, Void


def line_gross():
    """A sale line's gross (qty × unit price), multiplied as bigint: it can pass 2^31 on
    PostgreSQL's 4-byte integers."""
    return cast(SaleLine.qty, BigInteger) * SaleLine.unit_price_vnd


def not_voided():
    """The sale (Sale in the query) has no void."""
    return ~exists().where(Void.sale_id == Sale.id)

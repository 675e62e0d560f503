"""Columns shared by the records that travel from a booth to the hub."""
from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from ..db import new_uuid


class HasUuid:
    """A record the hub and the booths both know, by a UUID that never changes."""

    uuid: Mapped[str] = mapped_column(String(36), unique=True, nullable=False, default=new_uuid)


class Travelling(HasUuid):
    """A record written at a booth and pushed to the hub.

    origin_db and origin_seq say which database wrote it and in what order, so a
    hub can merge many booths, see gaps, and tell a restored laptop from a
    duplicate. stamp() in pos.models.identity fills them inside the write transaction.
    """

    origin_db: Mapped[str] = mapped_column(String(36), nullable=False)
    origin_seq: Mapped[int] = mapped_column(Integer, nullable=False)

    @declared_attr
    def booth_id(cls) -> Mapped[int]:
        from sqlalchemy import ForeignKey

        return mapped_column(ForeignKey("booth.id"), nullable=False, index=True)

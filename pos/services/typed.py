"""Checks on the typed values services receive (a Checkout, a NewDocument ...).

The JSON API's schemas (web/schemas.py) refuse bad input before a service runs; these
checks are the services' own guard for every other caller (pages, CLI, demo, tests), so a float
or a bool can never be stored as a count or an amount whoever built the value.
"""
from __future__ import annotations

from ..errors import InvalidInput


def whole(value, field: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """value itself when it is a true int within the bounds; else InvalidInput naming the field.

    Booleans and floats (even 2.0) are refused: a count or an amount is never guessed.
    """
    if type(value) is not int:
        raise InvalidInput(field, "Phải là số nguyên")
    if minimum is not None and value < minimum:
        raise InvalidInput(field, "Phải từ %(min)s trở lên", min=minimum)
    if maximum is not None and value > maximum:
        raise InvalidInput(field, "Phải không quá %(max)s", max=maximum)
    return value


def text(value, field: str, *, max_len: int, required: bool = False) -> str:
    """A stripped string of at most max_len characters (None reads as ""); else InvalidInput."""
    value = "" if value is None else value
    if not isinstance(value, str):
        raise InvalidInput(field, "Không hợp lệ")
    value = value.strip()
    if required and not value:
        raise InvalidInput(field, "Không được để trống")
    if len(value) > max_len:
        raise InvalidInput(field, "Dài quá %(max)s ký tự", max=max_len)
    return value

"""Money is an integer number of đồng: parse, format and allocate, nothing else.

No floats: a rate is held in basis points (1 % = 100 bp) and every division
rounds in one stated way.
"""
from __future__ import annotations

import re

from .errors import InvalidInput

# The largest amount one field may hold: 2 billion đồng (it also fits a 4-byte integer column). Above that a price or a
# tendered amount is a typo (an extra zero), never a real booth amount.
MAX_VND = 2_000_000_000

_DIGITS = re.compile(r"^\d+$")


def parse_vnd(text, *, field="amount", allow_zero=True) -> int:
    """Parse what a cashier typed ("125.000", "125,000", "125000", "125.000 ₫") into đồng.

    Raises InvalidInput naming the field for anything that is not a whole,
    non-negative number of đồng below MAX_VND.
    """
    if isinstance(text, bool):
        raise InvalidInput(field, "Số tiền không hợp lệ")
    if isinstance(text, int):
        value = text
    else:
        cleaned = str(text or "").strip().replace("₫", "").replace("đ", "").replace("VND", "")
        cleaned = cleaned.replace(" ", "").replace("\u00a0", "")
        # Both "." and "," are thousands separators in Vietnam; there are no fractions of a đồng.
        cleaned = cleaned.replace(".", "").replace(",", "")
        if not _DIGITS.match(cleaned):
            raise InvalidInput(field, "Số tiền phải là số nguyên đồng, ví dụ 120.000")
        value = int(cleaned)
    if value < 0:
        raise InvalidInput(field, "Số tiền không được âm")
    if value == 0 and not allow_zero:
        raise InvalidInput(field, "Số tiền phải lớn hơn 0")
    if value > MAX_VND:
        raise InvalidInput(field, "Số tiền quá lớn")
    return value


def format_number(value: int) -> str:
    """120000 -> "120.000" (Vietnamese thousands separator)."""
    sign = "-" if value < 0 else ""
    return sign + f"{abs(int(value)):,}".replace(",", ".")


def format_vnd(value: int) -> str:
    """120000 -> "120.000 ₫"."""
    return f"{format_number(value)} ₫"


def percent_of(amount_vnd: int, rate_bp: int) -> int:
    """amount × rate, rounded half up to the đồng (bp = basis points, 10000 = 100 %)."""
    if amount_vnd < 0:
        return -percent_of(-amount_vnd, rate_bp)
    return (amount_vnd * rate_bp + 5000) // 10000


def allocate(total_vnd: int, weights: list[int]) -> list[int]:
    """Split total_vnd over the weights in proportion, to the đồng, by largest remainder.

    Each share is floor(total × weight / sum); the đồng left over go one each to
    the largest remainders, ties to the earlier line. The shares always add up
    to total_vnd exactly, so every producer's net sales sum to the sale's total.
    """
    if total_vnd < 0:
        raise ValueError("allocate takes a non-negative total")
    weight_sum = sum(weights)
    if not weights:
        return []
    if weight_sum <= 0:
        if total_vnd:
            raise ValueError("cannot allocate an amount over zero weights")
        return [0] * len(weights)
    shares, remainders = [], []
    for i, w in enumerate(weights):
        q, r = divmod(total_vnd * w, weight_sum)
        shares.append(q)
        remainders.append((-r, i))
    left = total_vnd - sum(shares)
    for _, i in sorted(remainders)[:left]:
        shares[i] += 1
    return shares


def format_percent_bp(rate_bp: int | None) -> str:
    """1000 -> "10", 250 -> "2,5" (a rate in basis points as a Vietnamese percentage, no sign)."""
    if rate_bp is None:
        return ""
    whole, frac = divmod(int(rate_bp), 100)
    return f"{whole}" if not frac else f"{whole},{frac:02d}".rstrip("0")

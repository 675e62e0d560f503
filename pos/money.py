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

# Spaces a keyboard, a phone or a copy from Excel may put inside or around a number.
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]+")
# What may follow an amount: the đồng sign, "đ", "đồng", "VND"/"VNĐ" (any case).
_CURRENCY_TAIL = re.compile(r"\s*(₫|đồng|dong|vnđ|vnd|đ)$", re.IGNORECASE)
_PLAIN = re.compile(r"[0-9]+")
# Thousands grouped by one kind of separator: "1.250.000", "1,250,000", "1 250 000". The first group has 1-3 digits,
# every other exactly 3. Anything else with a separator ("1.5", "12.50", "1.2345", "1.250,00", ".500") is ambiguous.
# A first group starting with 0 ("0.500", "012.000") is a decimal, not a thousand.
_GROUPED = re.compile(r"[1-9][0-9]{0,2}(?P<sep>[., ])[0-9]{3}(?:(?P=sep)[0-9]{3})*")


class Ambiguous(ValueError):
    """Typed text with a separator that does not split groups of three digits: it could mean two numbers."""


def read_whole_number(text: str) -> int:
    """A whole number as Vietnamese write it: "1250000", "1.250.000", "1,250,000" or "1 250 000" -> 1250000.

    Dots, commas and spaces are read only as thousands separators, and only where each
    separates groups of exactly three digits, all the same separator. Raises Ambiguous for
    text with a separator used otherwise ("1.5", "2.0", "12.50", "1.2345", "1.250,00",
    ".500", "1.000."), where guessing could turn 1,5 into 15; raises ValueError for text
    that is not a number at all (letters, a sign, an exponent).
    """
    cleaned = _SPACES.sub(" ", str(text)).strip()
    if _PLAIN.fullmatch(cleaned):
        return int(cleaned)
    if _GROUPED.fullmatch(cleaned):
        return int(re.sub(r"[., ]", "", cleaned))
    if re.fullmatch(r"[0-9., ]+", cleaned) and re.search(r"[0-9]", cleaned):
        raise Ambiguous(cleaned)
    raise ValueError(cleaned)


def parse_vnd(text, *, field="amount", allow_zero=True) -> int:
    """Parse what a cashier typed ("125.000", "125,000", "125000", "125.000 ₫", "120.000đ") into đồng.

    Separators are thousands separators only (see read_whole_number): "1.5", "1,5",
    "12.50", "1.2345", "1.250,00" are refused as ambiguous, never guessed. A Python
    int is taken as it is; a float or a bool is refused (a float may already have lost
    a digit, and True is not an amount). Raises InvalidInput naming the field for
    anything that is not a whole, non-negative number of đồng up to MAX_VND.
    """
    if isinstance(text, bool) or isinstance(text, float):
        raise InvalidInput(field, "Số tiền phải là số nguyên đồng, ví dụ 120.000")
    if isinstance(text, int):
        value = text
    else:
        raw = _SPACES.sub(" ", str(text or "")).strip()
        cleaned = _CURRENCY_TAIL.sub("", raw).strip()
        if cleaned.startswith("-") and cleaned[1:].strip()[:1] in tuple("0123456789"):
            raise InvalidInput(field, "Số tiền không được âm")
        try:
            value = read_whole_number(cleaned)
        except Ambiguous:
            raise InvalidInput(field, "Số tiền “%(value)s” không rõ: dấu chấm hoặc dấu phẩy chỉ dùng để ngăn từng "
                                      "nhóm ba chữ số (ví dụ 1.250.000), đồng không có phần lẻ",
                               value=raw[:40]) from None
        except ValueError:
            raise InvalidInput(field, "Số tiền phải là số nguyên đồng, ví dụ 120.000") from None
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

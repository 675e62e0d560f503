"""Small checks the services share, each raising InvalidInput naming the field."""
from __future__ import annotations

import re

from ..errors import InvalidInput
from ..money import Ambiguous, parse_vnd, read_whole_number


def text(data: dict, field: str, *, required=True, max_len=200, default="") -> str:
    value = data.get(field)
    value = default if value is None else str(value).strip()
    if required and not value:
        raise InvalidInput(field, "Không được để trống")
    if len(value) > max_len:
        raise InvalidInput(field, "Dài quá %(max)s ký tự", max=max_len)
    return value


def integer(data: dict, field: str, *, minimum=None, maximum=None, required=True, default=None) -> int | None:
    """A whole number (a quantity, an id, a count of notes) typed as "12", "1.000" or "1 000", or a Python int.

    Separators are read only as thousands separators between groups of three digits
    (money.read_whole_number): "1.5" or "2.0" is refused as ambiguous, never read as 15
    or 20. A float is refused even when whole (1.0): it only comes from a client sending
    JSON numbers as floats, it cannot hold a large id exactly, and whether to accept 1.0
    is the API schema's decision, made before a service runs. A bool is not a number.
    """
    raw = data.get(field)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            raise InvalidInput(field, "Không được để trống")
        return default
    if isinstance(raw, bool) or not isinstance(raw, (int, str)):
        raise InvalidInput(field, "Phải là số nguyên")
    if isinstance(raw, int):
        value = raw
    else:
        text = raw.strip()
        sign = -1 if text[:1] == "-" else 1
        digits = text[1:] if text[:1] in "+-" else text
        try:
            value = sign * read_whole_number(digits)
        except Ambiguous:
            raise InvalidInput(field, "Số “%(value)s” không rõ: phải là số nguyên; dấu chấm hoặc dấu phẩy chỉ dùng "
                                      "để ngăn từng nhóm ba chữ số (ví dụ 1.000)", value=text[:40]) from None
        except ValueError:
            raise InvalidInput(field, "Phải là số nguyên") from None
    if minimum is not None and value < minimum:
        raise InvalidInput(field, "Phải từ %(min)s trở lên", min=minimum)
    if maximum is not None and value > maximum:
        raise InvalidInput(field, "Phải không quá %(max)s", max=maximum)
    return value


def money(data: dict, field: str, *, required=True, default=0, allow_zero=True) -> int:
    raw = data.get(field)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            raise InvalidInput(field, "Không được để trống")
        return default
    return parse_vnd(raw, field=field, allow_zero=allow_zero)


def percent_bp(data: dict, field: str, *, required=False, default=0) -> int:
    """A percentage typed as "10" or "2,5" (or a number) -> basis points (1000, 250)."""
    raw = data.get(field)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            raise InvalidInput(field, "Không được để trống")
        return default
    if isinstance(raw, bool):
        raise InvalidInput(field, "Tỷ lệ phần trăm không hợp lệ, ví dụ 10 hoặc 2,5")
    if isinstance(raw, int):
        value = raw * 100
    else:
        # A rate may have a decimal part ("2,5" or "2.5"): at most two digits, so it is exact in basis points.
        s = str(raw).strip().removesuffix("%").strip().replace(",", ".")
        whole, _, frac = s.partition(".")
        if not re.fullmatch(r"[0-9]{1,3}", whole) or (frac and not re.fullmatch(r"[0-9]{1,2}", frac)):
            raise InvalidInput(field, "Tỷ lệ phần trăm không hợp lệ, ví dụ 10 hoặc 2,5")
        value = int(whole) * 100 + int((frac + "00")[:2])
    if not 0 <= value <= 10000:
        raise InvalidInput(field, "Tỷ lệ phải từ 0 đến 100")
    return value


def boolean(data: dict, field: str) -> bool:
    raw = data.get(field)
    if isinstance(raw, bool):
        return raw
    return str(raw or "").strip().lower() in ("1", "true", "on", "yes", "y")

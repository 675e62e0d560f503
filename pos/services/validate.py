"""Small checks the services share, each raising InvalidInput naming the field."""
from __future__ import annotations

from ..errors import InvalidInput
from ..money import parse_vnd


def text(data: dict, field: str, *, required=True, max_len=200, default="") -> str:
    value = data.get(field)
    value = default if value is None else str(value).strip()
    if required and not value:
        raise InvalidInput(field, "Không được để trống")
    if len(value) > max_len:
        raise InvalidInput(field, "Dài quá %(max)s ký tự", max=max_len)
    return value


def integer(data: dict, field: str, *, minimum=None, maximum=None, required=True, default=None) -> int | None:
    raw = data.get(field)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            raise InvalidInput(field, "Không được để trống")
        return default
    if isinstance(raw, bool):
        raise InvalidInput(field, "Phải là số nguyên")
    if isinstance(raw, int):
        value = raw
    else:
        try:
            value = int(str(raw).strip().replace(".", "").replace(",", ""))
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
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw * 100
    else:
        s = str(raw).strip().replace("%", "").replace(",", ".")
        whole, _, frac = s.partition(".")
        if not whole.isdigit() or (frac and (not frac.isdigit() or len(frac) > 2)):
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

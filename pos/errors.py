"""Errors the services raise. They know nothing about HTTP: the web face maps them to statuses
(pos/web/errors.py) and the CLI to a message and a non-zero exit.

Messages are written in Vietnamese (the booth's language) as gettext message ids,
so the English catalogue translates them; `params` fill the %(name)s places.
"""
from __future__ import annotations

from flask_babel import gettext


def N_(message: str) -> str:
    """Mark a message for translation where it is defined; it is translated when shown."""
    return message


class DomainError(Exception):
    """A rule of the booth refused the request; nothing was written."""

    message = N_("Yêu cầu bị từ chối")
    field: str | None = None

    def __init__(self, message: str | None = None, field: str | None = None, **params):
        if message is not None:
            self.message = message
        if field is not None:
            self.field = field
        self.params = params
        super().__init__(self.text)

    @property
    def text(self) -> str:
        """The message in the current user's language."""
        return gettext(self.message, **self.params)

    def __str__(self):
        return self.text


class InvalidInput(DomainError):
    """A field's value is malformed or out of range."""

    def __init__(self, field: str, message: str, **params):
        super().__init__(message, field=field, **params)


class NotFound(DomainError):
    message = N_("Không tìm thấy")


class UnknownProduct(NotFound):
    message = N_("Không có sản phẩm với mã %(code)s")


class DuplicateBarcode(DomainError):
    message = N_("Mã vạch %(code)s đã dùng cho sản phẩm %(product)s")
    field = "barcodes"


class Duplicate(DomainError):
    message = N_("Đã tồn tại")


class OutOfStock(DomainError):
    message = N_("Không đủ hàng: %(product)s còn %(on_hand)s, cần %(qty)s")


class Forbidden(DomainError):
    message = N_("Bạn không có quyền làm việc này")


class WrongPin(DomainError):
    message = N_("Mã PIN của quản lý không đúng")
    field = "pin"


class IdempotencyConflict(DomainError):
    message = N_("Khóa chống trùng đã dùng cho một đơn hàng khác")


class Underpaid(DomainError):
    message = N_("Khách trả %(paid)s, còn thiếu %(missing)s")


class DiscountOverLimit(DomainError):
    message = N_("Giảm giá vượt hạn mức của thu ngân (%(limit)s): cần mã PIN của quản lý")
    field = "pin"


class FairClosed(DomainError):
    message = N_("Hội chợ đã đóng: gian hàng chỉ còn xem được")


class NoOpenShift(DomainError):
    """The till has no open cash shift: nothing is sold (or paid back in cash) outside a shift."""

    message = N_("Quầy %(till)s chưa mở ca bán hàng: mở ca (nhập tiền đầu ca) trước khi bán")
    field = "till_id"

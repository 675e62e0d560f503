"""The test slip: shows at a glance whether a printer prints Vietnamese right with these settings."""
from __future__ import annotations

import unicodedata

from .charsets import VIETNAMESE_LOWER, VIETNAMESE_UPPER
from .layout import Slip
from .receipt import amount
from .settings import PrinterSettings


def build_test_page(settings: PrinterSettings) -> Slip:
    """A slip with every Vietnamese letter in both cases (đ Đ included), ₫, rows, OCOP stars and a QR code.

    The settings in use are printed on it, so a photo of the slip says which
    combination worked. Raises nothing.
    """
    mode = settings.mode + (f" {settings.codepage}" if settings.mode == "codepage" else "")
    slip = Slip().title("IN THỬ MÁY IN")
    slip.text("Fair POS – phiếu in thử", align="center")
    slip.separator()
    slip.row("Máy in:", settings.target.describe())
    slip.row("Khổ giấy:", f"{settings.paper_mm} mm")
    slip.row("Chế độ:", mode)
    if settings.mode == "codepage":
        if settings.codepage == "tcvn3":
            slip.row("ESC t:", f"{settings.slot_tcvn3_lower} / {settings.slot_tcvn3_upper}")
        else:
            slip.row("ESC t:", str(settings.slot_cp1258))
    slip.separator()
    slip.text("Chữ thường:", bold=True)
    for group in _groups(VIETNAMESE_LOWER):
        slip.text(group)
    slip.text("Chữ hoa:", bold=True)
    for group in _groups(VIETNAMESE_UPPER):
        slip.text(group)
    slip.text("đ Đ ₫", bold=True)
    slip.separator()
    slip.text("Tiếng Việt: Mật ong rừng Bình Liêu, Miến dong, Trà hoa vàng, Rượu ba kích.")
    slip.item("Mật ong rừng (OCOP\u00a0★★★★)", 2, amount(120_000), amount(240_000))
    slip.row("TỔNG CỘNG", amount(99_999_999), bold=True)
    slip.separator()
    slip.qr("Fair POS – in thử")
    slip.text("Nếu mọi chữ trên đều đúng dấu, máy in đã sẵn sàng.", align="center")
    return slip.cut()


def _groups(letters: str) -> list[str]:
    """The letters in groups of one base vowel each (a, ă, â, ...), spaced so each group fits 32 columns."""
    groups, current, base = [], [], None
    for letter in letters:
        head = letter.lower() if letter.lower() in "ăâêôơưđ" else _base(letter)
        if current and head != base:
            groups.append(" ".join(current))
            current = []
        base = head
        current.append(letter)
    if current:
        groups.append(" ".join(current))
    # Two groups a line keeps the page short on 58 mm paper (6 letters a group: 11 columns).
    return [" | ".join(groups[i:i + 2]) for i in range(0, len(groups), 2)]


def _base(letter: str) -> str:
    decomposed = unicodedata.normalize("NFD", letter.lower())
    shaped = decomposed[0] + "".join(m for m in decomposed[1:] if m in "\u0306\u0302\u031b")
    return unicodedata.normalize("NFC", shaped)

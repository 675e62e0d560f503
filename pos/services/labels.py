"""Barcode labels for products that have none: an in-store EAN-13 and an A4 sheet to print.

GS1 keeps the EAN-13 prefixes 200–299 for numbers a shop gives its own goods
("restricted circulation"): they never clash with a manufacturer's code, and
every scanner reads them. The booth's codes are 200 + a 9-digit serial + the
check digit, the serial going on from the highest one already used.

The barcode is drawn here as SVG (rectangles for the bars, the digits under
them), so the label sheet needs no library and prints sharp at any size.
Hand-written on purpose: python-barcode (0.16, installed with python-escpos)
writes a standalone SVG document (XML prolog, DOCTYPE, fixed millimetre width
and height, no viewBox) with a style="fill:…" on every bar, which the page's
Content-Security-Policy (style-src 'self') blocks and the label sheet's
stylesheet cannot size; making it fit would take more code than the 95-module
drawing below.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from markupsafe import Markup, escape
from sqlalchemy import select

from ..errors import InvalidInput, NotFound
from ..models import Barcode, Product
from ..text import vi_sorted
from . import validate as v

IN_STORE_PREFIX = "200"
MAX_COPIES = 500
LABELS_PER_PAGE = 24  # 3 × 8 labels of 70 × 37 mm on A4

# Left-hand odd (L), left-hand even (G) and right-hand (R) patterns of each digit.
_L = ("0001101", "0011001", "0010011", "0111101", "0100011", "0110001", "0101111", "0111011", "0110111", "0001011")
_R = tuple("".join("1" if b == "0" else "0" for b in code) for code in _L)
_G = tuple(code[::-1] for code in _R)
# The first digit is not drawn: it is the L/G pattern of the next six.
_PARITY = ("LLLLLL", "LLGLGG", "LLGGLG", "LLGGGL", "LGLLGG", "LGGLLG", "LGGGLL", "LGLGLG", "LGLGGL", "LGGLGL")


def check_digit(first12: str) -> str:
    """The EAN-13 check digit of 12 digits: weights 1, 3, 1, 3 … from the left, to the next ten."""
    if not re.fullmatch(r"\d{12}", first12 or ""):
        raise ValueError("an EAN-13 check digit needs 12 digits")
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return str((10 - total % 10) % 10)


def is_ean13(code: str) -> bool:
    return bool(re.fullmatch(r"\d{13}", code or "")) and check_digit(code[:12]) == code[12]


def ean13_modules(code: str) -> str:
    """The 95 modules (1 = bar) of an EAN-13: guard, six left digits, centre, six right digits, guard."""
    if not is_ean13(code):
        raise ValueError(f"not an EAN-13: {code!r}")
    parity = _PARITY[int(code[0])]
    left = "".join((_L if p == "L" else _G)[int(d)] for p, d in zip(parity, code[1:7]))
    right = "".join(_R[int(d)] for d in code[7:13])
    return "101" + left + "01010" + right + "101"


def ean13_svg(code: str, *, label: bool = True) -> Markup:
    """The barcode as inline SVG, in module units: the page's stylesheet sets its printed size
    (no inline style: the Content-Security-Policy allows none)."""
    modules = ean13_modules(code)
    quiet_left, quiet_right = 11, 7
    width = quiet_left + len(modules) + quiet_right
    bar_h, guard_h, text_h = 50.0, 55.0, 9.0
    total_h = guard_h + (text_h if label else 0)
    guards = set(range(0, 3)) | set(range(45, 50)) | set(range(92, 95))
    rects = []
    i = 0
    while i < len(modules):
        if modules[i] == "1":
            start = i
            while i < len(modules) and modules[i] == "1":
                i += 1
            h = guard_h if start in guards else bar_h
            rects.append(f'<rect x="{quiet_left + start}" y="0" width="{i - start}" height="{h}"/>')
        else:
            i += 1
    texts = ""
    if label:
        y = guard_h + text_h - 1
        texts = (f'<text x="{quiet_left - 2}" y="{y}" text-anchor="end">{code[0]}</text>'
                 f'<text x="{quiet_left + 3 + 21}" y="{y}" text-anchor="middle" textLength="40">{code[1:7]}</text>'
                 f'<text x="{quiet_left + 50 + 21}" y="{y}" text-anchor="middle" textLength="40">{code[7:13]}</text>')
    return Markup(
        f'<svg class="ean13" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {total_h}" '
        f'preserveAspectRatio="none" role="img" aria-label="EAN-13 {escape(code)}">'
        f'<g fill="#000">{"".join(rects)}</g>'
        f'<g font-family="DejaVu Sans Mono, monospace" font-size="9" fill="#000">{texts}</g></svg>')


def _next_serial(session) -> int:
    codes = session.scalars(select(Barcode.code).where(Barcode.code.like(IN_STORE_PREFIX + "%")))
    serials = [int(c[3:12]) for c in codes if is_ean13(c)]
    return max(serials, default=0) + 1


def in_store_code(serial: int) -> str:
    """200 + the serial on 9 digits + the check digit."""
    if not 0 < serial < 10 ** 9:
        raise ValueError("serial out of range")
    first12 = f"{IN_STORE_PREFIX}{serial:09d}"
    return first12 + check_digit(first12)


def products_without_barcode(session) -> list[Product]:
    """Active products with no barcode at all, in Vietnamese order."""
    found = session.scalars(select(Product).where(Product.is_active, ~Product.barcodes.any()))
    return vi_sorted(found, key=lambda p: p.name)


def assign_codes(session, product_ids=None) -> list[tuple[Product, str]]:
    """Give each product without a barcode (of those named, or all) an in-store EAN-13. Returns what was given."""
    wanted = None if product_ids is None else {v.integer({"product_id": x}, "product_id", minimum=1)
                                               for x in product_ids}
    serial = _next_serial(session)
    given = []
    for product in products_without_barcode(session):
        if wanted is not None and product.id not in wanted:
            continue
        code = in_store_code(serial)
        while session.scalars(select(Barcode).where(Barcode.code == code)).first() is not None:
            serial += 1
            code = in_store_code(serial)
        product.barcodes.append(Barcode(code=code))
        given.append((product, code))
        serial += 1
    session.flush()
    return given


@dataclass
class Label:
    product: Product
    code: str

    @property
    def svg(self) -> Markup:
        return ean13_svg(self.code)


def parse_copies(data: dict) -> dict[int, int]:
    """{product id: copies} from fields named copies-<product id>; blanks and zeros skipped.

    Raises InvalidInput naming the field.
    """
    out = {}
    for key, raw in data.items():
        if not key.startswith("copies-"):
            continue
        text = str(raw or "").strip()
        if not text:
            continue
        if not re.fullmatch(r"[0-9]{1,6}", text) or int(text) > MAX_COPIES:  # not isdigit(): "²" is a digit
            raise InvalidInput(key, "Số tem phải là số nguyên từ 0 đến %(max)s", max=MAX_COPIES)
        try:
            pid = int(key[len("copies-"):])
        except ValueError:
            raise InvalidInput(key, "Sản phẩm không hợp lệ") from None
        if int(text):
            out[pid] = int(text)
    return out


def label_sheet(session, copies: dict[int, int]) -> tuple[list[list[Label]], list[str]]:
    """Labels in A4 pages of 24, and the products left out (no EAN-13 to draw), by name.

    Raises InvalidInput (nothing asked for), NotFound (an unknown product).
    """
    if not copies:
        raise InvalidInput("copies", "Nhập số tem cần in cho ít nhất một sản phẩm")
    if sum(copies.values()) > MAX_COPIES * 4:
        raise InvalidInput("copies", "Quá nhiều tem một lần (tối đa %(n)s)", n=MAX_COPIES * 4)
    labels: list[Label] = []
    skipped: list[str] = []
    for pid, n in copies.items():
        product = session.get(Product, pid)
        if product is None:
            raise NotFound("Không tìm thấy sản phẩm", field=f"copies-{pid}")
        code = next((c for c in product.barcode_list if is_ean13(c)), None)
        if code is None:
            skipped.append(product.name)
            continue
        labels += [Label(product, code)] * n
    pages = [labels[i:i + LABELS_PER_PAGE] for i in range(0, len(labels), LABELS_PER_PAGE)]
    return pages, skipped

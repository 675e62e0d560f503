"""One layout engine for every paper slip: receipts, pre-bills, shift reports, statements.

A `Slip` is a list of blocks (title, text, two-column row, item, separator, blank,
QR, cut). `lay_out_lines` turns it into logical lines for a given width and a
given way of measuring text: characters for text-mode printers and the browser
preview (`lay_out`), pixels of the bundled font for image mode (see image.py).
The same wrapping and alignment rules therefore apply to both.

Widths in text mode are counted in characters of the NFC string (a combining
mark takes no column). Lines never exceed the width: a word longer than the
line is broken, a row whose right part does not fit beside the left one puts
it on its own line.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Callable, Iterator, Union

from .charsets import clean, display_width

# Paper width in characters of the printer's font A (12 dots wide).
COLUMNS_58MM = 32
COLUMNS_80MM = 48

# Styles of a line of text.
NORMAL = "normal"
BOLD = "bold"
TITLE = "title"  # big and bold: double height in text modes, a larger font in image mode

# Kinds of laid-out line.
TEXT = "text"
RULE = "rule"
BLANK = "blank"
QR_CODE = "qr"
CUT = "cut"

ALIGNMENTS = ("left", "center", "right")
NBSP = "\u00a0"  # a space the wrapping never breaks at


@dataclass(frozen=True)
class Title:
    """A heading: big, bold, centred (wrapped if too long)."""

    text: str


@dataclass(frozen=True)
class Text:
    """A paragraph, wrapped to the width; "\\n" starts a new line."""

    text: str
    align: str = "left"
    bold: bool = False


@dataclass(frozen=True)
class Row:
    """Two columns: left text, right text flush right (the left wraps when too long)."""

    left: str
    right: str
    bold: bool = False


@dataclass(frozen=True)
class Item:
    """A sold item: its name wrapped to the width, then "qty x unit price" and the line total flush right."""

    name: str
    qty: int
    unit_price: str
    total: str


@dataclass(frozen=True)
class Separator:
    """A full-width rule."""

    char: str = "-"


@dataclass(frozen=True)
class Blank:
    """An empty line."""


@dataclass(frozen=True)
class QR:
    """A QR code carrying payload, centred (its own line)."""

    payload: str


@dataclass(frozen=True)
class Cut:
    """Cut the paper here (or feed it to the tear bar when the printer has no cutter)."""


Block = Union[Title, Text, Row, Item, Separator, Blank, QR, Cut]

# The fields of each block that are text to print, as opposed to data (a QR payload, a quantity).
_TEXT_FIELDS = {
    Title: ("text",),
    Text: ("text",),
    Row: ("left", "right"),
    Item: ("name", "unit_price", "total"),
}


@dataclass
class Slip:
    """A paper slip: an ordered list of blocks, built with the chaining helpers, e.g.

        Slip().title("PHIẾU THANH TOÁN").row("TỔNG CỘNG", "120.000 ₫", bold=True).cut()
    """

    blocks: list = field(default_factory=list)

    def add(self, block: Block) -> "Slip":
        self.blocks.append(block)
        return self

    def title(self, text: str) -> "Slip":
        return self.add(Title(text))

    def text(self, text: str, align: str = "left", bold: bool = False) -> "Slip":
        return self.add(Text(text, align, bold))

    def row(self, left: str, right: str, bold: bool = False) -> "Slip":
        return self.add(Row(left, right, bold))

    def item(self, name: str, qty: int, unit_price: str, total: str) -> "Slip":
        return self.add(Item(name, qty, unit_price, total))

    def separator(self, char: str = "-") -> "Slip":
        return self.add(Separator(char))

    def blank(self) -> "Slip":
        return self.add(Blank())

    def qr(self, payload: str) -> "Slip":
        return self.add(QR(payload))

    def cut(self) -> "Slip":
        return self.add(Cut())

    def __iter__(self) -> Iterator[Block]:
        return iter(self.blocks)

    def __len__(self) -> int:
        return len(self.blocks)

    def map_text(self, fn: Callable[[str], str]) -> "Slip":
        """A copy with fn applied to every printed string (not to QR payloads or quantities)."""
        mapped = []
        for block in self.blocks:
            names = _TEXT_FIELDS.get(type(block), ())
            changes = {name: fn(str(getattr(block, name) or "")) for name in names}
            mapped.append(dataclasses.replace(block, **changes) if changes else block)
        return Slip(mapped)


@dataclass(frozen=True)
class Line:
    """One laid-out line: text (left part, optional right part flush right), a rule, a blank, a QR or a cut."""

    kind: str
    left: str = ""
    right: str = ""
    align: str = "left"
    style: str = NORMAL
    payload: str = ""


Measure = Callable[[str, str], float]  # (text, style) -> width in the layout's unit


def text_measure(text: str, style: str) -> int:
    """Width of text in characters, whatever the style (titles are double height, not double width)."""
    return display_width(text)


def lay_out_lines(slip: Slip, width: float, measure: Measure = text_measure, gap: float = 1) -> list[Line]:
    """Lay the slip out into logical lines no wider than width.

    measure(text, style) gives a text's width in the same unit as width; gap is the
    least space between the two parts of a row. Raises nothing for odd input:
    unknown alignments are treated as "left", over-long words are broken.
    """
    lines: list[Line] = []
    for block in slip:
        if isinstance(block, Title):
            for part in wrap(block.text, width, measure, TITLE):
                lines.append(Line(TEXT, part, align="center", style=TITLE))
        elif isinstance(block, Text):
            style = BOLD if block.bold else NORMAL
            align = block.align if block.align in ALIGNMENTS else "left"
            for part in wrap(block.text, width, measure, style):
                lines.append(Line(TEXT, part, align=align, style=style))
        elif isinstance(block, Row):
            lines.extend(_row(block.left, block.right, width, measure, BOLD if block.bold else NORMAL, gap))
        elif isinstance(block, Item):
            for part in wrap(block.name, width, measure, NORMAL):
                lines.append(Line(TEXT, part))
            detail = f"{block.qty} x {block.unit_price}"
            lines.extend(_row(detail, block.total, width, measure, NORMAL, gap))
        elif isinstance(block, Separator):
            lines.append(Line(RULE, block.char or "-"))
        elif isinstance(block, Blank):
            lines.append(Line(BLANK))
        elif isinstance(block, QR):
            if block.payload:
                lines.append(Line(QR_CODE, payload=block.payload))
        elif isinstance(block, Cut):
            lines.append(Line(CUT))
    return lines


def wrap(text: str, width: float, measure: Measure = text_measure, style: str = NORMAL) -> list[str]:
    """Greedy word wrap of text into lines no wider than width; "\\n" forces a break.

    Words are separated by ordinary spaces only: a no-break space (U+00A0) keeps
    "120.000 ₫" or "OCOP ★★★" on one line. Leading spaces of a paragraph indent
    each of its lines; other runs of spaces collapse to one. A word wider than
    the line is broken where it has to be. An empty text gives one empty line.
    """
    lines: list[str] = []
    for paragraph in clean(text).split("\n"):
        body = paragraph.lstrip(" ")
        indent = paragraph[: len(paragraph) - len(body)]
        if measure(indent + "MM", style) > width:
            indent = ""  # an indent that leaves no room is dropped rather than looping
        current = ""
        for word in (w for w in body.split(" ") if w):
            candidate = f"{current} {word}" if current else indent + word
            if measure(candidate, style) <= width:
                current = candidate
                continue
            if current:
                lines.append(current)
            pieces = _break_word(word, width - measure(indent, style), measure, style)
            lines.extend(indent + piece for piece in pieces[:-1])
            current = indent + pieces[-1]
        lines.append(current)
    return lines


def _break_word(word: str, width: float, measure: Measure, style: str) -> list[str]:
    """Cut a word into pieces that each fit the width (at least one character each)."""
    pieces = []
    while word:
        if measure(word, style) <= width:
            pieces.append(word)
            break
        lo, hi = 1, len(word)  # the longest prefix that fits, found by bisection
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if measure(word[:mid], style) <= width:
                lo = mid
            else:
                hi = mid - 1
        pieces.append(word[:lo])
        word = word[lo:]
    return pieces or [""]


def _row(left: str, right: str, width: float, measure: Measure, style: str, gap: float) -> list[Line]:
    """Lines for a two-column row.

    Both parts on one line when they fit. Otherwise a left part that fits a line
    by itself gets its own line and the right part goes flush right under it; a
    longer left part wraps beside the right part (which ends up on its last
    line) when the right part is narrow, else above it.
    """
    left, right = clean(left).rstrip(), clean(right).strip()
    if not right:
        return [Line(TEXT, part, style=style) for part in wrap(left, width, measure, style)]
    right_width = measure(right, style)
    left_width = measure(left, style)
    if left_width + gap + right_width <= width:
        return [Line(TEXT, left, right, style=style)]
    if left_width > width and right_width + gap <= width * 0.6:
        # Keep the amount beside the label: wrap the label into what the amount leaves.
        parts = wrap(left, width - right_width - gap, measure, style)
        lines = [Line(TEXT, part, style=style) for part in parts[:-1]]
        return lines + [Line(TEXT, parts[-1], right, style=style)]
    lines = [Line(TEXT, part, style=style) for part in wrap(left, width, measure, style) if part.strip()]
    lines += [Line(TEXT, part, align="right", style=style) for part in wrap(right, width, measure, style)]
    return lines


def line_to_text(line: Line, columns: int, width_of: Callable[[str], int] = display_width) -> str:
    """The characters a text-mode printer prints for one laid-out line (no trailing newline).

    width_of(text) is how many columns the printer advances for text (the encoder's count
    in CP1258, where a tone mark is a byte of its own). No-break spaces come out as ordinary spaces.
    """
    return _text_of(line, columns, width_of).replace(NBSP, " ")


def _text_of(line: Line, columns: int, width_of: Callable[[str], int] = display_width) -> str:
    if line.kind == TEXT:
        used = width_of(line.left)
        if line.right:
            return line.left + " " * max(1, columns - used - width_of(line.right)) + line.right
        if line.align == "center":
            return " " * max(0, (columns - used) // 2) + line.left
        if line.align == "right":
            return " " * max(0, columns - used) + line.left
        return line.left
    if line.kind == RULE:
        char = line.left[:1] or "-"
        return char * (columns // max(1, width_of(char)))
    if line.kind == QR_CODE:
        return "[QR]".center(columns).rstrip()
    return ""


def lay_out(slip: Slip, columns: int, width_of: Callable[[str], int] = display_width) -> list[str]:
    """The text lines of a slip for a paper `columns` characters wide (32 for 58 mm, 48 for 80 mm).

    Used by the text printing modes and the browser preview; width_of counts the columns a
    text takes on the printer (letters by default). A QR code shows as "[QR]"; a cut adds no line.
    """
    measure = (lambda text, style: width_of(text)) if width_of is not display_width else text_measure
    return [line_to_text(line, columns, width_of) for line in lay_out_lines(slip, columns, measure)
            if line.kind != CUT]


def slip_to_json(slip: "Slip") -> str:
    """A slip as JSON, so a print job can carry a finished slip (a Z report, a void or refund slip)."""
    import json
    from dataclasses import asdict

    return json.dumps([{"block": type(b).__name__, **asdict(b)} for b in slip], ensure_ascii=False)


def slip_from_json(payload: str) -> "Slip":
    """The slip slip_to_json() wrote."""
    import json

    slip = Slip()
    for raw in json.loads(payload):
        raw = dict(raw)
        slip.add(globals()[raw.pop("block")](**raw))
    return slip

"""Image mode: the slip drawn with the bundled DejaVu Sans, one black-and-white dot per printer dot.

Printing a picture of the slip is the one way Vietnamese comes out right on
every printer, whatever code pages it has. The image is exactly the paper's
printable width in dots (384 for 58 mm, 576 for 80 mm) and is sent unchanged as
a raster, so a preview of `render_image` is what the paper will show.

Fonts are loaded once per process per (path, size) with functools.lru_cache:
loading a TrueType file costs more than drawing a whole slip.
"""
from __future__ import annotations

import functools
import struct
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from .charsets import ImageText
from .layout import BOLD, CUT, NORMAL, QR_CODE, RULE, TEXT, TITLE, Line, Slip, lay_out_lines

FONT_DIR = Path(__file__).parent / "fonts"
REGULAR_FONT = FONT_DIR / "DejaVuSans.ttf"
BOLD_FONT = FONT_DIR / "DejaVuSans-Bold.ttf"

# Pixel sizes tuned so a 58 mm slip holds about as many characters per line as
# the printer's own font A (32), and an 80 mm one about 44.
_SIZES = {58: (20, 26), 80: (24, 32)}  # paper -> (body, title)
_MARGIN = 2  # dots left blank at each side: some heads lose the outermost dots
_WHITE, _BLACK = 1, 0


@functools.lru_cache(maxsize=16)
def load_font(path: str, size: int) -> ImageFont.FreeTypeFont:
    """The TrueType font at path in size pixels, loaded once per process."""
    # The basic layout engine is enough for precomposed Vietnamese and does not need libraqm.
    return ImageFont.truetype(path, size, layout_engine=ImageFont.Layout.BASIC)


@functools.lru_cache(maxsize=4)
def font_coverage(path: str) -> frozenset[int]:
    """The code points the font at path has a glyph for (read from its cmap table)."""
    data = Path(path).read_bytes()
    num_tables = struct.unpack_from(">H", data, 4)[0]
    cmap_offset = None
    for i in range(num_tables):
        tag, _, offset, _ = struct.unpack_from(">4sIII", data, 12 + 16 * i)
        if tag == b"cmap":
            cmap_offset = offset
    if cmap_offset is None:
        return frozenset()
    count = struct.unpack_from(">H", data, cmap_offset + 2)[0]
    subtables = {}
    for i in range(count):
        platform, encoding, offset = struct.unpack_from(">HHI", data, cmap_offset + 4 + 8 * i)
        subtables[(platform, encoding)] = cmap_offset + offset
    if (3, 10) in subtables:
        return _cmap_format12(data, subtables[(3, 10)])
    if (3, 1) in subtables:
        return _cmap_format4(data, subtables[(3, 1)])
    return frozenset()


def _cmap_format12(data: bytes, at: int) -> frozenset[int]:
    if struct.unpack_from(">H", data, at)[0] != 12:
        return frozenset()
    groups = struct.unpack_from(">I", data, at + 12)[0]
    points = set()
    for g in range(groups):
        start, end, glyph = struct.unpack_from(">III", data, at + 16 + 12 * g)
        points.update(range(start, end + 1) if glyph else range(start + 1, end + 1))
    return frozenset(points)


def _cmap_format4(data: bytes, at: int) -> frozenset[int]:
    if struct.unpack_from(">H", data, at)[0] != 4:
        return frozenset()
    segments = struct.unpack_from(">H", data, at + 6)[0] // 2
    ends = struct.unpack_from(f">{segments}H", data, at + 14)
    starts = struct.unpack_from(f">{segments}H", data, at + 16 + 2 * segments)
    deltas = struct.unpack_from(f">{segments}h", data, at + 16 + 4 * segments)
    range_offsets_at = at + 16 + 6 * segments
    range_offsets = struct.unpack_from(f">{segments}H", data, range_offsets_at)
    points = set()
    for s in range(segments):
        for code in range(starts[s], ends[s] + 1):
            if code == 0xFFFF:
                continue
            if range_offsets[s] == 0:
                glyph = (code + deltas[s]) & 0xFFFF
            else:
                glyph_at = range_offsets_at + 2 * s + range_offsets[s] + 2 * (code - starts[s])
                glyph = struct.unpack_from(">H", data, glyph_at)[0]
                glyph = (glyph + deltas[s]) & 0xFFFF if glyph else 0
            if glyph:
                points.add(code)
    return frozenset(points)


class _Fonts:
    """The three fonts of a slip and how wide text is in each, in dots."""

    def __init__(self, paper_mm: int):
        body, title = _SIZES.get(paper_mm, _SIZES[80])
        self.by_style = {
            NORMAL: load_font(str(REGULAR_FONT), body),
            BOLD: load_font(str(BOLD_FONT), body),
            TITLE: load_font(str(BOLD_FONT), title),
        }
        covered = font_coverage(str(REGULAR_FONT)) & font_coverage(str(BOLD_FONT))
        self.text = ImageText(lambda ch: ord(ch) in covered)
        self._widths: dict[tuple[str, str], float] = {}

    def measure(self, text: str, style: str) -> float:
        # Remembered for this one slip: wrapping and drawing measure the same strings again.
        key = (text, style)
        width = self._widths.get(key)
        if width is None:
            width = self._widths[key] = self.by_style[style].getlength(text)
        return width

    def line_height(self, style: str) -> int:
        ascent, descent = self.by_style[style].getmetrics()
        # Stacked Vietnamese marks (Ẫ, Ệ) rise above the font's ascent: leave room for them.
        return ascent + descent + self._top_room(style)

    def baseline(self, style: str) -> int:
        return self._top_room(style) + self.by_style[style].getmetrics()[0]

    def _top_room(self, style: str) -> int:
        return max(2, self.by_style[style].size // 6)


def _qr_matrix(payload: str, border: int) -> list[list[bool]]:
    import qrcode  # loaded when a slip carries a QR code, not at start
    import qrcode.constants

    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=border)
    code.add_data(payload)
    code.make(fit=True)
    return code.get_matrix()


def qr_modules(payload: str) -> int:
    """Modules per side of payload's QR code (error correction M, no quiet zone)."""
    return len(_qr_matrix(payload, 0))


def qr_image(payload: str, max_width: int) -> Image.Image:
    """A black-and-white QR code of payload (error correction M), as large as fits max_width (≤ 8 dots a module)."""
    matrix = _qr_matrix(payload, 2)
    modules = len(matrix)
    scale = max(1, min(8, max_width // modules))
    small = Image.new("1", (modules, modules), _WHITE)
    small.putdata([_BLACK if dark else _WHITE for row in matrix for dark in row])
    return small.resize((modules * scale, modules * scale), Image.Resampling.NEAREST)


def render_segments(slip: Slip, paper_mm: int, dots: int) -> list[Image.Image]:
    """One mode-"1" image per cut-separated part of the slip, each `dots` wide (no empty parts)."""
    fonts = _Fonts(paper_mm)
    prepared = slip.map_text(fonts.text.prepare)
    width = dots - 2 * _MARGIN
    gap = fonts.measure("  ", NORMAL)
    lines = lay_out_lines(prepared, width, fonts.measure, gap)
    segments, current = [], []
    for line in lines:
        if line.kind == CUT:
            if current:
                segments.append(current)
            current = []
        else:
            current.append(line)
    if current:
        segments.append(current)
    return [_draw(segment, fonts, dots) for segment in segments]


def _draw(lines: list[Line], fonts: _Fonts, dots: int) -> Image.Image:
    """Draw laid-out lines onto one image: heights first, then the pixels."""
    # QR codes about two thirds of the paper wide: phones scan them easily, paper is spared.
    qr_images = {i: qr_image(line.payload, dots * 2 // 3) for i, line in enumerate(lines) if line.kind == QR_CODE}
    half_line = fonts.line_height(NORMAL) // 2
    heights = []
    for i, line in enumerate(lines):
        if line.kind == TEXT:
            heights.append(fonts.line_height(line.style))
        elif line.kind == QR_CODE:
            heights.append(qr_images[i].height)
        else:  # a rule or a blank: half a line
            heights.append(half_line)
    image = Image.new("1", (dots, max(1, sum(heights))), _WHITE)
    draw = ImageDraw.Draw(image)
    right_edge = dots - _MARGIN
    y = 0
    for i, (line, height) in enumerate(zip(lines, heights)):
        if line.kind == TEXT:
            font = fonts.by_style[line.style]
            baseline = y + fonts.baseline(line.style)
            text_width = fonts.measure(line.left, line.style)
            if line.align == "center" and not line.right:
                x = _MARGIN + ((right_edge - _MARGIN) - text_width) / 2
            elif line.align == "right" and not line.right:
                x = right_edge - text_width
            else:
                x = _MARGIN
            draw.text((round(x), baseline), line.left, font=font, fill=_BLACK, anchor="ls")
            if line.right:
                x_right = right_edge - fonts.measure(line.right, line.style)
                draw.text((round(x_right), baseline), line.right, font=font, fill=_BLACK, anchor="ls")
        elif line.kind == RULE:
            middle = y + height // 2
            dash = 6 if line.left == "-" else 0
            if dash:
                for x in range(_MARGIN, right_edge, dash * 2):
                    draw.line([(x, middle), (min(x + dash, right_edge) - 1, middle)], fill=_BLACK, width=2)
            else:
                draw.line([(_MARGIN, middle), (right_edge - 1, middle)], fill=_BLACK, width=2)
        elif line.kind == QR_CODE:
            qr = qr_images[i]
            image.paste(qr, ((dots - qr.width) // 2, y))
        y += height
    return image


def stack(images: list[Image.Image], dots: int) -> Image.Image:
    """Images one under the other (the whole slip when it has cuts in the middle)."""
    height = sum(im.height for im in images) or 1
    out = Image.new("1", (dots, height), _WHITE)
    y = 0
    for im in images:
        out.paste(im, (0, y))
        y += im.height
    return out

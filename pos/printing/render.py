"""Turning a Slip into ESC/POS commands on a python-escpos printer object, in three modes.

- image: the slip drawn with the bundled font (image.py) and sent with the
  raster command GS v 0 (python-escpos `image(..., impl="bitImageRaster")`).
  Works on any printer; the most bytes.
- codepage: text lines from the layout engine, encoded in TCVN-3 or CP1258 by
  charsets.py and sent raw after ESC t n (never python-escpos's magic encoder).
  QR codes use the printer's own QR command where the profile has one. Fast
  on slow serial links.
- ascii: text without diacritics, for printers with neither.

Every job starts with ESC @ (reset whatever a previous aborted job left) and,
in the text modes, FS . when the settings ask for it. It ends with a cut when
the printer has a cutter, else with a feed past the tear bar.

Building bytes never raises for odd content (very long names, emoji, huge
amounts): what cannot be printed becomes "?". It raises PrinterConfigError only
for settings python-escpos cannot work with.
"""
from __future__ import annotations

import io
from typing import TYPE_CHECKING

from PIL import Image

from . import image as image_mode
from .charsets import AsciiEncoder, Cp1258Encoder, Tcvn3Encoder
from .errors import PrinterConfigError
from .layout import BOLD, CUT, QR_CODE, TEXT, TITLE, Cut, Line, Slip, lay_out, lay_out_lines, line_to_text
from .settings import PrinterSettings

if TYPE_CHECKING:  # python-escpos parses its printer profiles on import: loaded when a slip is built
    from escpos.escpos import Escpos
    from escpos.printer import Dummy

CANCEL_CHINESE = b"\x1c\x2e"  # FS . : leave the Chinese double-byte mode some clones power up in
_FEED_LINES = 6  # lines fed before cutting or tearing: the cutter sits above the print head
_RASTER_BAND_ROWS = 960


def text_encoder(settings: PrinterSettings):
    """The text encoder of the settings' mode: TCVN-3, CP1258 or ASCII (for codepage/ascii modes)."""
    if settings.mode == "ascii":
        return AsciiEncoder()
    if settings.codepage == "cp1258":
        return Cp1258Encoder(settings.slot_cp1258)
    return Tcvn3Encoder(settings.slot_tcvn3_lower, settings.slot_tcvn3_upper)


def printable_dots(settings: PrinterSettings) -> int:
    """The image width: the paper's dots, or fewer when the escpos profile says the head is narrower."""
    media = _profile_data(settings.profile).get("media", {})
    try:
        profile_dots = int(media.get("width", {}).get("pixels"))
    except (TypeError, ValueError):
        return settings.dots  # "Unknown" in most profiles
    return min(settings.dots, profile_dots) if profile_dots > 0 else settings.dots


def render_images(slip: Slip, settings: PrinterSettings) -> list[Image.Image]:
    """The raster images image mode sends, one per cut-separated part of the slip."""
    return image_mode.render_segments(slip, settings.paper_mm, printable_dots(settings))


def render_image(slip: Slip, settings: PrinterSettings) -> Image.Image:
    """The whole slip as the mode-"1" image image mode prints (parts stacked if the slip has inner cuts)."""
    images = render_images(slip, settings)
    if len(images) == 1:
        return images[0]
    return image_mode.stack(images, printable_dots(settings))


def preview_png(slip: Slip, settings: PrinterSettings) -> bytes:
    """PNG of render_image: dot for dot what image mode prints (use preview_text for the text modes)."""
    buffer = io.BytesIO()
    render_image(slip, settings).save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def prepare_text_slip(slip: Slip, settings: PrinterSettings) -> Slip:
    """The slip with its text rewritten into what the text mode prints ("★★★" -> "3*", no emoji...)."""
    return slip.map_text(text_encoder(settings).prepare)


def preview_text(slip: Slip, settings: PrinterSettings) -> list[str]:
    """The lines of the slip at the paper's column count, as the text modes print them.

    In image mode the text is kept as it is (stars included) and laid out in
    characters, which is a fair approximation of the picture for the browser.
    """
    if settings.mode == "image":
        return lay_out(slip, settings.columns)
    return lay_out(prepare_text_slip(slip, settings), settings.columns, text_encoder(settings).columns)


def make_dummy(settings: PrinterSettings) -> Dummy:
    """A python-escpos Dummy printer with the settings' profile, collecting bytes in memory."""
    from escpos.printer import Dummy

    printer = Dummy(profile=settings.profile)
    _fix_profile_width(printer, settings)
    return printer


def slip_to_bytes(slip: Slip, settings: PrinterSettings, *, open_drawer: bool = False) -> bytes:
    """The complete ESC/POS job for the slip: what send_bytes() should deliver to the printer.

    open_drawer kicks the cash drawer (only when settings.has_drawer).
    Raises PrinterConfigError only for unusable settings.
    """
    printer = make_dummy(settings)
    render_to_printer(slip, settings, printer, open_drawer=open_drawer)
    return printer.output


def render_to_printer(slip: Slip, settings: PrinterSettings, printer: Escpos, *, open_drawer: bool = False) -> None:
    """Write the slip as ESC/POS commands to any python-escpos printer object.

    Raises what the printer object's _raw raises (a real device may fail midway);
    prefer slip_to_bytes + device.send_bytes, which report failures as PrinterUnavailable.
    """
    _fix_profile_width(printer, settings)
    printer.hw("INIT")
    text_mode = settings.mode in ("codepage", "ascii")
    if text_mode and settings.cancel_chinese:
        printer._raw(CANCEL_CHINESE)
    if open_drawer and settings.has_drawer:
        # Kick first: the cashier counts change while the slip prints.
        printer.cashdraw(2)
    blocks = list(slip)
    if not blocks or not isinstance(blocks[-1], Cut):
        slip = Slip(blocks + [Cut()])  # every job ends with a cut or a tear-off feed
    if settings.mode == "image":
        _render_image_mode(slip, settings, printer)
    else:
        _render_text_mode(slip, settings, printer)


def _render_image_mode(slip: Slip, settings: PrinterSettings, printer: Escpos) -> None:
    parts = render_images(slip, settings)
    if not parts:  # nothing to draw: still end the job the usual way
        _end_part(settings, printer)
    for part in parts:
        # Bands of at most 960 rows (python-escpos's own fragment height: some printers
        # cannot buffer one tall GS v 0). Cutting them here rather than letting image()
        # split spares converting the whole slip twice; the bytes are the same.
        for top in range(0, part.height, _RASTER_BAND_ROWS):
            band = part.crop((0, top, part.width, min(part.height, top + _RASTER_BAND_ROWS)))
            printer.image(band, impl="bitImageRaster", center=False, fragment_height=_RASTER_BAND_ROWS)
        _end_part(settings, printer)


def _render_text_mode(slip: Slip, settings: PrinterSettings, printer: Escpos) -> None:
    encoder = text_encoder(settings)
    prepared = slip.map_text(encoder.prepare)
    columns = settings.columns
    printer._raw(encoder.begin())
    style = None
    # Lines are measured in the columns the printer advances on, not in letters: in CP1258 a
    # tone mark is a byte of its own, so "Miến dong" is 11 columns wide, not 9.
    for line in lay_out_lines(prepared, columns, lambda text, style: encoder.columns(text)):
        if line.kind == CUT:
            _end_part(settings, printer)
            continue
        wanted = line.style if line.kind == TEXT else None
        if wanted != style:
            _set_style(printer, wanted)
            style = wanted
        if line.kind == QR_CODE:
            _text_mode_qr(line, settings, printer)
        else:
            printer._raw(encoder.encode(line_to_text(line, columns, encoder.columns)) + b"\n")


def _set_style(printer: Escpos, style: str | None) -> None:
    """Bold for BOLD, bold double height for TITLE (double width would halve the columns)."""
    if style == TITLE:
        printer.set(bold=True, double_height=True)
    elif style == BOLD:
        printer.set(bold=True, normal_textsize=True)
    else:
        printer.set(bold=False, normal_textsize=True)


def _text_mode_qr(line: Line, settings: PrinterSettings, printer: Escpos) -> None:
    """Native QR (GS ( k) where the profile has it, else the QR as a raster image."""
    if printer.profile.supports("qrCode"):
        # Module size in dots: the code about 60 % of the paper wide, 3 to 8 dots a module.
        modules = image_mode.qr_modules(line.payload)
        size = max(3, min(8, int(printable_dots(settings) * 0.6) // modules))
        printer.set(align="center")
        from escpos.constants import QR_ECLEVEL_M

        printer.qr(line.payload, ec=QR_ECLEVEL_M, size=size, native=True)
        printer.set(align="left")
        printer._raw(b"\n")
    else:
        dots = printable_dots(settings)
        qr = image_mode.qr_image(line.payload, dots - 4)
        canvas = Image.new("1", (dots, qr.height), 1)
        canvas.paste(qr, ((dots - qr.width) // 2, 0))
        printer.image(canvas, impl="bitImageRaster", center=False)


def _end_part(settings: PrinterSettings, printer: Escpos) -> None:
    if not settings.has_cutter:
        printer.print_and_feed(_FEED_LINES)  # past the tear bar
    elif printer.profile.supports("paperFullCut") or printer.profile.supports("paperPartCut"):
        printer.cut()  # feeds _FEED_LINES (6) lines itself, then GS V
    else:
        # python-escpos's cut() sends nothing when the profile lists no cutter (many
        # 58 mm profiles); the booth's own has_cutter setting knows better.
        from escpos.constants import PAPER_FULL_CUT

        printer.print_and_feed(_FEED_LINES)
        printer._raw(PAPER_FULL_CUT)


def _profile_data(name: str) -> dict:
    from escpos.capabilities import CAPABILITIES

    try:
        return CAPABILITIES["profiles"][name]
    except KeyError:
        raise PrinterConfigError(f"Không có cấu hình máy in '{name}'.", setting="profile") from None


def _fix_profile_width(printer: Escpos, settings: PrinterSettings) -> None:
    """Give the printer's profile our paper width when it has none.

    python-escpos's image() prints a warning to stdout for every image when the
    profile's media width is "Unknown" (most profiles), and refuses images wider
    than a known one. The profile object's data is replaced on this printer
    object only: python-escpos shares the class-level dict between printers.
    """
    data = printer.profile.profile_data
    media = data.get("media", {})
    width = media.get("width", {})
    if str(width.get("pixels", "Unknown")).isdigit():
        return
    patched = dict(data)
    patched["media"] = {**media, "width": {**width, "pixels": printable_dots(settings)}}
    printer.profile.profile_data = patched


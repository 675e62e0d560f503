"""Vietnamese text for printers that print text: TCVN-3, CP1258 and plain ASCII.

python-escpos's magic encoder is not used for Vietnamese: it prints '?' for a
letter none of the profile's code pages holds, and its TCVN-3 capital table maps
Đ to the Icelandic Ð. Here each mode encodes the text itself and selects the
code page with ESC t n; the slot numbers n come from the settings because
clones number their code pages differently from Epson.

Each encoder has two steps:

- `prepare(text)` rewrites a string into what the mode can print, so that the
  layout measures what will really be printed: "★★★" becomes "3*", "₫" becomes
  "đ" (TCVN-3) or "VND" (ASCII), typographic dashes and quotes become ASCII
  ones, a letter the code page lacks loses its marks if that helps, and what is
  left unprintable (emoji, Chinese...) becomes "?".
- `encode(text)` turns a prepared string into bytes, emitting ESC t n where the
  code page must change (TCVN-3 needs two pages: one for lower-case letters, one
  for the capitals with diacritics). `begin()` gives the bytes that put the
  printer in the encoder's code page at the start of a job.
"""
from __future__ import annotations

import re
import unicodedata

from pos.text import strip_diacritics

ESC_T = b"\x1bt"  # ESC t n: select character code table n

# The 67 lower-case letters of Vietnamese that carry a diacritic: 12 vowels
# (a ă â e ê i o ô ơ u ư y) with each of the 5 tone marks, the 6 shaped vowels
# without a tone, and đ. With their capitals: 134 letters.
VIETNAMESE_LOWER = (
    "àáảãạ" "ăằắẳẵặ" "âầấẩẫậ" "èéẻẽẹ" "êềếểễệ" "ìíỉĩị" "òóỏõọ"
    "ôồốổỗộ" "ơờớởỡợ" "ùúủũụ" "ưừứửữự" "ỳýỷỹỵ" "đ"
)
VIETNAMESE_UPPER = VIETNAMESE_LOWER.upper()
VIETNAMESE_LETTERS = VIETNAMESE_LOWER + VIETNAMESE_UPPER

# TCVN 5712:1993 VN3 ("ABC"), the lower-case font (.VnTime): byte -> letter, as
# runs of consecutive bytes. Capitals with a tone mark are not in this page.
_TCVN3_LOWER_RUNS = (
    (0xA8, "ăâêôơưđ"),
    (0xB5, "àảãáạ"),
    (0xBB, "ằẳẵắ"),
    (0xC6, "ặầẩẫấậè"),
    (0xCE, "ẻẽéẹềểễếệìỉ"),
    (0xDC, "ĩíịò"),
    (0xE1, "ỏõóọồổỗốộờởỡớợù"),
    (0xF1, "ủũúụừửữứựỳỷỹýỵ"),
)


def _runs_to_map(runs) -> dict[str, int]:
    table = {}
    for start, letters in runs:
        for offset, letter in enumerate(letters):
            table[letter] = start + offset
    return table


TCVN3_LOWER: dict[str, int] = _runs_to_map(_TCVN3_LOWER_RUNS)

# The capital font (.VnTimeH, Epson's "TCVN-3 capital" page) holds each capital at
# the byte of its lower-case letter; VN3 also has Ă Â Ê Ô Ơ Ư Đ at 0xA1-0xA7 in
# both fonts. For those seven the bytes are the ones Epson's capital page and the
# VN3 fonts agree on (python-escpos's Epson-derived table has Ă Â Đ at A1 A2 A7
# and Ê Ô Ơ Ư at AA-AD, nothing at A3-A6 or A8, A9, AE).
TCVN3_UPPER: dict[str, int] = {
    letter.upper(): byte for letter, byte in TCVN3_LOWER.items() if letter not in "ăâđ"
}
TCVN3_UPPER.update({"Ă": 0xA1, "Â": 0xA2, "Đ": 0xA7})

# CP1258 carries a tone as a combining byte after the (possibly shaped) vowel.
_TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}

# Typographic characters and their plain forms, for pages that lack them.
_PLAIN_FORMS = {
    "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2010": "-", "\u2011": "-",
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"',
    "\u2026": "...", "\u2022": "*", "\u00b7": ".", "\u00d7": "x", "\u202f": " ",
    "\u2009": " ", "\u2002": " ", "\u2003": " ", "\u20ac": "EUR", "\u2605": "*", "\u2606": "*",
}

_STAR_RUN = re.compile("\u2605+")


def display_width(text: str) -> int:
    """Columns a string takes on a text-mode printer: one per character of its NFC form.

    Combining marks, variation selectors and other zero-width characters take no column.
    """
    return sum(1 for ch in unicodedata.normalize("NFC", text) if not _zero_width(ch))


def _zero_width(ch: str) -> bool:
    return unicodedata.category(ch) in ("Mn", "Me", "Cf")


def stars_as_text(text: str) -> str:
    """"Mật ong (OCOP ★★★)" -> "Mật ong (OCOP 3*)": text modes cannot print the star glyph."""
    return _STAR_RUN.sub(lambda m: f"{len(m.group())}*", text)


def clean(text: str) -> str:
    """NFC, control characters as spaces (newlines kept), zero-width format characters dropped."""
    text = unicodedata.normalize("NFC", str(text))
    out = []
    for ch in text:
        category = unicodedata.category(ch)
        if ch == "\n":
            out.append(ch)
        elif category == "Cc":
            out.append(" ")
        elif category == "Cf" or "\ufe00" <= ch <= "\ufe0f":
            continue  # zero-width joiners, variation selectors: nothing to print
        else:
            out.append(ch)
    return "".join(out)


class _TextEncoder:
    """Common part of the text-mode encoders: preparing a string for a page."""

    name = ""
    substitutions: dict[str, str] = {}

    def can_print(self, ch: str) -> bool:  # pragma: no cover - overridden
        raise NotImplementedError

    def begin(self) -> bytes:
        return b""

    def columns(self, text: str) -> int:
        """Columns the printer advances for prepared text: one per byte it prints (page switches print nothing)."""
        return len(text)

    def prepare(self, text: str) -> str:
        """Rewrite text into characters this encoder prints (see the module docstring)."""
        text = stars_as_text(clean(text))
        return "".join(self._printable(ch) for ch in text)

    def _printable(self, ch: str) -> str:
        if ch in "\n\u00a0" or self.can_print(ch):
            return ch  # a no-break space stays for the layout; encode() prints it as a space
        for candidate in (self.substitutions.get(ch), _PLAIN_FORMS.get(ch)):
            if candidate is not None and all(self.can_print(c) for c in candidate):
                return candidate
        if unicodedata.category(ch) in ("Mn", "Me"):
            return ""  # a stray combining mark this page cannot carry: drop it, keep the letter
        plain = strip_diacritics(ch)
        if plain and plain != ch and all(self.can_print(c) for c in plain):
            return plain  # e.g. "ç" -> "c" rather than "?"
        return "?"


class AsciiEncoder(_TextEncoder):
    """Plain ASCII, diacritics stripped: the last resort, readable on any printer."""

    name = "ascii"
    substitutions = {"₫": "VND"}

    def can_print(self, ch: str) -> bool:
        return " " <= ch <= "~"

    def prepare(self, text: str) -> str:
        # Stripping first turns "Đ" into "D" and "ế" into "e" before anything becomes "?".
        return super().prepare(strip_diacritics(clean(text)))

    def encode(self, text: str) -> bytes:
        return text.replace("\u00a0", " ").encode("ascii", errors="replace")


class Cp1258Encoder(_TextEncoder):
    """Windows-1258 in the printer's CP1258 slot.

    CP1258 has some Vietnamese letters precomposed (à, Ê, Ơ, đ...) and writes the
    others as a base letter, with its shape mark when it has one (ă â ê ô ơ ư),
    followed by a combining tone byte (0xCC grave, 0xEC acute, 0xD2 hook, 0xDE
    tilde, 0xF2 dot below). Python's cp1258 codec does not decompose by itself,
    so each letter is rewritten into that form here.
    """

    name = "cp1258"

    def __init__(self, slot: int):
        self.slot = slot

    def begin(self) -> bytes:
        return ESC_T + bytes((self.slot,))

    def can_print(self, ch: str) -> bool:
        return ch < "\x80" or ch in _CP1258_LETTERS or _cp1258_bytes(ch) is not None

    def columns(self, text: str) -> int:
        """Bytes, not letters: "ế" is "ê" and a tone byte, and the printer moves on for each of them."""
        return len(self.encode(text))

    def encode(self, text: str) -> bytes:
        out = bytearray()
        for ch in text.replace("\u00a0", " "):
            if ch < "\x80":
                out.append(ord(ch))
            else:
                out += _CP1258_LETTERS.get(ch) or _cp1258_bytes(ch) or b"?"
        return bytes(out)


def _cp1258_bytes(ch: str) -> bytes | None:
    """ch in CP1258: its own byte, or base letter (with shape mark) + combining tone byte; None if impossible."""
    try:
        return ch.encode("cp1258")
    except UnicodeEncodeError:
        pass
    decomposed = unicodedata.normalize("NFD", ch)
    base = decomposed[0] + "".join(m for m in decomposed[1:] if m not in _TONE_MARKS)
    tones = [m for m in decomposed[1:] if m in _TONE_MARKS]
    try:
        head = unicodedata.normalize("NFC", base).encode("cp1258")
        return head + "".join(tones).encode("cp1258")
    except UnicodeEncodeError:
        return None


# The Vietnamese letters and ₫ in CP1258, worked out once: most text is made of them.
_CP1258_LETTERS = {ch: _cp1258_bytes(ch) for ch in VIETNAMESE_LETTERS + "₫"}


class Tcvn3Encoder(_TextEncoder):
    """TCVN-3 (VN3 / ABC) over two code page slots: lower-case page and capital page.

    ESC t selects the capital page only for a run that holds a capital with a
    diacritic, and goes back to the lower-case page for the next letter that needs
    it. ASCII capitals, digits and punctuation print the same in both pages, so
    they never cause a switch; ASCII lower-case letters are kept in the lower-case
    page because some capital fonts print them as capitals.
    """

    name = "tcvn3"
    substitutions = {"₫": "đ"}

    def __init__(self, lower_slot: int, upper_slot: int):
        self.lower_slot = lower_slot
        self.upper_slot = upper_slot
        self.page: int | None = None

    def begin(self) -> bytes:
        self.page = self.lower_slot
        return ESC_T + bytes((self.lower_slot,))

    def can_print(self, ch: str) -> bool:
        return " " <= ch <= "~" or ch in TCVN3_LOWER or ch in TCVN3_UPPER

    def encode(self, text: str) -> bytes:
        out = bytearray()
        for ch in text.replace("\u00a0", " "):
            if ch in TCVN3_LOWER:
                page, byte = self.lower_slot, TCVN3_LOWER[ch]
            elif ch in TCVN3_UPPER:
                page, byte = self.upper_slot, TCVN3_UPPER[ch]
            elif "a" <= ch <= "z":
                page, byte = self.lower_slot, ord(ch)
            elif ch == "\n" or " " <= ch <= "~":
                page, byte = None, ord(ch)
            else:
                page, byte = None, ord("?")
            if page is not None and page != self.page:
                out += ESC_T + bytes((page,))
                self.page = page
            out.append(byte)
        return bytes(out)


class ImageText:
    """Text for image mode: anything the bundled font has a glyph for; the rest as "?"."""

    name = "image"

    def __init__(self, has_glyph):
        self.has_glyph = has_glyph

    def prepare(self, text: str) -> str:
        out = []
        for ch in clean(text):
            if ch == "\n" or self.has_glyph(ch):
                out.append(ch)
            elif unicodedata.category(ch) in ("Mn", "Me"):
                continue
            else:
                plain = _PLAIN_FORMS.get(ch)
                out.append(plain if plain and all(self.has_glyph(c) for c in plain) else "?")
        return "".join(out)

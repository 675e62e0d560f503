"""Vietnamese text: search without diacritics and alphabetical order, in pure Python.

Booth laptops often lack a vi_VN locale, so neither may depend on the OS.
"""
from __future__ import annotations

import unicodedata

_VI_ALPHABET = "aăâbcdđeêghiklmnoôơpqrstuưvxy"
# Letters outside the Vietnamese alphabet (f, j, w, z) sort after their Latin neighbours.
_ORDER = {ch: i for i, ch in enumerate("aăâbcdđeêfghijklmnoôơpqrstuưvwxyz")}
# Tone marks sort after the base letter, in the traditional order: none, huyền, hỏi, ngã, sắc, nặng.
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}
_SHAPE_MARKS = {"\u0306", "\u0302", "\u031b"}  # breve (ă), circumflex (â ê ô), horn (ơ ư)


def fold(text: str) -> str:
    """Lower case without diacritics, đ as d: "Mật ong Đại" -> "mat ong dai"."""
    decomposed = unicodedata.normalize("NFD", (text or "").lower())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return stripped.replace("đ", "d")


def strip_diacritics(text: str) -> str:
    """Keep the case, drop the marks: "Mật ong Đại" -> "Mat ong Dai" (for printers without Vietnamese)."""
    decomposed = unicodedata.normalize("NFD", text or "")
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return stripped.replace("đ", "d").replace("Đ", "D")


def _letters(text: str):
    """Yield (base letter with its shape marks, tone) for each letter of text."""
    for ch in unicodedata.normalize("NFC", text.lower()):
        parts = unicodedata.normalize("NFD", ch)
        base, marks = parts[0], parts[1:]
        tone = 0
        shape = ""
        for m in marks:
            if m in _TONES:
                tone = _TONES[m]
            elif m in _SHAPE_MARKS:
                shape += m
        yield unicodedata.normalize("NFC", base + shape), tone


def sort_key(text: str):
    """A key that orders Vietnamese words as a dictionary does: a ă â b c d đ e ê …

    Letters are compared first without tones, and tones break ties, so
    "Mật" < "Me" and "ma" < "mà" < "mả" < "mã" < "má" < "mạ".
    """
    letters = list(_letters(text or ""))
    primary = tuple(_ORDER.get(b, 100 + ord(b[0])) for b, _ in letters)
    secondary = tuple(t for _, t in letters)
    return primary, secondary


_DIGITS36 = "0123456789abcdefghijklmnopqrstuvwxyz"
SORT_COLUMN_LETTERS = 60  # names that agree on their first 60 letters tie (then the id decides)


def _base36(n: int) -> str:
    out = ""
    for _ in range(4):  # 36**4 > every rank sort_key gives (at most 100 + 0x10FFFF)
        n, r = divmod(n, 36)
        out = _DIGITS36[r] + out
    return out


def sort_column_key(text: str) -> str:
    """sort_key() as a plain ASCII string that sorts the same way byte by byte, for an indexed
    column: the database can then hand out the first page of a search in Vietnamese order.

    Each letter's rank in four base-36 digits, a space (below every digit, so "ma" < "mai"),
    then each letter's tone as one digit.
    """
    primary, secondary = sort_key(text)
    primary, secondary = primary[:SORT_COLUMN_LETTERS], secondary[:SORT_COLUMN_LETTERS]
    return "".join(_base36(p) for p in primary) + " " + "".join(str(t) for t in secondary)


def vi_sorted(items, key=lambda x: x):
    """Sort items by Vietnamese alphabetical order of key(item)."""
    return sorted(items, key=lambda item: sort_key(key(item)))

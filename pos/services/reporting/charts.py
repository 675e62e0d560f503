"""Charts drawn on the server as SVG: horizontal bars, columns (hours) and lines (days, two fairs).

No JavaScript library: the page gets finished SVG, which prints, works offline and
needs nothing from outside. Each bar or point may link to the sales behind it
(the dashboard's drill-down), and carries a <title> the browser shows on hover.
Every text is escaped; the numbers are the integer đồng the report computed.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext
from markupsafe import Markup, escape

from ...money import format_number, format_vnd

PALETTE = ("#b91c1c", "#1d4ed8", "#047857", "#b45309", "#7c3aed", "#0e7490")
FONT = 'font-family="DejaVu Sans, Arial, sans-serif"'


@dataclass
class Bar:
    label: str
    value: int
    href: str | None = None
    note: str = ""  # shown after the value, e.g. "12 đơn"


def compact_vnd(value: int) -> str:
    """An axis label: 1.500.000 -> "1,5 tr", 2.000.000.000 -> "2 tỷ", 15.000 -> "15 nghìn"."""
    for size, unit in ((1_000_000_000, gettext("tỷ")), (1_000_000, gettext("tr")), (1_000, gettext("nghìn"))):
        if abs(value) >= size:
            whole, rest = divmod(abs(value), size)
            tenth = rest * 10 // size
            sign = "-" if value < 0 else ""
            return f"{sign}{whole}" + (f",{tenth}" if tenth and whole < 100 else "") + f" {unit}"
    return format_number(value)


def nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 2.5, 5 × 10ⁿ at or above value (an axis that ends on a round number)."""
    if value <= 0:
        return 1
    power = 1
    while power * 10 <= value:
        power *= 10
    for step in (1, 2, 2.5, 5, 10):
        top = int(step * power)
        if top >= value:
            return top
    return 10 * power


def _open(width: int, height: int, title: str) -> str:
    return (f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
            f'width="100%" role="img" aria-label="{escape(title)}" {FONT} font-size="12">'
            f'<title>{escape(title)}</title>')


def _link(href: str | None, inner: str) -> str:
    return f'<a href="{escape(href)}">{inner}</a>' if href else inner


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bar_chart(bars: list[Bar], *, title: str, value_format=format_vnd, width: int = 640, max_bars: int = 15,
              color: str = PALETTE[0]) -> Markup:
    """Horizontal bars, largest first as given, each labelled with its value; at most max_bars."""
    bars = bars[:max_bars]
    if not bars:
        return empty_chart(title, width=width)
    if width < 480:
        return _stacked_bar_chart(bars, title=title, value_format=value_format, width=width, color=color)
    label_w, value_w, row_h, pad = 200, 175, 26, 6
    height = pad * 2 + row_h * len(bars)
    plot_w = width - label_w - value_w
    top = max(max(b.value for b in bars), 1)
    parts = [_open(width, height, title)]
    for i, b in enumerate(bars):
        y = pad + i * row_h
        w = max(0, round(plot_w * max(b.value, 0) / top))
        value_text = value_format(b.value) + (f" · {b.note}" if b.note else "")
        inner = (f'<title>{escape(b.label)}: {escape(value_text)}</title>'
                 f'<text x="{label_w - 8}" y="{y + row_h / 2 + 4}" text-anchor="end" fill="#1f2937">'
                 f'{escape(_truncate(b.label, 26))}</text>'
                 f'<rect x="{label_w}" y="{y + 4}" width="{w}" height="{row_h - 8}" rx="3" fill="{color}"/>'
                 f'<text x="{label_w + w + 6}" y="{y + row_h / 2 + 4}" fill="#374151">{escape(value_text)}</text>')
        parts.append(f'<g class="bar">{_link(b.href, inner)}</g>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _stacked_bar_chart(bars: list[Bar], *, title: str, value_format, width: int, color: str) -> Markup:
    """Bars for a phone: each label on its own line above its bar, so a narrow chart keeps 12 px text."""
    value_w, row_h, pad = 150, 42, 4
    height = pad * 2 + row_h * len(bars)
    plot_w = width - value_w
    top = max(max(b.value for b in bars), 1)
    chars = max(10, width // 7)  # about 7 px a character at 12 px
    parts = [_open(width, height, title)]
    for i, b in enumerate(bars):
        y = pad + i * row_h
        w = max(0, round(plot_w * max(b.value, 0) / top))
        value_text = value_format(b.value) + (f" · {b.note}" if b.note else "")
        inner = (f'<title>{escape(b.label)}: {escape(value_text)}</title>'
                 f'<text x="0" y="{y + 14}" fill="#1f2937">{escape(_truncate(b.label, chars))}</text>'
                 f'<rect x="0" y="{y + 20}" width="{w}" height="16" rx="3" fill="{color}"/>'
                 f'<text x="{w + 6}" y="{y + 33}" fill="#374151">{escape(_truncate(value_text, 22))}</text>')
        parts.append(f'<g class="bar">{_link(b.href, inner)}</g>')
    parts.append("</svg>")
    return Markup("".join(parts))


def paired_bar_chart(rows: list[tuple[str, int, int]], *, names: tuple[str, str], title: str, width: int = 640,
                     max_rows: int = 12, change_text=None) -> Markup:
    """Two fairs side by side: for each label a bar for each fair (same scale), its value, and the change.

    rows are (label, value in the first fair, value in the second); change_text(a, b) gives the
    text written after the first fair's value ("+12,50 %"), or nothing.
    """
    rows = rows[:max_rows]
    if not rows or all(a == 0 and b == 0 for _l, a, b in rows):
        return empty_chart(title, width=width)
    narrow = width < 480
    label_w = 0 if narrow else 200
    value_w = 150 if narrow else 190
    head = 18 if narrow else 0  # on a phone the label sits above its two bars
    row_h, bar_h, pad, legend = head + 34, 13, 6, 18 * 2 + 6
    height = pad * 2 + row_h * len(rows) + legend
    plot_w = width - label_w - value_w
    top = max(max(max(a, b) for _l, a, b in rows), 1)
    colors = (PALETTE[0], PALETTE[1])
    parts = [_open(width, height, title)]
    for i, (label, a, b) in enumerate(rows):
        y = pad + i * row_h
        change = change_text(a, b) if change_text else ""
        tip = f"{label}: {names[0]} {format_vnd(a)} · {names[1]} {format_vnd(b)}" + (f" ({change})" if change else "")
        inner = [f'<title>{escape(tip)}</title>']
        if narrow:
            inner.append(f'<text x="0" y="{y + 13}" fill="#1f2937">{escape(_truncate(label, max(10, width // 7)))}</text>')
        else:
            inner.append(f'<text x="{label_w - 8}" y="{y + row_h / 2 + 4}" text-anchor="end" fill="#1f2937">'
                         f'{escape(_truncate(label, 26))}</text>')
        for k, value in enumerate((a, b)):
            by = y + head + 3 + k * (bar_h + 2)
            w = max(0, round(plot_w * max(value, 0) / top))
            text = compact_vnd(value) + (f" · {change}" if k == 0 and change else "")
            inner.append(f'<rect x="{label_w}" y="{by}" width="{w}" height="{bar_h}" rx="2" fill="{colors[k]}"/>'
                         f'<text x="{label_w + w + 6}" y="{by + bar_h - 2}" fill="#374151">{escape(text)}</text>')
        parts.append(f'<g class="pair">{"".join(inner)}</g>')
    for k, name in enumerate(names):
        ly = height - legend + 4 + k * 18
        parts.append(f'<rect x="{label_w}" y="{ly}" width="12" height="12" fill="{colors[k]}"/>'
                     f'<text x="{label_w + 18}" y="{ly + 10}" fill="#1f2937">'
                     f'{escape(_truncate(name, (width - label_w - 30) // 7))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def column_chart(bars: list[Bar], *, title: str, value_format=format_vnd, width: int = 640, height: int = 220,
                 color: str = PALETTE[1]) -> Markup:
    """Vertical columns in the order given (hours of the day), with a value axis."""
    if not bars or all(b.value == 0 for b in bars):
        return empty_chart(title)
    left, right, top_pad, bottom = 64, 10, 12, 28
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    top = nice_ceiling(max(b.value for b in bars))
    slot = plot_w / len(bars)
    parts = [_open(width, height, title), _axis(left, top_pad, plot_w, plot_h, top)]
    every = max(1, round(len(bars) / 12))
    for i, b in enumerate(bars):
        h = round(plot_h * max(b.value, 0) / top)
        x = left + i * slot
        inner = (f'<title>{escape(b.label)}: {escape(value_format(b.value))}'
                 f'{escape(" · " + b.note) if b.note else ""}</title>'
                 f'<rect x="{x + slot * 0.15:.1f}" y="{top_pad + plot_h - h}" width="{slot * 0.7:.1f}" height="{h}" '
                 f'rx="2" fill="{color}"/>')
        parts.append(f'<g class="bar">{_link(b.href, inner)}</g>')
        if i % every == 0:
            parts.append(f'<text x="{x + slot / 2:.1f}" y="{height - 10}" text-anchor="middle" fill="#4b5563">'
                         f'{escape(b.label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


@dataclass
class Series:
    name: str
    points: list[tuple[str, int | None, str | None]]  # (x label, value or None for no data, link)


def line_chart(series: list[Series], *, title: str, value_format=format_vnd, width: int = 640,
               height: int = 240) -> Markup:
    """One line per series over shared x labels (days of a fair; two fairs compared), with a legend."""
    xs: list[str] = []
    for s in series:
        for label, _v, _h in s.points:
            if label not in xs:
                xs.append(label)
    values = [v for s in series for _l, v, _h in s.points if v is not None]
    if not xs or not values or all(v == 0 for v in values):
        return empty_chart(title, width=width)
    narrow = width < 480
    # On a phone each series' legend gets its own line, and fewer day labels fit under the axis.
    left, right, top_pad, bottom = 64, 28 if not narrow else 20, 12, 46 if not narrow else 30 + 18 * len(series)
    height = height if not narrow else max(height - 46 + bottom, 200)
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    top = nice_ceiling(max(values))
    step = plot_w / max(len(xs) - 1, 1)

    def xy(label, value):
        x = left + (xs.index(label) * step if len(xs) > 1 else plot_w / 2)
        return x, top_pad + plot_h - plot_h * max(value, 0) / top

    parts = [_open(width, height, title), _axis(left, top_pad, plot_w, plot_h, top)]
    every = max(1, round(len(xs) / 10)) if not narrow else max(1, -(-len(xs) // 5))
    for i, label in enumerate(xs):
        if i % every == 0:
            x, _y = xy(label, 0)
            parts.append(f'<text x="{x:.1f}" y="{top_pad + plot_h + 16}" text-anchor="middle" fill="#4b5563">'
                         f'{escape(label)}</text>')
    for n, s in enumerate(series):
        color = PALETTE[n % len(PALETTE)]
        pts = [(xy(lbl, v), lbl, v, h) for lbl, v, h in s.points if v is not None]
        if len(pts) > 1:
            path = " ".join(f"{'M' if i == 0 else 'L'}{p[0][0]:.1f},{p[0][1]:.1f}" for i, p in enumerate(pts))
            parts.append(f'<path d="{path}" fill="none" stroke="{color}" stroke-width="2.5"/>')
        for (x, y), lbl, v, h in pts:
            dot = (f'<title>{escape(s.name)} · {escape(lbl)}: {escape(value_format(v))}</title>'
                   f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{color}"/>')
            parts.append(f'<g class="point">{_link(h, dot)}</g>')
        lx, ly = (left + n * 220, height - 16) if not narrow else (8, height - 16 - 18 * (len(series) - 1 - n))
        parts.append(f'<rect x="{lx}" y="{ly}" width="12" height="12" fill="{color}"/>'
                     f'<text x="{lx + 18}" y="{ly + 10}" fill="#1f2937">'
                     f'{escape(_truncate(s.name, 30 if not narrow else (width - 30) // 7))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _axis(left: int, top_pad: int, plot_w: float, plot_h: float, top: int) -> str:
    out = []
    for i in range(5):
        value = top * i // 4
        y = top_pad + plot_h - plot_h * i / 4
        out.append(f'<line x1="{left}" x2="{left + plot_w:.1f}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e7eb"/>'
                   f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#6b7280">'
                   f'{escape(compact_vnd(value))}</text>')
    return "".join(out)


def empty_chart(title: str, width: int = 640, height: int = 60) -> Markup:
    return Markup(_open(width, height, title)
                  + f'<text x="{width / 2}" y="{height / 2 + 4}" text-anchor="middle" fill="#6b7280">'
                  + f'{escape(gettext("Chưa có số liệu"))}</text></svg>')

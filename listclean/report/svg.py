"""Charts as inline SVG, written by hand: horizontal bars, stacked bars, a histogram, a trend line.

Why not a chart library: every chart of the report is a bar chart or a line over a few dozen
points. Vega-Lite needs a JavaScript runtime in the page or a renderer binary to make SVG;
plotly inlines about 3.5 MB of JavaScript; matplotlib is a 40 MB dependency whose SVGs carry
every glyph as a path. These functions make SVG that is a few kilobytes per chart, needs no
script (nothing to fail in the browser, nothing fetched), prints crisply, scales to a phone
(``viewBox``, width 100 %) and is accessible: each chart is ``role="img"`` with a ``<title>`` and
a ``<desc>`` that says the numbers, and every bar carries its value as text, so colour is never
the only way to read it.
"""

from __future__ import annotations

import re
from html import escape
from typing import Sequence

#: Colours with at least 3:1 contrast against white (WCAG 1.4.11 for graphics).
STATUS_COLOURS = {"send": "#1a7f37", "review": "#9a6700", "drop": "#cf222e", "duplicate": "#57606a"}
SEVERITY_COLOURS = {"error": "#cf222e", "warning": "#9a6700", "info": "#0969da"}
PALETTE = ("#0969da", "#1a7f37", "#9a6700", "#cf222e", "#8250df", "#57606a", "#bc4c00", "#1b7c83")
TEXT = "#1f2328"
MUTED = "#57606a"

WIDTH = 520
LABEL_WIDTH = 170
ROW_HEIGHT = 24


def _frame(title: str, desc: str, height: int, body: str, width: int = WIDTH) -> str:
    n = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")  # unique per page: titles are
    return (f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
            f'aria-labelledby="chart{n}-t chart{n}-d" xmlns="http://www.w3.org/2000/svg" '
            f'font-family="system-ui, sans-serif" font-size="13">'
            f'<title id="chart{n}-t">{escape(title)}</title><desc id="chart{n}-d">{escape(desc)}</desc>'
            f'{body}</svg>')


def _clip(label: str, length: int = 20) -> str:
    return label if len(label) <= length else label[:length - 1] + "…"


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def bars(title: str, items: Sequence[tuple], unit: str = "rows") -> str:
    """One horizontal bar per item: ``(label, value, colour[, href[, note]])``; the value and the
    note are written after the bar."""
    if not items:
        return ""
    top = max(float(item[1]) for item in items) or 1.0
    span = WIDTH - LABEL_WIDTH - 130
    parts = []
    for i, item in enumerate(items):
        label, value, colour = item[0], item[1], item[2]
        href = item[3] if len(item) > 3 else None
        note = item[4] if len(item) > 4 else None
        y = 8 + i * ROW_HEIGHT
        length = max(1.0, span * float(value) / top) if value else 0.0
        text = (f'<text x="{LABEL_WIDTH - 8}" y="{y + 15}" text-anchor="end" fill="{TEXT}">'
                f'<title>{escape(str(label))}</title>{escape(_clip(str(label)))}</text>')
        if href:
            text = f'<a href="{escape(href)}">{text}</a>'
        after = _number(value) + (f" · {note}" if note else "")
        parts.append(f'{text}<rect x="{LABEL_WIDTH}" y="{y + 3}" width="{length:.1f}" height="{ROW_HEIGHT - 8}" '
                     f'fill="{colour}"/><text x="{LABEL_WIDTH + length + 6:.1f}" y="{y + 15}" fill="{TEXT}">'
                     f'{escape(after)}</text>')
    desc = "; ".join(f"{item[0]}: {_number(item[1])} {unit}" + (f" ({item[4]})" if len(item) > 4 and item[4] else "")
                     for item in items)
    return _frame(title, desc, 16 + len(items) * ROW_HEIGHT, "".join(parts))


def stacked(title: str, rows: Sequence[tuple[str, Sequence[tuple[str, float, str]]]], unit: str = "rows") -> str:
    """One 100 % bar per row, split into its ``(name, value, colour)`` segments, with a legend;
    each segment's share is written on it when it fits."""
    if not rows:
        return ""
    span = WIDTH - LABEL_WIDTH - 20
    legend = {name: colour for _, segments in rows for name, _, colour in segments}
    parts, descs = [], []
    for i, (label, segments) in enumerate(rows):
        y = 8 + i * (ROW_HEIGHT + 6)
        total = sum(value for _, value, _ in segments) or 1
        parts.append(f'<text x="{LABEL_WIDTH - 8}" y="{y + 16}" text-anchor="end" fill="{TEXT}">'
                     f'{escape(_clip(label))}</text>')
        x = float(LABEL_WIDTH)
        for name, value, colour in segments:
            width = span * value / total
            share = 100 * value / total
            parts.append(f'<rect x="{x:.1f}" y="{y + 2}" width="{width:.1f}" height="{ROW_HEIGHT - 2}" fill="{colour}">'
                         f'<title>{escape(name)}: {_number(value)} {unit} ({share:.1f}%)</title></rect>')
            if width > 44:
                parts.append(f'<text x="{x + width / 2:.1f}" y="{y + 17}" text-anchor="middle" fill="#ffffff" '
                             f'font-weight="600">{share:.0f}%</text>')
            x += width
        descs.append(f"{label}: " + ", ".join(f"{name} {_number(value)} ({100 * value / total:.1f}%)"
                                              for name, value, _ in segments))
    y = 16 + len(rows) * (ROW_HEIGHT + 6)
    x = float(LABEL_WIDTH)
    for name, colour in legend.items():
        parts.append(f'<rect x="{x:.0f}" y="{y}" width="12" height="12" fill="{colour}"/>'
                     f'<text x="{x + 16:.0f}" y="{y + 11}" fill="{TEXT}">{escape(name)}</text>')
        x += 28 + 7.5 * len(name)
    return _frame(title, "; ".join(descs), y + 24, "".join(parts))


def histogram(title: str, bins: Sequence[tuple[str, float]], colour: str, marker: tuple[float, str] | None = None,
              unit: str = "rows") -> str:
    """Vertical bars over ordered bins; ``marker`` = (position in bins, label) draws a dashed line
    (e.g. the policy's cut-off) at that position."""
    if not bins:
        return ""
    height, base, left = 220, 180, 50
    top = max(value for _, value in bins) or 1
    step = (WIDTH - left - 10) / len(bins)
    parts = [f'<line x1="{left}" y1="{base}" x2="{WIDTH - 10}" y2="{base}" stroke="{MUTED}"/>',
             f'<text x="{left - 6}" y="24" text-anchor="end" fill="{MUTED}">{_number(top)}</text>',
             f'<text x="{left - 6}" y="{base}" text-anchor="end" fill="{MUTED}">0</text>']
    for i, (label, value) in enumerate(bins):
        bar = (base - 20) * value / top
        x = left + i * step
        parts.append(f'<rect x="{x + 1:.1f}" y="{base - bar:.1f}" width="{step - 2:.1f}" height="{bar:.1f}" '
                     f'fill="{colour}"><title>{escape(label)}: {_number(value)} {unit}</title></rect>')
        if i % max(1, len(bins) // 10) == 0:
            parts.append(f'<text x="{x + step / 2:.1f}" y="{base + 16}" text-anchor="middle" fill="{MUTED}" '
                         f'font-size="11">{escape(label)}</text>')
    if marker is not None:
        position, label = marker
        x = left + position * step
        parts.append(f'<line x1="{x:.1f}" y1="14" x2="{x:.1f}" y2="{base}" stroke="{TEXT}" stroke-width="2" '
                     f'stroke-dasharray="5 4"/><text x="{x + 5:.1f}" y="14" fill="{TEXT}">{escape(label)}</text>')
    desc = "; ".join(f"{label}: {_number(value)} {unit}" for label, value in bins)
    if marker is not None:
        desc += f". Marked: {marker[1]}"
    return _frame(title, desc, height, "".join(parts))


def trend(title: str, points: Sequence[tuple[str, dict[str, float]]], colours: dict[str, str],
          unit: str = "%") -> str:
    """Lines over runs: ``points`` = (run label, {series: value}), oldest first; the last point
    is this run."""
    if len(points) < 2:
        return ""
    height, base, left, right = 230, 180, 50, 135
    top = max(max(values.values()) for _, values in points) or 1
    top = min(100.0, top * 1.1) if unit == "%" else top * 1.1
    step = (WIDTH - left - right) / (len(points) - 1)
    scale = lambda v: base - (base - 14) * v / top  # noqa: E731
    parts = [f'<line x1="{left}" y1="{base}" x2="{WIDTH - right}" y2="{base}" stroke="{MUTED}"/>',
             f'<text x="{left - 6}" y="18" text-anchor="end" fill="{MUTED}">{_number(top)}{unit}</text>',
             f'<text x="{left - 6}" y="{base}" text-anchor="end" fill="{MUTED}">0</text>']
    for i, (label, _) in enumerate(points):
        if i in (0, len(points) - 1) or i % max(1, len(points) // 6) == 0:
            parts.append(f'<text x="{left + i * step:.1f}" y="{base + 16}" text-anchor="middle" fill="{MUTED}" '
                         f'font-size="11">{escape(label)}</text>')
    for series, colour in colours.items():
        coords = " ".join(f"{left + i * step:.1f},{scale(values.get(series, 0)):.1f}"
                          for i, (_, values) in enumerate(points))
        last = points[-1][1].get(series, 0)
        parts.append(f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2.5"/>'
                     f'<circle cx="{left + (len(points) - 1) * step:.1f}" cy="{scale(last):.1f}" r="4" fill="{colour}"/>'
                     f'<text x="{WIDTH - right + 8}" y="{scale(last) + 4:.1f}" fill="{colour}" font-weight="600">'
                     f'{escape(series)} {_number(last)}{unit}</text>')
    desc = "; ".join(f"{label}: " + ", ".join(f"{s} {_number(v)}{unit}" for s, v in values.items())
                     for label, values in points)
    return _frame(title, desc, height, "".join(parts))

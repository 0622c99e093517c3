"""Server-rendered SVG charts: plain markup with presentation attributes, no script and no
inline CSS, so the Content-Security-Policy holds and a basic phone can show them.

Every chart is decorative beside its table (aria-hidden is not used: it has a title and a
description, and the table beside it carries the same numbers for screen readers).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from django.utils.safestring import SafeString, mark_safe

BAR = "#0b3d5c"
HIDDEN = "#bbbbbb"


def bar_chart(items: Sequence[tuple[str, float | None]], *, title: str, unit: str = "",
              hidden_label: str = "*", chart_id: str = "chart") -> SafeString:
    """Horizontal bars, one per (label, value); a None value is a hidden (suppressed) bar."""
    width, label_w, row_h, pad = 640, 220, 22, 4
    height = max(1, len(items)) * row_h + 30
    top = max([v for _, v in items if v is not None] or [1]) or 1
    scale = (width - label_w - 80) / top
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" aria-labelledby="{chart_id}-t">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
    ]
    for i, (label, value) in enumerate(items):
        y = 10 + i * row_h
        out.append(
            f'<text x="{label_w - 6}" y="{y + row_h - 8}" text-anchor="end" font-size="12" '
            f'fill="#111">{escape(label[:32])}</text>'
        )
        if value is None:
            out.append(f'<rect x="{label_w}" y="{y + pad}" width="14" height="{row_h - 2 * pad}" '
                       f'fill="{HIDDEN}"/>')
            out.append(f'<text x="{label_w + 20}" y="{y + row_h - 8}" font-size="12" '
                       f'fill="#555">{escape(hidden_label)}</text>')
            continue
        w = max(1.0, value * scale) if value > 0 else 0
        out.append(f'<rect x="{label_w}" y="{y + pad}" width="{w:.1f}" '
                   f'height="{row_h - 2 * pad}" fill="{BAR}"/>')
        shown = f"{value:g}{unit}"
        out.append(f'<text x="{label_w + w + 6:.1f}" y="{y + row_h - 8}" font-size="12" '
                   f'fill="#111">{escape(shown)}</text>')
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308 - every text node above is escaped


def line_chart(points: Sequence[tuple[str, float | None]], *, title: str,
               chart_id: str = "line", series_label: str = "") -> SafeString:
    """A single series over time (x labels are shown for the first and last point)."""
    width, height, left, bottom = 640, 220, 50, 30
    vals = [v for _, v in points if v is not None]
    top = max(vals or [1]) or 1
    n = max(1, len(points) - 1)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" aria-labelledby="{chart_id}-t">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" '
        f'stroke="#555"/>',
        f'<text x="{left - 4}" y="16" text-anchor="end" font-size="11" fill="#111">{top:g}</text>',
        f'<text x="{left - 4}" y="{height - bottom}" text-anchor="end" font-size="11" '
        f'fill="#111">0</text>',
    ]
    path: list[str] = []
    for i, (_, v) in enumerate(points):
        if v is None:
            if path:
                out.append(f'<polyline fill="none" stroke="{BAR}" stroke-width="2" '
                           f'points="{" ".join(path)}"/>')
            path = []
            continue
        x = left + (width - left - 10) * i / n
        y = (height - bottom) - (height - bottom - 10) * v / top
        path.append(f"{x:.1f},{y:.1f}")
    if path:
        out.append(f'<polyline fill="none" stroke="{BAR}" stroke-width="2" '
                   f'points="{" ".join(path)}"/>')
    if points:
        out.append(f'<text x="{left}" y="{height - 8}" font-size="11" fill="#111">'
                   f'{escape(points[0][0])}</text>')
        out.append(f'<text x="{width - 10}" y="{height - 8}" text-anchor="end" font-size="11" '
                   f'fill="#111">{escape(points[-1][0])}</text>')
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308 - every text node above is escaped

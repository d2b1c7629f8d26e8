"""Inline SVG charts, drawn on the server: no JavaScript, no CDN. Axes start at zero; every bar carries its value."""

from __future__ import annotations

import math

from markupsafe import Markup, escape

from workflows.analytics.queries import Series

WIDTH, HEIGHT = 480, 220
LEFT, RIGHT, TOP, BOTTOM = 40, 10, 26, 40
GREEN = "#2f6f4e"


def _fmt(value: float) -> str:
    if float(value).is_integer():
        return f"{value:.0f}"
    return f"{value:.2f}".rstrip("0") if abs(value) < 1 else f"{value:.1f}"


def _frame(series: Series, body: str) -> Markup:
    title = escape(series.title)
    return Markup(f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{title}" '
                  f'xmlns="http://www.w3.org/2000/svg">{body}</svg>')


def _placeholder(series: Series) -> Markup | None:
    if not series.available:
        text = "暂未开通"
    elif series.empty:
        text = "暂无数据"
    else:
        return None
    axis = f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" y2="{HEIGHT - BOTTOM}" stroke="#d0d5dd"/>'
    return _frame(series, axis + f'<text class="empty" x="{WIDTH / 2}" y="{HEIGHT / 2}" '
                              f'text-anchor="middle">{text}</text>')


def nice_top(peak: float) -> float:
    """The smallest 1/2/4/5/10 × 10^k at or above peak, so the four grid steps read as round numbers."""
    if peak <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(peak))
    return next(m * magnitude for m in (1, 2, 4, 5, 10) if m * magnitude >= peak)


def _scale(series: Series, top: float | None) -> float:
    peak = max((v for v in series.values if v is not None), default=0.0)
    return top if top is not None else nice_top(peak * 1.1)


def _grid(top: float, unit: str) -> str:
    parts = []
    plot_h = HEIGHT - TOP - BOTTOM
    for step in range(5):
        value = top * step / 4
        y = HEIGHT - BOTTOM - plot_h * step / 4
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#eaecf0"/>'
                     f'<text x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end">{_fmt(value)}</text>')
    parts.append(f'<text x="{LEFT - 4}" y="{TOP - 12}" text-anchor="end">{escape(unit)}</text>')
    return "".join(parts)


def bar_chart(series: Series, *, top: float | None = None) -> Markup:
    """Vertical bars, value on each bar."""
    placeholder = _placeholder(series)
    if placeholder is not None:
        return placeholder
    top = _scale(series, top)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(series.values), 1)
    parts = [_grid(top, series.unit)]
    for i, (label, value) in enumerate(zip(series.labels, series.values, strict=True)):
        x = LEFT + slot * i + slot * 0.15
        h = 0.0 if value is None else plot_h * min(value, top) / top
        y = HEIGHT - BOTTOM - h
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{h:.1f}" fill="{GREEN}" rx="2">'
                     f'<title>{escape(label)}：{"—" if value is None else _fmt(value)}</title></rect>')
        if value is not None:
            parts.append(f'<text x="{x + slot * 0.35:.1f}" y="{y - 3:.1f}" text-anchor="middle">{_fmt(value)}</text>')
        parts.append(f'<text x="{x + slot * 0.35:.1f}" y="{HEIGHT - BOTTOM + 14}" text-anchor="middle">'
                     f'{escape(label)}</text>')
    return _frame(series, "".join(parts))


def line_chart(series: Series, *, top: float | None = None) -> Markup:
    """A line over time; gaps (no data that day) break the line instead of pretending zero."""
    placeholder = _placeholder(series)
    if placeholder is not None:
        return placeholder
    top = _scale(series, top)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(series.values) - 1, 1)
    parts = [_grid(top, series.unit)]
    segment: list[str] = []
    every = max(1, len(series.labels) // 7)

    def flush() -> None:
        if len(segment) > 1:
            parts.append(f'<polyline fill="none" stroke="{GREEN}" stroke-width="2" points="{" ".join(segment)}"/>')
        segment.clear()

    for i, (label, value) in enumerate(zip(series.labels, series.values, strict=True)):
        x = LEFT + step * i
        if i % every == 0:
            parts.append(f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 14}" text-anchor="middle">{escape(label)}</text>')
        if value is None:
            flush()
            continue
        y = HEIGHT - BOTTOM - plot_h * min(value, top) / top
        segment.append(f"{x:.1f},{y:.1f}")
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{GREEN}"><title>{escape(label)}：'
                     f'{_fmt(value)}{escape(series.unit)}</title></circle>')
    flush()
    return _frame(series, "".join(parts))

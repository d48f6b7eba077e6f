"""Small plots as inline SVG: no script, no image request, readable by screen readers (the
chart is labelled, each bar carries its value as a tooltip, and pages show the numbers in a
table beside it), sharp at any size."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup

WIDTH = 720
HEIGHT = 220
_LEFT = 56
_BOTTOM = 28
_TOP = 12
_RIGHT = 8
_TICKS = 4


@dataclass(frozen=True, slots=True)
class Point:
    label: str  # the x axis label (a day)
    value: int


def _nice_step(value: int, ticks: int) -> int:
    """The smallest 1, 2 or 5 times a power of ten that ``ticks`` steps reach ``value``
    with (at least 1): round labels on the y axis."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor * ticks >= value:
                return step * factor
        step *= 10


def bar_chart(
    points: Sequence[Point],
    *,
    title: str,
    shown: Callable[[int], str] = str,
    label_every: int = 0,
) -> Markup:
    """A bar per point, with a labelled y axis from 0 to a round maximum. ``shown`` writes a
    value as people read it (money, say); ``label_every`` labels every n-th bar on the x axis
    (by default about eight labels)."""
    count = max(len(points), 1)
    step_value = _nice_step(max((p.value for p in points), default=0), _TICKS)
    top = step_value * _TICKS
    plot_w = WIDTH - _LEFT - _RIGHT
    plot_h = HEIGHT - _TOP - _BOTTOM
    slot = plot_w / count
    bar_w = max(slot * 0.7, 1.0)
    every = label_every or max(1, round(count / 8))
    parts = [
        f'<svg class="plot" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{html.escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{html.escape(title)}</title>",
    ]
    for step in range(_TICKS + 1):
        value = step_value * step
        y = _TOP + plot_h - plot_h * step / _TICKS
        parts.append(
            f'<line x1="{_LEFT}" x2="{WIDTH - _RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            'stroke="#d5dbe1" stroke-width="1"/>'
            f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="#4f5963">{html.escape(shown(value))}</text>'
        )
    for index, point in enumerate(points):
        height = plot_h * point.value / top if top else 0
        x = _LEFT + index * slot + (slot - bar_w) / 2
        y = _TOP + plot_h - height
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" '
            f'height="{height:.1f}" fill="#0b5cad">'
            f"<title>{html.escape(point.label)}: {html.escape(shown(point.value))}</title></rect>"
        )
        if index % every == 0 or index == count - 1:
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{HEIGHT - 8}" text-anchor="middle" '
                f'font-size="11" fill="#4f5963">{html.escape(point.label)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text above is escaped

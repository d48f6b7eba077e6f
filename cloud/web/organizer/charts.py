"""Plots drawn on the server as inline SVG: columns over time, a running total, and
horizontal stacked bars; no script, so the pages' Content-Security-Policy stays as strict
as it is.

Python works out the geometry (testable without a browser); ``organizer/_charts.html``
writes the markup, escaped like every template. Each chart carries a title and a one-line
summary for its ``<title>``/``<desc>`` (screen readers read those; the page puts the exact
figures in a table beside it), and every bar its own tooltip."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

WIDTH = 640
HEIGHT = 240
LEFT = 56
RIGHT = 12
TOP = 12
BOTTOM = 32
MAX_X_LABELS = 6
# A column never gets wider than this, so a sale of one hour is not one wall of colour.
MAX_COLUMN = 40
# The plotting area of columns and lines, inside the axes' labels.
PLOT_LEFT, PLOT_RIGHT = LEFT, WIDTH - RIGHT
PLOT_TOP, PLOT_BOTTOM = TOP, HEIGHT - BOTTOM
PLOT_W, PLOT_H = PLOT_RIGHT - PLOT_LEFT, PLOT_BOTTOM - PLOT_TOP

Format = Callable[[int], str]


@dataclass(frozen=True, slots=True)
class Tick:
    at: float
    label: str


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    tip: str
    part: str = "bar"


@dataclass(frozen=True, slots=True)
class Chart:
    key: str
    title: str
    summary: str
    # "columns", "line" or "bars" (horizontal).
    kind: str
    bars: tuple[Bar, ...] = ()
    # The polyline's points ("x,y x,y ...") of a line chart.
    points: str = ""
    # Value ticks (y for columns and lines, x for bars) and category ticks on the other axis.
    value_ticks: tuple[Tick, ...] = ()
    category_ticks: tuple[Tick, ...] = ()
    # Names of the bar parts, for the legend: (css part, label).
    legend: tuple[tuple[str, str], ...] = ()
    width: int = WIDTH
    height: int = HEIGHT
    left: int = PLOT_LEFT
    right: int = PLOT_RIGHT
    top: int = PLOT_TOP
    bottom: int = PLOT_BOTTOM


def nice_step(largest: int, steps: int = 4) -> int:
    """A step of 1, 2 or 5 times a power of ten that covers ``largest`` in at most
    ``steps`` steps."""
    rough = max(1, math.ceil(largest / steps))
    power: int = 10 ** (len(str(rough)) - 1)
    return next(factor * power for factor in (1, 2, 5, 10) if factor * power >= rough)


def _scale(largest: int) -> tuple[int, int]:
    step = nice_step(largest)
    return step, step * max(1, math.ceil(largest / step))


def _every(count: int) -> int:
    return max(1, math.ceil(count / MAX_X_LABELS))


def columns(
    key: str,
    title: str,
    points: Sequence[tuple[datetime, int]],
    *,
    when: Callable[[datetime], str],
    value: Format = str,
    noun: str = "",
) -> Chart:
    """One column per point: ``when`` labels a point's moment, ``value`` its figure."""
    largest = max((figure for _, figure in points), default=0)
    step, top = _scale(largest)
    slot = PLOT_W / max(len(points), 1)
    gap = min(2.0, slot * 0.15)
    bars, ticks = [], []
    for index, (moment, figure) in enumerate(points):
        height = PLOT_H * figure / top
        x = PLOT_LEFT + index * slot
        width = min(max(slot - gap, 0.5), MAX_COLUMN)
        bars.append(
            Bar(
                x=round(x + (slot - width) / 2, 2),
                y=round(PLOT_BOTTOM - height, 2),
                width=round(width, 2),
                height=round(height, 2),
                tip=f"{when(moment)}: {value(figure)}{noun}",
            )
        )
        if index % _every(len(points)) == 0:
            ticks.append(Tick(round(x + slot / 2, 2), when(moment)))
    return Chart(
        key=key,
        title=title,
        summary=_summary(points, when, value, noun),
        kind="columns",
        bars=tuple(bars),
        value_ticks=_value_ticks(step, top, value),
        category_ticks=tuple(ticks),
    )


def running_total(
    key: str,
    title: str,
    points: Sequence[tuple[datetime, int]],
    *,
    when: Callable[[datetime], str],
    value: Format = str,
    noun: str = "",
) -> Chart:
    """A line through the running total at the end of each point's period."""
    largest = max((figure for _, figure in points), default=0)
    step, top = _scale(max(largest, 0))
    slot = PLOT_W / max(len(points), 1)
    coords, ticks = [], []
    for index, (moment, figure) in enumerate(points):
        x = PLOT_LEFT + (index + 1) * slot
        y = PLOT_BOTTOM - PLOT_H * max(figure, 0) / top
        coords.append(f"{x:.1f},{y:.1f}")
        if index % _every(len(points)) == 0:
            ticks.append(Tick(round(PLOT_LEFT + index * slot + slot / 2, 2), when(moment)))
    start = f"{PLOT_LEFT:.1f},{PLOT_BOTTOM:.1f}"
    last = points[-1][1] if points else 0
    summary = (
        f"{value(last)}{noun} by the end of {when(points[-1][0])}." if points else "No data yet."
    )
    return Chart(
        key=key,
        title=title,
        summary=summary,
        kind="line",
        points=" ".join([start, *coords]),
        value_ticks=_value_ticks(step, top, value),
        category_ticks=tuple(ticks),
    )


def stacked_bars(
    key: str,
    title: str,
    rows: Sequence[tuple[str, Sequence[tuple[str, int]]]],
    parts: Sequence[tuple[str, str]],
) -> Chart:
    """One horizontal bar per row, split into ``parts`` (css part, label) in order; each
    row's parts are its figures in the same order."""
    row_h = 36
    height = TOP + BOTTOM + row_h * max(len(rows), 1)
    # Room for a name of 14 characters (longer ones are cut with "…") at the ticks' 14 px.
    left, right = 150, WIDTH - RIGHT
    largest = max((sum(figure for _, figure in row) for _, row in rows), default=0)
    step, top = _scale(largest)
    bars, ticks, lines = [], [], []
    labels = dict(parts)
    for index, (name, figures) in enumerate(rows):
        y = TOP + index * row_h + 6
        x = float(left)
        for part, figure in figures:
            width = (right - left) * figure / top
            if figure:
                bars.append(
                    Bar(
                        x=round(x, 2),
                        y=y,
                        width=round(width, 2),
                        height=row_h - 12,
                        tip=f"{name}: {figure} {labels[part].lower()}",
                        part=part,
                    )
                )
            x += width
        ticks.append(Tick(y + (row_h - 12) / 2, name))
        lines.append(", ".join(f"{figure} {labels[part].lower()}" for part, figure in figures))
    value_ticks = tuple(
        Tick(round(left + (right - left) * mark / top, 2), str(mark))
        for mark in range(0, top + 1, step)
    )
    summary = "; ".join(f"{name}: {line}" for (name, _), line in zip(rows, lines, strict=True))
    return Chart(
        key=key,
        title=title,
        summary=(summary + ".") if rows else "No data yet.",
        kind="bars",
        bars=tuple(bars),
        value_ticks=value_ticks,
        category_ticks=tuple(ticks),
        legend=tuple(parts),
        height=height,
        left=left,
        right=right,
        bottom=height - BOTTOM,
    )


def _value_ticks(step: int, top: int, value: Format) -> tuple[Tick, ...]:
    return tuple(
        Tick(round(PLOT_BOTTOM - PLOT_H * mark / top, 2), value(mark))
        for mark in range(0, top + 1, step)
    )


def _summary(
    points: Sequence[tuple[datetime, int]],
    when: Callable[[datetime], str],
    value: Format,
    noun: str,
) -> str:
    if not points:
        return "No data yet."
    total = sum(figure for _, figure in points)
    busiest = max(points, key=lambda point: point[1])
    first, last = when(points[0][0]), when(points[-1][0])
    if len(points) == 1:
        return f"{first}: {value(total)}{noun}."
    text = f"From {first} to {last}: {value(total)}{noun} in all"
    if busiest[1]:
        text += f"; the busiest was {when(busiest[0])} with {value(busiest[1])}{noun}"
    return text + "."

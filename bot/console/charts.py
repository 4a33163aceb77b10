"""The dashboard's charts as geometry for an inline SVG: no chart library, no JavaScript.

A chart is computed here (pure: numbers in, rectangles out) and drawn by the template, which
escapes every label. Each bar carries its number in a ``<title>`` (a tooltip, and what a
screen reader says), the chart has its own ``<title>``, and the same numbers stay in the table
beside it: the picture is for the eye, the table for reading and copying.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.domain.reports import BodyFigures, WeekFigures

#: The drawing's own units (the SVG scales to the page's width through its viewBox).
WIDTH, HEIGHT = 720, 240
_LEFT, _RIGHT, _TOP, _BOTTOM = 44, 8, 12, 36
#: The weekly series, in the order drawn in each week's group: (key, legend, CSS class).
WEEK_SERIES = (
    ("received", "Поступило", "received"),
    ("answered_in_time", "Ответ вовремя", "in-time"),
    ("overdue", "Просрочено", "overdue"),
)
#: At most this many bodies in the overdue-share chart.
TOP_BODIES = 10
_ROW, _BAR = 30, 16


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    series: str  # CSS class
    title: str  # what the bar's <title> says


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str


@dataclass(frozen=True)
class Chart:
    width: float
    height: float
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...] = ()
    labels: tuple[Label, ...] = ()
    #: Where the plot area starts and ends horizontally (the axes are drawn there).
    left: float = _LEFT
    right: float = WIDTH - _RIGHT
    base: float = HEIGHT - _BOTTOM


def nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5 × 10ⁿ at or above ``value`` (at least 1): the axis' top."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power  # pragma: no cover - the loop always returns


def weekly(weeks: Sequence[WeekFigures]) -> Chart | None:
    """Grouped bars: for each week, received, answered in time and overdue."""
    if not weeks:
        return None
    top = nice_ceiling(max(max(w.received, w.answered_in_time, w.overdue) for w in weeks))
    plot_w, plot_h = WIDTH - _LEFT - _RIGHT, HEIGHT - _TOP - _BOTTOM
    group = plot_w / len(weeks)
    bar_w = group * 0.8 / len(WEEK_SERIES)
    unit = plot_h / top
    base = HEIGHT - _BOTTOM
    bars, labels = [], []
    every = max(1, math.ceil(len(weeks) / 12))  # at most ~12 dates under the axis
    for i, week in enumerate(weeks):
        start = _LEFT + i * group + group * 0.1
        when = week.week.strftime("%d.%m.%Y")
        for k, (key, legend, css) in enumerate(WEEK_SERIES):
            value = int(getattr(week, key))
            height = value * unit
            bars.append(Bar(
                round(start + k * bar_w, 2), round(base - height, 2), round(bar_w, 2),
                round(height, 2), value, css, f"Неделя с {when}: {legend.lower()} — {value}",
            ))
        if i % every == 0:
            labels.append(Label(round(_LEFT + (i + 0.5) * group, 2), base + 16,
                                week.week.strftime("%d.%m")))
    step = top // 5 if top >= 5 else 1  # whole numbers on the axis: 1, 2, 5 × 10ⁿ divide
    ticks = tuple(
        Tick(round(base - value * unit, 2), str(value)) for value in range(0, top + 1, step)
    )
    return Chart(WIDTH, HEIGHT, tuple(bars), ticks, tuple(labels))


def overdue_shares(
    bodies: Sequence[BodyFigures], name_of: Callable[[str], str]
) -> Chart | None:
    """Horizontal bars: the share of overdue tickets of the bodies where it is highest (of
    those with a deadline), each bar under its body's name, 100 % the full width. Bodies
    with nothing overdue are left out (``None``: no body has anything overdue)."""
    ranked = sorted(
        (b for b in bodies if b.with_deadline and b.overdue),
        key=lambda b: (-(b.overdue / b.with_deadline), -b.overdue, name_of(b.body)),
    )[:TOP_BODIES]
    if not ranked:
        return None
    left = _RIGHT  # no axis: the bars start at the edge
    plot_w = WIDTH - left - _RIGHT
    bars, labels = [], []
    for i, body in enumerate(ranked):
        share = body.overdue / body.with_deadline
        y = _TOP + i * (_ROW + 14)
        name = name_of(body.body)
        percent = round(100 * share)
        labels.append(Label(left, y + 10, f"{name} — {percent} %"))
        bars.append(Bar(
            left, y + 14, round(plot_w * share, 2), _BAR, body.overdue, "overdue",
            f"{name}: просрочено {body.overdue} из {body.with_deadline} ({percent} %)",
        ))
    height = _TOP + len(ranked) * (_ROW + 14)
    return Chart(WIDTH, height, tuple(bars), labels=tuple(labels), left=left, base=height)

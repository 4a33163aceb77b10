"""`/stats` for coordinators: tickets by state and by body, the overdue list, the median time to
the first answer, the appeals through each connected page and how many of them were meant for
another body (`bot.core.page_appeals`) — as a short Russian text and a PNG chart.

Numbers come from the database in one transaction (``tx.stats``, `bot.storage.base.StatsTx`);
the chart is drawn with matplotlib's Agg backend through the object API (``Figure``, not
``pyplot``: pyplot keeps global state and is not safe in a worker thread), in
``asyncio.to_thread`` because rendering takes a noticeable fraction of a second.
"""

from __future__ import annotations

import asyncio
import io
import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.core.appeals import AppealCore
from bot.domain import texts
from bot.domain.messages import split_text
from bot.domain.states import ACTIVE

TOP_BODIES = 10
OVERDUE_SHOWN = 20


@dataclass(frozen=True)
class Stats:
    at: datetime
    by_state: dict[str, int]
    by_body: list[tuple[str, int]]  # (body name, tickets), the largest first, at most TOP_BODIES
    overdue: list[tuple[str, str, timedelta]]  # (number, body name, how late), most late first
    answer_delays: list[float]  # seconds from creation to the first answer
    #: Connected VK pages: (page name, appeals through it, of them misdirected).
    pages: list[tuple[str, int, int]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.by_state.values())

    @property
    def median_answer(self) -> timedelta | None:
        if not self.answer_delays:
            return None
        return timedelta(seconds=statistics.median(self.answer_delays))


async def collect(core: AppealCore) -> Stats:
    now = core.clock.now()
    async with core.repo.transaction() as tx:
        by_state = await tx.stats.by_state()
        by_body = await tx.stats.by_body()
        overdue = await tx.stats.overdue(tuple(s.value for s in ACTIVE), now)
        delays = await tx.stats.first_answer_delays()
        pages = {page.group_id: page.name for page in await tx.pages.pages()}
        page_counts = await tx.pages.appeal_counts()

    def name(body_id: str | None) -> str:
        body = core.table.body_by_id.get(body_id or "")
        return body.name if body is not None else (body_id or texts.STATS_NO_BODY)

    bodies = sorted(by_body.items(), key=lambda item: (-item[1], item[0]))[:TOP_BODIES]
    return Stats(
        at=now,
        by_state=by_state,
        by_body=[(name(b), n) for b, n in bodies],
        overdue=[(number, name(body), now - due) for number, body, due in overdue],
        answer_delays=delays,
        pages=[(pages.get(group, f"club{group}"), appeals, misdirected)
               for group, (appeals, misdirected) in page_counts.items()],
    )


def duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return texts.DURATION_DAYS.format(days=days, hours=hours)
    if hours:
        return texts.DURATION_HOURS.format(hours=hours, minutes=minutes)
    return texts.DURATION_MINUTES.format(minutes=minutes)


def state_name(state: str) -> str:
    return texts.STATE_NAMES.get(state, state)


def render_text(stats: Stats, when: str) -> list[str]:
    """The text part, split into messages of at most 4096 characters."""
    if stats.total == 0:
        return [texts.STATS_EMPTY]
    lines = [texts.STATS_TITLE.format(when=when), texts.STATS_TOTAL.format(count=stats.total), ""]
    lines.append(texts.STATS_BY_STATE)
    for state, count in sorted(stats.by_state.items(), key=lambda item: -item[1]):
        lines.append(texts.STATS_LINE.format(name=state_name(state), count=count))
    if stats.by_body:
        lines += ["", texts.STATS_BY_BODY.format(count=len(stats.by_body))]
        lines += [texts.STATS_LINE.format(name=n, count=c) for n, c in stats.by_body]
    lines.append("")
    if stats.overdue:
        lines.append(texts.STATS_OVERDUE.format(count=len(stats.overdue)))
        for number, body, late in stats.overdue[:OVERDUE_SHOWN]:
            lines.append(texts.STATS_OVERDUE_LINE.format(number=number, body=body,
                                                         late=duration(late)))
        if len(stats.overdue) > OVERDUE_SHOWN:
            lines.append(texts.STATS_OVERDUE_MORE.format(count=len(stats.overdue) - OVERDUE_SHOWN))
    else:
        lines.append(texts.STATS_OVERDUE_NONE)
    median = stats.median_answer
    if median is None:
        lines.append(texts.STATS_MEDIAN_NONE)
    else:
        lines.append(
            texts.STATS_MEDIAN.format(median=duration(median), count=len(stats.answer_delays))
        )
    if stats.pages:
        lines += ["", texts.STATS_PAGES_HEADER]
        lines += [texts.STATS_PAGES_LINE.format(name=n, appeals=a, misdirected=m)
                  for n, a, m in stats.pages]
    return split_text("\n".join(lines))


def _short(name: str, limit: int = 45) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def render_png(stats: Stats) -> bytes | None:
    """Two horizontal bar charts (states, bodies); ``None`` when there is nothing to draw.
    Blocking: call in a thread."""
    if stats.total == 0:
        return None
    from matplotlib.figure import Figure

    states = sorted(stats.by_state.items(), key=lambda item: item[1])
    bodies = list(reversed(stats.by_body))
    rows = len(states) + len(bodies)
    figure = Figure(figsize=(10, 2 + 0.35 * rows), dpi=100)
    grid = figure.add_gridspec(2, 1, height_ratios=[max(len(states), 1), max(len(bodies), 1)])
    for index, (title, items) in enumerate(
        (
            (texts.STATS_CHART_STATES, [(state_name(s), n) for s, n in states]),
            (texts.STATS_CHART_BODIES.format(count=len(bodies)), bodies),
        )
    ):
        axes = figure.add_subplot(grid[index])
        axes.set_title(title, loc="left")
        if items:
            labels = [_short(label) for label, _ in items]
            values = [count for _, count in items]
            bars = axes.barh(labels, values, color="#3b6ea5" if index == 0 else "#6a9f58")
            axes.bar_label(bars, padding=3)
            axes.set_xlim(0, max(values) * 1.15 + 1)
        axes.spines[["top", "right"]].set_visible(False)
        axes.tick_params(axis="x", labelsize=8)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


async def report(core: AppealCore) -> tuple[list[str], bytes | None]:
    """The text messages and the chart (``None`` for an empty database)."""
    stats = await collect(core)
    when = texts.WHEN.format(date=stats.at.astimezone(core.calendar.timezone))
    png = await asyncio.to_thread(render_png, stats)
    return render_text(stats, when), png

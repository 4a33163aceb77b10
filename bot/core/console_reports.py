"""What the console's pages call for numbers: the queue, the dashboard and the map, each for a
`Viewer` and a filter parsed by `bot.core.console_filters` (exports: `bot.core.report_export`).

Why a use case over the read model and not the page itself: the scope of a body's
administrator is applied here again, whatever filter a page passes (a coordinator sees every
ticket, an administrator only its bodies'), and what the database gives in UTC hours becomes
the region's local weeks here. Each call is one read transaction of a few bounded statements
(`bot.storage.base.ReportsTx`); `bench/console_queries.py` times them.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from datetime import datetime, timedelta, tzinfo

from bot.core.console_filters import FilterError, QueueQuery
from bot.domain import texts
from bot.domain.reports import (
    Dashboard,
    MapData,
    MunicipalityMarker,
    Period,
    QueuePage,
    TicketFilter,
    Viewer,
    WeekFigures,
)
from bot.storage.base import Repository
from routing.model import RoutingTable

#: Queue lines per page (a phone screen or two).
PAGE_SIZE = 25
#: «Скоро срок»: the deadline comes within this.
DUE_SOON = timedelta(hours=24)
#: Topics shown per municipality on the dashboard.
TOP_TOPICS = 3
#: Markers on the map at most (the newest); more would not help a reader and would slow the page.
MAP_POINTS = 5000


def scoped(flt: TicketFilter, viewer: Viewer) -> TicketFilter:
    """``flt`` narrowed to what ``viewer`` may see (an administrator: its bodies only)."""
    scope = viewer.scope
    if scope is None:
        return flt
    bodies = scope if flt.bodies is None else flt.bodies & scope
    return dataclasses.replace(flt, bodies=frozenset(bodies))


async def queue_page(
    repo: Repository, viewer: Viewer, query: QueueQuery, now: datetime
) -> QueuePage:
    """A page of a queue tab with every tab's count; `FilterError` (``page``) past the last."""
    flt = scoped(query.filter, viewer)
    soon = now + DUE_SOON
    offset = (query.page - 1) * PAGE_SIZE
    async with repo.transaction() as tx:
        counts = await tx.reports.view_counts(flt, now, soon)
        total = counts[query.view]
        pages = max(1, -(-total // PAGE_SIZE))
        if query.page > pages:
            raise FilterError({
                "page": texts.FILTER_PAGE_OUT_OF_RANGE.format(page=query.page, pages=pages)
            })
        rows = await tx.reports.queue(query.view, flt, now, soon, PAGE_SIZE, offset)
    return QueuePage(query.view, tuple(rows), query.page, pages, total, counts)


def weeks_of(
    hours: list[tuple[datetime, int, int, int, int]], zone: tzinfo
) -> tuple[WeekFigures, ...]:
    """UTC hours (`ReportsTx.hourly`) folded into local weeks (Monday 00:00 in ``zone``),
    oldest first; a week with no tickets inside the range is shown as zero, so a chart's gaps
    are visible."""
    sums: dict[datetime, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for hour, *figures in hours:
        local = hour.astimezone(zone)
        monday = (local - timedelta(days=local.weekday())).date()
        week = sums[datetime(monday.year, monday.month, monday.day, tzinfo=zone)]
        for i, value in enumerate(figures):
            week[i] += value
    if not sums:
        return ()
    first, last = min(sums), max(sums)
    weeks = []
    week = first
    while week <= last:
        weeks.append(WeekFigures(week, *sums.get(week, (0, 0, 0, 0))))
        day = (week + timedelta(days=7)).date()  # by calendar date: a DST week is not 168 h
        week = datetime(day.year, day.month, day.day, tzinfo=zone)
    return tuple(weeks)


async def dashboard(
    repo: Repository, viewer: Viewer, flt: TicketFilter, now: datetime, zone: tzinfo
) -> Dashboard:
    """The period's figures (`bot.storage.sql.reports` tells how each is counted)."""
    flt = scoped(flt, viewer)
    assert flt.period is not None, "parse_report always sets a period"
    async with repo.transaction() as tx:
        totals, routes, bodies = await tx.reports.figures(flt, now)
        hours = await tx.reports.hourly(flt, now)
        top = await tx.reports.top_topics(flt, TOP_TOPICS)
    return Dashboard(
        period=flt.period, totals=totals, routes=routes, bodies=tuple(bodies),
        weeks=weeks_of(hours, zone), top_topics=tuple(top),
    )


async def map_data(
    repo: Repository, viewer: Viewer, flt: TicketFilter, table: RoutingTable
) -> MapData:
    """Tickets with coordinates (the newest `MAP_POINTS`) and, for every municipality of the
    table with a centroid, a marker with its count of tickets in the filter."""
    flt = scoped(flt, viewer)
    async with repo.transaction() as tx:
        points = await tx.reports.map_points(flt, MAP_POINTS + 1)
        counts = await tx.reports.by_municipality(flt)
    markers = tuple(
        MunicipalityMarker(m.id, m.name, m.lat, m.lon, counts[m.id])
        for m in table.municipalities
        if m.id in counts and m.lat is not None and m.lon is not None
    )
    return MapData(tuple(points[:MAP_POINTS]), len(points) > MAP_POINTS, markers)


def period_label(period: Period, zone: tzinfo) -> str:
    """«01.03.2026–31.03.2026»: the period as a person reads it (the end day included)."""
    first = period.start.astimezone(zone).date()
    last = (period.end.astimezone(zone) - timedelta(microseconds=1)).date()
    return f"{first:%d.%m.%Y}–{last:%d.%m.%Y}"

"""The dashboard, the exports and the map: parse the filter, call the read model, render.

The read model (`bot.core.console_reports`, `bot.core.report_export`) applies a body
administrator's scope itself; the page only maps the session's `Role` to its `Viewer`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

import aiohttp_jinja2
from aiohttp import web

from bot.console import charts
from bot.console.common import DESK, OPTIONS, ROLE, message_page
from bot.core import console_reports, report_export
from bot.core.console_access import Role
from bot.core.console_filters import Catalogue, FilterError, parse_report
from bot.core.desk import Desk
from bot.domain.reports import TicketFilter, Viewer

#: The filter parameters a report page passes on to its export links.
_FILTERS = ("body", "topic", "municipality", "state", "channel", "from", "to", "q")


def viewer_of(role: Role) -> Viewer:
    """The read model's view of a signed-in account."""
    return Viewer(coordinator=role.coordinator, bodies=frozenset(role.bodies))


def _filter(request: web.Request) -> tuple[Desk, Viewer, TicketFilter]:
    desk: Desk = request.app[DESK]
    viewer = viewer_of(request[ROLE])
    flt = parse_report(
        request.query, viewer, Catalogue.of(desk.table), desk.clock.now(), desk.calendar.timezone
    )
    return desk, viewer, flt


def _refused(request: web.Request, error: FilterError) -> web.Response:
    return message_page(request, " ".join(error.errors.values()), 400)


def _chosen(request: web.Request) -> dict[str, str]:
    return {k: request.query[k] for k in _FILTERS if request.query.get(k)}


def _form_context(request: web.Request, desk: Desk) -> dict[str, Any]:
    role: Role = request[ROLE]
    bodies = [b for b in desk.table.bodies if role.coordinator or b.id in role.bodies]
    chosen = _chosen(request)
    return {
        "chosen": chosen,
        "query": urlencode(chosen),
        "bodies": sorted(bodies, key=lambda b: b.name),
        "topics": sorted(desk.table.topics, key=lambda t: t.name),
        "municipalities": sorted(desk.table.municipalities, key=lambda m: m.name),
    }


async def dashboard(request: web.Request) -> web.StreamResponse:
    try:
        desk, viewer, flt = _filter(request)
    except FilterError as error:
        return _refused(request, error)
    zone = desk.calendar.timezone
    figures = await console_reports.dashboard(desk.repo, viewer, flt, desk.clock.now(), zone)
    table = desk.table

    def body_name(body: str | None) -> str:
        return table.body_by_id[body].name if body in table.body_by_id else (body or "—")

    context = {
        **_form_context(request, desk),
        "board": figures,
        "weeks_chart": charts.weekly(figures.weeks),
        "week_legend": [(css, legend) for _key, legend, css in charts.WEEK_SERIES],
        "shares_chart": charts.overdue_shares(figures.bodies, body_name),
        "period": console_reports.period_label(figures.period, zone),
        "zone": zone,
        "body_name": body_name,
        "topic_name": lambda t: table.topic_by_id[t].name if t in table.topic_by_id else (t or "—"),
        "place_name": lambda m: (table.municipality_by_id[m].name
                                 if m in table.municipality_by_id else (m or "не определён")),
    }
    return aiohttp_jinja2.render_template("dashboard.html", request, context)


def _file_name(desk: Desk, suffix: str) -> str:
    return f"obrashcheniya-{desk.clock.now().astimezone(desk.calendar.timezone):%Y-%m-%d}.{suffix}"


async def export_csv(request: web.Request) -> web.StreamResponse:
    try:
        desk, viewer, flt = _filter(request)
        chunks = report_export.export_csv(desk.repo, viewer, flt, desk.table,
                                          desk.calendar.timezone)
        first = await anext(chunks)  # the size check runs before the first chunk
    except FilterError as error:
        return _refused(request, error)
    response = web.StreamResponse(headers={
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": f'attachment; filename="{_file_name(desk, "csv")}"',
    })
    await response.prepare(request)
    await response.write(first)
    async for chunk in chunks:
        await response.write(chunk)
    await response.write_eof()
    return response


async def export_xlsx(request: web.Request) -> web.StreamResponse:
    try:
        desk, viewer, flt = _filter(request)
        data = await report_export.export_xlsx(desk.repo, viewer, flt, desk.table,
                                               desk.calendar.timezone)
    except FilterError as error:
        return _refused(request, error)
    return web.Response(body=data, headers={
        "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "Content-Disposition": f'attachment; filename="{_file_name(desk, "xlsx")}"',
    })


async def map_page(request: web.Request) -> web.StreamResponse:
    try:
        desk, viewer, flt = _filter(request)
    except FilterError as error:
        return _refused(request, error)
    data = await console_reports.map_data(desk.repo, viewer, flt, desk.table)
    zone = desk.calendar.timezone
    points = [
        {"lat": p.lat, "lon": p.lon, "number": p.number,
         "when": _local(p.created_at, zone)}
        for p in data.points
    ]
    markers = [{"lat": m.lat, "lon": m.lon, "name": m.name, "count": m.count}
               for m in data.municipalities]
    context = {
        **_form_context(request, desk),
        "points": points,
        "markers": markers,
        "truncated": data.truncated,
        "tiles": request.app[OPTIONS].map_tiles,
        "period": console_reports.period_label(flt.period, zone) if flt.period else "",
    }
    response = aiohttp_jinja2.render_template("map.html", request, context)
    tiles = urlsplit(request.app[OPTIONS].map_tiles)
    response.headers["Content-Security-Policy"] = (
        f"default-src 'self'; img-src 'self' data: {tiles.scheme}://{tiles.netloc}; "
        "frame-ancestors 'none'; form-action 'self'"
    )
    return response


def _local(value: datetime, zone) -> str:
    return value.astimezone(zone).strftime("%d.%m.%Y %H:%M")

"""The queue and the ticket page: read the request, call the core, render. Thin on purpose."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePath
from typing import Any
from urllib.parse import urlencode

import aiohttp_jinja2
from aiohttp import web

from bot.console import params
from bot.console.common import DESK, FILES, FORM, ROLE, message_page
from bot.console.report_pages import viewer_of
from bot.core import console_desk, console_reports
from bot.core.console_access import Role
from bot.core.console_desk import Access
from bot.core.console_filters import TEXT_SEARCH_DAYS, Catalogue, FilterError, parse_queue
from bot.core.desk import Desk
from bot.delivery.transport import DeliveryError
from bot.domain import texts
from bot.domain.reports import QueueRow, QueueView
from bot.domain.states import TicketState

_VIEWS = {
    QueueView.UNROUTED: "Без органа",
    QueueView.REDIRECTED: "Перенаправленные",
    QueueView.OVERDUE: "Просроченные",
    QueueView.DUE_SOON: "Срок скоро",
    QueueView.ALL: "Все",
}
_CHANNELS = {"tg": "Telegram", "vk": "ВКонтакте"}


def _desk(request: web.Request) -> Desk:
    return request.app[DESK]


def _bad(request: web.Request, error: params.BadInput) -> web.Response:
    return message_page(request, error.message, 400)


async def queue(request: web.Request) -> web.StreamResponse:
    return await _queue_page(request, notice=None)


@dataclass(frozen=True)
class _Line:
    """A queue line as the page shows it: names from the table in force, the deadline local."""

    number: str
    state: str
    body: str
    topic: str
    place: str
    due: str
    overdue: bool
    excerpt: str


def _line(desk: Desk, row: QueueRow, now: datetime) -> _Line:
    names = console_desk.shown(
        desk, row.state, row.body, row.topic, row.municipality, row.due_at, now
    )
    return _Line(row.number, *names, row.excerpt)


async def _queue_page(request: web.Request, notice: str | None) -> web.StreamResponse:
    """The queue through the console's read model (`bot.core.console_reports.queue_page`),
    with the report pages' filter: the same parameters, checks and messages."""
    desk = _desk(request)
    role: Role = request[ROLE]
    now = desk.clock.now()
    if len(request.query_string) > params.MAX_QUERY:
        return _bad(request, params.BadInput(
            "адрес", texts.CONSOLE_TOO_LONG.format(limit=params.MAX_QUERY)
        ))
    viewer = viewer_of(role)
    try:
        query = parse_queue(
            request.query, viewer, Catalogue.of(desk.table), now, desk.calendar.timezone
        )
        found = await console_reports.queue_page(desk.repo, viewer, query, now)
    except FilterError as error:
        return message_page(request, " ".join(error.errors.values()), 400)
    chosen = {k: v for k, v in request.query.items() if k != "page" and v}

    def page_link(page: int) -> str:
        return "?" + urlencode({**chosen, "page": page})

    context: dict[str, Any] = {
        "rows": [_line(desk, row, now) for row in found.rows],
        "total": found.total,
        "current": found.view,
        "counts": found.counts,
        "chosen": chosen,
        "views": _VIEWS,
        "view_links": {v: "?" + urlencode({**chosen, "view": v.value}) for v in _VIEWS},
        "bodies": _bodies(desk, role),
        "all_bodies": sorted(desk.table.bodies, key=lambda b: b.name),
        "topics": sorted(desk.table.topics, key=lambda t: t.name),
        "municipalities": sorted(desk.table.municipalities, key=lambda m: m.name),
        "states": {s.value: texts.STATE_NAMES.get(s, s.value) for s in TicketState
                   if s != TicketState.NEW},
        "channels": _CHANNELS,
        "search_days": TEXT_SEARCH_DAYS,
        # Words without days: `parse_queue` looked at the last `TEXT_SEARCH_DAYS` only.
        "text_days_default": query.filter.text is not None
        and not (request.query.get("from", "").strip() or request.query.get("to", "").strip()),
        "page": found.page,
        "pages_count": found.pages,
        "prev_link": page_link(found.page - 1) if found.page > 1 else None,
        "next_link": page_link(found.page + 1) if found.page < found.pages else None,
        "notice": notice,
    }
    return aiohttp_jinja2.render_template("queue.html", request, context)


def _bodies(desk: Desk, role: Role) -> list:
    if role.coordinator:
        return sorted(desk.table.bodies, key=lambda b: b.name)
    return sorted((b for b in desk.table.bodies if b.id in role.bodies), key=lambda b: b.name)


async def bulk(request: web.Request) -> web.StreamResponse:
    """A coordinator's bulk reassign or close of the chosen tickets."""
    desk = _desk(request)
    role: Role = request[ROLE]
    if not role.coordinator:
        return message_page(request, texts.CONSOLE_FORBIDDEN, 403)
    form = request[FORM]
    action = form.get("action")
    try:
        numbers = params.ticket_numbers([str(v) for v in form.getall("n", [])])
        if action not in ("reassign", "close"):
            raise params.BadInput("action", texts.CONSOLE_BAD_CHOICE)
        body = str(form.get("body") or "")
        if action == "reassign" and body not in desk.table.body_by_id:
            raise params.BadInput("body", texts.CONSOLE_BAD_CHOICE)
        reason = params.text_field(form, "reason", required=action == "close")
    except params.BadInput as error:
        return _bad(request, error)
    done, skipped = await console_desk.bulk(desk, role, numbers, str(action), body, reason)
    notice = texts.CONSOLE_BULK_DONE.format(done=done, total=len(numbers))
    if skipped:
        notice += " " + texts.CONSOLE_BULK_SKIPPED.format(numbers=", ".join(skipped))
    return await _queue_page(request, notice)


async def ticket(request: web.Request) -> web.StreamResponse:
    return await _ticket_page(request, notice=None, ok=True)


async def _ticket_page(request: web.Request, notice: str | None, ok: bool) -> web.StreamResponse:
    desk = _desk(request)
    number = request.match_info["number"]
    if len(number) > 32:
        return message_page(request, texts.CONSOLE_FORBIDDEN, 403)
    access, page = await console_desk.ticket_page(desk, request[ROLE], number)
    if access == Access.NOT_FOUND:
        return message_page(request, texts.CONSOLE_NOT_FOUND.format(number=number), 404)
    if page is None:
        return message_page(request, texts.CONSOLE_FORBIDDEN, 403)
    context = {
        "page": page,
        "notice": notice,
        "ok": ok,
        "bodies": sorted(desk.table.bodies, key=lambda b: b.name),
        "tz": desk.calendar.timezone,
        "files": FILES in request.app,
    }
    return aiohttp_jinja2.render_template("ticket.html", request, context)


_NEEDS_TEXT = {"answer", "note", "extend"}


async def act(request: web.Request) -> web.StreamResponse:
    """One action of the ticket page; then the page as it is now, with the outcome."""
    desk = _desk(request)
    role: Role = request[ROLE]
    number = request.match_info["number"]
    access, _page = await console_desk.ticket_page(desk, role, number)
    if access != Access.OK:
        return await _ticket_page(request, None, True)  # the same refusal as a GET
    form = request[FORM]
    action = str(form.get("action") or "")
    try:
        if action not in ("take", "answer", "note", "redirect", "extend", "close"):
            raise params.BadInput("action", texts.CONSOLE_BAD_CHOICE)
        text = params.text_field(form, "text", required=action in _NEEDS_TEXT)
        body = str(form.get("body") or "")
        if body and body not in desk.table.body_by_id:
            raise params.BadInput("body", texts.CONSOLE_BAD_CHOICE)
    except params.BadInput as error:
        return _bad(request, error)
    result = await console_desk.act(desk, role, number, action, text, body)
    return await _ticket_page(request, result.notice, result.ok)


#: Shown in the browser; anything else is downloaded, never rendered (an HTML "document"
#: from a citizen must not run on the console's origin).
_INLINE = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".webp": "image/webp"}


async def attachment(request: web.Request) -> web.StreamResponse:
    """A ticket's file, downloaded through the bot from its channel, for those who may see
    the ticket."""
    desk = _desk(request)
    number, index = request.match_info["number"], request.match_info["index"]
    fetch = request.app.get(FILES)
    if fetch is None or not index.isdigit() or len(number) > 32:
        return message_page(request, texts.CONSOLE_FILE_MISSING, 404)
    access, found = await console_desk.attachment(desk, request[ROLE], number, int(index))
    if access == Access.FORBIDDEN:
        return message_page(request, texts.CONSOLE_FORBIDDEN, 403)
    if found is None:
        return message_page(request, texts.CONSOLE_FILE_MISSING, 404)
    try:
        file = await fetch(found)
    except DeliveryError:
        return message_page(request, texts.CONSOLE_FILE_UNAVAILABLE, 502)
    suffix = PurePath(file.name).suffix.lower()
    inline = suffix in _INLINE
    name = f"{number}-{int(index) + 1}{suffix if suffix.isascii() else ''}"
    return web.Response(
        body=file.data,
        content_type=_INLINE.get(suffix, "application/octet-stream"),
        headers={"Content-Disposition": f'{"inline" if inline else "attachment"}; '
                                        f'filename="{name}"'},
    )

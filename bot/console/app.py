"""The console's sub-application: sessions, the origin and CSRF checks, and the routes.

A request is let through to a page only with a live session (cookie ``console_session``, its
hash in the database) of an account that still has a role; a POST only from the console's own
origin (`same_origin`) and with the session's CSRF token in the form. Signing in and out:
`bot.console.sign_in`.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp_jinja2
import jinja2
from aiohttp import web

from bot.console import (
    community_pages,
    pages,
    report_pages,
    sign_in,
    staff_pages,
    table_pages,
)
from bot.console.common import (
    CSRF,
    DESK,
    FILES,
    FORM,
    OPTIONS,
    PAGES,
    PATH,
    ROLE,
    SECRET,
    TABLE,
    ConsoleOptions,
    FetchFile,
    message_page,
)
from bot.console.sign_in import COOKIE, sign_in_page
from bot.core import console_access
from bot.core.desk import Desk
from bot.core.pages import PageTools
from bot.core.table_console import TableConsole
from bot.domain import texts
from bot.domain.viewer import NotAllowed

HERE = Path(__file__).resolve().parent
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
log = logging.getLogger("bot.console")
#: ``PUBLIC_URL``'s origin, which every POST must come from (empty: not checked).
ORIGIN = web.AppKey("console_origin", str)
#: Pages open without a session.
_OPEN = ("/console/login/", "/console/static/")
#: Room for the form's other fields and the multipart framing around an upload's file.
_SLACK = 64 * 1024

_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # The login link carries its secret in the path: never pass it on to another site. Not
    # «no-referrer»: with it a browser sends «Origin: null» on the console's own forms, and
    # `same_origin` could not tell them from a foreign page's.
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@web.middleware
async def same_origin(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A POST only from the console's own pages: its ``Origin`` (or, where a browser sends
    none, its ``Referer``) must be ``PUBLIC_URL``'s origin; another site's form gets a 403.
    A POST with neither header (a client that is no browser, an old browser) is let through:
    a browser that sends neither cannot be made to by a foreign page either, and the CSRF
    token (a /web link's secret, for the sign-in POST) still guards it."""
    if request.method == "POST":
        expected = request.app[ORIGIN]
        sent = request.headers.get("Origin") or _origin_of(request.headers.get("Referer"))
        if expected and sent is not None and sent != expected:
            log.info("console: a POST from another origin refused")
            return message_page(request, texts.CONSOLE_FOREIGN_ORIGIN, 403)
    return await handler(request)


def _origin_of(url: str | None) -> str | None:
    """``scheme://host[:port]`` of a URL as a browser writes it in ``Origin`` (no default
    port); ``None`` for no URL, ``"null"`` for one that has no origin."""
    if not url:
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "null"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "null"
    default = {"http": 80, "https": 443}[parts.scheme]
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port not in (None, default) else "")


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Session, role and CSRF before any page (the security headers: `_secure_headers`)."""
    return await _guarded(request, handler)


async def _secure_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Just before any response's headers go out — a streamed download's too."""
    for name, value in _HEADERS.items():
        response.headers.setdefault(name, value)  # a page may widen its own CSP (the map)


async def _guarded(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path.startswith(_OPEN):
        return await handler(request)
    desk = request.app[DESK]
    secret = request.cookies.get(COOKIE, "")
    session = await console_access.session_of(desk, secret)
    if session is None:
        return sign_in_page(request, texts.CONSOLE_NEED_SIGN_IN, 401)
    role = console_access.role_of(desk, session.channel, session.user_id)
    if role is None:
        return message_page(request, texts.CONSOLE_NO_ROLE, 403)
    request[ROLE] = role
    request[CSRF] = session.csrf
    request[SECRET] = secret
    if request.method == "POST":
        if request.path == table_pages.UPLOAD_PATH and TABLE in request.app:
            # The one page that takes a big body: a table file, as large as the chat takes.
            request = request.clone(client_max_size=request.app[TABLE].max_upload_bytes + _SLACK)
            request[ROLE], request[CSRF], request[SECRET] = role, session.csrf, secret
        try:
            form = await request.post()
        except web.HTTPRequestEntityTooLarge:
            if request.path == table_pages.UPLOAD_PATH:
                return table_pages.too_large(request)
            raise
        sent = form.get("csrf")
        if not isinstance(sent, str) or not secrets.compare_digest(sent, session.csrf):
            return message_page(request, texts.CONSOLE_CSRF, 403)
        request[FORM] = form
    try:
        return await handler(request)
    except NotAllowed as refused:
        return message_page(request, str(refused), 403)


def console_app(
    desk: Desk,
    options: ConsoleOptions | None = None,
    files: FetchFile | None = None,
    table: TableConsole | None = None,
    pages_tools: PageTools | None = None,
) -> web.Application:
    """The sub-application to mount at ``/console/``; ``files`` downloads a ticket's
    attachment from its channel (`bot.delivery.files.FileBridge.fetch`; ``None``: no links);
    ``table`` edits the routing table (``None``: the table pages say only coordinators may);
    ``pages_tools`` connects VK pages (``None``: the «Страницы» page says VK is off)."""
    app = web.Application(middlewares=[same_origin, guard], client_max_size=1024 * 1024)
    app.on_response_prepare.append(_secure_headers)
    app[DESK] = desk
    app[ORIGIN] = _origin_of(desk.console_url) or ""
    app[OPTIONS] = options or ConsoleOptions()
    if files is not None:
        app[FILES] = files
    if table is not None:
        app[TABLE] = table
    if pages_tools is not None:
        app[PAGES] = pages_tools
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=jinja2.select_autoescape(default=True),
        context_processors=[_common],
    )
    sign_in.routes(app)
    app.router.add_get("/", pages.queue)
    app.router.add_post("/bulk", pages.bulk)
    app.router.add_get("/ticket/{number}", pages.ticket)
    app.router.add_post("/ticket/{number}", pages.act)
    app.router.add_get("/ticket/{number}/file/{index}", pages.attachment)
    app.router.add_get("/dashboard", report_pages.dashboard)
    app.router.add_get("/export.csv", report_pages.export_csv)
    app.router.add_get("/export.xlsx", report_pages.export_xlsx)
    app.router.add_get("/map", report_pages.map_page)
    table_pages.routes(app)
    staff_pages.routes(app)
    community_pages.routes(app)
    app.router.add_static("/static/", HERE / "static")
    return app


async def _common(request: web.Request) -> dict[str, Any]:
    return {"role": request.get(ROLE), "csrf": request.get(CSRF, ""), "path": PATH}

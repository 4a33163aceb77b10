"""The console's sub-application: sign-in by a /web link, sessions, CSRF and the routes.

A request is let through to a page only with a live session (cookie ``console_session``, its
hash in the database) of an account that still has a role; a POST only with the session's
CSRF token in the form. A login link is opened in two steps — the GET shows a «Войти» button,
the POST uses the link up — so that a messenger fetching the link for a preview cannot spend it.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web

from bot.console import pages, report_pages, staff_pages, table_pages
from bot.console.common import (
    CSRF,
    DESK,
    FILES,
    FORM,
    OPTIONS,
    ROLE,
    SECRET,
    TABLE,
    ConsoleOptions,
    FetchFile,
    message_page,
)
from bot.core import console_access
from bot.core.desk import Desk
from bot.core.table_console import TableConsole
from bot.domain import texts
from bot.domain.console import secret_hash
from bot.domain.viewer import NotAllowed

HERE = Path(__file__).resolve().parent
COOKIE = "console_session"
PATH = "/console"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
#: Pages open without a session.
_OPEN = ("/console/login/", "/console/static/")
#: Room for the form's other fields and the multipart framing around an upload's file.
_SLACK = 64 * 1024

_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # The login link carries its secret in the path: never pass it on as a referrer.
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


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
        return message_page(request, texts.CONSOLE_NEED_SIGN_IN, 401)
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


async def login_form(request: web.Request) -> web.StreamResponse:
    token = request.match_info["token"]
    desk = request.app[DESK]
    async with desk.repo.transaction() as tx:
        valid = await tx.console.login_is_open(secret_hash(token), desk.clock.now())
    if not valid:
        return message_page(request, texts.CONSOLE_LINK_REFUSED, 403)
    return aiohttp_jinja2.render_template("login.html", request, {"token": token})


async def login(request: web.Request) -> web.StreamResponse:
    options = request.app[OPTIONS]
    opened = await console_access.open_session(
        request.app[DESK], request.match_info["token"], options.session_lifetime
    )
    if opened is None:
        return message_page(request, texts.CONSOLE_LINK_REFUSED, 403)
    secret, _session = opened
    response = web.Response(status=303, headers={"Location": PATH + "/"})
    response.set_cookie(
        COOKIE, secret, path=PATH, httponly=True, secure=options.secure_cookie,
        samesite="Lax", max_age=int(options.session_lifetime.total_seconds()),
    )
    return response


async def logout(request: web.Request) -> web.StreamResponse:
    await console_access.end_session(request.app[DESK], request[SECRET])
    response = message_page(request, texts.CONSOLE_SIGNED_OUT, 200)
    response.del_cookie(COOKIE, path=PATH)
    return response


def console_app(
    desk: Desk,
    options: ConsoleOptions | None = None,
    files: FetchFile | None = None,
    table: TableConsole | None = None,
) -> web.Application:
    """The sub-application to mount at ``/console/``; ``files`` downloads a ticket's
    attachment from its channel (`bot.delivery.files.FileBridge.fetch`; ``None``: no links);
    ``table`` edits the routing table (``None``: the table pages say only coordinators may)."""
    app = web.Application(middlewares=[guard], client_max_size=1024 * 1024)
    app.on_response_prepare.append(_secure_headers)
    app[DESK] = desk
    app[OPTIONS] = options or ConsoleOptions()
    if files is not None:
        app[FILES] = files
    if table is not None:
        app[TABLE] = table
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=jinja2.select_autoescape(default=True),
        context_processors=[_common],
    )
    app.router.add_get("/login/{token}", login_form)
    app.router.add_post("/login/{token}", login)
    app.router.add_post("/logout", logout)
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
    app.router.add_static("/static/", HERE / "static")
    return app


async def _common(request: web.Request) -> dict[str, Any]:
    return {"role": request.get(ROLE), "csrf": request.get(CSRF, ""), "path": PATH}

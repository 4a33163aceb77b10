"""Signing in and out: the sign-in page, a /web link, the Telegram Login Widget, logout.

Two ways in, one kind of session (`bot.core.console_access`):

- a /web link, opened in two steps — the GET shows a «Войти» button, the POST uses the link
  up — so that a messenger fetching the link for a preview cannot spend it;
- where ``CONSOLE_TELEGRAM_LOGIN`` is on, Telegram's Login Widget on the sign-in page. The
  widget is Telegram's own script (telegram.org) that opens Telegram's own frame
  (oauth.telegram.org): it cannot be vendored like htmx or Leaflet, because the frame is where
  Telegram asks the person to confirm. Only the sign-in page lets those two origins through
  its Content-Security-Policy, and only when the widget is on. After confirming, the widget
  sends the browser to ``/console/login/telegram`` with Telegram's signed fields in the query;
  the signature is checked with the bot token, stale (`bot.core.telegram_login.MAX_AGE`, 10
  minutes) or replayed data is refused, and the Telegram account gets the role it would get
  by a /web link.

Every refusal is a Russian page and sets no cookie.
"""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web

from bot.console.common import DESK, OPTIONS, PATH, SECRET, message_page
from bot.core import console_access
from bot.core.telegram_login import LoginRefused
from bot.domain import texts
from bot.domain.console import secret_hash

COOKIE = "console_session"
SIGN_IN_PATH = PATH + "/login/"
WIDGET_PATH = SIGN_IN_PATH + "telegram"
#: Telegram's widget script (its documented embed code) and the frame it opens.
WIDGET_SCRIPT = "https://telegram.org/js/telegram-widget.js?22"
_WIDGET_CSP = (
    "default-src 'self'; script-src 'self' https://telegram.org; "
    "frame-src https://oauth.telegram.org; frame-ancestors 'none'; form-action 'self'"
)


def sign_in_page(request: web.Request, notice: str | None = None,
                 status: int = 200) -> web.Response:
    """How to get in: /web in a chat, and the Telegram button where it is on. With
    ``notice``: why the visitor is here (no session, an expired one, a refused sign-in)."""
    widget = request.app[OPTIONS].telegram_widget
    public = request.app[DESK].console_url
    context = {
        "path": PATH,  # shown by the guard too, before the template context's middleware
        "notice": notice,
        "by_link": texts.CONSOLE_SIGN_IN_BY_LINK,
        "by_widget": texts.CONSOLE_SIGN_IN_BY_WIDGET,
        "widget": widget,
        "widget_script": WIDGET_SCRIPT,
        "auth_url": (public.rstrip("/") if public else "") + WIDGET_PATH,
    }
    response = aiohttp_jinja2.render_template("sign_in.html", request, context, status=status)
    if widget is not None:
        response.headers["Content-Security-Policy"] = _WIDGET_CSP
        # Telegram's frame may check which site embeds it: it gets the origin, never a path
        # (this page's path holds no secret anyway).
        response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    return response


async def sign_in(request: web.Request) -> web.StreamResponse:
    return sign_in_page(request)


async def link_form(request: web.Request) -> web.StreamResponse:
    token = request.match_info["token"]
    desk = request.app[DESK]
    async with desk.repo.transaction() as tx:
        valid = await tx.console.login_is_open(secret_hash(token), desk.clock.now())
    if not valid:
        return message_page(request, texts.CONSOLE_LINK_REFUSED, 403)
    return aiohttp_jinja2.render_template("login.html", request, {"token": token})


async def by_link(request: web.Request) -> web.StreamResponse:
    options = request.app[OPTIONS]
    opened = await console_access.open_session(
        request.app[DESK], request.match_info["token"], options.session_lifetime
    )
    if opened is None:
        return message_page(request, texts.CONSOLE_LINK_REFUSED, 403)
    return _signed_in(request, opened[0])


async def by_widget(request: web.Request) -> web.StreamResponse:
    """Where the Telegram Login Widget sends the browser back, with its signed fields."""
    options = request.app[OPTIONS]
    widget = options.telegram_widget
    if widget is None:
        return sign_in_page(request, status=404)
    query = request.query
    if len(query) != len(set(query.keys())):  # a field twice: not what Telegram signs
        return sign_in_page(request, texts.WIDGET_MALFORMED, 403)
    try:
        secret, _session = await console_access.widget_session(
            request.app[DESK], dict(query), widget.bot_token, options.session_lifetime
        )
    except LoginRefused as refused:
        return sign_in_page(request, str(refused), 403)
    return _signed_in(request, secret)


def _signed_in(request: web.Request, secret: str) -> web.Response:
    """To the queue, with the session's cookie."""
    options = request.app[OPTIONS]
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


def routes(app: web.Application) -> None:
    app.router.add_get("/login/", sign_in)
    app.router.add_get("/login/telegram", by_widget)  # before «/login/{token}», which it fits
    app.router.add_get("/login/{token}", link_form)
    app.router.add_post("/login/{token}", by_link)
    app.router.add_post("/logout", logout)

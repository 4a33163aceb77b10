"""What the console's modules share: the app keys, the options, the message page."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

import aiohttp_jinja2
from aiohttp import web
from multidict import MultiDictProxy

from bot.core.console_access import Role
from bot.core.desk import Desk
from bot.core.pages import PageTools
from bot.core.table_console import TableConsole
from bot.delivery.files import FetchedFile
from bot.domain.messages import Attachment


@dataclass(frozen=True)
class TelegramWidget:
    """The Telegram Login Widget on the sign-in page (``CONSOLE_TELEGRAM_LOGIN``): the bot's
    username the widget names, and the bot's token that checks what it brings back."""

    bot_username: str
    bot_token: str = field(repr=False)


@dataclass(frozen=True)
class ConsoleOptions:
    session_lifetime: timedelta = timedelta(hours=12)
    #: Off only where a browser refuses Secure cookies over plain http (never in production).
    secure_cookie: bool = True
    #: The map page's tile server (Leaflet's URL template); its origin is let through the CSP.
    map_tiles: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    #: The bot's Telegram username and VK community id: an invite made on the staff page
    #: carries the same links as the chat's ``/invite`` (``None``: that channel is off).
    telegram_bot: str | None = None
    vk_group: int | None = None
    #: The sign-in page's Telegram button (``None``: sign-in by a /web link only).
    telegram_widget: TelegramWidget | None = None


#: Where the console is mounted (`bot.serve.build_web_app`).
PATH = "/console"
DESK = web.AppKey("desk", Desk)
OPTIONS = web.AppKey("console_options", ConsoleOptions)
FetchFile = Callable[[Attachment], Awaitable[FetchedFile]]
FILES = web.AppKey("console_files", FetchFile)
#: What the guard found for a request: the role, the session's CSRF token and cookie secret,
#: and a POST's form (read once, its token checked).
ROLE = web.RequestKey("console_role", Role)
CSRF = web.RequestKey("console_csrf", str)
SECRET = web.RequestKey("console_secret", str)
FORM = web.RequestKey("console_form", MultiDictProxy)
TABLE = web.AppKey("console_table", TableConsole)
#: ``/page``, ``/pages``, ``/unpage`` for the «Страницы» page (absent: VK is off).
PAGES = web.AppKey("console_pages", PageTools)


def message_page(request: web.Request, text: str, status: int) -> web.Response:
    """A page with one message: a refusal, a bad parameter, «вы вышли». Also from the
    middlewares, before the template context's own middleware runs: so ``path`` is given."""
    context = {"text": text, "role": request.get(ROLE), "csrf": request.get(CSRF, ""),
               "path": PATH}
    return aiohttp_jinja2.render_template("message.html", request, context, status=status)

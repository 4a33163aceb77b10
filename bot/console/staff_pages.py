"""The staff page: who is bound to each body, «Отозвать» and «Пригласить администратора».

`bot.core.staff_console` decides who sees and does what (the chat's ``/staff`` and
``/invite``); the page reads the form and renders the outcome.
"""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web

from bot.console.common import DESK, FORM, OPTIONS, ROLE, ConsoleOptions
from bot.core import staff_console
from bot.domain import texts
from bot.domain.viewer import Viewer


def _viewer(request: web.Request) -> Viewer:
    role = request[ROLE]
    return Viewer(role.channel, role.user_id)


async def staff(request: web.Request) -> web.StreamResponse:
    return _page(request, notice=None, invite=None)


def _page(request: web.Request, notice: str | None, invite: str | None,
          status: int = 200) -> web.Response:
    desk = request.app[DESK]
    listing = staff_console.staff_of(desk, _viewer(request))
    return aiohttp_jinja2.render_template("staff.html", request, {
        "listing": listing, "notice": notice, "invite": invite,
        "zone": desk.calendar.timezone,
    }, status=status)


async def revoke(request: web.Request) -> web.StreamResponse:
    token = str(request[FORM].get("token") or "")[:64]
    outcome = await staff_console.revoke(request.app[DESK], _viewer(request), token)
    return _page(request, notice=outcome.notice, invite=None)


async def invite(request: web.Request) -> web.StreamResponse:
    body = str(request[FORM].get("body") or "")[:64]
    try:
        made = await staff_console.invite(
            request.app[DESK], _viewer(request), body, links=_links(request.app[OPTIONS])
        )
    except LookupError as unknown:
        return _page(request, notice=str(unknown.args[0]), invite=None, status=400)
    return _page(request, notice=None, invite=made.text)


def _links(options: ConsoleOptions):
    """The chat's ``/invite`` links for the channels the bot runs in."""

    def links(token: str) -> str:
        text = ""
        if options.telegram_bot:
            text += texts.INVITE_TG_LINKS.format(
                private=f"https://t.me/{options.telegram_bot}?start={token}",
                group=f"https://t.me/{options.telegram_bot}?startgroup={token}",
            )
        if options.vk_group:
            text += texts.INVITE_VK_LINK.format(
                link=f"https://vk.me/club{options.vk_group}?ref={token}"
            )
        return text

    return links


def routes(app: web.Application) -> None:
    app.router.add_get("/staff", staff)
    app.router.add_post("/staff/revoke", revoke)
    app.router.add_post("/staff/invite", invite)

"""The «Страницы» page: the VK communities of bodies connected to the bot, «Подключить» and
«Отключить» — the chat's ``/pages``, ``/page`` and ``/unpage`` (`bot.core.pages.PageTools`),
so a page connected here is checked with VK, sealed and handed to the VK adapter exactly as
one connected in a chat. A coordinator connects pages of any body, a body's administrator
those of its own.

The access token and the Callback secret go from the form to the core and nowhere else: the
page never writes them back (the password fields come back empty, also after a refusal), and
nothing here logs a form. «Отключить» asks once more before it acts (no JavaScript: a second
form).
"""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web

from bot.console.common import DESK, FORM, PAGES, ROLE
from bot.core.console_access import Role
from bot.core.pages import ConnectRequest, PageTools, community_address
from bot.domain import texts
from routing.model import Body

#: Longer than any VK token (~220 characters) or Callback string: not a token.
_MAX_FIELD = 512
_FIELDS = {"token": "ключ доступа", "confirmation": "строка подтверждения",
           "secret": "секретный ключ", "address": "адрес сообщества"}


def _allowed(tools: PageTools, role: Role) -> list[Body] | None:
    return tools.bodies_of(role.channel, role.user_id)


async def pages(request: web.Request) -> web.StreamResponse:
    return await _page(request, notice=None, ok=True)


async def _page(request: web.Request, notice: str | None, ok: bool, status: int = 200,
                confirm: object = None) -> web.Response:
    tools = request.app.get(PAGES)
    role: Role = request[ROLE]
    context: dict = {"notice": notice, "ok": ok, "confirm": confirm, "tools": tools,
                     "lines": [], "bodies": [], "callback": False}
    if tools is None:
        context["notice"], context["ok"] = texts.PAGES_NO_VK, False
    else:
        allowed = _allowed(tools, role)
        desk = request.app[DESK]
        everyone = sorted(desk.table.bodies, key=lambda b: b.name)
        context.update(
            lines=await tools.pages_of(allowed),
            bodies=everyone if allowed is None else sorted(allowed, key=lambda b: b.name),
            callback=tools.callback_path is not None,
            zone=desk.calendar.timezone,
        )
    return aiohttp_jinja2.render_template("pages.html", request, context, status=status)


async def act(request: web.Request) -> web.StreamResponse:
    tools = request.app.get(PAGES)
    if tools is None:
        return await _page(request, None, False, status=400)
    form = request[FORM]
    action = form.get("action")
    if action == "connect":
        return await _connect(request, tools)
    if action == "disconnect":
        return await _disconnect(request, tools)
    return await _page(request, texts.CONSOLE_BAD_PARAMETER.format(
        name="action", why=texts.CONSOLE_BAD_CHOICE), False, status=400)


def _field(form, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


async def _connect(request: web.Request, tools: PageTools) -> web.StreamResponse:
    form, role = request[FORM], request[ROLE]
    values = {name: _field(form, name) for name in _FIELDS}
    body = _field(form, "body")
    too_long = next((n for n, v in values.items() if len(v) > _MAX_FIELD), None)
    refusal = None
    if too_long is not None:
        refusal = texts.CONSOLE_PAGES_TOO_LONG.format(field=_FIELDS[too_long])
    elif not values["token"] or any(c.isspace() for c in values["token"]):
        refusal = texts.CONSOLE_PAGES_NEED_TOKEN
    elif tools.callback_path is not None and not (values["confirmation"] and values["secret"]):
        refusal = texts.CONSOLE_PAGES_NEED_CALLBACK
    elif not body or len(body) > 64:
        refusal = texts.CONSOLE_PAGES_NEED_BODY
    address = community_address(values["address"]) if values["address"] else None
    if refusal is None and values["address"] and address is None:
        refusal = texts.CONSOLE_PAGES_BAD_ADDRESS
    if refusal is not None:
        return await _page(request, refusal, False, status=400)
    allowed = _allowed(tools, role)
    before = await _state(tools, allowed)
    reply = await tools.connect(
        role.channel, role.user_id, allowed,
        ConnectRequest(values["token"], values["confirmation"] or None,
                       values["secret"] or None, address, body_id=body),
    )
    changed = await _state(tools, allowed) != before
    return await _page(request, "\n\n".join(reply.messages), ok=changed,
                       status=200 if changed else 400)


async def _state(tools: PageTools, allowed: list[Body] | None) -> set[tuple]:
    """What a change shows in: the pages, their bodies, on or off (the reply is the chat's
    text; whether it reports a change or a refusal is read here, not from its words)."""
    return {(x.page.group_id, x.page.body, x.page.enabled, x.page.connected_at)
            for x in await tools.pages_of(allowed)}


async def _disconnect(request: web.Request, tools: PageTools) -> web.StreamResponse:
    form, role = request[FORM], request[ROLE]
    group = _field(form, "group")
    if not group.isdigit() or len(group) > 20:
        return await _page(request, texts.CONSOLE_BAD_PARAMETER.format(
            name="group", why=texts.CONSOLE_BAD_NUMBER), False, status=400)
    allowed = _allowed(tools, role)
    if form.get("confirmed") != "yes":
        line = next((x for x in await tools.pages_of(allowed)
                     if x.page.group_id == int(group)), None)
        if line is None:
            return await _page(request, texts.PAGES_NOT_FOUND.format(group_id=group), False)
        question = texts.CONSOLE_PAGES_CONFIRM.format(name=line.page.name, group_id=group)
        return await _page(request, None, True, confirm=(line.page.group_id, question))
    before = await _state(tools, allowed)
    reply = await tools.disconnect_page(allowed, int(group))
    changed = await _state(tools, allowed) != before
    return await _page(request, "\n\n".join(reply.messages), ok=changed,
                       status=200 if changed else 400)


def routes(app: web.Application) -> None:
    app.router.add_get("/pages", pages)
    app.router.add_post("/pages", act)

"""The console's «Страницы» page: connecting and disconnecting VK pages of bodies through the
chat's own ``/page`` and ``/unpage`` use cases (`bot.core.pages.PageTools`), the token checked
with ``groups.getById`` on the VK emulator by the adapter's real lookup. A coordinator connects
any body's page, an administrator only its own; a bad token stores nothing; the token never
comes back in a page or a log line."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from cryptography.fernet import Fernet
from markupsafe import escape
from vkbottle.http import AiohttpClient

from bot.core.pages import PageTools
from bot.core.sealing import Sealer
from bot.domain import texts
from handlers.vk.pages import VKCommunityLookup
from tests.console.console_world import (
    CITY_ADMIN,
    COORDINATOR_ID,
    console_world,
    sign_in,
)
from tests.emulators.vk import VKEmulator

SEALER = Sealer(Fernet.generate_key().decode())
PAGE_ID = 229_300_001
CITY_PAGE_ID = 229_300_002


@contextlib.asynccontextmanager
async def pages_console() -> AsyncIterator[tuple]:
    """The console world with ``/page`` tools on the VK emulator: the bot's own community and
    two pages (the transport ministry's and the city's); ``handed``: what the VK adapter was
    given after each change."""
    handed: list[list] = []
    async with VKEmulator() as vk:
        transport = vk.add_community(PAGE_ID, "Минтранс области")
        city = vk.add_community(CITY_PAGE_ID, "Администрация города", screen_name="saratov_city")
        http = AiohttpClient()

        def tools(world) -> PageTools:
            return PageTools(
                world.core.desk, sealer=SEALER, lookup=VKCommunityLookup(http, vk.api_url),
                own_group_id=vk.group_id, on_change=handed.append,
            )

        try:
            async with console_world(pages=tools) as (world, visitor):
                yield world, visitor, vk, transport, city, handed
        finally:
            await http.close()


async def _stored(world) -> list:
    async with world.repo.transaction() as tx:
        return await tx.pages.pages()


async def test_a_coordinator_connects_a_page_with_a_checked_token_and_sees_it_listed(
    caplog,
) -> None:
    caplog.set_level(logging.DEBUG)
    async with pages_console() as (world, visitor, _vk, transport, _city, handed):
        await sign_in(world, visitor, COORDINATOR_ID)
        status, page = await visitor.get("/console/pages")
        assert status == 200 and "Подключённых страниц нет." in page and 'id="nav-pages"' in page
        transport_name = world.table.body_by_id["transport"].name
        status, page = await visitor.post("/console/pages", {
            "action": "connect", "token": transport.token, "body": "transport",
            "address": "https://vk.com/club229300001",
        })
        assert status == 200
        assert (f"Страница «Минтранс области» (vk.com/club{PAGE_ID}) подключена к органу "
                f"«{transport_name}»") in page and "Long Poll API" in page
        row = page.split(f'data-group="{PAGE_ID}"', 1)[1].split("</tr>", 1)[0]
        assert transport_name in row and "работает" in row and "04.03.2026" in row
        assert "<td>0</td><td>0</td>" in row  # appeals, misdirected
        assert transport.token not in page
        # The same path as /page: checked with VK, sealed, handed to the VK adapter.
        assert "groups.getById" in [name for name, _ in transport.calls]
        [stored] = await _stored(world)
        assert (stored.group_id, stored.body, stored.enabled) == (PAGE_ID, "transport", True)
        assert SEALER.open(stored.token_sealed) == transport.token
        assert stored.connected_by == f"tg:{COORDINATOR_ID}"
        assert [p.group_id for p in handed[-1]] == [PAGE_ID]
        assert transport.token not in caplog.text


async def test_a_bad_or_user_token_is_refused_in_russian_and_nothing_is_stored(caplog) -> None:
    caplog.set_level(logging.DEBUG)
    async with pages_console() as (world, visitor, vk, _transport, city, handed):
        await sign_in(world, visitor, COORDINATOR_ID)
        await visitor.get("/console/pages")
        for token in ("vk1.a.not-a-real-token", vk.user_token()):
            status, page = await visitor.post("/console/pages", {
                "action": "connect", "token": token, "body": "city"})
            assert status == 400 and texts.PAGES_TOKEN_REFUSED in page
            assert token not in page and token not in caplog.text
        # Another community's token under this address; the bot's own community; no token.
        status, page = await visitor.post("/console/pages", {
            "action": "connect", "token": city.token, "body": "city",
            "address": f"vk.com/club{PAGE_ID}"})
        assert status == 400 and "а не от указанного" in page and city.token not in page
        status, page = await visitor.post("/console/pages", {
            "action": "connect", "token": vk.token, "body": "city"})
        assert status == 400 and texts.PAGES_OWN_COMMUNITY in page
        for form, refusal in (
            ({"token": "", "body": "city"}, texts.CONSOLE_PAGES_NEED_TOKEN),
            ({"token": city.token, "body": ""}, texts.CONSOLE_PAGES_NEED_BODY),
            ({"token": city.token, "body": "city", "address": "ok.ru/x"},
             texts.CONSOLE_PAGES_BAD_ADDRESS),
            ({"token": "x" * 600, "body": "city"},
             texts.CONSOLE_PAGES_TOO_LONG.format(field="ключ доступа")),
        ):
            status, page = await visitor.post("/console/pages", {"action": "connect", **form})
            assert status == 400 and str(escape(refusal)) in page, refusal
        assert await _stored(world) == [] and handed == []


async def test_an_administrator_connects_only_its_own_bodys_page() -> None:
    async with pages_console() as (world, visitor, _vk, transport, city, _handed):
        await sign_in(world, visitor, CITY_ADMIN)
        status, page = await visitor.get("/console/pages")
        form = page.split('id="connect-form"', 1)[1]
        assert 'value="city"' in form and 'value="transport"' not in form
        status, page = await visitor.post("/console/pages", {
            "action": "connect", "token": transport.token, "body": "transport"})
        transport_name = world.table.body_by_id["transport"].name
        assert status == 400 and texts.PAGES_BODY_NOT_YOURS.format(body=transport_name) in page
        assert await _stored(world) == []
        status, page = await visitor.post("/console/pages", {
            "action": "connect", "token": city.token, "body": "city",
            "address": "vk.com/saratov_city"})
        assert status == 200 and "подключена к органу" in page
        assert [(p.group_id, p.body) for p in await _stored(world)] == [(CITY_PAGE_ID, "city")]


async def test_disconnecting_asks_first_and_only_a_page_one_may_manage() -> None:
    async with pages_console() as (world, visitor, _vk, transport, _city, handed):
        await sign_in(world, visitor, COORDINATOR_ID)
        await visitor.get("/console/pages")
        await visitor.post("/console/pages", {
            "action": "connect", "token": transport.token, "body": "transport"})

        # Another body's administrator neither sees the page nor can switch it off.
        other = type(visitor)(visitor.http, visitor.base)
        await sign_in(world, other, CITY_ADMIN)
        status, page = await other.get("/console/pages")
        assert f'data-group="{PAGE_ID}"' not in page
        status, page = await other.post("/console/pages", {
            "action": "disconnect", "group": str(PAGE_ID), "confirmed": "yes"})
        assert status == 400 and texts.PAGES_NOT_FOUND.format(group_id=PAGE_ID) in page
        assert (await _stored(world))[0].enabled

        # The coordinator: «Отключить» asks, and nothing changes until «Да, отключить».
        status, page = await visitor.post("/console/pages", {
            "action": "disconnect", "group": str(PAGE_ID)})
        assert status == 200 and "Отключить страницу «Минтранс области»" in page
        assert 'id="confirm-disconnect"' in page and (await _stored(world))[0].enabled
        status, page = await visitor.post("/console/pages", {
            "action": "disconnect", "group": str(PAGE_ID)}, csrf=False)
        assert status == 403 and (await _stored(world))[0].enabled
        status, page = await visitor.post("/console/pages", {
            "action": "disconnect", "group": str(PAGE_ID), "confirmed": "yes"})
        assert status == 200 and "Страница «Минтранс области» отключена" in page
        row = page.split(f'data-group="{PAGE_ID}"', 1)[1].split("</tr>", 1)[0]
        assert "отключена" in row and "Отключить" not in row
        assert not (await _stored(world))[0].enabled and not handed[-1][0].enabled


async def test_without_vk_the_page_says_so() -> None:
    async with console_world() as (world, visitor):
        await sign_in(world, visitor, COORDINATOR_ID)
        status, page = await visitor.get("/console/pages")
        assert status == 200 and texts.PAGES_NO_VK in page and "connect-form" not in page
        status, page = await visitor.post("/console/pages", {"action": "connect", "token": "x"})
        assert status == 400 and texts.PAGES_NO_VK in page

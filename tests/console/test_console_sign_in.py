"""Signing in with the Telegram Login Widget (``CONSOLE_TELEGRAM_LOGIN``) and the origin
check on the console's POSTs, over HTTP on the real aiohttp server and core: what Telegram's
widget brings back is signed here with the bot token the way Telegram signs it
(`bot.core.telegram_login.signature`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiohttp import ClientSession

from bot.console.common import TelegramWidget
from bot.core.telegram_login import signature
from bot.domain import texts
from tests.app_world import free_port, telegram_only
from tests.console.console_world import (
    CITY_ADMIN,
    COORDINATOR_ID,
    PUBLIC,
    console_world,
    sign_in,
)
from tests.core.core_world import CITIZEN_TG
from tests.emulators.aio import run_async

TOKEN = "123456:widget-test-token"
WIDGET = TelegramWidget("saratov_appeals_bot", TOKEN)
CALLBACK = "/console/login/telegram"


def signed(user_id: int, at, token: str = TOKEN, **extra: str) -> dict[str, str]:
    """The query the widget sends the browser back with, as Telegram signs it."""
    fields = {"id": str(user_id), "first_name": "Анна", "username": "anna",
              "auth_date": str(int(at.timestamp())), **extra}
    return {**fields, "hash": signature(fields, token)}


async def test_the_sign_in_page_shows_the_widget_only_when_it_is_on() -> None:
    async with console_world() as (_world, visitor):
        status, page = await visitor.get("/console/login/")
        assert status == 200 and "Напишите боту /web" in page
        assert "telegram.org" not in page and "telegram.org" not in visitor.headers[
            "Content-Security-Policy"]
        status, _ = await visitor.get(CALLBACK, signed(COORDINATOR_ID, _world.clock.now()))
        assert status == 404 and not visitor.cookie
    async with console_world(telegram_widget=WIDGET) as (_world, visitor):
        status, page = await visitor.get("/console/login/")
        assert status == 200 and "Напишите боту /web" in page and "кнопкой Telegram" in page
        assert 'src="https://telegram.org/js/telegram-widget.js?22"' in page
        assert 'data-telegram-login="saratov_appeals_bot"' in page
        assert f'data-auth-url="{PUBLIC}/console/login/telegram"' in page
        assert TOKEN not in page
        csp = visitor.headers["Content-Security-Policy"]
        assert "script-src 'self' https://telegram.org;" in csp
        assert "frame-src https://oauth.telegram.org;" in csp
        assert visitor.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        # A page without a session shows the same way in, and no other page widens its CSP.
        status, page = await visitor.get("/console/")
        assert status == 401 and "Вход не выполнен" in page and "telegram-widget" in page
        assert 'href="/console/static/console.css"' in page  # styled, though the guard answers
        await visitor.get("/console/login/forged-link-of-nobody")
        assert "telegram.org" not in visitor.headers["Content-Security-Policy"]


async def test_signed_data_signs_in_a_coordinator_and_an_administrator_of_one_body() -> None:
    async with console_world(telegram_widget=WIDGET) as (world, visitor):
        city = (await world.core.handle(world.citizen("яма на дороге"))).number
        health = (await world.core.handle(world.citizen("больница не принимает"))).number
        status, _ = await visitor.get(CALLBACK, signed(COORDINATOR_ID, world.clock.now()))
        assert status == 303 and visitor.headers["Location"] == "/console/"
        cookie = visitor.set_cookie
        assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Lax" in cookie
        status, page = await visitor.get("/console/")
        assert status == 200 and "Координатор" in page and city in page and health in page

        visitor.cookie = ""
        world.clock.advance(minutes=2)
        status, _ = await visitor.get(CALLBACK, signed(CITY_ADMIN, world.clock.now()))
        assert status == 303
        status, page = await visitor.get("/console/")
        assert status == 200 and "Администратор органа" in page
        assert city in page and health not in page
        status, _ = await visitor.get(f"/console/ticket/{health}")
        assert status == 403


async def test_forged_stale_replayed_or_roleless_data_is_refused_without_a_cookie() -> None:
    async with console_world(telegram_widget=WIDGET) as (world, visitor):
        now = world.clock.now()
        forged = {**signed(COORDINATOR_ID, now), "id": str(CITY_ADMIN)}
        stale = signed(COORDINATOR_ID, now - timedelta(minutes=11))
        other_bot = signed(COORDINATOR_ID, now, token="999:another-bot")
        for query, text in (
            (forged, texts.WIDGET_FORGED),
            (other_bot, texts.WIDGET_FORGED),
            (stale, texts.WIDGET_STALE.format(minutes=10)),
            (signed(CITIZEN_TG, now), texts.WIDGET_NO_ROLE),
            ({"id": str(COORDINATOR_ID)}, texts.WIDGET_INCOMPLETE),
        ):
            status, page = await visitor.get(CALLBACK, query)
            assert status == 403 and text in page, text
            assert "Set-Cookie" not in visitor.headers and not visitor.cookie
        assert (await visitor.get("/console/"))[0] == 401

        # Genuine data opens one session; the same redirect replayed opens none.
        fresh = signed(COORDINATOR_ID, now)
        assert (await visitor.get(CALLBACK, fresh))[0] == 303
        visitor.cookie = ""
        status, page = await visitor.get(CALLBACK, fresh)
        assert status == 403 and texts.WIDGET_REPLAYED in page
        assert "Set-Cookie" not in visitor.headers


async def test_a_post_from_another_origin_is_refused_and_changes_nothing() -> None:
    async with console_world() as (world, visitor):
        number = (await world.core.handle(world.citizen("яма на дороге"))).number
        await sign_in(world, visitor, COORDINATOR_ID)
        await visitor.get(f"/console/ticket/{number}")
        close = {"action": "close", "text": "дубль"}
        path = f"/console/ticket/{number}"
        for headers in (
            {"Origin": "https://evil.example.ru"},
            {"Origin": "null"},
            {"Referer": "https://evil.example.ru/page"},
            {"Origin": "http://console.example.ru"},  # the scheme is part of the origin
        ):
            status, page = await visitor.post(path, close, headers=headers)
            assert status == 403 and texts.CONSOLE_FOREIGN_ORIGIN in page, headers
            assert 'href="/console/static/console.css"' in page
        assert (await world.ticket(number)).state == "routed"
        # The console's own origin, as Chromium sends it (and a Referer from its own page).
        status, page = await visitor.post(
            path, {"action": "note", "text": "своя"}, headers={"Origin": PUBLIC})
        assert status == 200 and "Заметка к обращению" in page
        status, page = await visitor.post(
            path, {"action": "note", "text": "ещё"}, headers={"Referer": PUBLIC + path})
        assert status == 200 and "Заметка к обращению" in page


async def test_the_link_sign_in_post_is_refused_from_another_origin() -> None:
    async with console_world() as (world, visitor):
        from tests.console.console_world import LINK, web_link

        path = LINK.search(await web_link(world, "tg", COORDINATOR_ID)).group(1)
        status, page = await visitor.post(
            path, {}, csrf=False, headers={"Origin": "https://evil.example.ru"})
        assert status == 403 and texts.CONSOLE_FOREIGN_ORIGIN in page and not visitor.cookie
        # Not used up by the refused attempt: the right page still signs in.
        status, _ = await visitor.post(path, {}, csrf=False, headers={"Origin": PUBLIC})
        assert status == 303 and visitor.cookie


def test_the_widget_setting_needs_the_console_and_a_telegram_bot() -> None:
    import pytest

    from config.settings import SettingsError, load_settings

    with pytest.raises(SettingsError, match="CONSOLE_ENABLED=true"):
        load_settings(_env_file=None, console_telegram_login=True,
                      telegram_bot_token="1:abc")
    with pytest.raises(SettingsError, match="TELEGRAM_BOT_TOKEN"):
        load_settings(_env_file=None, console_enabled=True, public_url="https://b.example.ru",
                      console_telegram_login=True, vk_group_token="x", vk_group_id=1)
    on = load_settings(_env_file=None, console_enabled=True, public_url="https://b.example.ru",
                       console_telegram_login=True, telegram_bot_token="1:abc")
    assert on.console_telegram_login


@run_async
async def test_the_whole_bot_shows_the_widget_for_its_own_bot_and_accepts_its_signature(
    tmp_path: Path,
) -> None:
    """``CONSOLE_TELEGRAM_LOGIN=true`` on the whole bot (Telegram emulator): the widget names
    the bot's username from getMe, and data signed with the bot's token signs a coordinator in."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    async with telegram_only(
        tmp_path, coordinators="tg:5005", console_enabled=True, public_url=base,
        webhook_host="127.0.0.1", webhook_port=port, console_telegram_login=True,
    ) as (tg, _group), ClientSession() as http:
        async with http.get(base + "/console/login/") as response:
            page = await response.text()
        assert 'data-telegram-login="obrashcheniya_test_bot"' in page
        assert f'data-auth-url="{base}/console/login/telegram"' in page and tg.token not in page
        now = datetime.now(UTC)
        async with http.get(base + CALLBACK, params=signed(5005, now, token=tg.token),
                            allow_redirects=False) as response:
            assert response.status == 303
            cookie = {"Cookie": f"console_session={response.cookies['console_session'].value}"}
        async with http.get(base + "/console/", headers=cookie) as response:
            assert response.status == 200 and "Координатор" in await response.text()
        async with http.post(base + "/console/logout", headers={
                **cookie, "Origin": "https://evil.example.ru"}) as response:
            assert response.status == 403
            assert texts.CONSOLE_FOREIGN_ORIGIN in await response.text()

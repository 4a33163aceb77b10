"""The console in a real headless Chromium (Debian's ``chromium`` and ``chromium-driver``,
installed by ``python3 dev.py test``), against the whole bot (`bot.serve.serve`) on the
Telegram emulator: signing in through the bot's own /web link, filtering the queue, answering a
ticket (the citizen receives it on the emulator), a bulk reassign, the dashboard's charts,
connecting a body's VK page (its token checked on the VK emulator), and the refusals — another
body's ticket, a replayed or forged link, a form without its CSRF token, an expired session.

Selenium is synchronous: every browser call runs in a thread, so the bot's event loop keeps
serving the pages the browser asks for. A screenshot of every page is saved to
``build/screenshots/`` (the README refers to them).
"""

from __future__ import annotations

import asyncio
import re
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from bot.domain.records import StaffBinding
from bot.storage.sqlite import SqliteRepository
from tests.app_world import (
    APPEAL,
    CITY,
    NUMBER,
    ROOT,
    TG_ADMIN,
    free_port,
    running,
    saratov,
    saratov_built_outside_the_deadline,  # noqa: F401 (autouse fixture)
    settings_for,
    with_city_chats,
)
from tests.emulators.telegram import Limits, TelegramEmulator
from tests.emulators.vk import VKEmulator

pytestmark = pytest.mark.timeout(300)

SHOTS = ROOT / "build" / "screenshots"
COORDINATOR = 2500
OTHER_ADMIN = 2600  # an administrator of another body
CITIZENS = (3001, 3002, 3003, 3004)
PAGE_ID = 229_400_001  # a body's VK community, connected from the «Страницы» page
LINK = re.compile(r"http://\S+/console/login/[A-Za-z0-9_-]+")


def _chromium() -> Any:
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--window-size=1280,1000", "--lang=ru-RU"):
        options.add_argument(argument)
    service = webdriver.ChromeService(executable_path=shutil.which("chromedriver"))
    return webdriver.Chrome(options=options, service=service)


class Browser:
    """The driver, each call in a thread."""

    def __init__(self, driver: Any):
        self.driver = driver

    async def __call__(self, function: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.to_thread(function, *args)

    async def open(self, url: str) -> None:
        await self(self.driver.get, url)

    async def text(self) -> str:
        return await self(lambda: self.driver.find_element("tag name", "body").text)

    async def click(self, css: str) -> None:
        await self(lambda: self.driver.find_element("css selector", css).click())

    async def submit(self, css: str) -> None:
        """Click what sends a form or follows a link, and wait for the next page — or, on the
        queue, for htmx to have redrawn its results (``#results``) in place."""
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.support.ui import WebDriverWait

        def go() -> None:
            old = [*self.driver.find_elements("tag name", "html"),
                   *self.driver.find_elements("css selector", "#results")]
            self.driver.find_element("css selector", css).click()

            def gone(_driver: Any) -> bool:
                # Chromium reports the old page's node either as stale or, mid-navigation, as
                # «Node with given id does not belong to the document»: both mean it is gone.
                for element in old:
                    try:
                        element.is_enabled()
                    except WebDriverException:
                        return True
                return False

            WebDriverWait(self.driver, 20).until(gone)

        await self(go)

    async def type(self, css: str, text: str) -> None:
        await self(lambda: self.driver.find_element("css selector", css).send_keys(text))

    async def choose(self, css: str, value: str) -> None:
        from selenium.webdriver.support.ui import Select

        await self(lambda: Select(self.driver.find_element("css selector", css))
                   .select_by_value(value))

    async def shot(self, name: str) -> Path:
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{name}.png"
        await self(self.driver.save_screenshot, str(path))
        return path

    async def status_of(self, url: str) -> int:
        """The HTTP status of ``url`` as this browser gets it (its cookie included)."""
        script = ("const done = arguments[arguments.length - 1];"
                  "fetch(arguments[0], {credentials: 'same-origin'}).then(r => done(r.status));")
        return await self(self.driver.execute_async_script, script, url)


async def _link_for(tg: TelegramEmulator, user_id: int) -> str:
    since = len(tg.sent)
    tg.user_sends_text(user_id, "/web")
    call = await tg.wait_for(lambda c: c.chat_id == user_id and "/console/login/" in (c.body or ""),
                             since=since, timeout=30)
    return LINK.search(call.body).group(0)


async def _appeal(tg: TelegramEmulator, citizen: int, text: str) -> str:
    since = len(tg.sent)
    tg.user_sends_text(citizen, text)
    call = await tg.wait_for(lambda c: c.chat_id == citizen and NUMBER.search(c.body or ""),
                             since=since, timeout=30)
    return NUMBER.search(call.body).group(0)


async def _bind(database: Path, user_id: int, body: str) -> None:
    """An administrator bound to ``body`` before the bot starts (as an invite would)."""
    repo = SqliteRepository(str(database))
    await repo.open()
    try:
        async with repo.transaction() as tx:
            from datetime import UTC, datetime

            await tx.staff.add_binding(StaffBinding("tg", user_id, user_id, body),
                                       datetime.now(UTC))
    finally:
        await repo.close()


async def test_the_console_in_chromium(tmp_path: Path) -> None:
    shipped, _ = saratov()
    other = next(b for b in shipped.bodies if b.id != CITY and b.telegram_chat is None)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    database = tmp_path / "bot.sqlite3"
    await _bind(database, TG_ADMIN, CITY)
    await _bind(database, OTHER_ADMIN, other.id)
    async with TelegramEmulator(limits=Limits(enabled=False)) as tg, VKEmulator() as vk:
        vk_page = vk.add_community(PAGE_ID, other.name)
        group = tg.create_forum_group(admin_user_id=TG_ADMIN, title="Администрация Саратова")
        table = with_city_chats(shipped, tg=group, vk=None)
        settings = settings_for(
            tmp_path, tg, vk, console_enabled=True, public_url=base,
            secrets_key=Fernet.generate_key().decode(),  # the connected pages' tokens, sealed
            # Tiles from this machine (nothing there: a grey map), never from the internet.
            console_map_tiles=base + "/console/static/tiles/{z}/{x}/{y}.png",
            webhook_host="127.0.0.1", webhook_port=port, coordinators=f"tg:{COORDINATOR}",
        )
        async with running(settings, table):
            numbers = [await _appeal(tg, c, f"{APPEAL} (дом {i})")
                       for i, c in enumerate(CITIZENS, 1)]
            driver = await asyncio.to_thread(_chromium)
            browser = Browser(driver)
            try:
                await _scenario(browser, tg, base, numbers, other, database, vk_page)
            finally:
                await asyncio.to_thread(driver.quit)


async def _scenario(
    browser: Browser, tg: TelegramEmulator, base: str, numbers: list[str], other: Any,
    database: Path, vk_page: VKEmulator,
) -> None:
    first, *three = numbers
    # A citizen asking for the console is refused, in Russian.
    since = len(tg.sent)
    tg.user_sends_text(CITIZENS[0], "/web")
    refusal = await tg.wait_for(lambda c: c.chat_id == CITIZENS[0], since=since, timeout=30)
    assert "только координаторам и администраторам органов" in refusal.body

    # Sign in as the coordinator through the bot's link: «Войти», then the queue.
    link = await _link_for(tg, COORDINATOR)
    await browser.open(link)
    await browser.shot("01-login")
    await browser.submit("#sign-in")
    page = await browser.text()
    assert "Очередь обращений" in page and "Координатор" in page
    assert all(n in page for n in numbers)
    await browser.shot("02-queue")
    await browser(browser.driver.set_window_size, 390, 844)  # a phone
    await browser.shot("02-queue-phone")
    await browser(browser.driver.set_window_size, 1280, 1000)

    # Filter: the city's tickets, searched by the first number. htmx redraws the results in
    # place (the page is not reloaded: a mark left on it survives) and the address follows.
    await browser(browser.driver.execute_script, "window.stayed = true;")
    await browser.choose("select[name=body]", CITY)
    await browser.type("input[name=q]", first)
    await browser.submit("#apply-filters")
    page = await browser.text()
    assert "Найдено: 1" in page and first in page and not any(n in page for n in three)
    assert await browser(browser.driver.execute_script, "return window.stayed === true;")
    assert f"q={first}" in await browser(lambda: browser.driver.current_url)
    await browser.shot("03-queue-filtered")

    # Open the ticket and answer: the citizen receives the answer on the emulator.
    await browser.submit("a.number")
    page = await browser.text()
    assert f"Обращение № {first}" in page and "не горит фонарь" in page
    await browser.shot("04-ticket")
    since = len(tg.sent)
    await browser.type("#answer-text", "Фонарь заменим до пятницы.")
    await browser.submit("#answer")
    assert "отправлен заявителю" in await browser.text()
    answer = await tg.wait_for(
        lambda c: c.chat_id == CITIZENS[0] and "Фонарь заменим до пятницы." in (c.body or ""),
        since=since, timeout=30,
    )
    assert first in answer.body
    await browser.shot("05-ticket-answered")

    # A form without its CSRF token is refused and changes nothing.
    await browser(browser.driver.execute_script,
                  "document.querySelector('#note-form input[name=csrf]').remove();")
    await browser.type("#note-text", "заметка без токена")
    await browser.submit("#note")
    page = await browser.text()
    assert "ничего не изменено" in page
    await browser.shot("06-csrf-refused")

    # Bulk: the other three handed to another body at once; each citizen is told.
    await browser.open(base + "/console/")
    since = len(tg.sent)
    for number in three:
        await browser.click(f"input[name=n][value='{number}']")
    await browser.choose("fieldset.bulk select[name=body]", other.id)
    await browser.submit("#bulk-reassign")
    page = await browser.text()
    assert "Готово: 3 из 3." in page
    await browser.shot("07-bulk-reassigned")
    for citizen in CITIZENS[1:]:
        await tg.wait_for(lambda c, who=citizen: c.chat_id == who, since=since, timeout=30)
    await browser.open(base + f"/console/?body={other.id}")
    page = await browser.text()
    assert "Найдено: 3" in page and all(n in page for n in three)
    await _reports_and_table(browser, base, other)
    await _connect_a_page(browser, other, vk_page)

    # The used link again, and a forged one: refused.
    await browser.open(link)
    assert "недействительна" in await browser.text()
    await browser.open(base + "/console/login/forged-token-of-nobody")
    assert "недействительна" in await browser.text()
    await browser.shot("08-link-refused")

    # An expired session: the console asks to sign in again.
    # In a thread: the bot may be inside a write transaction that needs the event loop to end.
    await asyncio.to_thread(_expire_sessions, database)
    await browser.open(base + "/console/")
    assert "срок входа истёк" in await browser.text()
    await browser.shot("09-session-expired")

    # Another body's administrator: its own queue; the city's ticket is a 403 with nothing of it.
    await browser(browser.driver.delete_all_cookies)
    await browser.open(await _link_for(tg, OTHER_ADMIN))
    await browser.submit("#sign-in")
    page = await browser.text()
    assert "Администратор органа" in page and first not in page
    assert all(n in page for n in three)
    await browser.open(base + f"/console/ticket/{first}")
    page = await browser.text()
    assert "Это обращение вам недоступно." in page
    assert first not in page and "фонарь" not in page
    assert await browser.status_of(base + f"/console/ticket/{first}") == 403
    await browser.shot("10-other-body-forbidden")
    await browser.submit("#logout")
    assert "Вы вышли" in await browser.text()


def _expire_sessions(database: Path) -> None:
    with sqlite3.connect(database, timeout=30) as db:
        db.execute("UPDATE console_sessions SET expires_at = '2000-01-01T00:00:00.000000Z'")


async def _reports_and_table(browser: Browser, base: str, other: Any) -> None:
    """The coordinator's dashboard, map (Leaflet running under the CSP) and table pages."""
    await browser.submit("#nav-dashboard")
    page = await browser.text()
    assert "Сводка за" in page and re.search(r"Поступило\s+4\b", page)
    drawn = await browser(browser.driver.execute_script,
                          "return [...document.querySelectorAll('#weeks-chart rect')]"
                          ".map(r => r.getBBox().height > 0)")
    assert drawn and any(drawn), "the weekly chart drew no bar"
    await browser.shot("11-dashboard")
    await browser(browser.driver.execute_script,
                  "document.querySelector('#weeks-chart').scrollIntoView()")
    await browser.shot("16-dashboard-weeks")
    await browser.submit("#nav-map")
    assert "Обращений с геопозицией: 0" in await browser.text()
    started = await browser(browser.driver.execute_script,
                            "return !!document.querySelector('#map.leaflet-container')")
    assert started, "Leaflet did not start on the map page"
    await browser.shot("12-map")
    await browser.submit("#nav-table")
    await browser.type("input[name=q]", other.name.split()[0])
    await browser.submit("#search button")
    page = await browser.text()
    assert other.name in page and "Скачать XLSX" in page
    await browser.shot("13-table")
    await browser.submit(f"tr[data-id='{other.id}'] a")
    await browser.submit("#row-form button[value=save]")  # unchanged: said so, nothing stored
    assert "Правка ничего не меняет" in await browser.text()
    await browser.submit("#nav-staff")
    assert "Сотрудники органов" in await browser.text()
    await browser.shot("14-staff")


async def _connect_a_page(browser: Browser, other: Any, page: VKEmulator) -> None:
    """The coordinator connects ``other``'s VK page from the «Страницы» page."""
    await browser.submit("#nav-pages")
    assert "Подключённых страниц нет." in await browser.text()
    await browser.type("#page-token", page.token)
    await browser.choose("#page-body", other.id)
    await browser.submit("#connect")
    text = await browser.text()
    assert f"(vk.com/club{PAGE_ID}) подключена к органу «{other.name}»" in text
    assert "работает" in text
    assert page.token not in await browser(lambda: browser.driver.page_source)
    await browser.shot("15-pages")

"""The core world with the console on, served by a real aiohttp test server, and a visitor
who signs in through a /web link the core queued (read from the outbox, as the bot sends it)."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from aiohttp import ClientResponse, ClientSession
from aiohttp.test_utils import TestServer

from bot.console.app import COOKIE, console_app
from bot.console.common import ConsoleOptions
from bot.core.coordination import Coordination
from bot.core.table_console import TableConsole
from bot.domain.messages import IncomingMessage
from bot.domain.records import StaffBinding
from bot.serve import build_web_app
from tests.core.core_world import COORDINATOR_ID, START, FakeClock, World

PUBLIC = "https://console.example.ru"
LINK = re.compile(re.escape(PUBLIC) + r"(/console/login/[A-Za-z0-9_-]+)")
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
CITY_ADMIN = 7001  # administrator of "city" (bound), tg
TRANSPORT_ADMIN = 7002  # administrator of "transport" (bound), tg


@dataclass
class Visitor:
    """A browser without JavaScript: the session cookie sent by hand (it is Secure, and the
    test server speaks plain http), the page's CSRF token read from the last page."""

    http: ClientSession
    base: str
    cookie: str = ""
    csrf: str = ""
    last: str = field(default="", repr=False)
    #: The last response's headers.
    headers: dict = field(default_factory=dict, repr=False)

    async def get(self, path: str, params: dict | None = None) -> tuple[int, str]:
        async with self.http.get(self.base + path, params=params, headers=self._headers(),
                                 allow_redirects=False) as response:
            return await self._read(response)

    async def post(self, path: str, data: dict | list, *, csrf: bool = True,
                   headers: dict[str, str] | None = None) -> tuple[int, str]:
        """``headers``: more request headers (``Origin``, ``Referer``: a browser's)."""
        fields = list(data.items()) if isinstance(data, dict) else list(data)
        if csrf:
            fields.append(("csrf", self.csrf))
        async with self.http.post(self.base + path, data=fields,
                                  headers={**self._headers(), **(headers or {})},
                                  allow_redirects=False) as response:
            return await self._read(response)

    def _headers(self) -> dict[str, str]:
        return {"Cookie": f"{COOKIE}={self.cookie}"} if self.cookie else {}

    async def _read(self, response: ClientResponse) -> tuple[int, str]:
        text = await response.text()
        self.headers = response.headers
        morsel = response.cookies.get(COOKIE)
        if morsel is not None:
            self.cookie = morsel.value
            self.set_cookie = response.headers.get("Set-Cookie", "")
        found = CSRF.search(text)
        if found:
            self.csrf = found.group(1)
        self.last = text
        return response.status, text


async def web_link(world: World, channel: str, user_id: int, chat_id: int | None = None) -> str:
    """What /web answers ``user_id`` (the outbox row's text), in its own chat by default."""
    world.message_ids += 1
    chat = user_id if chat_id is None else chat_id
    await world.core.handle(IncomingMessage(channel, chat, user_id, world.message_ids, "/web"))
    rows = await world.outbox_rows()
    return json.loads(rows[-1]["payload"])["text"]


async def sign_in(world: World, visitor: Visitor, user_id: int, channel: str = "tg") -> str:
    text = await web_link(world, channel, user_id)
    path = LINK.search(text).group(1)
    status, _ = await visitor.get(path)
    assert status == 200
    status, _ = await visitor.post(path, {}, csrf=False)
    assert status == 303, visitor.last
    return path


@contextlib.asynccontextmanager
async def console_world(
    files=None, pages=None, **options
) -> AsyncIterator[tuple[World, Visitor]]:
    """``files``: what downloads a ticket's attachment (``None``: no file links); ``pages``:
    makes the ``/page`` tools from the world (``None``: VK is off); ``options``:
    `ConsoleOptions`."""
    world = World(":memory:", FakeClock(START))
    await world.start({"console_url": PUBLIC})
    async with world.repo.transaction() as tx:
        for user, body in ((CITY_ADMIN, "city"), (TRANSPORT_ADMIN, "transport")):
            await tx.staff.add_binding(StaffBinding("tg", user, user, body), START)
    await world.core.load_staff()
    coordination = Coordination(
        world.repo, world.core, world.clock, coordinators=world.core.coordinators
    )
    await coordination.sync_with_file(world.table)
    console = console_app(world.core.desk, ConsoleOptions(**options), files=files,
                          table=TableConsole(coordination),
                          pages_tools=pages(world) if pages is not None else None)
    app = build_web_app(console=console)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        async with ClientSession() as http:
            yield world, Visitor(http, str(server.make_url("")).rstrip("/"))
    finally:
        await server.close()
        await world.stop()


__all__ = ["COORDINATOR_ID", "console_world", "sign_in", "web_link"]

"""The VK side of connected state pages: checking a token, and each page's own API.

- `VKCommunityLookup` (`bot.core.ports.CommunityLookup`): ``groups.getById`` with the token that
  is being connected. Without ``group_id`` VK answers with the community the token belongs to;
  a user's token (or a wrong, revoked one) gets an error instead. Redirects are not followed
  (they would carry the token elsewhere), and no error text carries the token.
- `VKPages`: the enabled pages with their opened tokens, as the adapter needs them — a vkbottle
  `API` per page (sharing the bot's HTTP client and VK address) for the transport, the page's
  Callback confirmation and secret for the endpoint, and in long-poll mode a poll per page
  (`VKPages.poll_with`). `VKPages.take` is given the stored pages at start and after every
  ``/page`` or ``/unpage`` (`bot.core.pages.PageTools` calls it).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import aiohttp
from vkbottle import API

from bot.core.ports import Community, CommunityUnavailable, TokenRefused
from bot.core.sealing import SealBroken, Sealer
from bot.domain.pages import ConnectedPage

log = logging.getLogger("handlers.vk.pages")

#: Seconds a token check may take before VK counts as not answering.
CHECK_SECONDS = 10.0
#: The stored pages are read again for an unknown community at most this often (`VKPages.find`).
REREAD_SECONDS = 30.0
#: VK errors that mean "this token is not a community's" (5: authorisation failed; 27/28: a
#: token of the wrong kind; 100: no ``group_id`` given, which only a community token may omit;
#: 15: access denied).
REFUSED_CODES = frozenset({5, 15, 27, 28, 100})


class VKCommunityLookup:
    """Checks tokens at the VK address ``api_url`` (``…/method/``) through ``http``."""

    def __init__(self, http: object, api_url: str, version: str = API.API_VERSION) -> None:
        self.http = http  # vkbottle's AiohttpClient (the bot's own)
        self.api_url = api_url
        self.version = version

    async def community_of(self, token: str) -> Community:
        groups = await self._get_by_id(token, {})
        if not groups:
            raise TokenRefused("no community in the answer")
        return Community(int(groups[0]["id"]), str(groups[0].get("name", "")))

    async def named(self, token: str, address: str) -> Community | None:
        try:
            groups = await self._get_by_id(token, {"group_id": address})
        except TokenRefused:
            return None  # VK knows no such community (error 100)
        if not groups:
            return None
        return Community(int(groups[0]["id"]), str(groups[0].get("name", "")))

    async def _get_by_id(self, token: str, data: dict) -> list[dict]:
        params = {"access_token": token, "v": self.version}
        try:
            async with asyncio.timeout(CHECK_SECONDS):
                request = self.http.request(  # type: ignore[attr-defined]  # AiohttpClient
                    self.api_url + "groups.getById", method="POST", data=data, params=params,
                    allow_redirects=False,
                )
                async with request as response:
                    status, body = response.status, await response.read()
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise CommunityUnavailable(type(exc).__name__) from None
        if status != 200:
            raise CommunityUnavailable(f"HTTP {status}")
        try:
            answer = json.loads(body)
        except ValueError:
            raise CommunityUnavailable("not JSON") from None
        error = answer.get("error") if isinstance(answer, dict) else None
        if isinstance(error, dict):
            code = error.get("error_code")
            if code in REFUSED_CODES:
                raise TokenRefused(f"VK error {code}")
            raise CommunityUnavailable(f"VK error {code}")
        response_value = answer.get("response") if isinstance(answer, dict) else None
        if isinstance(response_value, dict):
            response_value = response_value.get("groups")
        return response_value if isinstance(response_value, list) else []


@dataclass(frozen=True)
class PageLink:
    """An enabled page as the adapter uses it; the token lives only inside ``api``."""

    group_id: int
    body: str
    name: str
    api: API
    confirmation: str | None
    secret: str | None


#: Starts the long poll of one page (its id, its API); ``None``: pages come by Callback API.
StartPoll = Callable[[int, API], "asyncio.Task[None]"]


class VKPages:
    """The enabled connected pages, their APIs built from their opened tokens."""

    def __init__(self, sealer: Sealer | None, main_api: API) -> None:
        self.sealer = sealer
        self.main_api = main_api
        self._start_poll: StartPoll | None = None
        self._reread: Callable[[], Awaitable[None]] | None = None
        self._reread_at = -REREAD_SECONDS
        self._links: dict[int, PageLink] = {}
        self._polls: dict[int, asyncio.Task[None]] = {}
        self._polled: dict[int, API] = {}  # which API (token) each poll uses

    def link(self, group_id: int) -> PageLink | None:
        return self._links.get(group_id)

    @property
    def group_ids(self) -> list[int]:
        return sorted(self._links)

    def take(self, pages: Sequence[ConnectedPage]) -> None:
        """The stored pages, at start and after every change (`bot.core.pages.PageTools`):
        new ones get an API (and a poll), disconnected ones lose theirs. A token that does
        not open under ``SECRETS_KEY`` (the key was changed) is logged by community id and
        skipped: that page must be connected again."""
        links: dict[int, PageLink] = {}
        for page in pages:
            if not page.enabled or not page.body or self.sealer is None:
                continue
            try:
                token = self.sealer.open(page.token_sealed)
                secret = self.sealer.open(page.secret_sealed) if page.secret_sealed else None
            except SealBroken:
                log.warning("page %d: its token does not open under SECRETS_KEY; connect it "
                            "again", page.group_id)
                continue
            old = self._links.get(page.group_id)
            api = old.api if old is not None and _token_of(old.api) == token else self._api(token)
            links[page.group_id] = PageLink(
                page.group_id, page.body, page.name, api, page.confirmation, secret
            )
        self._links = links
        if self._start_poll is not None:
            self._restart_polls()
        log.info("connected pages in force: %d", len(links))

    def reread_with(self, reread: Callable[[], Awaitable[None]]) -> None:
        """How to read the stored pages again (`bot.core.pages.PageTools.hand_over`), for a
        page connected by another process since this one started (`find`)."""
        self._reread = reread

    async def find(self, group_id: int) -> PageLink | None:
        """The page ``group_id``, reading the stored pages again if it is not known here: with
        several processes, another one may have connected it. At most once in
        `REREAD_SECONDS`, so events of a stranger community cost no database read each."""
        link = self._links.get(group_id)
        now = time.monotonic()
        if link is None and self._reread is not None and now - self._reread_at >= REREAD_SECONDS:
            self._reread_at = now
            await self._reread()
            link = self._links.get(group_id)
        return link

    def poll_with(self, start_poll: StartPoll) -> None:
        """Long-poll mode: from now on every page in force is polled (``start_poll`` starts
        one page's poll into the inbox); called once the inbox takes updates."""
        self._start_poll = start_poll
        self._restart_polls()

    def _api(self, token: str) -> API:
        api = API(token, http_client=self.main_api.http_client)
        api.API_URL = self.main_api.API_URL
        return api

    def _restart_polls(self) -> None:
        assert self._start_poll is not None
        for group_id in list(self._polls):
            link = self._links.get(group_id)
            task = self._polls[group_id]
            if link is None or task.done() or self._polled[group_id] is not link.api:
                task.cancel()
                del self._polls[group_id]
        for group_id, link in self._links.items():
            if group_id not in self._polls:
                self._polls[group_id] = self._start_poll(group_id, link.api)
                self._polled[group_id] = link.api

    async def close(self) -> None:
        """Stop every page's poll."""
        tasks = list(self._polls.values())
        self._polls.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


def _token_of(api: API) -> str | None:
    token = getattr(api.token_generator, "token", None)
    return token if isinstance(token, str) else None

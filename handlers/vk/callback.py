"""VK's Callback API: VK POSTs one JSON event per request to the bot's aiohttp server.

Used when ``VK_CALLBACK_CONFIRMATION`` is set (Bots Long Poll is the default); it is served by the
bot's one aiohttp server (`bot.serve`), next to Telegram's webhook.

``confirmation`` is answered with the confirmation code; every other event must carry our
``secret`` (else 403) and is answered with the plain text ``ok`` once it has been handled — VK
re-sends an event that was not answered ``ok`` in time, up to five times. Re-sent events are
recognised by their ``event_id`` and handled once (`RecentIds`). That memory is in-process on
purpose: a restart forgets it, which costs at most one more pass of an event the core itself
already de-duplicates (messages by their VK id, button presses by the ticket state), so the
database need not remember every event id.
"""

from __future__ import annotations

import collections
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

log = logging.getLogger("bot.web")

#: VK answers ``ok`` with this exact body; anything else counts as a failure and is re-sent.
VK_OK = "ok"


class RecentIds:
    """The last ``size`` event ids seen, to drop VK's re-sends of an event already handled."""

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self._seen: collections.OrderedDict[str, None] = collections.OrderedDict()

    def first_time(self, event_id: str) -> bool:
        if event_id in self._seen:
            return False
        self._seen[event_id] = None
        if len(self._seen) > self.size:
            self._seen.popitem(last=False)
        return True


class VKCallbackEndpoint:
    """One community's Callback API endpoint; ``process`` is vkbottle's ``Bot.process_event``."""

    def __init__(
        self,
        *,
        group_id: int,
        confirmation: str,
        secret: str | None,
        process: Callable[[dict[str, Any]], Awaitable[None]],
    ) -> None:
        self.group_id = group_id
        self.confirmation = confirmation
        self.secret = secret
        self.process = process
        self.recent = RecentIds()

    async def handle(self, request: web.Request) -> web.Response:
        try:
            event = await request.json(loads=json.loads)
        except ValueError:
            return web.Response(status=400, text="bad json")
        if not isinstance(event, dict):
            return web.Response(status=400, text="bad event")
        if event.get("group_id") != self.group_id:
            # Another community's event (a mistyped address in its settings): not ours to take.
            return web.Response(status=403, text="wrong group")
        if event.get("type") == "confirmation":
            return web.Response(text=self.confirmation)
        if self.secret is not None and not hmac.compare_digest(
            str(event.get("secret", "")).encode(), self.secret.encode()
        ):
            log.warning("VK callback: an event with a wrong secret was refused")
            return web.Response(status=403, text="wrong secret")
        event_id = str(event.get("event_id", ""))
        if event_id and not self.recent.first_time(event_id):
            return web.Response(text=VK_OK)  # VK re-sent it: handled already
        try:
            await self.process(event)
        except Exception as exc:  # the handlers log their own failures; VK must still hear ok
            log.error("VK callback: event %s failed: %s", event.get("type"), type(exc).__name__)
        return web.Response(text=VK_OK)

"""VK's Callback API: VK POSTs one JSON event per request to the bot's aiohttp server.

Used when ``VK_CALLBACK_CONFIRMATION`` is set (Bots Long Poll is the default); it is served by the
bot's one aiohttp server (`bot.serve`), next to Telegram's webhook.

``confirmation`` is answered with the confirmation code; every other event must carry our
``secret`` (else 403) and is answered with the plain text ``ok`` once it is stored in the
durable inbox (`bot.delivery.inbox`), which handles it from there. VK re-sends an event that
was not answered ``ok`` in time, up to five times: an event that could not be stored (the
database is away) is answered 503, so VK sends it again, and a re-sent event that was stored
already is recognised by its ``event_id`` (the inbox's key) and dropped.
"""

from __future__ import annotations

import hmac
import json
import logging

from aiohttp import web

from handlers.vk.inbox import Store, event_draft

log = logging.getLogger("bot.web")

#: VK answers ``ok`` with this exact body; anything else counts as a failure and is re-sent.
VK_OK = "ok"


class VKCallbackEndpoint:
    """One community's Callback API endpoint; ``store`` is the inbox's ``accept``."""

    def __init__(
        self,
        *,
        group_id: int,
        confirmation: str,
        secret: str | None,
        store: Store,
    ) -> None:
        self.group_id = group_id
        self.confirmation = confirmation
        self.secret = secret
        self.store = store

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
        event.pop("secret", None)  # the stored copy keeps no secret
        try:
            await self.store([event_draft(self.group_id, event)])
        except Exception as exc:
            # Not stored, so no "ok": VK sends it again.
            log.warning("VK callback: event not stored (%s)", type(exc).__name__)
            return web.Response(status=503, text="try again")
        return web.Response(text=VK_OK)

"""VK's Callback API: VK POSTs one JSON event per request to the bot's aiohttp server.

Used when ``VK_CALLBACK_CONFIRMATION`` is set (Bots Long Poll is the default); it is served by the
bot's one aiohttp server (`bot.serve`), next to Telegram's webhook.

``confirmation`` is answered with the confirmation code; every other event must carry our
``secret`` (else 403) and is answered with the plain text ``ok`` once it is stored in the
durable inbox (`bot.delivery.inbox`), which handles it from there. VK re-sends an event that
was not answered ``ok`` in time, up to five times: an event that could not be stored (the
database is away) is answered 503, so VK sends it again, and a re-sent event that was stored
already is recognised by its ``event_id`` (the inbox's key) and dropped.

One endpoint serves every connected page too (`handlers.vk.pages.VKPages`): the ``group_id``
of each event says whose it is, and that community's own confirmation string and secret are
the ones that count — an event for one page signed with another page's secret is refused. An
event of a community that is neither the bot's nor a connected page's is refused as well.
"""

from __future__ import annotations

import hmac
import json
import logging

from aiohttp import web

from handlers.vk.inbox import Store, event_draft
from handlers.vk.pages import VKPages

log = logging.getLogger("bot.web")

#: VK answers ``ok`` with this exact body; anything else counts as a failure and is re-sent.
VK_OK = "ok"


class VKCallbackEndpoint:
    """The Callback API endpoint of the bot's community and its connected pages; ``store`` is
    the inbox's ``accept``."""

    def __init__(
        self,
        *,
        group_id: int,
        confirmation: str,
        secret: str | None,
        store: Store,
        pages: VKPages | None = None,
    ) -> None:
        self.group_id = group_id
        self.confirmation = confirmation
        self.secret = secret
        self.store = store
        self.pages = pages  # the connected pages, whose events come here too

    async def _community(self, group_id: object) -> tuple[str, str | None] | None:
        """The confirmation string and secret of the community ``group_id``; ``None``: not
        ours to take (a mistyped address in another community's settings, or a page that is
        not, or no longer, connected)."""
        if group_id == self.group_id:
            return self.confirmation, self.secret
        if self.pages is None or not isinstance(group_id, int):
            return None
        link = await self.pages.find(group_id)
        if link is None or link.confirmation is None or link.secret is None:
            return None
        return link.confirmation, link.secret

    async def handle(self, request: web.Request) -> web.Response:
        try:
            event = await request.json(loads=json.loads)
        except ValueError:
            return web.Response(status=400, text="bad json")
        if not isinstance(event, dict):
            return web.Response(status=400, text="bad event")
        group_id = event.get("group_id")
        community = await self._community(group_id)
        if community is None:
            return web.Response(status=403, text="wrong group")
        confirmation, secret = community
        if event.get("type") == "confirmation":
            return web.Response(text=confirmation)
        if secret is not None and not hmac.compare_digest(
            str(event.get("secret", "")).encode(), secret.encode()
        ):
            log.warning("VK callback: an event with a wrong secret was refused (community %s)",
                        group_id)
            return web.Response(status=403, text="wrong secret")
        event.pop("secret", None)  # the stored copy keeps no secret
        try:
            assert isinstance(group_id, int)
            await self.store([event_draft(group_id, event)])
        except Exception as exc:
            # Not stored, so no "ok": VK sends it again.
            log.warning("VK callback: event not stored (%s)", type(exc).__name__)
            return web.Response(status=503, text="try again")
        return web.Response(text=VK_OK)

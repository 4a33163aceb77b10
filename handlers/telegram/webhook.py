"""Telegram's webhook: aiogram's request handler, refusing requests that do not come from Telegram.

Used when ``TELEGRAM_WEBHOOK_URL`` is set (long polling is the default); it is served by the
bot's one aiohttp server (`bot.serve`), next to VK's Callback API. aiogram's
`SimpleRequestHandler` checks the ``X-Telegram-Bot-Api-Secret-Token`` header (`TelegramWebhook`:
a wrong or missing token gets 403 Forbidden, and nothing reaches the core). Updates are handled
*before* the answer (``handle_in_background=False``): Telegram re-sends an update that was not
answered with 200, so a crash in the middle loses nothing; a re-sent update is dropped by the
core's own duplicate check.
"""

from __future__ import annotations

import logging

from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

log = logging.getLogger("bot.web")


class TelegramWebhook(SimpleRequestHandler):
    """aiogram's handler, refusing a request without the right secret with 403 — "you are not
    Telegram" — where aiogram answers 401, which suggests that some other credentials would do."""

    async def handle(self, request: web.Request) -> web.Response:
        secret = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not self.verify_secret(secret, self.bot):
            log.warning("Telegram webhook: a request without the right secret was refused")
            return web.Response(status=403, text="Forbidden")
        return await super().handle(request)

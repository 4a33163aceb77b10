"""Telegram's webhook: refuses requests that do not come from Telegram, stores the rest in the
inbox, and answers 200 only once the update is stored.

Used when ``TELEGRAM_WEBHOOK_URL`` is set (long polling is the default); it is served by the
bot's one aiohttp server (`bot.serve`), next to VK's Callback API. A request without the right
``X-Telegram-Bot-Api-Secret-Token`` header gets 403 Forbidden ("you are not Telegram"; aiogram
answers 401, which suggests that some other credentials would do) and reaches nothing.

Telegram re-sends an update until it is answered 200. So the update is written to the durable
inbox (`bot.delivery.inbox`) before the answer, and handled from there; if it cannot be stored
(the database is away) the answer is 503 and Telegram sends it again later. A re-sent update
that was stored already is recognised by its ``update_id`` and dropped.
"""

from __future__ import annotations

import hmac
import logging

from aiogram import Bot
from aiogram.types import Update
from aiohttp import web
from pydantic import ValidationError

from handlers.telegram.inbox import Store, update_draft

log = logging.getLogger("bot.web")


class TelegramWebhook:
    def __init__(self, bot: Bot, store: Store, *, secret_token: str) -> None:
        self.bot = bot
        self.store = store
        self.secret_token = secret_token

    def register(self, app: web.Application, *, path: str) -> None:
        app.router.add_post(path, self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        secret = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not hmac.compare_digest(secret.encode(), self.secret_token.encode()):
            log.warning("Telegram webhook: a request without the right secret was refused")
            return web.Response(status=403, text="Forbidden")
        raw = await request.text()
        try:
            update = Update.model_validate_json(raw, context={"bot": self.bot})
        except ValidationError:
            log.warning("Telegram webhook: a request that is no update was refused")
            return web.Response(status=400, text="not an update")
        try:
            await self.store([update_draft(self.bot.id, update, raw)])
        except Exception as exc:
            # Not stored, so not confirmed: Telegram sends it again.
            log.warning("Telegram webhook: update not stored (%s)", type(exc).__name__)
            return web.Response(status=503, text="try again")
        return web.json_response({})

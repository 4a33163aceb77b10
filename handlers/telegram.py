"""Telegram inbound: aiogram updates → the core's `IncomingMessage`, nothing else.

Everything a citizen, a body's chat or a coordinator writes goes to ``AppealCore.handle``; the core
decides what it means and answers through the outbox, so these handlers never send replies of
their own except the /start and /help greeting (the core has no notion of commands). The core
arrives by name from the dispatcher's workflow data (``dp["core"] = core``), never as a global.

Handlers are async and filters are aiogram's async ``Command`` ones: plain callables (magic
filters included) run through ``asyncio.to_thread`` and slow every update down.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandStart
from aiogram.types import CallbackQuery, Message

from bot.core.appeals import AppealCore
from bot.core.types import Attachment, IncomingMessage, Location
from handlers.telegram_albums import AlbumCollector, is_album_part

# The only user-facing texts of this module (the core's own texts are in `bot.core.texts`).
TEXTS = {
    "start": (
        "Здравствуйте! Это бот для обращений жителей в органы власти и местного самоуправления.\n"
        "Напишите одним сообщением, что случилось и где (можно приложить фото или геопозицию), "
        "и мы передадим обращение тем, кто за это отвечает, и пришлём сюда номер и ответ."
    ),
}

def incoming_from_message(message: Message) -> IncomingMessage:
    """Translate a Telegram message; the largest photo size stands for the photo."""
    attachments: list[Attachment] = []
    if message.photo:
        attachments.append(Attachment("photo", message.photo[-1].file_id))
    if message.document is not None:
        attachments.append(Attachment("document", message.document.file_id))
    location = None
    if message.location is not None:
        location = Location(message.location.latitude, message.location.longitude)
    reply = message.reply_to_message
    return IncomingMessage(
        channel="tg",
        chat_id=message.chat.id,
        user_id=message.from_user.id if message.from_user else message.chat.id,
        message_id=message.message_id,
        text=message.text or message.caption or "",
        attachments=tuple(attachments),
        location=location,
        reply_to=reply.message_id if reply is not None else None,
    )


def incoming_from_callback(callback: CallbackQuery) -> IncomingMessage | None:
    """A button press; ``None`` when the message it was under is gone (too old to know)."""
    message = callback.message
    if message is None:
        return None
    return IncomingMessage(
        channel="tg",
        chat_id=message.chat.id,
        user_id=callback.from_user.id,
        message_id=message.message_id,
        payload=callback.data or "",
    )


async def on_start(message: Message) -> None:
    await message.answer(TEXTS["start"])


async def on_message(message: Message, core: AppealCore) -> None:
    await core.handle(incoming_from_message(message))


async def on_callback(callback: CallbackQuery, core: AppealCore) -> None:
    notice = None
    try:
        incoming = incoming_from_callback(callback)
        if incoming is not None:
            notice = (await core.handle(incoming)).notice
    finally:
        # Always, or the button keeps spinning; a refusal is shown as an alert the person must
        # dismiss, so that it is not missed.
        await callback.answer(notice, show_alert=notice is not None)


def build_router() -> Router:
    """A fresh router per dispatcher (aiogram attaches a router to one parent only)."""
    router = Router(name="telegram")
    router.message.register(on_start, CommandStart())
    router.message.register(on_start, Command("help"))
    # An album's parts are gathered into one appeal; waiting albums are handed over on stop.
    albums = AlbumCollector(incoming_from_message)
    router.message.register(albums.on_part, is_album_part)
    router.shutdown.register(albums.flush)
    router.message.register(on_message)
    router.callback_query.register(on_callback)
    return router

"""Telegram handlers for coordinators: table uploads, «Применить»/«Отмена», /rollback, /table,
/versions, /stats. The logic is in `bot.core.coordination` and `bot.core.stats`.

Unlike the citizen and body flows, replies here are sent directly (``message.answer``,
``answer_document``, ``answer_photo``), not through the outbox: they are synchronous answers to
a person who is looking at the chat and just asked, nothing else depends on their delivery, and
if one is lost the coordinator simply repeats the command. What must survive a crash — the
proposal awaiting «Применить» and every applied version — is in the database.

This router is included before the general one (`router`): a coordinator's document in the
private chat is a table upload, never an appeal; anyone else's document falls through to the core
and is an appeal. Filters are async classes, so nothing runs in a thread per update.
"""

from __future__ import annotations

import logging

from aiogram import Bot, Router
from aiogram.exceptions import TelegramBadRequest, TelegramNetworkError
from aiogram.filters import BaseFilter, Command
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)

from bot.core import stats
from bot.core.coordination import (
    BUTTON_PREFIX,
    MAX_UPLOAD_BYTES,
    Coordination,
    Reply,
    coordinator_ref,
)
from bot.domain import texts
from handlers.telegram.router import answer_press

log = logging.getLogger("handlers.coordinator")

class CoordinatorDocument(BaseFilter):
    """A document a coordinator sends in their private chat with the bot."""

    async def __call__(self, message: Message, coordination: Coordination) -> bool:
        return (
            message.document is not None
            and message.chat.type == "private"
            and message.from_user is not None
            and coordination.is_coordinator("tg", message.from_user.id)
        )


class TableButton(BaseFilter):
    async def __call__(self, callback: CallbackQuery) -> bool:
        return (callback.data or "").startswith(BUTTON_PREFIX)


def _markup(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=b.text, callback_data=b.payload) for b in row]
            for row in reply.buttons
        ]
    )


async def _send(message: Message, reply: Reply) -> None:
    for index, text in enumerate(reply.messages):
        last = index == len(reply.messages) - 1
        await message.answer(text, reply_markup=_markup(reply) if last else None)


def _allowed(message: Message, coordination: Coordination) -> bool:
    user = message.from_user
    return user is not None and coordination.is_coordinator("tg", user.id)


async def on_document(message: Message, bot: Bot, coordination: Coordination) -> None:
    document = message.document
    name = document.file_name or "file"
    if document.file_size and document.file_size > MAX_UPLOAD_BYTES:
        await _send(message, coordination.too_large(name, document.file_size))
        return
    try:
        downloaded = await bot.download(document.file_id)
    except (TelegramBadRequest, TelegramNetworkError) as error:
        log.warning("table upload: download failed (%s)", type(error).__name__)
        await message.answer(texts.TABLE_DOWNLOAD_FAILED.format(name=name))
        return
    data = downloaded.read() if downloaded is not None else b""
    who = coordinator_ref("tg", message.from_user.id)
    await _send(message, await coordination.propose_upload(data, name, who))


async def on_table_button(callback: CallbackQuery, coordination: Coordination) -> None:
    reply = Reply(notice=texts.ONLY_COORDINATORS)
    try:
        if coordination.is_coordinator("tg", callback.from_user.id):
            reply = Reply()  # an error below must not read as "only coordinators"
            who = coordinator_ref("tg", callback.from_user.id)
            reply = await coordination.press(callback.data or "", who)
            message = callback.message
            if isinstance(message, Message):
                if reply.messages:  # decided: the buttons under the proposal are spent
                    await message.edit_reply_markup(reply_markup=None)
                await _send(message, reply)
    finally:
        await answer_press(callback, reply.notice)


async def on_rollback(message: Message, coordination: Coordination) -> None:
    if not _allowed(message, coordination):
        await message.answer(texts.ONLY_COORDINATORS)
        return
    who = coordinator_ref("tg", message.from_user.id)
    await _send(message, await coordination.propose_rollback(who))


async def on_table(message: Message, coordination: Coordination) -> None:
    if not _allowed(message, coordination):
        await message.answer(texts.ONLY_COORDINATORS)
        return
    current = await coordination.current_file()
    if current is None:
        await message.answer(texts.TABLE_NONE_YET)
        return
    await message.answer_document(
        BufferedInputFile(current.data, current.filename), caption=current.caption
    )


async def on_versions(message: Message, coordination: Coordination) -> None:
    if not _allowed(message, coordination):
        await message.answer(texts.ONLY_COORDINATORS)
        return
    await _send(message, await coordination.versions())


async def on_stats(message: Message, coordination: Coordination) -> None:
    if not _allowed(message, coordination):
        await message.answer(texts.ONLY_COORDINATORS)
        return
    lines, png = await stats.report(coordination.core)
    if png is not None:
        await message.answer_photo(BufferedInputFile(png, "stats.png"))
    for text in lines:
        await message.answer(text)


def build_coordinator_router() -> Router:
    """A fresh router per dispatcher; include it before `router.build_router()`."""
    router = Router(name="telegram-coordinator")
    router.message.register(on_table, Command("table"))
    router.message.register(on_rollback, Command("rollback"))
    router.message.register(on_stats, Command("stats"))
    router.message.register(on_versions, Command("versions"))
    router.message.register(on_document, CoordinatorDocument())
    router.callback_query.register(on_table_button, TableButton())
    return router

"""Telegram handlers for coordinators: table uploads, «Применить»/«Отмена», /rollback, /table,
/versions, /stats, /tools; and /page, /pages, /unpage (connected state pages, `bot.core.pages`),
which bodies' administrators may use too. They only translate: what each means, who may, and
what to answer is `bot.core.coordinator_tools` (the same for VK, `handlers.vk.coordinator`).

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

from bot.core.coordination import Reply
from bot.core.coordinator_tools import CoordinatorTools, DownloadFailed
from bot.core.pages import PAGE_COMMANDS, PageTools, page_command_of
from bot.domain import texts
from bot.domain.phrases import COORDINATOR_COMMANDS
from handlers.telegram.router import answer_press

log = logging.getLogger("handlers.coordinator")


class CoordinatorDocument(BaseFilter):
    """A document a coordinator sends in their private chat with the bot."""

    async def __call__(self, message: Message, tools: CoordinatorTools) -> bool:
        return (
            message.document is not None
            and message.chat.type == "private"
            and message.from_user is not None
            and tools.is_coordinator("tg", message.from_user.id)
        )


class CoordinatorWords(BaseFilter):
    """A coordinator's tool asked for in words («Статистика»), as VK's menu sends them."""

    async def __call__(self, message: Message, tools: CoordinatorTools) -> bool:
        return _tool_of(message, tools) is not None


class TableButton(BaseFilter):
    async def __call__(self, callback: CallbackQuery, tools: CoordinatorTools) -> bool:
        return tools.owns(callback.data)


def _tool_of(message: Message, tools: CoordinatorTools) -> str | None:
    user = message.from_user
    user_id = user.id if user is not None else message.chat.id
    return tools.command_of("tg", user_id, message.text, reply=message.reply_to_message is not None)


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
    if reply.document is not None:
        file = reply.document
        await message.answer_document(
            BufferedInputFile(file.data, file.filename), caption=file.caption
        )
    if reply.photo is not None:
        await message.answer_photo(BufferedInputFile(reply.photo, "stats.png"))
    for index, text in enumerate(reply.messages):
        last = index == len(reply.messages) - 1
        await message.answer(text, reply_markup=_markup(reply) if last else None)


async def on_document(message: Message, bot: Bot, tools: CoordinatorTools) -> None:
    document = message.document

    async def fetch(limit: int) -> bytes:
        try:
            downloaded = await bot.download(document.file_id)
        except (TelegramBadRequest, TelegramNetworkError) as error:
            raise DownloadFailed(type(error).__name__) from None
        return downloaded.read(limit) if downloaded is not None else b""

    reply = await tools.upload(
        "tg", message.from_user.id, document.file_name or "file", document.file_size, fetch
    )
    await _send(message, reply)


async def on_tool(message: Message, tools: CoordinatorTools) -> None:
    """/table, /rollback, /stats, /versions, /tools (or their words): the core decides."""
    name = _tool_of(message, tools)
    if name is None:  # "/stats@otherbot" cannot reach here: aiogram's Command checked it
        return
    user = message.from_user
    await _send(message, await tools.command("tg", user.id if user else message.chat.id, name))


async def on_page(message: Message, pages: PageTools) -> None:
    """/page, /pages, /unpage (coordinators and bodies' administrators; the core decides).
    The message that carried a token is deleted (best effort: a bot may delete what it was
    sent in a private chat within 48 hours), so the token does not stay in the chat."""
    user = message.from_user
    text = message.text or ""
    reply = await pages.command("tg", user.id if user else message.chat.id, text)
    if page_command_of(text) == "page" and len(text.split()) > 1:
        try:
            await message.delete()
        except (TelegramBadRequest, TelegramNetworkError) as error:
            log.warning("the message with a page token was not deleted: %s", type(error).__name__)
        else:
            reply = Reply((*reply.messages, texts.PAGES_TOKEN_MESSAGE_DELETED),
                          buttons=reply.buttons)
    await _send(message, reply)


async def on_page_button(callback: CallbackQuery, pages: PageTools) -> None:
    """A body chosen for a checked page."""
    reply = Reply()
    try:
        reply = await pages.press("tg", callback.from_user.id, callback.data or "")
        message = callback.message
        if isinstance(message, Message) and reply.messages:
            await message.edit_reply_markup(reply_markup=None)
            await _send(message, reply)
    finally:
        await answer_press(callback, reply.notice)


class PageButton(BaseFilter):
    async def __call__(self, callback: CallbackQuery, pages: PageTools) -> bool:
        return pages.owns(callback.data)


async def on_table_button(callback: CallbackQuery, tools: CoordinatorTools) -> None:
    reply = Reply()
    try:
        reply = await tools.press("tg", callback.from_user.id, callback.data or "")
        message = callback.message
        if isinstance(message, Message):
            if reply.settles_proposal:
                await message.edit_reply_markup(reply_markup=None)
            await _send(message, reply)
    finally:
        await answer_press(callback, reply.notice)


def build_coordinator_router() -> Router:
    """A fresh router per dispatcher; include it before `router.build_router()`."""
    router = Router(name="telegram-coordinator")
    router.message.register(on_tool, Command(*COORDINATOR_COMMANDS))
    router.message.register(on_page, Command(*PAGE_COMMANDS))
    router.message.register(on_tool, CoordinatorWords())
    router.message.register(on_document, CoordinatorDocument())
    router.callback_query.register(on_table_button, TableButton())
    router.callback_query.register(on_page_button, PageButton())
    return router

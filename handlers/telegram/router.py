"""Telegram inbound: aiogram updates → the core's `IncomingMessage`, nothing else.

Everything a citizen, a body's chat or a coordinator writes goes to ``Core.handle``
(`bot.core.ports`); the core decides what it means and answers through the outbox, so these
handlers never send replies of their own; commands (/start, /help, /my…) are recognised here and
answered by the core. The bot's own membership (``my_chat_member``: removed from a group, blocked,
back) goes to ``Core.access_changed``. The core arrives by name from the dispatcher's workflow
data (the dispatcher is built with ``core=…``), never as a global.

Handlers are async and filters are aiogram's async ``Command`` ones: plain callables (magic
filters included) run through ``asyncio.to_thread`` and slow every update down.
"""

from __future__ import annotations

import dataclasses
import logging

from aiogram import Bot, Router
from aiogram.exceptions import AiogramError
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import BotCommand, CallbackQuery, ChatMemberUpdated, Message

from bot.core.ports import Core
from bot.domain import texts
from bot.domain.messages import Attachment, IncomingMessage, Location
from bot.domain.phrases import COMMANDS, command_of
from bot.domain.staff import looks_like_token
from handlers.telegram import discussion
from handlers.telegram.albums import Albums, is_album_part

log = logging.getLogger("handlers.telegram")


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
        thread_id=message.message_thread_id if message.is_topic_message else None,
        user_name=message.from_user.full_name if message.from_user else "",
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
        user_name=callback.from_user.full_name,
    )


async def on_command(message: Message, core: Core) -> None:
    """/start, /help, /my, … and unknown /commands: the core answers (through the outbox)."""
    incoming = incoming_from_message(message)
    await core.handle(dataclasses.replace(incoming, command=command_of(message.text)))


async def is_unknown_command(message: Message) -> bool:
    """A /word no handler above took, or a command in words («Мои обращения»); async, so
    aiogram does not run it in a thread. Outside private chats the core treats it as text."""
    return command_of(message.text) is not None


async def on_message(message: Message, core: Core) -> None:
    await core.handle(incoming_from_message(message))


async def on_callback(callback: CallbackQuery, core: Core) -> None:
    notice, alert = None, False
    try:
        incoming = incoming_from_callback(callback)
        if incoming is not None:
            outcome = await core.handle(incoming)
            notice, alert = outcome.notice, outcome.refused
    finally:
        # Always, or the button keeps spinning; a refusal is shown as an alert the person must
        # dismiss, so that it is not missed; what a press did, as a toast.
        await answer_press(callback, notice, alert=alert)


async def answer_press(callback: CallbackQuery, notice: str | None, *, alert: bool = True) -> None:
    """Answer a button press. Telegram takes one answer per press, within seconds: the
    inbox's second attempt at a press (or one taken up after a restart) finds it answered or
    expired, which must not fail the attempt."""
    try:
        await callback.answer(notice, show_alert=alert and notice is not None)
    except (AiogramError, OSError, TimeoutError) as exc:
        log.info("button press not answered: %s", type(exc).__name__)


async def on_invite(message: Message, command: CommandObject, core: Core, bot: Bot) -> None:
    """A coordinator's ``/invite <body>``: the core checks who asks and answers with links."""
    username = (await bot.me()).username

    def links(token: str) -> str:
        return texts.INVITE_TG_LINKS.format(
            private=f"https://t.me/{username}?start={token}",
            group=f"https://t.me/{username}?startgroup={token}",
        )

    await core.invite(incoming_from_message(message), command.args or "", links=links)


async def on_start_with_code(message: Message, command: CommandObject, core: Core) -> None:
    """``/start <code>`` from an invite link (``/start@bot <code>`` in a group); any other
    ``/start`` payload is a citizen who came by some other link: greet them."""
    if not looks_like_token((command.args or "").strip()):
        await on_command(message, core)
        return
    user = message.from_user
    await core.redeem(
        "tg",
        message.chat.id,
        user.id if user is not None else message.chat.id,
        (command.args or "").strip(),
        forum=bool(message.chat.is_forum),
        name=user.full_name if user is not None else "",
        message_id=message.message_id,
    )


#: The bot's own status in a chat that lets it write there (``restricted``: only if it may
#: still send messages).
PRESENT = frozenset({"creator", "administrator", "member"})


async def on_my_chat_member(update: ChatMemberUpdated, core: Core) -> None:
    """The bot was removed from a group or blocked (``left``/``kicked``), or is back: the core
    decides whose chat it is (a body's: marked and coordinators told; a citizen's). The update
    comes only when the bot's own status changes, so every one is worth passing on."""
    member = update.new_chat_member
    allowed = member.status in PRESENT or (
        member.status == "restricted"
        and bool(getattr(member, "is_member", False))
        and bool(getattr(member, "can_send_messages", False))
    )
    await core.access_changed("tg", update.chat.id, allowed=allowed)


def build_router(albums: Albums) -> Router:
    """A fresh router per dispatcher (aiogram attaches a router to one parent only)."""
    router = Router(name="telegram")
    # An album's parts are gathered into one appeal; waiting albums are handed over on stop.
    router.message.register(albums.on_part, is_album_part)
    router.shutdown.register(albums.flush)
    router.message.register(on_start_with_code, CommandStart(deep_link=True))
    router.message.register(on_invite, Command("invite"))
    router.message.register(on_command, CommandStart())
    router.message.register(on_command, Command(*COMMANDS, ignore_case=True))
    # Other /commands (coordinators', administrators') are registered above this line.
    router.message.register(on_command, is_unknown_command)
    # Comments in a channel's discussion group (and the channel posts' copies there).
    discussion.register(router, otherwise=on_message)
    router.message.register(on_message)
    router.callback_query.register(on_callback)
    # Registered, so polling asks for it and the webhook's allowed_updates include it.
    router.my_chat_member.register(on_my_chat_member)
    return router


async def publish_commands(bot: Bot) -> None:
    """The citizen's commands in Telegram's menu, so nobody has to know them by heart. A
    failure costs the menu only, never the start: it is logged (without the token) and skipped."""
    commands = [BotCommand(command=name, description=text) for name, text in texts.COMMAND_MENU]
    try:
        await bot.set_my_commands(commands)
    except (AiogramError, OSError, TimeoutError) as exc:
        log.warning("command menu not published: %s", type(exc).__name__)

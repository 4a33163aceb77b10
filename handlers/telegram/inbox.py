"""Telegram's side of the durable inbox (`bot.delivery.inbox`): what a stored update is called
and whose conversation it is, and how a stored update is handled.

- `update_draft`: the key is ``tg:<bot id>:<update_id>`` (update ids are counted per bot), the
  chat orders a conversation's updates, the payload is the update's JSON — the webhook's body
  as it came, or the polled update written back out. Polling (`handlers.telegram.polling`) and
  the webhook (`handlers.telegram.webhook`) store drafts and only then acknowledge.
- `TelegramUpdates.process`: the stored update, parsed again after a restart, fed to the
  dispatcher (``Dispatcher.feed_update``). A handler's error reaches the inbox, which tries the
  update again; aiogram's own polling and webhook handler log such an error and confirm the
  update all the same. The entry goes along as ``inbox_entry``, for a handler that declares it
  (the album collector defers its parts until the album is handled).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from aiogram import Bot, Dispatcher
from aiogram.types import Update
from aiogram.types.update import UpdateTypeLookupError

from bot.delivery.inbox import InboxEntry
from bot.domain.records import InboxDraft

#: `bot.delivery.inbox.Inbox.accept`: stores drafts, raises if it could not.
Store = Callable[[Sequence[InboxDraft]], Awaitable[int]]


def chat_of(update: Update) -> int | None:
    """The chat an update belongs to: the message's, the pressed button's message's, or the
    person's own for updates without a chat; ``None`` for a kind aiogram does not know."""
    try:
        event = update.event
    except UpdateTypeLookupError:
        return None
    chat = getattr(event, "chat", None)
    if chat is None:  # a button press: the chat of the message under it
        chat = getattr(getattr(event, "message", None), "chat", None)
    if chat is not None:
        return int(chat.id)
    user = getattr(event, "from_user", None)
    return int(user.id) if user is not None else None


def update_draft(bot_id: int, update: Update, raw: str | None = None) -> InboxDraft:
    """``raw``: the update's JSON as it arrived, when there is one (the webhook's body)."""
    return InboxDraft(
        key=f"tg:{bot_id}:{update.update_id}",
        channel="tg",
        chat_id=chat_of(update),
        payload=raw if raw is not None else update.model_dump_json(exclude_none=True),
        parsed=update,
    )


class TelegramUpdates:
    """The inbox's processor for Telegram rows."""

    def __init__(self, dispatcher: Dispatcher, bot: Bot) -> None:
        self.dispatcher = dispatcher
        self.bot = bot

    async def process(self, entry: InboxEntry) -> None:
        update = entry.parsed
        if not isinstance(update, Update):
            update = Update.model_validate_json(entry.row.payload or "", context={"bot": self.bot})
        await self.dispatcher.feed_update(self.bot, update, inbox_entry=entry)

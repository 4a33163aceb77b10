"""The fast lane: a citizen's plain words in a private chat go straight to the core.

Most of what the bot receives is that — appeals, answers to its questions — and each such
message used to pass a dozen filters first (an album's part? /start with a code? /invite? one
of the commands? a command in words? a coordinator's tool? a comment under a channel post?),
each a call through aiogram's handler machinery, about a tenth of the bot's CPU time per appeal
in a burst (bench/README.md, issue 20). This router comes first and takes only messages every
one of those filters would turn down, and hands them to `handlers.telegram.router.on_message`,
where they would have ended anyway; everything else goes on to the other routers untouched.
`tests/handlers/test_fast_lane.py` holds it to that for each kind of message.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.enums import ChatType
from aiogram.types import Message

from bot.core.coordinator_tools import CoordinatorTools
from bot.domain.phrases import command_of
from handlers.telegram.router import on_message


async def is_plain_words(message: Message, tools: CoordinatorTools) -> bool:
    """Text in a private chat that is no command, no command in words and no coordinator's
    tool asked for in words (async: aiogram runs plain filters in a thread)."""
    text = message.text
    if text is None or message.chat.type != ChatType.PRIVATE or text.startswith("/"):
        return False
    if message.media_group_id is not None or command_of(text) is not None:
        return False
    user = message.from_user
    user_id = user.id if user is not None else message.chat.id
    reply = message.reply_to_message is not None
    return tools.command_of("tg", user_id, text, reply=reply) is None


def build_fast_lane() -> Router:
    """A fresh router per dispatcher; include it before every other router."""
    router = Router(name="telegram-fast-lane")
    router.message.register(on_message, is_plain_words)
    return router

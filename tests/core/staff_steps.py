"""What staff do in the core tests of safe actions and of the interim answer: press a button,
reply to a message of the bot, find what the bot sent."""

from __future__ import annotations

from core_world import CITY_CHAT

from bot.domain.messages import IncomingMessage
from bot.domain.wire import Payload

MEMBER = 3003  # a member of the city administration's group


def tap(world, chat, action, number, value="", *, user=MEMBER, channel="tg"):
    world.message_ids += 1
    payload = Payload(action, number, value).pack()
    return world.core.handle(
        IncomingMessage(channel, chat, user, world.message_ids, payload=payload)
    )


async def written(world, chat, text, reply_to, *, user=MEMBER, channel="tg"):
    world.message_ids += 1
    message = IncomingMessage(channel, chat, user, world.message_ids, text, reply_to=reply_to)
    return await world.core.handle(message)


async def sent_id(world, number, name, chat=CITY_CHAT):
    """The platform id of the last message ``name`` (``body``: the card, ``body-ask-close``: the
    question…) about ``number`` sent to ``chat``."""
    await world.flush(passes=100)
    for row in reversed(await world.outbox_rows("sent")):
        key = row["idempotency_key"]
        if row["chat_id"] == chat and key.startswith(f"{number}:{name}:"):
            return row["platform_message_id"]
    raise AssertionError(f"no {name} of {number} in {chat}")


def last(world, chat, channel="tg"):
    """The last message the bot sent to ``chat``."""
    return [m for m in (world.tg if channel == "tg" else world.vk).sent if m.chat_id == chat][-1]

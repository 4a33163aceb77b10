"""What staff do in the core tests of safe actions and of the interim answer: press a button,
reply to a message of the bot, find what the bot sent."""

from __future__ import annotations

from bot.domain.messages import IncomingMessage, Location
from bot.domain.states import TicketState as S
from bot.domain.wire import Action, Payload
from tests.core.core_world import CITY_CHAT, COORDINATOR_ID

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


async def four_appeals(world) -> dict[str, str]:
    """One appeal per way of routing (automatic, after a question, by a coordinator, and one
    whose text starts a spreadsheet formula); the pothole, with a location, is answered in the
    chat two hours later. The console's figures are checked against these."""
    handle = world.core.handle
    pothole = (await handle(world.citizen(
        "яма во дворе", chat=601, location=Location(51.53, 46.03)
    ))).number
    trash = (await handle(world.citizen("мусор не вывозят", chat=602))).number
    await tap(world, 602, Action("topic"), trash, "trash", user=602)
    unclear = (await handle(world.citizen("непонятно что", chat=603))).number
    await tap(world, COORDINATOR_ID, Action.ASSIGN, unclear, "transport", user=COORDINATOR_ID)
    hospital = (await handle(world.citizen("больница =HYPERLINK(\"x\")", chat=604))).number
    card = await sent_id(world, pothole, "body")
    world.clock.advance(hours=2)
    assert (await written(world, CITY_CHAT, "Заделали.", card)).state == S.ANSWERED
    return {"pothole": pothole, "trash": trash, "unclear": unclear, "hospital": hospital}

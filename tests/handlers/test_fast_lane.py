"""The fast lane takes only messages the other routers would have given to `on_message`.

For each kind of message a person can send, the routers behind the lane (the coordinator's and
the main one, as `bot.bootstrap` includes them) are asked which handler they would pick, with
aiogram's own filter checks in their order; a message the lane claims must be one whose handler
is `on_message` (a photo or a location it leaves to them: they end there too, by the long
way). A lane that took a command, an album's part, a coordinator's «Статистика» or a comment
under a channel post would answer it as an appeal.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiogram import Router
from aiogram.types import Message

from bot.core.coordinator_tools import CoordinatorTools
from handlers.telegram.albums import AlbumCollector
from handlers.telegram.coordinator import build_coordinator_router
from handlers.telegram.fast_lane import is_plain_words
from handlers.telegram.router import build_router, incoming_from_message, on_message

COORDINATOR = 700
CITIZEN = 10_000_001
GROUP = -100_500


class Tools(CoordinatorTools):
    """The real `command_of`, with one coordinator known."""

    def __init__(self) -> None:  # no coordination needed for reading words
        pass

    def is_coordinator(self, channel: str, user_id: int) -> bool:
        return (channel, user_id) == ("tg", COORDINATOR)


def message(text: str | None = "Яма у дома 5 на ул. Ленина", *, sender: int = CITIZEN,
            chat: dict[str, Any] | None = None, **extra: Any) -> Message:
    data: dict[str, Any] = {
        "message_id": 42,
        "date": 1_700_000_000,
        "chat": chat or {"id": sender, "type": "private", "first_name": "Анна"},
        "from": {"id": sender, "is_bot": False, "first_name": "Анна"},
        **extra,
    }
    if text is not None:
        data["text"] = text
    return Message.model_validate(data)


def replying(text: str, **extra: Any) -> Message:
    bot_message = {"message_id": 41, "date": 1_700_000_000, "text": "Обращение № 26-000001",
                   "chat": {"id": COORDINATOR, "type": "private", "first_name": "Анна"},
                   "from": {"id": 1, "is_bot": True, "first_name": "Бот"}}
    return message(text, sender=COORDINATOR, reply_to_message=bot_message, **extra)


SUPERGROUP = {"id": GROUP, "type": "supergroup", "title": "Обсуждение"}
POST_COPY = {"message_id": 7, "date": 1_700_000_000, "text": "Пост", "chat": SUPERGROUP,
             "is_automatic_forward": True, "sender_chat": {"id": -100_1, "type": "channel"}}

CASES = {
    "an appeal in words": message(),
    "an answer to the bot's question": message("Саратов"),
    "/start": message("/start"),
    "/start with an invite code": message("/start Ab3dEf9hIj"),
    "/my": message("/my"),
    "an unknown /command": message("/whatever"),
    "a command in words": message("Мои обращения"),
    "«Статистика» from a coordinator": message("Статистика", sender=COORDINATOR),
    "«Статистика» from a citizen": message("Статистика"),
    "«Статистика» as a coordinator's reply to a card": replying("Статистика"),
    "a coordinator's plain words": message("Спасибо", sender=COORDINATOR),
    "a photo with a caption": message(None, caption="Яма",
                                      photo=[{"file_id": "p", "file_unique_id": "u",
                                              "width": 1, "height": 1}]),
    "a photo of an album": message(None, media_group_id="album-1",
                                   photo=[{"file_id": "p", "file_unique_id": "u",
                                           "width": 1, "height": 1}]),
    "a coordinator's document": message(None, sender=COORDINATOR,
                                        document={"file_id": "d", "file_unique_id": "u"}),
    "a location": message(None, location={"latitude": 51.5, "longitude": 46.0}),
    "words in a group": message("Яма", chat={"id": GROUP, "type": "group", "title": "Орган"}),
    "a comment under a channel post": message("Когда починят?", chat=SUPERGROUP,
                                              reply_to_message=POST_COPY),
}


async def handler_chosen(routers: list[Router], event: Message, data: dict[str, Any]) -> Any:
    """The callback aiogram would run: the first handler, router by router, whose filters pass."""
    for router in routers:
        for handler in router.message.handlers:
            passed, _ = await handler.check(event, **data)
            if passed:
                return handler.callback
    return None


@pytest.mark.parametrize("case", list(CASES))
def test_the_fast_lane_takes_only_what_would_end_as_a_plain_message(case: str) -> None:
    event, tools = CASES[case], Tools()
    behind = [build_coordinator_router(), build_router(AlbumCollector(incoming_from_message))]
    data = {"tools": tools, "core": None, "pages": None, "bot": None}
    chosen = asyncio.run(handler_chosen(behind, event, data))
    if asyncio.run(is_plain_words(event, tools)):
        assert chosen is on_message, chosen
    else:  # refused: the other routers decide, as before the lane existed
        assert case not in TAKEN


#: Plain words, wherever they end up meaning an appeal, an answer or a reply to a card.
TAKEN = [
    "an appeal in words",
    "an answer to the bot's question",
    "«Статистика» from a citizen",
    "«Статистика» as a coordinator's reply to a card",
    "a coordinator's plain words",
]


def test_appeals_and_answers_take_the_lane() -> None:
    tools = Tools()
    assert [c for c, m in CASES.items() if asyncio.run(is_plain_words(m, tools))] == TAKEN

"""The citizen's dialog on VK end to end: a real vkbottle bot polling the VK emulator, the real core
(outbox through `VKTransport`) and classifier with the shipped Saratov table, where the city
administration's administrator reads the community dialog.

/my and «Мои обращения» with the history button, /forget with its confirmation, and the answer
followed by «Проблема решена?» and the rating — the same core flows as on Telegram.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from vkbottle import API, AiohttpClient
from vkbottle.bot import BotLabeler

from bot.bootstrap import CoreService
from bot.domain import texts
from bot.storage import repository_from_url
from config import Settings
from handlers.vk.inbound import VKInbound, make_vk_bot
from handlers.vk.transport import VKTransport
from routing.classify import Classifier
from routing.model import RoutingTable
from routing.tablefile import load_table
from tests.emulators.aio import run_async
from tests.emulators.vk import SentMessage, VKEmulator

ROOT = Path(__file__).resolve().parents[2]
CITIZEN = 100_500
STRANGER = 100_501
ADMIN = 700_001
CITY = "adm-63701000"
CITY_NAME = "Администрация муниципального образования «Город Саратов»"
APPEAL = "В Саратове на ул. Московской не горит фонарь уже неделю"
NUMBER = re.compile(r"\b\d{2}-\d{6}\b")


@pytest.fixture(scope="module")
def saratov() -> tuple[RoutingTable, Classifier]:
    shipped = load_table(ROOT / "routing" / "tables" / "saratov.yaml")
    bodies = tuple(
        dataclasses.replace(b, vk_peer=str(ADMIN)) if b.id == CITY else b for b in shipped.bodies
    )
    table = RoutingTable(shipped.region, shipped.municipalities, shipped.topics, bodies)
    return table, Classifier(table)


@asynccontextmanager
async def running_bot(tmp_path: Path, saratov) -> AsyncIterator[VKEmulator]:
    table, classifier = saratov
    async with VKEmulator() as vk:
        await vk.user_allows_messages(ADMIN)
        api = API(vk.token, http_client=AiohttpClient())
        api.API_URL = vk.api_url
        service = CoreService.build(
            repo=repository_from_url(f"sqlite:///{tmp_path / 'bot.sqlite3'}"),
            table=table,
            classifier=classifier,
            transports={"vk": VKTransport(api)},
            settings=Settings(_env_file=None),
        )
        try:
            async with service:
                labeler = VKInbound(service.core).register(BotLabeler())
                bot = make_vk_bot(api, labeler, tmp_path / "data")
                polling = asyncio.create_task(bot.run_polling())
                try:
                    await vk.wait_for_listener()
                    yield vk
                finally:
                    polling.cancel()
                    with pytest.raises(asyncio.CancelledError):
                        await polling
        finally:
            await api.http_client.close()


async def says(vk: VKEmulator, text: str, first: str = "", user: int = CITIZEN) -> SentMessage:
    """The user writes ``text``; the community's next message to them (starting with ``first``)."""
    seen = len(vk.sent)
    await vk.user_sends_text(user, text)
    return await next_message(vk, seen, first, user)


async def next_message(vk: VKEmulator, since: int, first: str = "", user: int = CITIZEN):
    return await vk.wait_for(
        lambda: next(
            (m for m in vk.sent[since:] if m.peer_id == user and m.text.startswith(first)), None
        )
    )


def buttons(message: SentMessage) -> dict[str, dict]:
    """Label → the callback payload VK will send back when it is pressed."""
    assert message.keyboard is not None and message.keyboard["inline"]
    found = {}
    for row in message.keyboard["buttons"]:
        for button in row:
            action = button["action"]
            assert action["type"] == "callback"
            payload = action["payload"]
            found[action["label"]] = json.loads(payload) if isinstance(payload, str) else payload
    return found


async def presses(vk: VKEmulator, message: SentMessage, label: str, user: int = CITIZEN):
    """Tap a callback button; returns what the snackbar said (``None``: answered silently)."""
    event_id = await vk.user_presses_callback_button(
        user, message.conversation_message_id, buttons(message)[label]
    )
    answer = await vk.wait_for(lambda: next((a for a in vk.event_answers
                                             if a.event_id == event_id), None))
    return (answer.event_data or {}).get("text")


@run_async
async def test_my_and_the_button_label_list_the_appeals_with_their_history(tmp_path, saratov):
    async with running_bot(tmp_path, saratov) as vk:
        assert (await says(vk, "Мои обращения")).text == texts.MY_EMPTY
        accepted = await says(vk, APPEAL)
        number = NUMBER.search(accepted.text).group()
        await vk.wait_for_sent(lambda m: m.peer_id == ADMIN)

        for command in ("/my", "мои обращения"):
            listing = await says(vk, command, first=texts.MY_HEADER[:10])
            assert number in listing.text and CITY_NAME in listing.text
            assert texts.STATE_NAMES["routed"] in listing.text
        history_button = texts.MY_HISTORY_BUTTON.format(number=number)
        assert list(buttons(listing)) == [history_button]

        seen = len(vk.sent)
        assert await presses(vk, listing, history_button) is None
        history = await next_message(vk, seen)
        assert history.text.startswith(texts.HISTORY_HEADER.format(number=number))
        assert "обращение принято" in history.text

        refused = await presses(vk, listing, history_button, user=STRANGER)
        assert refused == texts.MY_UNKNOWN_TICKET


@run_async
async def test_forget_with_confirmation(tmp_path, saratov):
    async with running_bot(tmp_path, saratov) as vk:
        await says(vk, APPEAL)
        question = await says(vk, "/forget")
        assert question.text == texts.FORGET_CONFIRM
        assert list(buttons(question)) == [texts.FORGET_YES, texts.FORGET_NO]
        assert await presses(vk, question, texts.FORGET_YES, user=STRANGER) == (
            texts.NOT_YOUR_BUTTON
        )
        seen = len(vk.sent)
        await presses(vk, question, texts.FORGET_YES)
        assert (await next_message(vk, seen)).text == texts.DATA_DELETED
        assert (await says(vk, "Мои обращения")).text == texts.MY_EMPTY


@run_async
async def test_help_and_unknown_commands_in_words_and_slashes(tmp_path, saratov):
    async with running_bot(tmp_path, saratov) as vk:
        assert (await says(vk, "Помощь")).text == texts.HELP
        assert (await says(vk, "Начать")).text == texts.START
        unknown = await says(vk, "/weather")
        assert "/help" in unknown.text and not NUMBER.search(unknown.text)


@run_async
async def test_the_answer_from_the_body_then_solved_and_a_rating(tmp_path, saratov):
    async with running_bot(tmp_path, saratov) as vk:
        accepted = await says(vk, APPEAL)
        number = NUMBER.search(accepted.text).group()
        card = await vk.wait_for_sent(lambda m: m.peer_id == ADMIN and number in m.text)

        seen = len(vk.sent)
        await vk.user_sends_text(ADMIN, "Фонарь заменили.", reply_to=card.message_id)
        answer = await next_message(vk, seen, "Ответ")
        assert CITY_NAME in answer.text and "Фонарь заменили." in answer.text
        solved = await next_message(vk, seen, texts.ASK_SOLVED.format(number=number))
        assert list(buttons(solved)) == [texts.SOLVED_YES, texts.SOLVED_NO]

        seen = len(vk.sent)
        await presses(vk, solved, texts.SOLVED_YES)
        rating = await next_message(vk, seen, texts.ASK_RATING.format(number=number))
        assert list(buttons(rating)) == ["1", "2", "3", "4", "5"]
        seen = len(vk.sent)
        await presses(vk, rating, "4")
        thanks = await next_message(vk, seen)
        assert thanks.text == texts.THANKS_FOR_RATING.format(number=number)
        # A second tap on the old rating changes nothing and sends nothing.
        seen = len(vk.sent)
        await presses(vk, rating, "1")
        listing = await says(vk, "/my")
        assert vk.sent[seen:] == [listing] and texts.STATE_NAMES["closed"] in listing.text


#: A real appeal (Kursk data) that names no place: every topic it might be waits for the place,
#: so a topic question would buy nothing. The community used to offer four topics first.
NO_PLACE_SIDEWALK = (
    "На тротуарах на проспекте Плевицкой имеются множественные загрязнения в результате смыва "
    "грунта. Прошу произвести уборку тротуара и предусмотреть мероприятия по предотвращению "
    "смыва грунта на тротуар."
)


@run_async
async def test_a_topic_question_that_would_change_nothing_is_not_asked(tmp_path, saratov):
    async with running_bot(tmp_path, saratov) as vk:
        question = await says(vk, NO_PLACE_SIDEWALK, first="Обращение")
        number = NUMBER.search(question.text).group()
        assert "населённом пункте" in question.text
        assert not any(m.text.startswith(texts.ASK_TOPIC.format(number=number))
                       for m in vk.sent if m.peer_id == CITIZEN)

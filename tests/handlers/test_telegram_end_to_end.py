"""The whole Telegram path: a real aiogram ``Bot`` and ``Dispatcher`` polling the emulator, the
real core on a temporary SQLite file, the real classifier and the shipped Saratov table (with the
city administration given a Telegram chat). Nothing of aiogram is mocked.
"""

from __future__ import annotations

import asyncio

from tests.app_world import (  # the autouse fixture builds the classifier
    APPEAL,
    NUMBER,
    saratov_built_outside_the_deadline,  # noqa: F401
    telegram_only,
)
from tests.app_world import TG_ADMIN as ADMIN
from tests.emulators.aio import run_async

CITIZEN = 1001


@run_async
async def test_appeal_reaches_the_body_and_the_answer_reaches_the_citizen(tmp_path):
    async with telegram_only(tmp_path) as (tg, group):
        tg.user_sends_text(CITIZEN, APPEAL)
        accepted = await tg.wait_for(lambda c: c.chat_id == CITIZEN and c.method == "sendMessage")
        number = NUMBER.search(accepted.text).group()
        card = await tg.wait_for(lambda c: c.chat_id == group and number in (c.body or ""))
        assert "фонарь" in card.body

        seen = len(tg.sent)
        tg.user_sends_text(ADMIN, "Фонарь заменим до пятницы.", chat_id=group,
                           reply_to=card.message_id)
        answer = await tg.wait_for(lambda c: c.chat_id == CITIZEN, since=seen)
        assert number in answer.text and "Фонарь заменим до пятницы." in answer.text


@run_async
async def test_start_greets_without_making_an_appeal(tmp_path):
    async with telegram_only(tmp_path) as (tg, _group):
        tg.user_sends_text(CITIZEN, "/start")
        greeting = await tg.wait_for(lambda c: c.chat_id == CITIZEN)
        assert "Здравствуйте" in greeting.text and not NUMBER.search(greeting.text)


@run_async
async def test_the_same_message_delivered_twice_makes_one_ticket(tmp_path):
    async with telegram_only(tmp_path) as (tg, group):
        message = tg.user_sends_text(CITIZEN, APPEAL)
        tg._push("message", message)  # Telegram re-delivers an unconfirmed update: same message
        first = await tg.wait_for(lambda c: c.chat_id == CITIZEN)
        number = NUMBER.search(first.text).group()
        await tg.wait_for(lambda c: c.chat_id == group)
        await asyncio.sleep(0.3)  # room for a second ticket, if there were going to be one
        numbers = {m for c in tg.sent for m in NUMBER.findall(c.body or "")}
        assert numbers == {number}
        assert len([c for c in tg.sent_to(group) if number in (c.body or "")]) == 1


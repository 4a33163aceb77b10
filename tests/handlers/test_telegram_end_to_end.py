"""The whole Telegram path: a real aiogram ``Bot`` and ``Dispatcher`` polling the emulator, the
real core on a temporary SQLite file, the real classifier and the shipped Saratov table (with the
city administration given a Telegram chat). Nothing of aiogram is mocked.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import re
from pathlib import Path

import pytest

from bot.app import run_telegram
from config import Settings
from routing.classify import Classifier
from routing.model import RoutingTable
from routing.tablefile import load_table
from tests.emulators.aio import run_async
from tests.emulators.telegram import Limits, TelegramEmulator

ROOT = Path(__file__).resolve().parents[2]
CITIZEN = 1001
ADMIN = 2002
CITY = "adm-63701000"
APPEAL = "В Саратове на ул. Московской не горит фонарь уже неделю"
NUMBER = re.compile(r"\b\d{2}-\d{6}\b")


@pytest.fixture(scope="module")
def saratov() -> tuple[RoutingTable, Classifier]:
    """The shipped table, but the city administration reads a Telegram chat of its own."""
    shipped = load_table(ROOT / "routing" / "tables" / "saratov.yaml")
    return shipped, Classifier(shipped)


def with_city_chat(table: RoutingTable, chat_id: int) -> RoutingTable:
    bodies = tuple(
        dataclasses.replace(b, telegram_chat=str(chat_id)) if b.id == CITY else b
        for b in table.bodies
    )
    return RoutingTable(table.region, table.municipalities, table.topics, bodies)


@contextlib.asynccontextmanager
async def running_bot(tmp_path: Path, saratov):
    """The emulator, its admin group, and `run_telegram` polling it until the test ends."""
    shipped, classifier = saratov
    async with TelegramEmulator(limits=Limits(enabled=False)) as tg:
        group = tg.create_forum_group(admin_user_id=ADMIN, title="Администрация Саратова")
        table = with_city_chat(shipped, group)
        settings = Settings(
            _env_file=None,
            telegram_bot_token=tg.token,
            telegram_api_base=tg.base_url,
            database_url=f"sqlite:///{tmp_path / 'bot.sqlite3'}",
        )
        bot = asyncio.create_task(
            run_telegram(settings, table, classifier, polling_timeout=1, handle_signals=False)
        )
        try:
            yield tg, group
        finally:
            bot.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await bot


@run_async
async def test_appeal_reaches_the_body_and_the_answer_reaches_the_citizen(tmp_path, saratov):
    async with running_bot(tmp_path, saratov) as (tg, group):
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
async def test_start_greets_without_making_an_appeal(tmp_path, saratov):
    async with running_bot(tmp_path, saratov) as (tg, _group):
        tg.user_sends_text(CITIZEN, "/start")
        greeting = await tg.wait_for(lambda c: c.chat_id == CITIZEN)
        assert "Здравствуйте" in greeting.text and not NUMBER.search(greeting.text)


@run_async
async def test_the_same_message_delivered_twice_makes_one_ticket(tmp_path, saratov):
    async with running_bot(tmp_path, saratov) as (tg, group):
        message = tg.user_sends_text(CITIZEN, APPEAL)
        tg._push("message", message)  # Telegram re-delivers an unconfirmed update: same message
        first = await tg.wait_for(lambda c: c.chat_id == CITIZEN)
        number = NUMBER.search(first.text).group()
        await tg.wait_for(lambda c: c.chat_id == group)
        await asyncio.sleep(0.3)  # room for a second ticket, if there were going to be one
        numbers = {m for c in tg.sent for m in NUMBER.findall(c.body or "")}
        assert numbers == {number}
        assert len([c for c in tg.sent_to(group) if number in (c.body or "")]) == 1


"""What the resilience and album tests share: the emulator with a body's forum group, and the
real bot (`bot.app.run_telegram`: aiogram, core, SQLite file) started and stopped at will, so a
test can stop it mid-dialog and start a new one on the same database."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import re
from collections.abc import AsyncIterator
from functools import cache
from pathlib import Path
from typing import Any

from bot.app import run_telegram
from config import Settings
from routing.classify import Classifier
from routing.model import RoutingTable
from routing.tablefile import load_table
from tests.emulators.telegram import TelegramEmulator

ROOT = Path(__file__).resolve().parents[2]
ADMIN = 2002
CITY = "adm-63701000"
APPEAL = "В Саратове на ул. Московской не горит фонарь уже неделю"
NUMBER = re.compile(r"\b\d{2}-\d{6}\b")


@cache
def saratov() -> tuple[RoutingTable, Classifier]:
    """The shipped table and its classifier, built once per test run (it takes a while)."""
    table = load_table(ROOT / "routing" / "tables" / "saratov.yaml")
    return table, Classifier(table)


def with_city_chat(table: RoutingTable, chat_id: int) -> RoutingTable:
    bodies = tuple(
        dataclasses.replace(b, telegram_chat=str(chat_id)) if b.id == CITY else b
        for b in table.bodies
    )
    return RoutingTable(table.region, table.municipalities, table.topics, bodies)


@dataclasses.dataclass
class BotWorld:
    """One emulator, the city administration's forum group in it, one database file."""

    tg: TelegramEmulator
    group: int
    database: Path
    settings: dict[str, Any] = dataclasses.field(default_factory=dict)

    @contextlib.asynccontextmanager
    async def bot(self) -> AsyncIterator[None]:
        """The bot runs (long polling) inside the block and is stopped completely after it."""
        shipped, classifier = saratov()
        settings = Settings(
            _env_file=None,
            telegram_bot_token=self.tg.token,
            telegram_api_base=self.tg.base_url,
            database_url=f"sqlite:///{self.database}",
            **self.settings,
        )
        task = asyncio.create_task(
            run_telegram(
                settings,
                with_city_chat(shipped, self.group),
                classifier,
                polling_timeout=1,
                handle_signals=False,
            )
        )
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def numbers_sent_to(self, chat_id: int) -> list[str]:
        return [n for c in self.tg.sent_to(chat_id) for n in NUMBER.findall(c.body or "")]


@contextlib.asynccontextmanager
async def bot_world(tmp_path: Path, **emulator: Any) -> AsyncIterator[BotWorld]:
    async with TelegramEmulator(**emulator) as tg:
        group = tg.create_forum_group(admin_user_id=ADMIN, title="Администрация Саратова")
        yield BotWorld(tg, group, tmp_path / "bot.sqlite3")

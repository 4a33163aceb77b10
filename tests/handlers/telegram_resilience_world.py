"""What the resilience and album tests share: the emulator with a body's forum group, and the
real bot (`bot.serve.serve` on Telegram alone: aiogram, core, SQLite file) started and stopped at
will, so a test can stop it mid-dialog and start a new one on the same database."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from tests.app_world import APPEAL, NUMBER, running, saratov, settings_for, with_city_chats
from tests.app_world import TG_ADMIN as ADMIN
from tests.emulators.telegram import TelegramEmulator

__all__ = ["ADMIN", "APPEAL", "NUMBER", "BotWorld", "bot_world"]


@dataclasses.dataclass
class BotWorld:
    """One emulator, the city administration's forum group in it, one directory for the database."""

    tg: TelegramEmulator
    group: int
    directory: Path
    settings: dict[str, Any] = dataclasses.field(default_factory=dict)

    @contextlib.asynccontextmanager
    async def bot(self) -> AsyncIterator[None]:
        """The bot runs (long polling) inside the block and is stopped completely after it."""
        shipped, _ = saratov()
        table = with_city_chats(shipped, tg=self.group, vk=None)
        async with running(settings_for(self.directory, self.tg, None, **self.settings), table):
            yield

    def numbers_sent_to(self, chat_id: int) -> list[str]:
        return [n for c in self.tg.sent_to(chat_id) for n in NUMBER.findall(c.body or "")]


@contextlib.asynccontextmanager
async def bot_world(tmp_path: Path, **emulator: Any) -> AsyncIterator[BotWorld]:
    async with TelegramEmulator(**emulator) as tg:
        group = tg.create_forum_group(admin_user_id=ADMIN, title="Администрация Саратова")
        yield BotWorld(tg, group, tmp_path)

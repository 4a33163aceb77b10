"""The whole bot (`bot.serve.serve`) against both emulators: real aiogram, real vkbottle, the real
core on a temporary SQLite file, the shipped Saratov table with the city administration given a
Telegram group and a VK administrator. Shared by tests/test_cross_channel.py and tests/test_app_*.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.domain.messages import Clock
from bot.serve import serve
from config import Settings
from routing.classify import Classifier
from routing.model import RoutingTable
from routing.tablefile import load_table
from tests.emulators.telegram import Limits, TelegramEmulator
from tests.emulators.vk import VKEmulator

ROOT = Path(__file__).resolve().parent.parent
CITY = "adm-63701000"
APPEAL = "В Саратове на ул. Московской не горит фонарь уже неделю"
NUMBER = re.compile(r"\b\d{2}-\d{6}\b")
TG_ADMIN = 2002
VK_ADMIN = 300_400

_SHIPPED: tuple[RoutingTable, Classifier] | None = None


def saratov() -> tuple[RoutingTable, Classifier]:
    global _SHIPPED
    if _SHIPPED is None:
        table = load_table(ROOT / "routing" / "tables" / "saratov.yaml")
        _SHIPPED = (table, Classifier(table))
    return _SHIPPED


@pytest.fixture(scope="module", autouse=True)
def saratov_built_outside_the_deadline() -> None:
    """Import this autouse fixture into a test module: the classifier takes a while to build,
    so it is built before the module's first test starts its 10-second deadline."""
    saratov()


def with_city_chats(table: RoutingTable, *, tg: int | None, vk: int | None) -> RoutingTable:
    bodies = tuple(
        dataclasses.replace(
            b,
            telegram_chat=str(tg) if tg is not None else None,
            vk_peer=str(vk) if vk is not None else None,
        )
        if b.id == CITY
        else b
        for b in table.bodies
    )
    return RoutingTable(table.region, table.municipalities, table.topics, bodies)


@dataclasses.dataclass
class World:
    tg: TelegramEmulator
    vk: VKEmulator
    group: int  # the city administration's Telegram forum group
    settings: Settings


def settings_for(
    tmp_path: Path, tg: TelegramEmulator | None, vk: VKEmulator | None, **extra: Any
) -> Settings:
    values: dict[str, Any] = {
        "database_url": f"sqlite:///{tmp_path / 'bot.sqlite3'}",
        "data_dir": tmp_path / "data",
    }
    if tg is not None:
        values |= {"telegram_bot_token": tg.token, "telegram_api_base": tg.base_url}
    if vk is not None:
        values |= {"vk_group_token": vk.token, "vk_group_id": vk.group_id}
        values["vk_api_base"] = vk.base_url
    return Settings(_env_file=None, **(values | extra))


@contextlib.asynccontextmanager
async def running(
    settings: Settings, table: RoutingTable, clock: Clock | None = None,
    classifier: Classifier | None = None,
) -> AsyncIterator[None]:
    """`serve` in a task until the block ends; the block starts once every channel receives.
    ``clock``: the bot's time, when a test moves it (deadlines); ``classifier``: another than
    the shipped Saratov one."""
    if classifier is None:
        _, classifier = saratov()
    started = asyncio.Event()
    task = asyncio.create_task(
        serve(settings, table, classifier, polling_timeout=1, handle_signals=False,
              started=started, clock=clock)
    )
    waiter = asyncio.create_task(started.wait())
    await asyncio.wait([task, waiter], return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        waiter.cancel()
        task.result()  # raises what stopped the start
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@contextlib.asynccontextmanager
async def both_channels(tmp_path: Path, **extra: Any) -> AsyncIterator[World]:
    """Both emulators and the bot on both; the city administration sits in a Telegram group and
    in the VK dialogue of ``VK_ADMIN`` (who has allowed the community to write)."""
    shipped, _ = saratov()
    async with TelegramEmulator(limits=Limits(enabled=False)) as tg, VKEmulator() as vk:
        group = tg.create_forum_group(admin_user_id=TG_ADMIN, title="Администрация Саратова")
        await vk.user_allows_messages(VK_ADMIN)
        table = with_city_chats(shipped, tg=group, vk=VK_ADMIN)
        settings = settings_for(tmp_path, tg, vk, **extra)
        async with running(settings, table):
            if settings.vk_callback_confirmation is None:
                await vk.wait_for_listener()
            yield World(tg, vk, group, settings)


@contextlib.asynccontextmanager
async def telegram_only(
    tmp_path: Path, **extra: Any
) -> AsyncIterator[tuple[TelegramEmulator, int]]:
    """The Telegram emulator (limits off) with the city administration's forum group, and the
    bot on Telegram alone until the block ends; yields the emulator and the group."""
    shipped, _ = saratov()
    async with TelegramEmulator(limits=Limits(enabled=False)) as tg:
        group = tg.create_forum_group(admin_user_id=TG_ADMIN, title="Администрация Саратова")
        table = with_city_chats(shipped, tg=group, vk=None)
        async with running(settings_for(tmp_path, tg, None, **extra), table):
            yield tg, group


def operator_env(tmp_path: Path, **settings: str) -> dict[str, str]:
    """The environment of ``python -m bot`` as an operator starts it: nothing of the developer's
    shell but ``PATH``, its data and its SQLite file under ``tmp_path``, then ``settings``."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "PYTHONPATH": str(ROOT),
        "PYTHONUTF8": "1",
        "DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.sqlite3'}",
        **settings,
    }


def free_port() -> int:
    """A port nothing listens on right now (the OS picks it), for the webhook server."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]

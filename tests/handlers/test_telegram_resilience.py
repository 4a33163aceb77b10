"""Telegram resilience end to end: stopping cleanly, restarting mid-dialog, a 429 storm, and
messages at Telegram's size limits. The real aiogram bot polls the emulator; nothing of aiogram
is mocked.
"""

from __future__ import annotations

import asyncio
import logging

from bot.core.appeals import AppealCore
from bot.core.fake import FakeTransport
from bot.core.service import CoreService
from config import Settings
from routing.model import RoutingTable
from tests.emulators.aio import run_async


class _NoClassifier:
    def classify(self, *args, **kwargs):
        raise AssertionError("not used")


@run_async
async def test_stopping_while_the_first_deadline_scan_runs_logs_no_error(monkeypatch, caplog):
    """The scan starts with the bot; stopping at that moment waits for it instead of cancelling
    it (a cancelled APScheduler job is logged as an ERROR with a traceback)."""
    scan_started = asyncio.Event()
    scans_finished: list[int] = []
    original = AppealCore.scan_deadlines

    async def slow_scan(self):
        scan_started.set()
        await asyncio.sleep(0.2)  # a scan over many tickets takes a while
        scans_finished.append(await original(self))
        return scans_finished[-1]

    monkeypatch.setattr(AppealCore, "scan_deadlines", slow_scan)
    service = CoreService.build(
        database_url="sqlite:///:memory:",
        table=RoutingTable("Саратовская область", (), (), ()),
        classifier=_NoClassifier(),
        transports={"tg": FakeTransport("tg")},
        settings=Settings(_env_file=None),
    )
    caplog.set_level(logging.INFO)
    await service.start()
    await asyncio.wait_for(scan_started.wait(), 2)
    await service.stop()

    assert scans_finished == [0]
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []

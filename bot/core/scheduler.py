"""Periodic triggers: APScheduler only says "scan now"; what is due is decided from the database.

Nothing about a ticket's timers lives in the scheduler's memory or its job store, so there is
nothing to lose on restart: the first scan after start catches up on everything that became due
while the bot was down (`AppealCore.scan_deadlines` skips stale reminders and sends the latest).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_SUBMITTED
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.core.appeals import AppealCore

DEADLINE_SCAN_JOB = "deadline-scan"
RETENTION_SCAN_JOB = "retention-scan"
#: Retention is counted in days: a scan every few hours keeps the promise to within a day.
RETENTION_SCAN_SECONDS = 6 * 3600


def build_scheduler(
    core: AppealCore, *, scan_every_seconds: float = 300, timezone: str = "UTC"
) -> AsyncIOScheduler:
    """A scheduler with the deadline scan; start it inside the running event loop."""
    scheduler = AsyncIOScheduler(timezone=timezone)
    scheduler.add_job(
        core.scan_deadlines,
        "interval",
        seconds=scan_every_seconds,
        id=DEADLINE_SCAN_JOB,
        # A scan that overlaps the next, or several missed while the loop was busy, is one scan.
        max_instances=1,
        coalesce=True,
        misfire_grace_time=None,
        # The first scan runs as soon as the scheduler starts, to catch up after downtime.
        next_run_time=datetime.now(UTC),
    )
    scheduler.add_job(
        core.anonymise_expired,
        "interval",
        seconds=RETENTION_SCAN_SECONDS,
        id=RETENTION_SCAN_JOB,
        max_instances=1,
        coalesce=True,
        misfire_grace_time=None,
        next_run_time=datetime.now(UTC),
    )
    return scheduler


class RunningJobs:
    """Counts the scheduler's jobs in flight, so that stopping can wait for them.

    ``AsyncIOScheduler.shutdown`` cannot wait for coroutine jobs: it cancels them, and APScheduler
    then logs the cancelled deadline scan as an ERROR with a traceback (a bot stopped within a
    second of its start did exactly that). The counter follows the scheduler's own events, so a
    scan submitted but not yet started counts too.
    """

    def __init__(self, scheduler: AsyncIOScheduler) -> None:
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        scheduler.add_listener(self._submitted, EVENT_JOB_SUBMITTED)
        scheduler.add_listener(self._finished, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)

    def _submitted(self, event: object) -> None:
        self._in_flight += 1
        self._idle.clear()

    def _finished(self, event: object) -> None:
        self._in_flight = max(0, self._in_flight - 1)
        if self._in_flight == 0:
            self._idle.set()

    async def wait_idle(self, timeout: float) -> bool:
        """``True`` once no job runs; ``False`` if one still runs after ``timeout`` seconds."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True

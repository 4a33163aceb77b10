"""Periodic triggers: APScheduler only says "scan now"; what is due is decided from the database.

Nothing about a ticket's timers lives in the scheduler's memory or its job store, so there is
nothing to lose on restart: the first scan after start catches up on everything that became due
while the bot was down (`AppealCore.scan_deadlines` skips stale reminders and sends the latest).
"""

from __future__ import annotations

from datetime import UTC, datetime

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
        core.citizen.anonymise_expired,
        "interval",
        seconds=RETENTION_SCAN_SECONDS,
        id=RETENTION_SCAN_JOB,
        max_instances=1,
        coalesce=True,
        misfire_grace_time=None,
        next_run_time=datetime.now(UTC),
    )
    return scheduler

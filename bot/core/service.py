"""The core assembled and running: repository, `AppealCore`, outbox worker and the scan.

What ``python -m bot`` (and the adapters' tests) start and stop around the channels. Start
order matters: migrations first, then settling rows a crash left half-sent, then the worker and
the scheduler (whose first scan catches up on deadlines missed while the bot was down).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from redis.asyncio import Redis

from bot.core.appeals import AppealCore
from bot.core.flood_redis import flood_guard
from bot.core.ports import Addressee, Classifies
from bot.core.scheduler import RunningJobs, build_scheduler
from bot.core.settings import flood_windows, outbox_options, rate_limits, working_calendar
from bot.delivery.outbox import Outbox
from bot.delivery.ratelimit import RateLimiter
from bot.delivery.signals import DeliverySignals
from bot.delivery.transport import Transport
from bot.domain.messages import Clock, SystemClock
from bot.storage.base import Repository
from bot.storage.select import repository_from_url
from config import Settings
from routing.model import RoutingTable

log = logging.getLogger("bot.core")

#: How long stopping waits for a deadline scan in progress before cancelling it.
SCAN_STOP_TIMEOUT = 10.0


@dataclass
class CoreService:
    repo: Repository
    core: AppealCore
    outbox: Outbox
    scheduler: AsyncIOScheduler
    _stop: asyncio.Event | None = None
    _worker: asyncio.Task | None = None
    # Run once the database is open, before the worker and the first deadline scan: e.g. putting
    # the routing table version from the database in force (`bot.core.coordination`).
    before_work: list[Callable[[], Awaitable[object]]] = field(default_factory=list)
    _jobs: RunningJobs | None = None

    def __post_init__(self) -> None:
        self._jobs = RunningJobs(self.scheduler)

    @classmethod
    def build(
        cls,
        *,
        database_url: str,
        table: RoutingTable,
        classifier: Classifies,
        transports: dict[str, Transport],
        coordinators: Sequence[Addressee] = (),
        settings: Settings | None = None,
        clock: Clock | None = None,
        redis: Redis | None = None,
    ) -> CoreService:
        settings = settings or Settings(_env_file=None)
        clock = clock or SystemClock()
        repo = repository_from_url(database_url)
        signals = DeliverySignals()  # the core wakes the outbox; the outbox tells the core
        core = AppealCore(
            repo,
            table,
            classifier,
            working_calendar(settings),
            clock,
            coordinators=coordinators,
            reminder_fractions=settings.reminder_fractions,
            on_enqueue=signals.wake,
            sends_recorded=signals.recorded,
            retention=timedelta(days=settings.retention_days),
            flood=flood_guard(clock, flood_windows(settings), redis),
        )
        outbox = Outbox(
            repo,
            transports,
            clock,
            RateLimiter(clock, rate_limits(settings)),
            signals=signals,
            on_unreachable=core.citizen_unreachable,
            **outbox_options(settings),
        )
        scheduler = build_scheduler(core, scan_every_seconds=settings.deadline_scan_seconds)
        return cls(repo, core, outbox, scheduler)

    async def start(self) -> None:
        await self.repo.open()
        await self.core.load_staff()  # administrators' chats, bound by invites
        for prepare in self.before_work:
            await prepare()
        await self.outbox.recover()
        self._stop = asyncio.Event()
        self._worker = asyncio.create_task(self.outbox.run_forever(self._stop), name="outbox")
        self.scheduler.start()

    async def stop(self) -> None:
        """Let a running deadline scan and the worker's message in hand finish, then close the
        database. The scheduler is paused first, so no new scan starts while we wait."""
        if self.scheduler.running:
            self.scheduler.pause()
            if not await self._jobs.wait_idle(SCAN_STOP_TIMEOUT):
                log.warning(
                    "deadline scan still running after %.0f s: cancelled",
                    SCAN_STOP_TIMEOUT,
                )
            self.scheduler.shutdown(wait=False)
        if self._stop is not None and self._worker is not None:
            self._stop.set()
            try:
                await asyncio.wait_for(self._worker, timeout=self.outbox.send_timeout + 1)
            except TimeoutError:
                self._worker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._worker
        await self.repo.close()

    async def __aenter__(self) -> CoreService:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

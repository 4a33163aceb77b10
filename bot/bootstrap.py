"""The composition root: the bot built from `config.Settings`, every part given what it needs.

This module (with `bot.serve`, which starts what is built here) is the only one that imports
`config`, `redis` and `apscheduler`, and the only one that picks the storage: everything else
receives its collaborators in its constructor, and nothing is assigned onto an object after it
is built. What it builds:

- from the settings, the core's objects: the working calendar, rate limits, retry options and
  flood windows (the settings live in `config.Settings` and `.env.example`, which never import
  the core);
- the classifier (`build_classifier`: CPU and disk work, to be done before the event loop
  starts, never inside a handler);
- `CoreService`: the repository, the core, the outbox, the coordinator tools and the periodic
  scans, started and stopped in the right order, and the `Metrics` the core and the outbox
  report to (`bot.health` shows them);
- the channels: the aiogram bot and dispatcher, the vkbottle API and bot, the transports and the
  file bridge between them;
- the Redis client that several processes share (``REDIS_URL``; none: one process, everything in
  memory). The state of every dialog is in the database, with or without Redis; Redis carries
  what would otherwise live in one process's memory: aiogram's storage with per-chat
  ``events_isolation`` for Telegram, `handlers.vk.isolation.RedisIsolation` for VK, the flood
  counters (`bot.storage.flood_redis`), album parts (`handlers.telegram.albums_redis`) and the
  platforms' per-token limits (`bot.delivery.ratelimit_redis`).

The core and the outbox need each other at run time; `DeliverySignals` is built first and given
to both, then the core, then the outbox with the core's ``delivery_refused``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.telegram import PRODUCTION, TelegramAPIServer
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_SUBMITTED
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from redis.asyncio import Redis
from vkbottle import API, AiohttpClient
from vkbottle.bot import Bot as VKBot
from vkbottle.bot import BotLabeler

from bot.addresses.dadata import DaDataAddresses
from bot.core.appeals import AppealCore
from bot.core.coordination import Coordination
from bot.core.coordinator_tools import CoordinatorTools
from bot.core.flood import FloodWindow
from bot.core.learning import Learning
from bot.core.pages import PageTools
from bot.core.ports import Addressee, AddressService, Classifies, Core
from bot.core.sealing import Sealer
from bot.delivery.files import FileBridge, FileSource
from bot.delivery.inbox import Inbox, Process
from bot.delivery.outbox import Outbox
from bot.delivery.ratelimit import VK_WINDOW, ChannelLimits, Rate, overall
from bot.delivery.ratelimit_redis import rate_limiter
from bot.delivery.signals import DeliverySignals
from bot.delivery.transport import Transport
from bot.domain import texts
from bot.domain.calendar import WorkingCalendar
from bot.domain.messages import Clock, SystemClock
from bot.metrics import Metrics
from bot.storage.base import Repository
from bot.storage.flood_redis import flood_guard
from bot.storage.select import repository_from_url
from config import Settings
from handlers.telegram.albums import AlbumCollector, Albums
from handlers.telegram.albums_redis import RedisAlbumCollector
from handlers.telegram.coordinator import build_coordinator_router
from handlers.telegram.fast_lane import build_fast_lane
from handlers.telegram.polling import ConfirmingDispatcher
from handlers.telegram.router import build_router, incoming_from_message
from handlers.telegram.session import TelegramSession
from handlers.telegram.topics import ForumTopics
from handlers.telegram.transport import TelegramFiles, TelegramTransport
from handlers.vk.coordinator import VKCoordinator
from handlers.vk.inbound import VKInbound, make_vk_bot
from handlers.vk.inbox import HandlerErrorsRaised
from handlers.vk.isolation import isolation_for
from handlers.vk.pages import VKCommunityLookup, VKPages
from handlers.vk.transport import VKFiles, VKTransport
from handlers.vk.wall import VKWall
from routing.classify import Classifier
from routing.model import RoutingTable

log = logging.getLogger("bot.core")

#: Fail fast rather than hang a handler when Redis is away (each user falls back or logs).
REDIS_TIMEOUT_SECONDS = 5.0
#: How long stopping waits for a deadline scan in progress before cancelling it.
SCAN_STOP_TIMEOUT = 10.0
DEADLINE_SCAN_JOB = "deadline-scan"
RETENTION_SCAN_JOB = "retention-scan"
MODEL_RETRAIN_JOB = "model-retrain"
#: Retention is counted in days: a scan every few hours keeps the promise to within a day.
RETENTION_SCAN_SECONDS = 6 * 3600


# == settings → the core's objects ===============================================================
def working_calendar(settings: Settings) -> WorkingCalendar:
    """Russia's production calendar (the ``holidays`` package), with ``HOLIDAYS`` and
    ``WORKING_WEEKENDS`` as overrides on top of it."""
    return WorkingCalendar.build(
        settings.holidays or (), settings.working_weekends, settings.timezone
    )


def warn_calendar_gaps(calendar: WorkingCalendar, now: datetime) -> list[str]:
    """Warn the operator (the log at start) about this year or the next when the production
    calendar does not know its moved days off; returns the warnings. Also loads those years,
    so that no appeal pays for it."""
    today = now.astimezone(calendar.timezone).date()
    calendar.warm_up(today.year, today.year + 1)
    warnings = [texts.CALENDAR_YEAR_UNKNOWN.format(year=y) for y in calendar.coverage_gaps(today)]
    for warning in warnings:
        log.warning(warning)
    return warnings


def rate_limits(settings: Settings) -> dict[str, ChannelLimits]:
    per_minute = settings.telegram_group_chat_per_minute
    return {
        "tg": ChannelLimits(
            overall=overall(settings.telegram_messages_per_second),
            private_chat=Rate(settings.telegram_private_chat_per_second, 1),
            group_chat=Rate(per_minute / 60, max(1.0, min(3.0, per_minute)), window=60.0),
        ),
        "vk": ChannelLimits(overall=overall(settings.vk_requests_per_second, VK_WINDOW)),
    }


def platform_tokens(settings: Settings) -> dict[str, str]:
    """The tokens whose limits processes share through Redis (the limiter keeps only a hash)."""
    configured = {"tg": settings.telegram_bot_token, "vk": settings.vk_group_token}
    return {channel: t.get_secret_value() for channel, t in configured.items() if t is not None}


def outbox_options(settings: Settings) -> dict[str, float]:
    return {
        "max_attempts": settings.outbox_max_attempts,
        "backoff_base": settings.outbox_backoff_seconds,
        "backoff_cap": settings.outbox_backoff_cap_seconds,
    }


def inbox_options(settings: Settings) -> dict[str, Any]:
    return {
        "max_attempts": settings.inbox_max_attempts,
        "backoff_base": settings.inbox_backoff_seconds,
        "backoff_cap": settings.inbox_backoff_cap_seconds,
        # SQLite: one process has the database; it takes up every row left pending at once.
        "exclusive": settings.database_url.startswith("sqlite"),
    }


def flood_windows(settings: Settings) -> tuple[FloodWindow, ...]:
    return (
        FloodWindow(settings.flood_messages_per_minute, timedelta(minutes=1)),
        FloodWindow(settings.flood_messages_per_hour, timedelta(hours=1)),
    )


def build_classifier(settings: Settings, table: RoutingTable) -> Classifier:
    """The classifier for ``table``, with the trained model if ``ROUTING_MODEL`` is set, its
    lexicon already analysed.

    The warm-up (~1 s for a regional table) runs here, before the channels listen, because
    then it costs no appeal anything: otherwise the first appeals pay ~60 µs for every word
    form of the table they are first to use, and a warm-up thread beside the event loop
    would take the GIL from it. Its analyses stay in the process-wide `Morphology` cache, so
    a classifier built later for a swapped table finds the same forms cheaply.
    """
    model = None
    if settings.routing_model is not None:
        from routing.learn import AppealModel

        model = AppealModel.load(settings.routing_model, table)
    classifier = Classifier(table, model, route_precision=settings.route_precision)
    classifier.warm_up()
    return classifier


def address_service(settings: Settings, table: RoutingTable) -> AddressService | None:
    """DaData when ``DADATA_API_KEY`` is set (suggestions kept to the table's region)."""
    if settings.dadata_api_key is None:
        return None
    region = table.region.split()[0] if table.region else None
    return DaDataAddresses(settings.dadata_api_key.get_secret_value(), settings.dadata_url,
                           region=region)


def connect_redis(settings: Settings) -> Redis | None:
    """The shared client for ``REDIS_URL``, or ``None`` (one process, everything in memory).
    Connects lazily: the first command opens the connection."""
    if not settings.redis_url:
        return None
    return Redis.from_url(
        settings.redis_url,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
    )


# == the periodic scans ===========================================================================
def build_scheduler(
    core: AppealCore, *, scan_every_seconds: float = 300, timezone: str = "UTC"
) -> AsyncIOScheduler:
    """A scheduler with the deadline and retention scans; start it inside the running loop.

    APScheduler only says "scan now"; what is due is decided from the database. Nothing about a
    ticket's timers lives in the scheduler's memory or its job store, so there is nothing to
    lose on restart: the first scan after start catches up on everything that became due while
    the bot was down (`AppealCore.scan_deadlines` skips stale reminders and sends the latest).
    """
    scheduler = AsyncIOScheduler(timezone=timezone)
    scans = (
        (DEADLINE_SCAN_JOB, core.scan_deadlines, scan_every_seconds),
        (RETENTION_SCAN_JOB, core.anonymise_expired, RETENTION_SCAN_SECONDS),
    )
    for name, scan, seconds in scans:
        scheduler.add_job(
            scan,
            "interval",
            seconds=seconds,
            id=name,
            # A scan that overlaps the next, or several missed while the loop was busy, is one.
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
            # The first scan runs as soon as the scheduler starts, to catch up after downtime.
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


# == the core, assembled and running =============================================================
@dataclass
class CoreService:
    """Repository, `AppealCore`, outbox worker, coordinator tools and the scans, started and
    stopped around the channels.

    Start order matters: migrations first; then, with ``file_table``, the routing table version
    stored in the database is put in force (`Coordination.sync_with_file`); then rows a crash
    left half-sent are settled; then the worker and the scheduler (whose first scan catches up on
    deadlines missed while the bot was down).
    """

    repo: Repository
    core: AppealCore
    outbox: Outbox
    coordination: Coordination
    tools: CoordinatorTools  # the coordination as both channels' coordinators use it
    scheduler: AsyncIOScheduler
    jobs: RunningJobs
    metrics: Metrics
    #: The ``ROUTING_TABLE`` file, to be synchronised with the stored versions on start;
    #: ``None`` keeps the table the core was built with (tests).
    file_table: RoutingTable | None = None
    #: The retrained model's versions (`bot.core.learning`); its job is in ``scheduler``.
    learning: Learning | None = None
    _stop: asyncio.Event | None = None
    _worker: asyncio.Task | None = None

    @classmethod
    def build(
        cls,
        *,
        repo: Repository,
        table: RoutingTable,
        classifier: Classifies,
        transports: dict[str, Transport],
        coordinators: Sequence[Addressee] = (),
        settings: Settings | None = None,
        clock: Clock | None = None,
        redis: Redis | None = None,
        sync_table: bool = False,
    ) -> CoreService:
        settings = settings or Settings(_env_file=None)
        clock = clock or SystemClock()
        metrics = Metrics()
        signals = DeliverySignals()  # the core wakes the outbox and waits for recorded sends
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
            observer=metrics,
            addresses=address_service(settings, table),
            console_url=str(settings.public_url) if settings.console_enabled else None,
        )
        outbox = Outbox(
            repo,
            transports,
            clock,
            rate_limiter(clock, rate_limits(settings), redis, platform_tokens(settings)),
            signals=signals,
            on_unreachable=core.delivery_refused,
            observer=metrics,
            **outbox_options(settings),
        )
        coordination = Coordination(
            repo,
            core,
            clock,
            model_path=settings.routing_model,
            route_precision=settings.route_precision,
            coordinators=tuple(coordinators),
        )
        learning = Learning(coordination, Path(settings.data_dir) / "models")
        scheduler = build_scheduler(core, scan_every_seconds=settings.deadline_scan_seconds)
        if settings.model_retrain_hours:
            scheduler.add_job(
                learning.retrain,
                "interval",
                hours=settings.model_retrain_hours,
                id=MODEL_RETRAIN_JOB,
                max_instances=1,  # a retrain that outlasts the interval is not started twice
                coalesce=True,
                misfire_grace_time=None,
            )
        return cls(
            repo,
            core,
            outbox,
            coordination,
            CoordinatorTools(coordination, learning),
            scheduler,
            RunningJobs(scheduler),
            metrics,
            file_table=table if sync_table else None,
            learning=learning,
        )

    async def start(self) -> None:
        warn_calendar_gaps(self.core.calendar, self.core.clock.now())
        await self.repo.open()
        await self.core.load_staff()  # administrators' chats, bound by invites
        if self.file_table is not None:
            await self.coordination.sync_with_file(self.file_table)
        if self.learning is not None:
            await self.learning.restore()  # the retrained model in force before the restart
        await self.outbox.recover()
        self._stop = asyncio.Event()
        self._worker = asyncio.create_task(self.outbox.run_forever(self._stop), name="outbox")
        self.scheduler.start()

    def delivering(self) -> bool:
        """Whether the outbox worker runs (started, and neither stopped nor dead)."""
        return self._worker is not None and not self._worker.done()

    async def stop(self) -> None:
        """Let a running deadline scan and the worker's message in hand finish, then close the
        database. The scheduler is paused first, so no new scan starts while we wait."""
        if self.scheduler.running:
            self.scheduler.pause()
            if not await self.jobs.wait_idle(SCAN_STOP_TIMEOUT):
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
        if self.core.desk.addresses is not None:
            await self.core.desk.addresses.close()
        await self.repo.close()

    async def __aenter__(self) -> CoreService:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()


# == the channels ================================================================================
def build_bot(settings: Settings) -> Bot:
    if settings.telegram_bot_token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN не задан")
    api = PRODUCTION
    if settings.telegram_api_base is not None:
        api = TelegramAPIServer.from_base(str(settings.telegram_api_base).rstrip("/"))
    return Bot(settings.telegram_bot_token.get_secret_value(), session=TelegramSession(api=api))


def build_vk_api(settings: Settings) -> API:
    """A vkbottle `API` with its own HTTP client (vkbottle shares one per process otherwise)."""
    if settings.vk_group_token is None:
        raise ValueError("VK_GROUP_TOKEN не задан")
    api = API(settings.vk_group_token.get_secret_value(), http_client=AiohttpClient())
    if settings.vk_api_base is not None:  # vkbottle takes its address as a class attribute
        api.API_URL = str(settings.vk_api_base).rstrip("/") + "/method/"
    return api


def build_file_bridge(telegram: Bot | None, vk: API | None) -> FileBridge:
    """Where a ticket's files are downloaded from: the channel each came through (the
    transports of the other channel, and the web console's attachment links)."""
    sources: dict[str, FileSource] = {}
    if telegram is not None:
        sources["tg"] = TelegramFiles(telegram)
    if vk is not None:
        sources["vk"] = VKFiles(vk)
    return FileBridge(sources)


def build_service(
    settings: Settings,
    table: RoutingTable,
    classifier: Classifies,
    *,
    telegram: Bot | None,
    vk: API | None,
    redis: Redis | None,
    clock: Clock | None = None,
    vk_pages: VKPages | None = None,
) -> CoreService:
    """Everything behind the channels, on the database of ``DATABASE_URL``, sending through the
    channels that are on (``telegram``, ``vk``: their checked clients, or ``None``; VK's
    connected pages through ``vk_pages``, their own tokens)."""
    repo = repository_from_url(settings.database_url)
    files = build_file_bridge(telegram, vk)  # a photo sent in one channel, shown in the other
    transports: dict[str, Transport] = {}
    if telegram is not None:
        transports["tg"] = TelegramTransport(telegram, topics=ForumTopics(repo), files=files)
    if vk is not None:
        transports["vk"] = VKTransport(vk, files=files, pages=vk_pages)
    return CoreService.build(
        repo=repo,
        table=table,
        classifier=classifier,
        transports=transports,
        coordinators=settings.coordinators,
        settings=settings,
        clock=clock,
        redis=redis,
        sync_table=True,  # the table version stored in the database takes effect on start
    )


def sealer_of(settings: Settings) -> Sealer | None:
    """What seals the connected pages' tokens: ``SECRETS_KEY``'s (``None``: not set)."""
    key = settings.secrets_key
    return Sealer(key.get_secret_value()) if key is not None else None


def build_vk_pages(settings: Settings, vk: API) -> VKPages:
    """The connected VK pages' APIs (`handlers.vk.pages`), on the bot's own HTTP client."""
    return VKPages(sealer_of(settings), vk)


def build_page_tools(
    settings: Settings,
    service: CoreService,
    *,
    vk: API | None = None,
    group_id: int | None = None,
    vk_pages: VKPages | None = None,
) -> PageTools:
    """``/page``, ``/pages``, ``/unpage`` (`bot.core.pages`): tokens checked with VK through
    the bot's own client, changes handed to ``vk_pages``. Without VK it answers that VK is
    off; without ``SECRETS_KEY``, that nothing can be connected."""
    lookup = VKCommunityLookup(vk.http_client, vk.API_URL) if vk is not None else None
    return PageTools(
        service.core.desk,
        sealer=sealer_of(settings),
        lookup=lookup,
        own_group_id=group_id,
        callback_path=settings.vk_callback_path if settings.vk_callback else None,
        on_change=vk_pages.take if vk_pages is not None else None,
    )


def build_dispatcher(
    service: CoreService, redis: Redis | None = None, pages: PageTools | None = None
) -> Dispatcher:
    """The Telegram dispatcher; its handlers find the core and the coordinator tools by name.

    With Redis, aiogram's `RedisStorage` with ``events_isolation``: a chat's updates are handled
    one at a time across all processes (a double tap on a button cannot be handled twice in
    parallel). In one process, no FSM at all: no handler keeps aiogram FSM state (dialogs live
    in the core's database), so its middleware would only cost every update ~60 µs for a state
    nobody reads, and the core's duplicate checks and ticket states cover what isolation would.
    """
    options: dict[str, Any] = {"disable_fsm": True}
    albums: Albums = AlbumCollector(incoming_from_message)
    if redis is not None:
        from aiogram.fsm.storage.redis import RedisStorage

        storage = RedisStorage(redis)
        options = {"storage": storage, "events_isolation": storage.create_isolation()}
        # Several processes: an album's parts may reach different ones.
        albums = RedisAlbumCollector(incoming_from_message, redis)
    pages = pages or PageTools(service.core.desk, sealer=None, lookup=None)
    dispatcher = ConfirmingDispatcher(
        **options, core=service.core, tools=service.tools, pages=pages
    )
    # First: a citizen's plain words, most of the traffic. Then: a coordinator's document is
    # a table, not an appeal.
    dispatcher.include_routers(
        build_fast_lane(), build_coordinator_router(), build_router(albums)
    )
    return dispatcher


def build_vk_bot(
    settings: Settings,
    core: Core,
    api: API,
    group_id: int,
    redis: Redis | None,
    tools: CoordinatorTools | None = None,
    pages: PageTools | None = None,
    vk_pages: VKPages | None = None,
) -> VKBot:
    """The vkbottle bot: the handlers on the core (and the coordinator's ``tools``), one peer's
    events at a time (across processes with Redis), the polling state in ``DATA_DIR``,
    handlers' errors raised to the inbox that feeds it; the connected pages' walls
    (``vk_pages``) are read like the bot's own."""
    coordinator = VKCoordinator(tools, api) if tools is not None else None
    inbound = VKInbound(
        core, group_id, isolation_for(redis), coordinator=coordinator, pages=pages
    )
    labeler = VKWall(core, group_id, vk_pages).register(inbound.register(BotLabeler()))
    return make_vk_bot(
        api, labeler, Path(settings.data_dir), error_handler=HandlerErrorsRaised()
    )


def build_inbox(
    settings: Settings, service: CoreService, processors: dict[str, Process]
) -> Inbox:
    """The durable inbox on the service's database, handing stored updates to the channels'
    ``processors``; the coordinators hear of an update it gives up on."""
    return Inbox(
        service.repo,
        service.core.clock,
        processors,
        on_dead=service.core.update_set_aside,
        **inbox_options(settings),
    )

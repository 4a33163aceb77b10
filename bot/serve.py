"""Both channels in one process, run: one `CoreService` (one database, one outbox) for both.

`serve` is what ``python -m bot`` runs; `bot.bootstrap` builds what it starts (this module is
the other half of the composition root, the half that talks to the network). Order of start-up,
and why:

1. each configured channel's token is checked first (Telegram ``getMe``, VK ``groups.getById``;
   `bot.channel_checks`), so a wrong token or a misbehaving server stops the start with one
   clear line (`ChannelStartError`) before the core touches the database or the outbox starts
   sending;
2. the core starts with a transport per channel, and a file bridge so that a photo sent in one
   channel reaches an administrator in the other;
3. the durable inbox (`bot.delivery.inbox`) starts, taking up the updates the last run stored
   and did not handle;
4. each channel starts receiving into the inbox: long polling by default, Telegram's webhook
   when ``TELEGRAM_WEBHOOK_URL`` is set, VK's Callback API when ``VK_CALLBACK_CONFIRMATION`` is
   set; webhooks share one aiohttp server (`build_web_app`), which also answers ``/healthz``
   and ``/metrics`` (`bot.health`) — unless ``METRICS_PORT`` is set: then those two are served
   on that port alone (in polling mode too), so that they need not be public with the webhooks.

It serves until SIGINT/SIGTERM (``handle_signals``), until cancelled, or until a receiving loop
dies; then receiving stops first, the inbox next (the updates in hand finish, the rest wait in
the database for the next start), and the core last.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import secrets
import signal
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiogram import Bot
from aiohttp import web
from vkbottle import API

from bot import heap
from bot.bootstrap import (
    CoreService,
    build_bot,
    build_dispatcher,
    build_file_bridge,
    build_inbox,
    build_page_tools,
    build_service,
    build_vk_api,
    build_vk_bot,
    build_vk_pages,
    connect_redis,
)
from bot.channel_checks import ChannelStartError, check_telegram, check_vk
from bot.console.app import console_app
from bot.console.common import ConsoleOptions, TelegramWidget
from bot.core.pages import PageTools
from bot.core.ports import Classifies
from bot.core.table_console import TableConsole
from bot.delivery.inbox import Inbox, Process
from bot.domain.messages import Clock
from bot.health import HealthEndpoints
from bot.storage.postgres import DatabaseUnavailable
from config import Settings
from handlers.telegram.inbox import TelegramUpdates
from handlers.telegram.polling import poll_until_cancelled
from handlers.telegram.router import publish_commands
from handlers.telegram.webhook import TelegramWebhook
from handlers.vk.callback import VKCallbackEndpoint
from handlers.vk.inbound import VKPollingState
from handlers.vk.inbox import VKUpdates, listen_into_inbox, poll_into_inbox
from handlers.vk.pages import VKPages
from routing.model import RoutingTable

log = logging.getLogger("bot")

# Сообщение для того, кто запускает бота (одна строка, без токенов).
MSG_WEB_PORT = (
    "Не удалось открыть порт {host}:{port} для вебхуков (WEBHOOK_HOST/WEBHOOK_PORT): {reason}"
)
MSG_METRICS_PORT = (
    "Не удалось открыть порт {host}:{port} для /healthz и /metrics (METRICS_PORT): {reason}"
)

DEFAULT_TELEGRAM_PATH = "/telegram/webhook"


def telegram_webhook_path(settings: Settings) -> str:
    """The path of ``TELEGRAM_WEBHOOK_URL`` (behind a proxy the public and local paths match)."""
    path = urlsplit(str(settings.telegram_webhook_url)).path
    return path if path not in ("", "/") else DEFAULT_TELEGRAM_PATH


def build_web_app(
    *,
    telegram: tuple[str, Any] | None = None,
    vk: tuple[str, VKCallbackEndpoint] | None = None,
    health: HealthEndpoints | None = None,
    console: web.Application | None = None,
) -> web.Application:
    """The app with the routes that are on: ``(path, SimpleRequestHandler)`` for Telegram,
    ``(path, VKCallbackEndpoint)`` for VK, ``/healthz`` and ``/metrics``, and the web console
    (`bot.console`) under ``/console/``."""
    app = web.Application()
    if console is not None:
        app.add_subapp("/console", console)
    if health is not None:
        health.register(app)
    if telegram is not None:
        path, handler = telegram
        handler.register(app, path=path)
    if vk is not None:
        path, endpoint = vk
        app.router.add_post(path, endpoint.handle)
    return app


async def serve(
    settings: Settings,
    table: RoutingTable,
    classifier: Classifies,
    *,
    polling_timeout: int = 10,
    handle_signals: bool = True,
    started: asyncio.Event | None = None,
    clock: Clock | None = None,
) -> None:
    """Run every configured channel on one core until stopped (see the module docstring).

    ``started`` is set once everything receives (tests wait for it instead of sleeping).
    Raises `ChannelStartError` if a channel's token or the webhook port is refused.
    """
    async with contextlib.AsyncExitStack() as stack:
        tg_bot = vk_api = vk_pages = group_id = None
        if settings.telegram_enabled:
            tg_bot = build_bot(settings)
            stack.push_async_callback(tg_bot.session.close)
            await check_telegram(tg_bot)
        if settings.vk_enabled:
            vk_api = build_vk_api(settings)
            stack.push_async_callback(vk_api.http_client.close)
            group_id = await check_vk(vk_api, settings.vk_group_id)
            vk_pages = build_vk_pages(settings, vk_api)  # the connected state pages

        redis = connect_redis(settings)  # several processes share these; None: one process
        if redis is not None:
            stack.push_async_callback(redis.aclose)  # after everything that uses it has stopped
        service = build_service(
            settings, table, classifier, telegram=tg_bot, vk=vk_api, redis=redis, clock=clock,
            vk_pages=vk_pages,
        )
        if tg_bot is not None:
            await publish_commands(tg_bot)
        try:
            await stack.enter_async_context(service)
        except DatabaseUnavailable as exc:  # PostgreSQL down or refusing: one line, exit 2
            raise ChannelStartError(str(exc)) from None
        stack.enter_context(service.metrics.counting_logged_errors())

        pages = build_page_tools(
            settings, service, vk=vk_api, group_id=group_id, vk_pages=vk_pages
        )
        await pages.hand_over()  # the pages connected before this start
        if vk_pages is not None:  # a page another process connects since: read on demand
            vk_pages.reread_with(pages.hand_over)
        loops: list[asyncio.Task] = []
        telegram_route = vk_route = None
        processors: dict[str, Process] = {}  # how each channel's stored updates are handled
        if tg_bot is not None:
            dispatcher = build_dispatcher(service, redis, pages)
            processors["tg"] = TelegramUpdates(dispatcher, tg_bot).process
        if vk_api is not None:
            vk_bot = build_vk_bot(
                settings, service.core, vk_api, group_id, redis, tools=service.tools, pages=pages,
                vk_pages=vk_pages,
            )
            processors["vk"] = VKUpdates(vk_bot, vk_api, vk_pages).process
        # Taking up what the last run stored and did not handle; stopped after receiving.
        inbox = await stack.enter_async_context(build_inbox(settings, service, processors))
        if vk_pages is not None:
            stack.push_async_callback(vk_pages.close)  # the pages' polls, before the inbox
        if tg_bot is not None:
            telegram_route = await _start_telegram(
                settings, dispatcher, tg_bot, inbox, loops, polling_timeout
            )
            if telegram_route is not None:
                # Polling emits the dispatcher's startup and shutdown (`start_polling`); a
                # webhook has no such loop. Shutdown hands waiting albums to the core: it
                # runs after the web server stops taking updates and before the core stops.
                workflow = {"dispatcher": dispatcher, "bots": [tg_bot],
                            **dispatcher.workflow_data}
                await dispatcher.emit_startup(bot=tg_bot, **workflow)
                stack.push_async_callback(
                    functools.partial(dispatcher.emit_shutdown, bot=tg_bot, **workflow)
                )
        if vk_api is not None:
            vk_route = _start_vk(settings, vk_bot, group_id, inbox, loops, vk_pages)
        health = HealthEndpoints(
            service.metrics, service.repo, service.core.clock, service.delivering
        )
        console = (
            await _console(settings, service, tg_bot, vk_api, group_id,
                           pages if vk_api is not None else None)
            if settings.console_enabled
            else None
        )
        for app, port, refused in _web_apps(settings, telegram_route, vk_route, health, console):
            runner = web.AppRunner(app)
            await runner.setup()
            stack.push_async_callback(runner.cleanup)
            try:
                await web.TCPSite(runner, settings.webhook_host, port).start()
            except OSError as exc:
                for loop_task in loops:
                    loop_task.cancel()
                raise ChannelStartError(
                    refused.format(
                        host=settings.webhook_host,
                        port=port,
                        reason=exc.strerror or type(exc).__name__,
                    )
                ) from None
            paths = sorted({route.resource.canonical for route in app.router.routes()
                            if route.resource is not None})
            log.info("HTTP-сервер слушает порт %d: %s", port, ", ".join(paths))
        heap.settle()  # everything long-lived is loaded by now
        if started is not None:
            started.set()
        await _until_stopped(loops, handle_signals)


async def _console(
    settings: Settings,
    service: CoreService,
    tg_bot: Bot | None,
    vk_api: API | None,
    group_id: int | None,
    pages: PageTools | None,
) -> web.Application:
    """The web console's sub-application, over the running core (``pages``: the chat's
    ``/page`` tools, ``None`` while VK is off)."""
    username = (await tg_bot.me()).username if tg_bot is not None else None
    widget = None
    if settings.console_telegram_login and username and settings.telegram_bot_token:
        widget = TelegramWidget(username, settings.telegram_bot_token.get_secret_value())
    options = ConsoleOptions(
        timedelta(hours=settings.console_session_hours),
        map_tiles=settings.console_map_tiles,
        telegram_bot=username,
        vk_group=group_id,
        telegram_widget=widget,
    )
    return console_app(
        service.core.desk,
        options,
        files=build_file_bridge(tg_bot, vk_api).fetch,
        table=TableConsole(service.coordination),
        pages_tools=pages,
    )


def _web_apps(
    settings: Settings,
    telegram: tuple[str, Any] | None,
    vk: tuple[str, VKCallbackEndpoint] | None,
    health: HealthEndpoints,
    console: web.Application | None = None,
) -> list[tuple[web.Application, int, str]]:
    """The aiohttp apps to serve, with their ports and the message if a port is refused: the
    webhooks' and the console's (with /healthz and /metrics unless ``METRICS_PORT`` is another
    port), and /healthz and /metrics alone on ``METRICS_PORT``. The console is served in
    polling mode too."""
    apps = []
    webhooks = telegram is not None or vk is not None or console is not None
    metrics_port = settings.metrics_port
    if webhooks:
        shared = metrics_port is None or metrics_port == settings.webhook_port
        app = build_web_app(
            telegram=telegram, vk=vk, health=health if shared else None, console=console
        )
        apps.append((app, settings.webhook_port, MSG_WEB_PORT))
    if metrics_port is not None and not (webhooks and metrics_port == settings.webhook_port):
        apps.append((build_web_app(health=health), metrics_port, MSG_METRICS_PORT))
    return apps


async def _start_telegram(
    settings: Settings,
    dispatcher: Any,
    bot: Any,
    inbox: Inbox,
    loops: list[asyncio.Task],
    timeout: int,
) -> tuple[str, Any] | None:
    if settings.telegram_webhook_url is None:
        # A webhook left from an earlier webhook run would make getUpdates fail with 409.
        await bot.delete_webhook(drop_pending_updates=False)
        loops.append(
            asyncio.create_task(
                poll_until_cancelled(
                    dispatcher, bot, polling_timeout=timeout,
                    handle_signals=False, close_bot_session=False,
                    store_updates=inbox.accept_patiently,
                ),
                name="telegram-polling",
            )
        )
        log.info("Telegram: опрос обновлений запущен")
        return None
    # Without a configured secret a fresh one per start: Telegram gets it in setWebhook, and a
    # request without it is refused all the same.
    secret = (
        settings.telegram_webhook_secret.get_secret_value()
        if settings.telegram_webhook_secret is not None
        else secrets.token_urlsafe(32)
    )
    await bot.set_webhook(
        str(settings.telegram_webhook_url),
        secret_token=secret,
        allowed_updates=dispatcher.resolve_used_update_types(),
    )
    handler = TelegramWebhook(bot, inbox.accept, secret_token=secret)
    log.info("Telegram: вебхук установлен")
    return telegram_webhook_path(settings), handler


def _start_vk(
    settings: Settings,
    vk_bot: Any,
    group_id: int,
    inbox: Inbox,
    loops: list[asyncio.Task],
    pages: VKPages,
) -> tuple[str, VKCallbackEndpoint] | None:
    if settings.vk_callback_confirmation is None:
        loops.append(
            asyncio.create_task(
                poll_into_inbox(vk_bot, group_id, inbox.accept_patiently), name="vk-polling"
            )
        )

        def poll_page(page_id: int, api: Any) -> asyncio.Task[None]:
            # Each page's Bots Long Poll with its own token; its ts beside the bot's own.
            polling = VKPollingState(Path(settings.data_dir), api=api, group_id=page_id)
            listening = listen_into_inbox(polling, page_id, inbox.accept_patiently)
            return asyncio.create_task(listening, name=f"vk-page-polling-{page_id}")

        pages.poll_with(poll_page)
        log.info("ВКонтакте: Bots Long Poll запущен (подключённых страниц: %d)",
                 len(pages.group_ids))
        return None
    secret = settings.vk_callback_secret
    endpoint = VKCallbackEndpoint(
        group_id=group_id,
        confirmation=settings.vk_callback_confirmation.get_secret_value(),
        secret=secret.get_secret_value() if secret is not None else None,
        store=inbox.accept,
        pages=pages,
    )
    log.info("ВКонтакте: Callback API включён")
    return settings.vk_callback_path, endpoint


async def _until_stopped(loops: list[asyncio.Task], handle_signals: bool) -> None:
    """Wait for a signal, a cancellation, or a receiving loop that ended; then stop the loops."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    if handle_signals:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
                installed.append(sig)
    waiter = asyncio.create_task(stop.wait(), name="stop-signal")
    try:
        done, _ = await asyncio.wait([waiter, *loops], return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            error = None if task is waiter or task.cancelled() else task.exception()
            if error is not None:
                raise error
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
        for task in (waiter, *loops):
            task.cancel()
        for task in (waiter, *loops):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


async def run_telegram(
    settings: Settings, table: RoutingTable, classifier: Classifies, **options: Any
) -> None:
    """Telegram alone: `serve` with VK switched off (``options`` are `serve`'s), for the
    Telegram-only tests and embedders; everything else (topics, coordinator tools, webhook
    mode) is the same code."""
    await serve(settings.model_copy(update={"vk_group_token": None}), table, classifier, **options)

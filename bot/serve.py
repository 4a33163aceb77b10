"""Both channels in one process, run: one `CoreService` (one database, one outbox) for both.

`serve` is what ``python -m bot`` runs; `bot.bootstrap` builds what it starts (this module is
the other half of the composition root, the half that talks to the network). Order of start-up,
and why:

1. each configured channel's token is checked first (Telegram ``getMe``, VK ``groups.getById``),
   so a wrong token stops the start with one clear line (`ChannelStartError`) before the core
   touches the database or the outbox starts sending;
2. the core starts with a transport per channel, and a file bridge so that a photo sent in one
   channel reaches an administrator in the other;
3. the durable inbox (`bot.delivery.inbox`) starts, taking up the updates the last run stored
   and did not handle;
4. each channel starts receiving into the inbox: long polling by default, Telegram's webhook
   when ``TELEGRAM_WEBHOOK_URL`` is set, VK's Callback API when ``VK_CALLBACK_CONFIRMATION`` is
   set; webhooks share one aiohttp server (`build_web_app`).

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
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web
from vkbottle import API, VKAPIError

from bot import heap
from bot.bootstrap import (
    build_bot,
    build_dispatcher,
    build_inbox,
    build_service,
    build_vk_api,
    build_vk_bot,
    connect_redis,
)
from bot.core.ports import Classifies
from bot.delivery.inbox import Inbox, Process
from bot.domain.messages import Clock
from bot.storage.postgres import DatabaseUnavailable
from config import Settings
from handlers.telegram.inbox import TelegramUpdates
from handlers.telegram.polling import poll_until_cancelled
from handlers.telegram.router import publish_commands
from handlers.telegram.webhook import TelegramWebhook
from handlers.vk.callback import VKCallbackEndpoint
from handlers.vk.inbox import VKUpdates, poll_into_inbox
from routing.model import RoutingTable

log = logging.getLogger("bot")

# Сообщения для того, кто запускает бота (по одной строке, без токенов).
MSG_TELEGRAM_UNAUTHORIZED = (
    "Telegram не принял токен бота (TELEGRAM_BOT_TOKEN): проверьте его у @BotFather."
)
MSG_TELEGRAM_UNREACHABLE = (
    "Не удалось связаться с сервером Telegram: проверьте сеть и TELEGRAM_API_BASE, если он задан."
)
MSG_VK_UNAUTHORIZED = (
    "ВКонтакте не принял ключ доступа сообщества (VK_GROUP_TOKEN): создайте новый ключ "
    "в настройках сообщества (Работа с API) с правами на сообщения."
)
MSG_VK_UNREACHABLE = (
    "Не удалось связаться с API ВКонтакте: проверьте сеть и VK_API_BASE, если он задан."
)
MSG_VK_WRONG_GROUP = (
    "Ключ доступа VK_GROUP_TOKEN выдан сообществу {actual}, а VK_GROUP_ID = {configured}: "
    "исправьте одно из двух."
)
MSG_VK_REFUSED = "ВКонтакте отказал при проверке ключа сообщества: ошибка {code}."
MSG_WEB_PORT = (
    "Не удалось открыть порт {host}:{port} для вебхуков (WEBHOOK_HOST/WEBHOOK_PORT): {reason}"
)

DEFAULT_TELEGRAM_PATH = "/telegram/webhook"


class ChannelStartError(Exception):
    """A channel cannot start; the message is one line for the operator, with no secrets."""


async def check_telegram(settings: Settings) -> Any:
    """The aiogram `Bot`, after Telegram accepted its token."""
    from aiogram.exceptions import TelegramNetworkError, TelegramUnauthorizedError

    bot = build_bot(settings)
    try:
        await bot.me()
    except TelegramUnauthorizedError:
        await bot.session.close()
        raise ChannelStartError(MSG_TELEGRAM_UNAUTHORIZED) from None
    except TelegramNetworkError:
        await bot.session.close()
        raise ChannelStartError(MSG_TELEGRAM_UNREACHABLE) from None
    return bot


async def check_vk(settings: Settings) -> tuple[API, int]:
    """The VK `API` and the community id its token belongs to, checked against VK_GROUP_ID."""
    api = build_vk_api(settings)
    try:
        answer = await api.request("groups.getById", {})
        actual = int(answer["response"]["groups"][0]["id"])
    except VKAPIError as exc:
        await api.http_client.close()
        if exc.code in (5, 27, 28):  # a wrong, revoked or user token
            raise ChannelStartError(MSG_VK_UNAUTHORIZED) from None
        raise ChannelStartError(MSG_VK_REFUSED.format(code=exc.code)) from None
    except (aiohttp.ClientError, OSError, TimeoutError, KeyError, IndexError, TypeError):
        # By type only: aiohttp errors carry the request URL, and the token is in it.
        await api.http_client.close()
        raise ChannelStartError(MSG_VK_UNREACHABLE) from None
    if settings.vk_group_id is not None and settings.vk_group_id != actual:
        await api.http_client.close()
        raise ChannelStartError(
            MSG_VK_WRONG_GROUP.format(actual=actual, configured=settings.vk_group_id)
        )
    return api, actual


def telegram_webhook_path(settings: Settings) -> str:
    """The path of ``TELEGRAM_WEBHOOK_URL`` (behind a proxy the public and local paths match)."""
    path = urlsplit(str(settings.telegram_webhook_url)).path
    return path if path not in ("", "/") else DEFAULT_TELEGRAM_PATH


def build_web_app(
    *,
    telegram: tuple[str, Any] | None = None,
    vk: tuple[str, VKCallbackEndpoint] | None = None,
) -> web.Application:
    """The app with the routes that are on: ``(path, SimpleRequestHandler)`` for Telegram and
    ``(path, VKCallbackEndpoint)`` for VK."""
    app = web.Application()
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
        tg_bot = vk_api = None
        if settings.telegram_enabled:
            tg_bot = await check_telegram(settings)
            stack.push_async_callback(tg_bot.session.close)
        if settings.vk_enabled:
            vk_api, group_id = await check_vk(settings)
            stack.push_async_callback(vk_api.http_client.close)

        redis = connect_redis(settings)  # several processes share these; None: one process
        if redis is not None:
            stack.push_async_callback(redis.aclose)  # after everything that uses it has stopped
        service = build_service(
            settings, table, classifier, telegram=tg_bot, vk=vk_api, redis=redis, clock=clock
        )
        if tg_bot is not None:
            await publish_commands(tg_bot)
        try:
            await stack.enter_async_context(service)
        except DatabaseUnavailable as exc:  # PostgreSQL down or refusing: one line, exit 2
            raise ChannelStartError(str(exc)) from None

        loops: list[asyncio.Task] = []
        telegram_route = vk_route = None
        processors: dict[str, Process] = {}  # how each channel's stored updates are handled
        if tg_bot is not None:
            dispatcher = build_dispatcher(service, redis)
            processors["tg"] = TelegramUpdates(dispatcher, tg_bot).process
        if vk_api is not None:
            vk_bot = build_vk_bot(settings, service.core, vk_api, group_id, redis)
            processors["vk"] = VKUpdates(vk_bot, vk_api).process
        # Taking up what the last run stored and did not handle; stopped after receiving.
        inbox = await stack.enter_async_context(build_inbox(settings, service, processors))
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
            vk_route = _start_vk(settings, vk_bot, group_id, inbox, loops)
        if telegram_route is not None or vk_route is not None:
            runner = web.AppRunner(build_web_app(telegram=telegram_route, vk=vk_route))
            await runner.setup()
            stack.push_async_callback(runner.cleanup)
            try:
                await web.TCPSite(runner, settings.webhook_host, settings.webhook_port).start()
            except OSError as exc:
                for loop_task in loops:
                    loop_task.cancel()
                raise ChannelStartError(
                    MSG_WEB_PORT.format(
                        host=settings.webhook_host,
                        port=settings.webhook_port,
                        reason=exc.strerror or type(exc).__name__,
                    )
                ) from None
            log.info("вебхуки: сервер слушает порт %d", settings.webhook_port)
        heap.settle()  # everything long-lived is loaded by now
        if started is not None:
            started.set()
        await _until_stopped(loops, handle_signals)


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
) -> tuple[str, VKCallbackEndpoint] | None:
    if settings.vk_callback_confirmation is None:
        loops.append(
            asyncio.create_task(
                poll_into_inbox(vk_bot, group_id, inbox.accept_patiently), name="vk-polling"
            )
        )
        log.info("ВКонтакте: Bots Long Poll запущен")
        return None
    secret = settings.vk_callback_secret
    endpoint = VKCallbackEndpoint(
        group_id=group_id,
        confirmation=settings.vk_callback_confirmation.get_secret_value(),
        secret=secret.get_secret_value() if secret is not None else None,
        store=inbox.accept,
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

"""The application assembled: the core service plus the Telegram channel, polling until stopped.

Only Telegram by long polling for now; VK and webhooks come next. Loading the routing table and
building the classifier are CPU and disk work, so `build_classifier` is meant to run before the
event loop starts (or in a thread), never inside a handler.
"""

from __future__ import annotations

import logging

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.channels.telegram import TelegramTransport
from bot.core.appeals import Classifies
from bot.core.coordination import Coordination
from bot.core.forum import ForumTopics
from bot.core.service import CoreService
from bot.core.types import Clock
from config import Settings
from handlers.telegram import build_router, publish_commands
from handlers.telegram_coordinator import build_coordinator_router
from routing.classify import Classifier
from routing.model import RoutingTable

log = logging.getLogger("bot")


def build_classifier(settings: Settings, table: RoutingTable) -> Classifier:
    """The classifier for ``table``, with the trained model if ``ROUTING_MODEL`` is set."""
    model = None
    if settings.routing_model is not None:
        from routing.learn import AppealModel

        model = AppealModel.load(settings.routing_model, table)
    return Classifier(table, model)


def build_bot(settings: Settings) -> Bot:
    if settings.telegram_bot_token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN не задан")
    session = None
    if settings.telegram_api_base is not None:
        base = str(settings.telegram_api_base).rstrip("/")
        session = AiohttpSession(api=TelegramAPIServer.from_base(base))
    return Bot(settings.telegram_bot_token.get_secret_value(), session=session)


def build_dispatcher(service: CoreService, coordination: Coordination | None = None) -> Dispatcher:
    dispatcher = Dispatcher()
    dispatcher["core"] = service.core
    if coordination is not None:  # first: a coordinator's document is a table, not an appeal
        dispatcher["coordination"] = coordination
        dispatcher.include_router(build_coordinator_router())
    dispatcher.include_router(build_router())
    return dispatcher


def attach_coordination(
    service: CoreService, settings: Settings, file_table: RoutingTable
) -> Coordination:
    """Coordinator tools over the service's core; on start, the table version stored in the
    database is put in force before any work begins (see `bot.core.coordination`)."""
    coordination = Coordination(
        service.repo,
        service.core,
        service.core.clock,
        model_path=settings.routing_model,
        coordinators=tuple(settings.coordinators),
    )
    service.before_work.append(lambda: coordination.sync_with_file(file_table))
    return coordination


async def run_telegram(
    settings: Settings,
    table: RoutingTable,
    classifier: Classifies,
    *,
    polling_timeout: int = 10,
    handle_signals: bool = True,
    clock: Clock | None = None,
) -> None:
    """Serve Telegram by long polling until SIGINT/SIGTERM (with ``handle_signals``) or until
    cancelled; the core (outbox, scheduler, database) and the HTTP session are closed on exit."""
    bot = build_bot(settings)
    try:
        # A wrong token or an unreachable server fails here, before the core starts its work.
        await bot.me()
        await publish_commands(bot)
        transport = TelegramTransport(bot)
        service = CoreService.build(
            database_url=settings.database_url,
            table=table,
            classifier=classifier,
            transports={"tg": transport},
            coordinators=settings.coordinators,
            settings=settings,
            clock=clock,
        )
        transport.topics = ForumTopics(service.repo)  # one forum topic per ticket
        coordination = attach_coordination(service, settings, table)
        async with service:
            dispatcher = build_dispatcher(service, coordination)
            log.info("Telegram: опрос обновлений запущен")
            await dispatcher.start_polling(
                bot, polling_timeout=polling_timeout, handle_signals=handle_signals,
                close_bot_session=False,
            )
    finally:
        await bot.session.close()

"""Building blocks of the application: the classifier, the aiogram bot and dispatcher, the
coordinator tools; `bot.runner.serve` puts them together with VK into one process.

Loading the routing table and
building the classifier are CPU and disk work, so `build_classifier` is meant to run before the
event loop starts (or in a thread), never inside a handler.
"""

from __future__ import annotations

import logging

from aiogram import Bot, Dispatcher
from aiogram.client.telegram import PRODUCTION, TelegramAPIServer
from redis.asyncio import Redis

from bot.core.coordination import Coordination
from bot.core.ports import Classifies
from bot.core.service import CoreService
from bot.domain.messages import Clock
from bot.shared import shared_dispatcher_options
from config import Settings
from handlers.telegram.coordinator import build_coordinator_router
from handlers.telegram.polling import ConfirmingDispatcher
from handlers.telegram.router import build_router
from handlers.telegram.session import TelegramSession
from routing.classify import Classifier
from routing.model import RoutingTable

log = logging.getLogger("bot")


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
    classifier = Classifier(table, model)
    classifier.warm_up()
    return classifier


def build_bot(settings: Settings) -> Bot:
    if settings.telegram_bot_token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN не задан")
    api = PRODUCTION
    if settings.telegram_api_base is not None:
        api = TelegramAPIServer.from_base(str(settings.telegram_api_base).rstrip("/"))
    return Bot(settings.telegram_bot_token.get_secret_value(), session=TelegramSession(api=api))


def build_dispatcher(
    service: CoreService, coordination: Coordination | None = None, redis: Redis | None = None
) -> Dispatcher:
    """The handlers find the core and the coordinator tools by name in the workflow data."""
    routers = [build_router(redis)]
    workflow: dict[str, object] = {"core": service.core}
    if coordination is not None:  # first: a coordinator's document is a table, not an appeal
        routers.insert(0, build_coordinator_router())
        workflow["coordination"] = coordination
    dispatcher = ConfirmingDispatcher(**shared_dispatcher_options(redis), **workflow)
    dispatcher.include_routers(*routers)
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
    """Telegram alone: `bot.runner.serve` with VK switched off, for the Telegram-only tests and
    embedders; everything else (topics, coordinator tools, webhook mode) is the same code."""
    from bot.runner import serve  # it builds on this module

    await serve(
        settings.model_copy(update={"vk_group_token": None}),
        table,
        classifier,
        polling_timeout=polling_timeout,
        handle_signals=handle_signals,
        clock=clock,
    )

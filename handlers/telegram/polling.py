"""Long polling that confirms an update to Telegram only once it is stored in the inbox.

Telegram keeps an update until a later getUpdates names an ``offset`` past it, and re-delivers
everything unconfirmed to the next poll: that is the platform's own crash safety. aiogram's
polling throws it away: it starts a task per update and polls again at once, which confirms the
batch while its tasks still run (a crash then lost every appeal of the batch; the crash suite,
tests/faults/test_crash.py, lost 28 of 30 this way), and it logs a handler's error and confirms
the update all the same (a locked database for a moment lost the appeal silently).

Here each batch is written to the durable inbox (`bot.delivery.inbox`) in one transaction, and
only then does the next poll confirm it; the inbox hands the stored updates to the dispatcher
and tries a failed one again. If the batch cannot be stored (the database is away), it is
tried again, with a backoff, before anything is confirmed (`Inbox.accept_patiently`). The
inbox bounds what waits in memory, so a slow bot slows the polling down rather than piling
updates up.

`ConfirmingDispatcher` overrides ``Dispatcher._polling`` only, keeping everything else of
``start_polling`` (startup and shutdown events, workflow data, stopping); ``start_polling``
gets ``store_updates``, the inbox's ``accept_patiently``. aiogram is pinned to
3.x, and the crash suite fails if a new aiogram changes this contract.

`poll_until_cancelled` is how `bot.serve` runs it: cancelling ``start_polling`` itself stops
nothing but its shutdown events (see there).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.methods import GetUpdates
from aiogram.utils.backoff import Backoff, BackoffConfig

from handlers.telegram.inbox import Store, update_draft

log = logging.getLogger("bot.telegram")

DEFAULT_BACKOFF = BackoffConfig(min_delay=1.0, max_delay=5.0, factor=1.3, jitter=0.1)


class ConfirmingDispatcher(Dispatcher):
    """aiogram's `Dispatcher` whose ``start_polling`` confirms each batch only once it is
    stored; everything else (the handlers, ``feed_update``) is aiogram's."""

    async def _polling(
        self,
        bot: Bot,
        polling_timeout: int = 30,
        # Passed by start_polling; ignored, as is tasks_concurrency_limit: the inbox decides
        # how updates are handled.
        handle_as_tasks: bool = True,
        backoff_config: BackoffConfig = DEFAULT_BACKOFF,
        allowed_updates: list[str] | None = None,
        tasks_concurrency_limit: int | None = None,
        *,
        store_updates: Store,
        **workflow_data: Any,
    ) -> None:
        await bot.me()
        backoff = Backoff(config=backoff_config)
        get_updates = GetUpdates(timeout=polling_timeout, allowed_updates=allowed_updates)
        request_timeout = int(bot.session.timeout + polling_timeout) if bot.session.timeout \
            else None
        failed = False
        while True:
            try:
                updates = await bot(get_updates, request_timeout=request_timeout)
            except Exception as exc:
                failed = True
                log.warning("Telegram: getUpdates failed (%s), retrying", type(exc).__name__)
                await backoff.asleep()
                continue
            if failed:
                backoff.reset()
                failed = False
            if not updates:
                continue
            await store_updates([update_draft(bot.id, u) for u in updates])
            get_updates.offset = updates[-1].update_id + 1


async def poll_until_cancelled(dispatcher: Dispatcher, bot: Bot, **kwargs: Any) -> None:
    """``dispatcher.start_polling(bot, **kwargs)`` until this coroutine is cancelled, and then
    stopped for real: when it returns, nothing polls Telegram any more.

    ``start_polling`` runs the polling loop in a task of its own; cancelled itself, it runs the
    shutdown events and returns, but leaves that task polling (aiogram 3.x). Such a loop outlived
    the core it fed: it took the next update, failed to handle it ("repository is not open") and
    confirmed it with its next poll, so the update was lost for the bot started after it
    (tests/handlers/test_telegram_coordinator.py restarts the bot in one process; in production
    the same happens while `bot.serve.serve` closes the core on SIGTERM). aiogram's own
    ``stop_polling`` cancels the loop and waits for it; an update the loop was handling is then
    left unconfirmed, and Telegram re-delivers it to the next start.
    """
    polling = asyncio.create_task(dispatcher.start_polling(bot, **kwargs), name="aiogram-polling")
    try:
        await asyncio.shield(polling)
    except asyncio.CancelledError:
        if not polling.done():
            try:
                await dispatcher.stop_polling()
            except RuntimeError:  # "Polling is not started": cancelled before it began
                polling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await polling
        raise

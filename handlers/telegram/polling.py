"""Long polling that confirms an update to Telegram only after the bot has handled it.

Telegram keeps an update until a later getUpdates names an ``offset`` past it, and re-delivers
everything unconfirmed to the next poll: that is the platform's own crash safety. aiogram's
polling throws it away: it fetches a batch (up to 100 updates), starts a task per update and
polls again at once, which confirms the whole batch while its tasks are still running. A crash
(SIGKILL, OOM, power) at that moment lost every appeal of the batch; the crash suite
(tests/faults/test_crash.py) lost 28 of 30 this way.

Here a batch is handled concurrently, as before, and the next poll (which confirms it) starts
only when every update of the batch is done. After a crash Telegram re-delivers the batch; what
was already handled is recognised by the core (`Tx.tickets.seen_message`, the outbox's idempotency
keys) and not done twice.

The cost: a slow update holds back the next batch, so handlers must stay short (they are: the
core writes to the database and queues; sending happens in the outbox worker; album parts wait
in `AlbumCollector`, which returns at once). Albums themselves still wait in memory for about a
second, as `handlers.telegram.albums` documents.

`ConfirmingDispatcher` overrides ``Dispatcher._polling`` only, keeping everything else of
``start_polling`` (startup and shutdown events, workflow data, stopping); aiogram is pinned to
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

log = logging.getLogger("bot.telegram")

DEFAULT_BACKOFF = BackoffConfig(min_delay=1.0, max_delay=5.0, factor=1.3, jitter=0.1)


class ConfirmingDispatcher(Dispatcher):
    """aiogram's `Dispatcher` whose ``start_polling`` confirms each batch only once it is
    handled; everything else (webhooks included) is aiogram's."""

    async def _polling(
        self,
        bot: Bot,
        polling_timeout: int = 30,
        # Passed by start_polling; ignored, as is tasks_concurrency_limit: a batch is always
        # handled concurrently.
        handle_as_tasks: bool = True,
        backoff_config: BackoffConfig = DEFAULT_BACKOFF,
        allowed_updates: list[str] | None = None,
        tasks_concurrency_limit: int | None = None,
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
            # _process_update logs and swallows a handler's error, like aiogram's own polling.
            await asyncio.gather(*(
                self._process_update(bot=bot, update=update, **workflow_data)
                for update in updates
            ))
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

"""Two bot processes' outboxes on one Telegram token, against the emulator that enforces the
token's limit: with one Redis between them, not a single 429; each with its own limits (as
without ``REDIS_URL``), 429s.

Each worker has what a process has: its own database, aiogram client, Redis client and limiter,
built by the composition root's functions from the same settings. The emulator's limit is
lowered to 20 a second (and the bots' pacing with it) to keep the test short.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter

import pytest
from redis.asyncio import Redis

from bot.bootstrap import platform_tokens, rate_limits
from bot.delivery.outbox import Outbox
from bot.delivery.ratelimit_redis import rate_limiter
from bot.domain.messages import OutgoingMessage, SystemClock
from bot.domain.records import OutboxDraft
from bot.domain.wire import Purpose
from bot.storage.sqlite import SqliteRepository
from config import Settings
from handlers.telegram.transport import TelegramTransport
from tests.emulators.aio import run_async
from tests.emulators.telegram import SENDING_METHODS, Limits, TelegramEmulator
from tests.servers_redis import redis_server, redis_url  # noqa: F401 (fixtures)

PER_SECOND = 20
EACH = 40  # messages per process: two seconds' worth of the token's limit together
FIRST_CHAT = 30_000_001


async def worker(
    stack: contextlib.AsyncExitStack,
    tg: TelegramEmulator,
    settings: Settings,
    shared_through: str | None,
    chats: range,
) -> Outbox:
    """One process's outbox, its queue filled: one message to each of ``chats``; its limits
    shared through the Redis at ``shared_through`` (or its own)."""
    bot = await stack.enter_async_context(tg.make_bot())
    redis = None
    if shared_through is not None:
        redis = await stack.enter_async_context(Redis.from_url(shared_through))
    repo = SqliteRepository(":memory:")
    await repo.open()
    stack.push_async_callback(repo.close)
    clock = SystemClock()
    async with repo.transaction() as tx:
        for chat in chats:
            payload = OutgoingMessage("tg", chat, f"m{chat}").to_json()
            await tx.outbox.enqueue(OutboxDraft(f"m{chat}", "tg", chat, payload, Purpose.BODY),
                                    clock.now())
    limiter = rate_limiter(clock, rate_limits(settings), redis, platform_tokens(settings))
    return Outbox(repo, {"tg": TelegramTransport(bot)}, clock, limiter)


@pytest.mark.parametrize("shared", [True, False], ids=["one Redis", "each its own limits"])
@run_async
async def test_two_outboxes_on_one_token_stay_within_its_limit(redis_url, shared):  # noqa: F811
    async with TelegramEmulator(limits=Limits(per_bot_per_second=PER_SECOND)) as tg:
        settings = Settings(_env_file=None, telegram_bot_token=tg.token,
                            telegram_messages_per_second=PER_SECOND)
        chats = [range(FIRST_CHAT + n * EACH, FIRST_CHAT + (n + 1) * EACH) for n in (0, 1)]
        for chat in (c for each in chats for c in each):
            tg.add_user(chat)
        async with contextlib.AsyncExitStack() as stack:
            outboxes = [
                await worker(stack, tg, settings, redis_url if shared else None, each)
                for each in chats
            ]
            stop = asyncio.Event()
            running = [asyncio.create_task(o.run_forever(stop)) for o in outboxes]
            while sum(c.method in SENDING_METHODS for c in tg.sent) < 2 * EACH:
                await asyncio.sleep(0.05)
            stop.set()
            for outbox in outboxes:
                outbox.signals.wake()
            await asyncio.gather(*running)
    delivered = Counter(c.text for c in tg.sent)
    assert len(delivered) == 2 * EACH and set(delivered.values()) == {1}
    if shared:
        assert tg.responses_429 == 0
    else:
        assert tg.responses_429 > 0

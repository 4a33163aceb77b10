"""Flood limits with REDIS_URL: two bot processes (two guards, one Redis) count one citizen once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from bot.core.flood import FloodWindow
from bot.storage.flood_redis import RedisFloodGuard, flood_guard
from tests.emulators.aio import run_async
from tests.servers_redis import redis_server, redis_url  # noqa: F401 (fixtures)

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)


class Clock:
    def __init__(self) -> None:
        self.current = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


def windows(per_minute: int = 3, per_hour: int = 100) -> tuple[FloodWindow, ...]:
    return (FloodWindow(per_minute, MINUTE), FloodWindow(per_hour, HOUR))


@run_async
async def test_two_processes_share_one_limit_and_one_warning(redis_url):  # noqa: F811
    clock = Clock()
    async with Redis.from_url(redis_url) as one, Redis.from_url(redis_url) as two:
        first = RedisFloodGuard(clock, windows(), one)
        second = RedisFloodGuard(clock, windows(), two)
        taken = [await g.check_async("tg", 1) for g in (first, second, first)]
        assert all(v.allowed for v in taken)
        clock.advance(seconds=20)
        refused = await second.check_async("tg", 1)  # the fourth, though only the second here
        assert (refused.allowed, refused.warn, refused.wait) == (False, True, timedelta(seconds=40))
        again = await first.check_async("tg", 1)
        assert (again.allowed, again.warn) == (False, False)  # told once, not once per process
        assert (await first.check_async("tg", 2)).allowed  # other people are not affected
        assert (await second.check_async("vk", 1)).allowed  # nor the same id in the other channel

        clock.advance(seconds=40)  # refused attempts did not extend the window
        assert all([(await g.check_async("tg", 1)).allowed for g in (second, first, second)])
        new_window = await first.check_async("tg", 1)
        assert (new_window.allowed, new_window.warn) == (False, True)


@run_async
async def test_the_hourly_limit_says_how_many_minutes_to_wait(redis_url):  # noqa: F811
    clock = Clock()
    async with Redis.from_url(redis_url) as client:
        guard = flood_guard(clock, windows(per_minute=100, per_hour=4), client)
        for _ in range(4):
            assert (await guard.check_async("tg", 1)).allowed
            clock.advance(minutes=5)
        verdict = await guard.check_async("tg", 1)  # 20 minutes after the first: 40 to wait
        assert (verdict.allowed, verdict.minutes) == (False, 40)


@run_async
async def test_messages_are_let_through_when_redis_is_down(redis_url):  # noqa: F811
    clock = Clock()
    port = int(redis_url.rsplit(":", 1)[1].split("/")[0])
    server_gone = Redis(host="127.0.0.1", port=port + 1, retry=Retry(NoBackoff(), 0))
    async with server_gone as nowhere:
        guard = RedisFloodGuard(clock, windows(per_minute=1), nowhere)
        assert [(await guard.check_async("tg", 1)).allowed for _ in range(3)] == [True] * 3


def test_without_redis_the_counters_stay_in_memory():
    guard = flood_guard(Clock(), windows(per_minute=1))
    assert type(guard).__name__ == "FloodGuard"
    assert guard.check("tg", 1).allowed and not guard.check("tg", 1).allowed

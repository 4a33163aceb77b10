"""VK per-peer isolation: one conversation's events never run side by side, whichever process."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis

from handlers.vk.isolation import LocalIsolation, RedisIsolation, isolated, isolation_for
from tests.emulators.aio import run_async
from tests.servers_redis import redis_server, redis_url  # noqa: F401 (fixtures)


class Conversation:
    """Counts how many handlers are inside one peer's critical section at once, in Redis, so
    that handlers of different processes see each other."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self.most_at_once = 0

    async def handle(self, peer: str) -> None:
        inside = await self.redis.incr(f"inside:{peer}")
        self.most_at_once = max(self.most_at_once, inside)
        for _ in range(3):  # a few round trips of "work" (reading and writing the ticket)
            await self.redis.get(f"ticket:{peer}")
        await self.redis.decr(f"inside:{peer}")


async def _run_events(isolations: list, peers: list[str], redis: Redis) -> Conversation:
    conversation = Conversation(redis)
    events = []
    for n, peer in enumerate(peers):
        handler = isolated(conversation.handle, isolations[n % len(isolations)], lambda p: p)
        events.append(handler(peer))
    await asyncio.gather(*events)
    return conversation


@run_async
async def test_two_processes_handle_one_peer_one_event_at_a_time(redis_url):  # noqa: F811
    async with (
        Redis.from_url(redis_url) as one,
        Redis.from_url(redis_url) as two,
        Redis.from_url(redis_url) as probe,
    ):
        processes = [RedisIsolation(one), RedisIsolation(two)]
        serialized = await _run_events(processes, ["vk:7"] * 12, probe)
        assert serialized.most_at_once == 1
        assert await probe.keys("isolation:*") == []  # every lock released

        # The same events without a shared lock do overlap: the check above can fail.
        unshared = [LocalIsolation(), LocalIsolation()]
        overlapping = await _run_events(unshared, ["vk:8"] * 12, probe)
        assert overlapping.most_at_once > 1


@run_async
async def test_different_peers_are_not_held_up_by_each_other(redis_url):  # noqa: F811
    async with Redis.from_url(redis_url) as client:
        isolation = RedisIsolation(client)
        entered = asyncio.Event()
        leave = asyncio.Event()

        async def long_handler(_: str) -> None:
            entered.set()
            await leave.wait()

        holding = asyncio.create_task(isolated(long_handler, isolation, lambda p: p)("vk:1"))
        await entered.wait()
        other = Conversation(client)
        await isolated(other.handle, isolation, lambda p: p)("vk:2")  # finishes while vk:1 holds
        assert not holding.done()
        leave.set()
        await holding


@run_async
async def test_a_lock_left_by_a_crashed_process_expires(redis_url):  # noqa: F811
    async with Redis.from_url(redis_url) as client:
        crashed = client.lock("isolation:vk:5", timeout=0.3)
        assert await crashed.acquire(blocking=False)  # a process died holding it
        survivor = RedisIsolation(client)
        conversation = Conversation(client)
        await isolated(conversation.handle, survivor, lambda p: p)("vk:5")
        assert conversation.most_at_once == 1


@run_async
async def test_without_redis_one_process_still_serializes_and_forgets_idle_peers():
    isolation = isolation_for(None)
    assert isinstance(isolation, LocalIsolation)
    order: list[str] = []

    async def handler(tag: str) -> None:
        order.append(f"in {tag}")
        await asyncio.sleep(0)
        order.append(f"out {tag}")

    wrapped = [isolated(handler, isolation, lambda _: "vk:1") for _ in range(3)]
    await asyncio.gather(*(w(tag) for w, tag in zip(wrapped, "abc", strict=True)))
    assert order == ["in a", "out a", "in b", "out b", "in c", "out c"]
    assert isolation.tracked == 0


@run_async
async def test_a_long_handler_keeps_its_lock_past_the_ttl(redis_url):  # noqa: F811
    async with Redis.from_url(redis_url) as one, Redis.from_url(redis_url) as two:
        first, second = RedisIsolation(one, ttl=0.3), RedisIsolation(two, ttl=0.3)
        second_entered = asyncio.Event()

        async def slow(_: str) -> None:
            waiter = asyncio.create_task(isolated(entered, second, lambda p: p)("vk:9"))
            renewals, last = 0, await one.pttl("isolation:vk:9")
            while renewals < 3:  # three renewals: well past the 0.3 s the lock was taken for
                ttl = await one.pttl("isolation:vk:9")
                renewals, last = renewals + (ttl > last), ttl
                await asyncio.sleep(0.01)
            assert not second_entered.is_set()
            waiters.append(waiter)

        async def entered(_: str) -> None:
            second_entered.set()

        waiters: list[asyncio.Task] = []
        await isolated(slow, first, lambda p: p)("vk:9")
        await waiters[0]
        assert second_entered.is_set()

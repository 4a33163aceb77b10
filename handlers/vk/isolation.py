"""One conversation handled at a time: VK's equivalent of aiogram's event isolation.

Why: the core reads a ticket's state, decides, and writes the next state. Two events of the same
person handled at once (a double tap on a button, a photo and its text sent back to back) can
both read the same state and both act on it. In Telegram aiogram serializes a chat's updates
(``events_isolation``, in Redis across processes — see `bot.bootstrap.build_dispatcher`); for
VK this module does the same per peer:

- `LocalIsolation`: an ``asyncio.Lock`` per peer, for one process (no ``REDIS_URL``). Locks are
  dropped when nobody holds or waits for them, so memory follows the conversations in flight.
- `RedisIsolation`: a Redis lock per peer (redis-py's `Lock`, token-checked release), for several
  processes behind one proxy. The lock lives ``ttl`` seconds and is renewed while the handler
  runs, so a crashed process blocks its peer for at most ``ttl``, and a long handler (a slow
  classifier, a file download) does not lose its lock midway. If Redis cannot be reached the
  event is handled under the local lock only, with a warning: handling a message matters more
  than ordering it against another process.

Both are keyed by strings like ``"vk:2000000001"``; only such keys (no texts) reach Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

from redis.exceptions import RedisError

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger("handlers.vk.isolation")


class Isolation(Protocol):
    def hold(self, key: str) -> contextlib.AbstractAsyncContextManager[None]: ...


class LocalIsolation:
    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}  # lock, holders and waiters

    @property
    def tracked(self) -> int:
        return len(self._locks)

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


class RedisIsolation:
    def __init__(
        self, redis: Redis, *, ttl: float = 30.0, wait: float = 60.0, prefix: str = "isolation"
    ) -> None:
        self.redis = redis
        self.ttl = ttl  # how long a lock outlives a process that died holding it
        self.wait = wait  # how long an event waits for its peer's lock before going anyway
        self.prefix = prefix
        self.local = LocalIsolation()  # one process's own events queue here, not in Redis

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        async with self.local.hold(key):
            lock = self.redis.lock(
                f"{self.prefix}:{key}", timeout=self.ttl, blocking_timeout=self.wait, sleep=0.02
            )
            try:
                acquired = await lock.acquire()
            except (RedisError, OSError) as exc:
                log.warning("isolation lock unreachable (%s): handled anyway", type(exc).__name__)
                acquired = False
            if not acquired:
                yield
                return
            done = asyncio.Event()  # not Task.cancel: a Redis call may absorb a cancellation
            renewing = asyncio.create_task(self._renew(lock, done), name="isolation-renew")
            try:
                yield
            finally:
                done.set()
                await renewing
                with contextlib.suppress(RedisError, OSError):
                    await lock.release()

    async def _renew(self, lock: Any, done: asyncio.Event) -> None:
        while not done.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), self.ttl / 3)
                return
            try:
                await lock.reacquire()
            except (RedisError, OSError) as exc:
                log.warning("isolation lock not renewed: %s", type(exc).__name__)
                return


def isolation_for(redis: Redis | None) -> Isolation:
    """Across processes with Redis, within this process without."""
    return LocalIsolation() if redis is None else RedisIsolation(redis)


def isolated(
    handler: Callable[[Any], Awaitable[None]],
    isolation: Isolation,
    key_of: Callable[[Any], str],
) -> Callable[[Any], Awaitable[None]]:
    """``handler`` run under the lock of its event's key; the signature stays ``(event)`` so
    vkbottle passes nothing else to it."""

    async def run(event: Any) -> None:
        async with isolation.hold(key_of(event)):
            await handler(event)

    run.__name__ = getattr(handler, "__name__", "isolated")
    return run

"""What several bot processes share through Redis (``REDIS_URL``), and what one process keeps.

The state of every dialog is in the database (a half-written appeal is a ticket in the
COLLECTING state; no aiogram FSM state is used), so a restart or another process never forgets
it, with or without Redis. Redis carries what used to live in one process's memory and must be
common once a reverse proxy spreads the updates over several processes:

- Telegram: aiogram's `RedisStorage` with ``events_isolation`` — a chat's updates are handled one
  at a time across all processes (a double tap on a button cannot be handled twice in parallel).
  Without Redis aiogram's defaults (memory storage, no isolation across processes) are right:
  there is one process, the storage holds nothing of ours, and the core's duplicate checks and
  ticket states cover what isolation would.
- VK: `handlers.vk.isolation.RedisIsolation`, the same per-peer serialization.
- flood counters (`bot.core.flood_redis`) and album parts (`handlers.telegram.albums_redis`).

One client (one connection pool) serves all of them; `bot.runner.serve` opens and closes it.
"""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

from config import Settings

#: Fail fast rather than hang a handler when Redis is away (each user falls back or logs).
SOCKET_TIMEOUT_SECONDS = 5.0


def connect_redis(settings: Settings) -> Redis | None:
    """The shared client for ``REDIS_URL``, or ``None`` (one process, everything in memory).
    Connects lazily: the first command opens the connection."""
    if not settings.redis_url:
        return None
    return Redis.from_url(
        settings.redis_url,
        socket_timeout=SOCKET_TIMEOUT_SECONDS,
        socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
    )


def shared_dispatcher_options(redis: Redis | None) -> dict[str, Any]:
    """aiogram `Dispatcher` keyword arguments: Redis storage and per-chat isolation; in one
    process, no FSM at all.

    No handler keeps aiogram FSM state (dialogs live in the core's database), so its middleware
    only matters as the carrier of the per-chat isolation across processes; alone it would cost
    every update ~60 µs for a state nobody reads."""
    if redis is None:
        return {"disable_fsm": True}
    from aiogram.fsm.storage.redis import RedisStorage

    storage = RedisStorage(redis)
    return {"storage": storage, "events_isolation": storage.create_isolation()}

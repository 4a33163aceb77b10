"""A core world for the fault suites outside ``tests/core``: the same `World` on SQLite in
memory, driven on one event loop per test so hypothesis can run many examples against it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from tests.core.core_world import START, FakeClock, World


def run_in_world(
    check: Callable[[World, asyncio.AbstractEventLoop], None], path: str = ":memory:"
) -> None:
    """Start a fresh world (SQLite in memory, or the database at ``path``), hand it to ``check``
    with the loop to run coroutines on, close it."""
    loop = asyncio.new_event_loop()
    world = World(path, FakeClock(START))
    try:
        loop.run_until_complete(world.start())
        check(world, loop)
    finally:
        loop.run_until_complete(world.stop())
        loop.close()


def run(loop: asyncio.AbstractEventLoop, coro: Awaitable):
    return loop.run_until_complete(coro)


async def snapshot(world: World) -> list[tuple]:
    """Every ticket row and every event: what a refused action must keep."""
    async with world.repo.transaction() as tx:
        tickets = await tx.sql.all("SELECT * FROM tickets ORDER BY id")
        events = await tx.sql.all("SELECT * FROM ticket_events ORDER BY id")
    return [tuple(r) for r in tickets + events]


def run_async_world(check: Callable[[World], Awaitable[None]], path: str = ":memory:") -> None:
    """``await check(world)`` in a fresh world on a fresh event loop, the world closed after."""

    async def main() -> None:
        world = await World(path, FakeClock(START)).start()
        try:
            await check(world)
        finally:
            await world.stop()

    asyncio.run(main())

"""Two bot processes on one PostgreSQL database: a deadline passes once, for both of them.

Each "process" is a `World` of its own (its own connection pool, core and outbox) on the same
database and clock. Both scan at the same moment, again and again: every reminder is queued
once, and the body's chat hears it once.
"""

from __future__ import annotations

import asyncio

from core_world import CITY_CHAT, World


async def test_concurrent_scans_in_two_processes_remind_once(clock, pg_cluster):
    url = pg_cluster.new_database()
    first, second = World(url, clock), World(url, clock)
    await first.start()
    await second.start()
    second.tg = first.tg  # one Telegram for both processes
    second.outbox.transports["tg"] = first.tg
    number = (await first.core.handle(first.citizen("яма"))).number
    ticket = await first.ticket(number)
    await first.flush()
    heard_before = len(first.tg.texts(CITY_CHAT))

    clock.current = ticket.routed_at + (ticket.due_at - ticket.routed_at) * 0.5
    queued = 0
    for _ in range(5):
        counts = await asyncio.gather(
            first.core.scan_deadlines(), second.core.scan_deadlines()
        )
        queued += sum(counts)
    assert queued == 1
    await asyncio.gather(first.flush(), second.flush())

    reminders = [t for t in first.tg.texts(CITY_CHAT)[heard_before:] if "Напоминание" in t]
    assert len(reminders) == 1
    async with second.repo.transaction() as tx:
        rows = await tx.sql.all("SELECT kind FROM reminders")
    assert [r["kind"] for r in rows] == ["reminder:0.5"]

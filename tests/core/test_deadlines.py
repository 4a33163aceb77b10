"""Reminders and overdue escalation: derived from the database, never lost, never doubled."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from core_world import CITY_CHAT, COORDINATOR_ID

from bot.bootstrap import DEADLINE_SCAN_JOB, build_scheduler


async def reminder_log(world):
    async with world.repo.transaction() as tx:
        rows = await tx.sql.all("SELECT kind, route_round, skipped FROM reminders ORDER BY kind")
    return [(r["kind"], r["route_round"], bool(r["skipped"])) for r in rows]


async def test_reminders_at_half_and_ninety_percent_then_overdue(world, clock):
    await world.start()
    number = (await world.core.handle(world.citizen("яма"))).number
    ticket = await world.ticket(number)
    span = ticket.due_at - ticket.routed_at
    await world.flush()
    assert await world.core.scan_deadlines() == 0

    clock.current = ticket.routed_at + span * 0.5 - timedelta(seconds=1)
    assert await world.core.scan_deadlines() == 0
    clock.advance(seconds=1)
    assert await world.core.scan_deadlines() == 1
    assert await world.core.scan_deadlines() == 0  # a second scan is a no-op
    await world.flush()
    assert "Напоминание: обращение № 26-000001" in world.tg.texts(CITY_CHAT)[-1]

    clock.current = ticket.routed_at + span * 0.9
    assert await world.core.scan_deadlines() == 1
    clock.current = ticket.due_at
    assert await world.core.scan_deadlines() == 1
    await world.flush()
    assert "Просрочено обращение № 26-000001" in world.tg.texts(COORDINATOR_ID)[-1]
    assert await reminder_log(world) == [
        ("overdue", 1, False),
        ("reminder:0.5", 1, False),
        ("reminder:0.9", 1, False),
    ]


async def test_a_restart_neither_loses_nor_repeats_a_reminder(file_world, clock):
    world = await file_world.start()
    number = (await world.core.handle(world.citizen("яма"))).number
    ticket = await world.ticket(number)
    clock.current = ticket.routed_at + (ticket.due_at - ticket.routed_at) * 0.6
    assert await world.core.scan_deadlines() == 1
    await world.stop()

    await world.start()  # a new process on the same database
    assert await world.core.scan_deadlines() == 0
    clock.current = ticket.due_at - timedelta(minutes=1)
    assert await world.core.scan_deadlines() == 1  # 0.9 was still ahead at the restart


async def test_after_downtime_only_the_latest_mark_is_sent(world, clock):
    await world.start()
    number = (await world.core.handle(world.citizen("яма"))).number
    await world.flush()
    ticket = await world.ticket(number)
    clock.current = ticket.due_at + timedelta(days=3)
    assert await world.core.scan_deadlines() == 1
    await world.flush()
    assert [t for t in world.tg.texts(CITY_CHAT) if "Напоминание" in t] == [
        "Напоминание: обращение № 26-000001 ждёт ответа. Срок — до 19.03.2026 включительно."
    ]
    assert await reminder_log(world) == [
        ("overdue", 1, False),
        ("reminder:0.5", 1, True),
        ("reminder:0.9", 1, True),
    ]


async def test_a_redirect_starts_a_new_deadline_with_its_own_reminders(world, clock):
    await world.start()
    number = (await world.core.handle(world.citizen("яма"))).number
    first = await world.ticket(number)
    clock.current = first.routed_at + (first.due_at - first.routed_at) * 0.55
    assert await world.core.scan_deadlines() == 1
    await world.core.redirect(number, by="city")
    second = await world.ticket(number)
    assert second.due_at > first.due_at and second.route_round == 2
    assert await world.core.scan_deadlines() == 0
    clock.current = second.routed_at + (second.due_at - second.routed_at) * 0.5
    assert await world.core.scan_deadlines() == 1
    assert ("reminder:0.5", 2, False) in await reminder_log(world)


async def test_answered_tickets_are_not_reminded(world, clock):
    await world.start()
    number = (await world.core.handle(world.citizen("яма"))).number
    await world.core.close(number)
    clock.advance(days=60)
    assert await world.core.scan_deadlines() == 0


async def test_scheduler_only_triggers_the_scan(world):
    await world.start()
    calls = []

    async def scan():
        calls.append(1)
        return 0

    world.core.scan_deadlines = scan
    scheduler = build_scheduler(world.core, scan_every_seconds=3600)
    job = scheduler.get_job(DEADLINE_SCAN_JOB)
    assert job.max_instances == 1 and job.coalesce
    scheduler.start()
    try:
        for _ in range(100):  # the first scan runs at start, to catch up after downtime
            if calls:
                break
            await asyncio.sleep(0.01)
    finally:
        scheduler.shutdown(wait=False)
    assert calls == [1]

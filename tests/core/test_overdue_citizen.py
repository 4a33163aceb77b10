"""The citizen's overdue notice: queued with the overdue record, once per ticket and routing
round, and never for a ticket that was answered or closed in time."""

from __future__ import annotations

from datetime import timedelta

from core_world import CITIZEN_TG, COORDINATOR_ID, World

from bot.domain.calendar import WorkingCalendar


def overdue_texts(world) -> list[str]:
    return [t for t in world.tg.texts(CITIZEN_TG) if "истёк" in t]


async def test_told_once_per_round_and_again_after_a_redirect(world, clock):
    await world.start()
    number = (await world.core.handle(world.citizen("яма"))).number
    await world.flush()
    ticket = await world.ticket(number)

    clock.current = ticket.due_at - timedelta(seconds=1)
    await world.core.scan_deadlines()
    await world.flush()
    assert overdue_texts(world) == []

    clock.current = ticket.due_at
    assert await world.core.scan_deadlines() == 1
    assert await world.core.scan_deadlines() == 0  # once
    await world.flush()
    assert overdue_texts(world) == [
        f"Срок ответа по обращению № {number} (до 19.03.2026 включительно) истёк, а ответа "
        "пока нет. Мы сообщили координаторам — они проследят, чтобы вам ответили. Писать "
        "заново не нужно."
    ]
    assert f"Просрочено обращение № {number}" in world.tg.texts(COORDINATOR_ID)[-1]

    # «Не наше»: a new body, a new round, a new deadline — and, when it passes, a new notice.
    await world.core.redirect(number, by="city")
    ticket = await world.ticket(number)
    clock.current = ticket.due_at + timedelta(minutes=1)
    assert await world.core.scan_deadlines() == 1
    await world.flush()
    assert len(overdue_texts(world)) == 2


async def test_the_notice_and_the_overdue_record_are_one_transaction(world, clock):
    """Either both are written or neither: the notice row exists exactly when the log does."""
    await world.start()
    number = (await world.core.handle(world.citizen("яма"))).number
    ticket = await world.ticket(number)
    clock.current = ticket.due_at
    await world.core.scan_deadlines()
    async with world.repo.transaction() as tx:
        logged = await tx.sql.all("SELECT kind FROM reminders WHERE kind = 'overdue'")
        rows = await tx.sql.all(
            "SELECT idempotency_key FROM outbox WHERE idempotency_key LIKE '%citizen-overdue%'"
        )
    assert len(logged) == 1 and len(rows) == 1


async def test_an_answered_ticket_is_not_overdue(world, clock):
    await world.start()
    number = (await world.core.handle(world.citizen("яма"))).number
    await world.core.close(number)
    ticket = await world.ticket(number)
    clock.current = ticket.due_at + timedelta(days=1)
    assert await world.core.scan_deadlines() == 0
    await world.flush()
    assert overdue_texts(world) == []


async def test_without_coordinators_the_citizen_is_not_promised_them(tmp_path, clock):
    world = World(str(tmp_path / "bot.sqlite3"), clock, calendar=WorkingCalendar.build())
    await world.start()
    world.core.desk.coordinators = ()
    number = (await world.core.handle(world.citizen("яма"))).number
    ticket = await world.ticket(number)
    clock.current = ticket.due_at
    await world.core.scan_deadlines()
    await world.flush()
    [told] = overdue_texts(world)
    assert "координатор" not in told and "Мы напомнили органу" in told

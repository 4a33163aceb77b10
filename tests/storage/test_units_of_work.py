"""Units of work (`Repository.atomically`): the same contract as a transaction, on both backends.

SQLite runs a unit whole on its connection's thread (`bot.storage.sqlite`), PostgreSQL as one
transaction on a pooled connection; what the core can observe must not differ: all or nothing,
durable on return, a failure alone in its commit group, the unit's own error as it was raised,
and a duplicate platform message still a `DuplicateTicket` the unit can act on.
"""

from __future__ import annotations

import asyncio

import pytest

from bot.domain.records import DuplicateTicket
from bot.storage.sql.unit import UnitSuspended
from bot.storage.sqlite import SqliteRepository
from tests.emulators.aio import run_async
from tests.storage.test_contract import NOW, committed_ticket, draft, note, opened, url

__all__ = ["url"]  # the backends' fixture, shared with the contract tests


@run_async
async def test_a_burst_of_units_is_durable_on_return_and_a_failing_one_leaves_nothing(url):
    async with opened(url) as repo, opened(url) as other:
        seen_elsewhere: dict[int, bool] = {}

        async def appeal(i: int) -> None:
            async def create(tx) -> int:
                ticket_id = await tx.tickets.insert(
                    f"2026-{i:06d}", draft(100 + i, chat=1000 + i), "new", NOW
                )
                await tx.outbox.enqueue(note(f"ack-{i}", chat=1000 + i, ticket_id=ticket_id), NOW)
                if i == 7:
                    raise LookupError("нет такого органа")
                return ticket_id

            ticket_id = await repo.atomically(create)
            seen_elsewhere[i] = await committed_ticket(url, other, ticket_id)

        results = await asyncio.gather(*(appeal(i) for i in range(20)), return_exceptions=True)
        failed = {i: r for i, r in enumerate(results) if isinstance(r, BaseException)}
        assert list(failed) == [7] and isinstance(failed[7], LookupError)  # its own error
        assert str(failed[7]) == "нет такого органа"
        assert seen_elsewhere == {i: True for i in range(20) if i != 7}
        async with other.transaction() as tx:
            assert await tx.tickets.by_number("2026-000007") is None
            assert await tx.outbox.by_key("ack-7") is None
            assert await tx.outbox.by_key("ack-8") is not None


@run_async
async def test_a_duplicate_message_in_a_unit_is_a_duplicate_and_undoes_the_unit(url):
    async with opened(url) as repo:
        await repo.atomically(lambda tx: tx.tickets.insert("2026-000001", draft(10), "new", NOW))

        async def again(tx) -> None:
            await tx.outbox.enqueue(note("ack-again"), NOW)
            await tx.tickets.insert("2026-000002", draft(10), "new", NOW)

        with pytest.raises(DuplicateTicket):
            await repo.atomically(again)
        found = await repo.atomically(lambda tx: tx.tickets.by_source("tg", 555, 10))
        assert found.number == "2026-000001"
        assert await repo.atomically(lambda tx: tx.outbox.by_key("ack-again")) is None


@run_async
async def test_units_and_transactions_interleave_and_see_each_others_work(url):
    async with opened(url) as repo:

        async def through_a_unit(i: int) -> str:
            async def create(tx) -> str:
                number = f"2026-{await tx.tickets.next_sequence(2026):06d}"
                await tx.tickets.insert(number, draft(i, chat=2000 + i), "new", NOW)
                return number

            return await repo.atomically(create)

        async def through_a_transaction(i: int) -> str:
            async with repo.transaction() as tx:
                number = f"2026-{await tx.tickets.next_sequence(2026):06d}"
                await tx.tickets.insert(number, draft(i, chat=2000 + i), "new", NOW)
            return number

        numbers = await asyncio.gather(
            *(through_a_unit(i) if i % 2 else through_a_transaction(i) for i in range(30))
        )
        assert sorted(numbers) == [f"2026-{n:06d}" for n in range(1, 31)]  # no number twice


@run_async
async def test_a_unit_that_waits_for_something_else_is_refused_and_leaves_nothing(tmp_path):
    """On SQLite a unit runs off the event loop: a sleep, a network call or a second task inside
    it is a bug, and it is reported as one rather than hanging the connection's thread."""
    repo = SqliteRepository(tmp_path / "bot.sqlite3")
    await repo.open()
    try:
        async def waits(tx) -> None:
            await tx.tickets.insert("2026-000001", draft(10), "new", NOW)
            await asyncio.sleep(0)

        with pytest.raises(UnitSuspended):
            await repo.atomically(waits)
        assert await repo.atomically(lambda tx: tx.tickets.by_number("2026-000001")) is None
    finally:
        await repo.close()


@run_async
async def test_a_caller_cancelled_while_its_unit_runs_gets_all_or_nothing(url):
    """Cancelled at each point of its way (waiting for the lock, on the thread, waiting for the
    COMMIT): the unit is kept whole or not at all, and the store goes on working."""
    async with opened(url) as repo:
        for turns in range(8):

            async def create(tx, turns=turns) -> None:
                await tx.tickets.insert(f"2026-{turns:06d}", draft(turns), "new", NOW)
                await tx.outbox.enqueue(note(f"ack-{turns}"), NOW)

            task = asyncio.create_task(repo.atomically(create))
            for _ in range(turns):
                await asyncio.sleep(0)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            number, key = f"2026-{turns:06d}", f"ack-{turns}"
            ticket = await repo.atomically(lambda tx, n=number: tx.tickets.by_number(n))
            ack = await repo.atomically(lambda tx, k=key: tx.outbox.by_key(k))
            assert (ticket is None) == (ack is None), turns
        assert await repo.atomically(lambda tx: tx.tickets.next_sequence(2026)) == 1


@run_async
async def test_only_the_same_platform_message_is_a_duplicate_another_clash_is_an_error(url):
    """A ticket number taken twice is a bug to surface, not a citizen's message delivered
    again: it must not be read as `DuplicateTicket` (and so answered as already taken in)."""
    async with opened(url) as repo:
        await repo.atomically(lambda tx: tx.tickets.insert("2026-000001", draft(10), "new", NOW))
        with pytest.raises(Exception) as raised:
            await repo.atomically(
                lambda tx: tx.tickets.insert("2026-000001", draft(11), "new", NOW)
            )
        assert not isinstance(raised.value, DuplicateTicket)
        assert "number" in str(raised.value) or "unique" in str(raised.value).lower()

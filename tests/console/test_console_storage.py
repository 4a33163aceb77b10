"""The console's facet (`bot.storage.sql.console`) on both databases: login links used once
and only before they expire, sessions ended, and the queue page's query (the read model's,
`bot.storage.sql.reports`) with every filter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core.console_reports import DUE_SOON
from bot.domain.console import ConsoleSession, secret_hash
from bot.domain.records import NewTicket
from bot.domain.reports import Period, QueueView, TicketFilter, fold
from bot.storage.select import repository_from_url
from bot.storage.sqlite import SqliteRepository

NOW = datetime(2026, 3, 4, 6, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request) -> str:
    if request.param == "sqlite":
        return ":memory:"
    return request.getfixturevalue("pg_cluster").new_database()


def _open(url: str):
    return SqliteRepository(url) if url == ":memory:" else repository_from_url(url)


async def _ticket(tx, n: int, text: str, state: str, body: str | None, due: datetime | None,
                  channel: str = "tg") -> str:
    number = f"26-{n:06d}"
    ticket_id = await tx.tickets.insert(
        number, NewTicket(channel, 100 + n, 100 + n, n, text), "new", NOW
    )
    await tx.tickets.update(ticket_id, None, NOW, state=state, body=body, due_at=due,
                            topic="roads", municipality="63701000")
    return number


async def test_links_sessions_and_the_queue(url: str) -> None:
    repo = _open(url)
    await repo.open()
    try:
        async with repo.transaction() as tx:
            await tx.console.add_login(secret_hash("t"), "tg", 42, NOW, NOW + timedelta(minutes=10))
            assert await tx.console.login_is_open(secret_hash("t"), NOW)
            assert await tx.console.use_login(secret_hash("t"), NOW) == ("tg", 42)
            assert await tx.console.use_login(secret_hash("t"), NOW) is None  # once
            assert not await tx.console.login_is_open(secret_hash("t"), NOW)
            await tx.console.add_login(secret_hash("u"), "vk", 7, NOW, NOW + timedelta(minutes=10))
            late = NOW + timedelta(minutes=10)
            assert await tx.console.use_login(secret_hash("u"), late) is None  # expired
            assert await tx.console.use_login(secret_hash("forged"), NOW) is None
            # A widget answer: kept as used at once; the same hash again is a replay.
            expiry = NOW + timedelta(minutes=10)
            assert await tx.console.add_used_login(secret_hash("w"), "tg", 42, NOW, expiry)
            assert not await tx.console.add_used_login(secret_hash("w"), "tg", 42, NOW, expiry)
            assert not await tx.console.login_is_open(secret_hash("w"), NOW)
            assert await tx.console.use_login(secret_hash("w"), NOW) is None

            session = ConsoleSession("tg", 42, "csrf", NOW, NOW + timedelta(hours=1))
            await tx.console.add_session(secret_hash("s"), session)
            assert await tx.console.session(secret_hash("s")) == session
            assert await tx.console.end_session(secret_hash("s"), NOW)
            assert (await tx.console.session(secret_hash("s"))).ended_at == NOW
            assert not await tx.console.end_session(secret_hash("s"), NOW)

            past, soon, later = NOW - timedelta(hours=1), NOW + timedelta(hours=3), NOW + \
                timedelta(days=5)
            overdue = await _ticket(tx, 1, "яма на Московской", "routed", "city", past)
            due_soon = await _ticket(tx, 2, "фонарь 100% не горит", "in_work", "city", soon)
            later_one = await _ticket(tx, 3, "мусор во дворе", "routed", "transport", later,
                                      channel="vk")
            unrouted = await _ticket(tx, 4, "непонятно что", "with_coordinator", None, None)
            redirected = await _ticket(tx, 5, "не наше", "redirected", None, None)

            async def numbers(view=QueueView.ALL, limit=50, offset=0, **fields):
                flt = TicketFilter(**fields)
                found = await tx.reports.queue(view, flt, NOW, NOW + DUE_SOON, limit, offset)
                counts = await tx.reports.view_counts(flt, NOW, NOW + DUE_SOON)
                return [t.number for t in found], counts[view]

            everything = [redirected, unrouted, later_one, due_soon, overdue]
            assert await numbers() == (everything, 5)
            assert await numbers(QueueView.OVERDUE) == ([overdue], 1)
            assert await numbers(QueueView.DUE_SOON) == ([due_soon], 1)
            assert await numbers(QueueView.UNROUTED) == ([unrouted], 1)
            assert await numbers(QueueView.REDIRECTED) == ([redirected], 1)
            assert await numbers(bodies=frozenset({"city"})) == ([due_soon, overdue], 2)
            assert await numbers(bodies=frozenset()) == ([], 0)
            assert await numbers(bodies=frozenset({"transport"})) == ([later_one], 1)
            assert await numbers(channel="vk") == ([later_one], 1)
            assert await numbers(state="in_work") == ([due_soon], 1)
            assert await numbers(topic="roads", municipality="63701000") == (everything, 5)
            assert await numbers(number=overdue) == ([overdue], 1)
            assert await numbers(text=fold("Московской")) == ([overdue], 1)
            assert await numbers(text="100%") == ([due_soon], 1)  # % is a letter here
            assert await numbers(text="1_0") == ([], 0)
            tomorrow = NOW + timedelta(days=1)
            assert await numbers(period=Period(tomorrow, tomorrow + timedelta(days=1))) == (
                [], 0
            )
            assert await numbers(period=Period(NOW - timedelta(days=1), tomorrow)) == (
                everything, 5
            )
            assert await numbers(limit=2, offset=2) == ([later_one, due_soon], 5)
    finally:
        await repo.close()

"""The console's read model on SQLite and PostgreSQL (`tests.storage.test_contract` explains the
two runs): known tickets with known audit logs go in, and every figure is asserted exactly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.records import NewTicket
from bot.domain.reports import Period, QueueView, RouteCounts, TicketFilter, Totals, fold
from tests.emulators.aio import run_async
from tests.storage.test_contract import opened

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SOON = NOW + timedelta(hours=24)
MARCH = Period(datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 8, tzinfo=UTC))
H = timedelta(hours=1)
ANY = TicketFilter()


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    return request.getfixturevalue("pg_cluster").new_database()


async def ticket(
    tx, n: int, created: datetime, *, state: str, text: str = "Яма во дворе",
    body: str | None = None, topic: str | None = "roads", municipality: str | None = "63701000",
    due: datetime | None = None, events: tuple = (), solved: bool | None = None,
    rating: int | None = None, channel: str = "tg", at: tuple[float, float] | None = None,
) -> int:
    """A ticket as the core leaves it; ``events``: ``(hours after creation, kind, to_state,
    actor)``, in the order the core would write them."""
    lat, lon = at if at else (None, None)
    draft = NewTicket(channel, 1000 + n, 1000 + n, n, text, (), lat, lon)
    ticket_id = await tx.tickets.insert(f"26-{n:06d}", draft, "new", created)
    await tx.tickets.add_event(ticket_id, "created", created, None, None, {})
    for hours, kind, to_state, actor in events:
        await tx.tickets.add_event(
            ticket_id, kind, created + hours * H, None, to_state, {}, actor
        )
    await tx.tickets.update(
        ticket_id, None, created, state=state, body=body, topic=topic,
        municipality=municipality, due_at=due, solved=solved, rating=rating,
    )
    return ticket_id


ROUTED = (0, "routed", "routed", "system")


async def seven_tickets(repo) -> dict[str, int]:
    """T6 is received before the period; the others in it (see each line)."""
    day = datetime(2026, 3, 1, 10, tzinfo=UTC)
    async with repo.transaction() as tx:
        ids = {
            "T6": await ticket(tx, 6, datetime(2026, 2, 20, 10, tzinfo=UTC), state="closed",
                               body="A", due=day, events=(ROUTED, (3, "answered", "answered",
                               "body:A:tg:1"))),
            # Automatic, answered after 2 h, deadline 24 h: in time; solved, rated 5.
            "T1": await ticket(tx, 1, day, state="closed", body="A", due=day + 24 * H,
                               solved=True, rating=5, at=(51.5, 46.0),
                               events=(ROUTED, (2, "answered", "answered", "body:A:tg:1"),
                                       (3, "closed", "closed", "citizen"))),
            # After a question, answered after 10 h with a deadline of 5 h: overdue.
            "T2": await ticket(tx, 2, day + H, state="answered", body="A", due=day + 6 * H,
                               text="Снег во дворе не убран, всё завалено",
                               events=((0, "asked_topic", "collecting", "system"),
                                       (1, "answered", None, "citizen"),
                                       (1, "routed", "routed", "system"),
                                       (10, "answered", "answered", "body:A:tg:1"))),
            # The bot handed it over; a coordinator routed it; no answer, deadline passed.
            "T3": await ticket(tx, 3, day + 2 * H, state="routed", body="B", due=NOW - H,
                               topic="snow", at=(51.6, 46.1),
                               events=((0, "to_coordinator", "with_coordinator", "system"),
                                       (1, "redirected", "routed", "coordinator:tg:9"))),
            # With the coordinators, never routed.
            "T4": await ticket(tx, 4, day + 3 * H, state="with_coordinator", topic=None,
                               municipality=None, text="Помогите_100% срочно",
                               events=((0, "to_coordinator", "with_coordinator", "system"),)),
            # Automatic, answered after 4 h; solved, rated 3.
            "T5": await ticket(tx, 5, day + 4 * H, state="closed", body="A", due=day + 28 * H,
                               solved=True, rating=3, channel="vk",
                               events=(ROUTED, (4, "answered", "answered", "body:A:vk:2"))),
            # Automatic, in work, due within a day: «скоро срок».
            "T7": await ticket(tx, 7, NOW - H, state="in_work", body="B", due=NOW + 3 * H,
                               topic="snow", municipality="63650000",
                               events=(ROUTED, (0.5, "taken", "in_work", "body:B:tg:3"))),
        }
    return ids


@run_async
async def test_dashboard_figures_match_the_tickets_inserted(url):
    async with opened(url) as repo:
        await seven_tickets(repo)
        async with repo.transaction() as tx:
            period = TicketFilter(period=MARCH)
            totals, routes, figures = await tx.reports.figures(period, NOW)
            bodies = {b.body: b for b in figures}
            _, _, scoped = await tx.reports.figures(
                TicketFilter(period=MARCH, bodies=frozenset({"B"})), NOW
            )
    assert totals == Totals(
        received=6, answered=3, answered_in_time=2, overdue=2, with_deadline=5,
        solved_yes=2, solved_no=0, rated=2, rating_sum=8,
    )
    assert routes == RouteCounts(automatic=3, after_question=1, by_coordinator=1, not_routed=1)
    a, b = bodies["A"], bodies["B"]
    assert (a.received, a.answered, a.answered_in_time, a.overdue, a.with_deadline) == (
        3, 3, 2, 1, 3
    )
    assert a.median_first_answer == pytest.approx(4 * 3600, abs=1)  # of 2 h, 10 h, 4 h
    assert (a.rated, a.average_rating, a.overdue_share) == (2, 4.0, pytest.approx(1 / 3))
    assert (b.received, b.answered, b.overdue, b.with_deadline) == (2, 0, 1, 2)
    assert b.median_first_answer is None and b.average_rating is None
    assert [f.body for f in scoped] == ["B"]


@run_async
async def test_median_of_an_even_count_is_the_mean_of_the_middle_two(url):
    async with opened(url) as repo:
        day = datetime(2026, 3, 3, tzinfo=UTC)
        async with repo.transaction() as tx:
            for n, hours in enumerate((1, 3, 5, 100), start=1):
                await ticket(tx, n, day, state="answered", body="C", due=day + 200 * H,
                             events=(ROUTED, (hours, "answered", "answered", "body:C:tg:1")))
        async with repo.transaction() as tx:
            [c] = (await tx.reports.figures(TicketFilter(period=MARCH), NOW))[2]
    assert c.median_first_answer == pytest.approx(4 * 3600, abs=1)


@run_async
async def test_hourly_trend_and_top_topics(url):
    async with opened(url) as repo:
        await seven_tickets(repo)
        async with repo.transaction() as tx:
            hours = await tx.reports.hourly(TicketFilter(period=MARCH), NOW)
            top = await tx.reports.top_topics(TicketFilter(period=MARCH), 1)
    assert hours[0][:3] == (datetime(2026, 3, 1, 10, tzinfo=UTC), 1, 1)
    assert sum(h[1] for h in hours) == 6 and sum(h[2] for h in hours) == 3
    # In time and overdue by hour add up to the period's totals (`figures`: 2 and 2).
    assert sum(h[3] for h in hours) == 2 and sum(h[4] for h in hours) == 2
    assert hours[-1][:3] == (datetime(2026, 3, 2, 8, tzinfo=UTC), 1, 0)
    # 63701000: roads ×3, snow ×1 → roads, of 4; then 63650000 and the unknown place, 1 each.
    first = top[0]
    assert (first.municipality, first.topic, first.count, first.municipality_total) == (
        "63701000", "roads", 3, 4
    )
    assert len(top) == 3


@run_async
async def test_queue_views_counts_pages_scope_and_search(url):
    async with opened(url) as repo:
        ids = await seven_tickets(repo)
        async with repo.transaction() as tx:
            r = tx.reports
            counts = await r.view_counts(TicketFilter(), NOW, SOON)
            assert counts == {
                QueueView.UNROUTED: 1, QueueView.REDIRECTED: 0, QueueView.OVERDUE: 1,
                QueueView.DUE_SOON: 1, QueueView.ALL: 7,
            }
            assert (await r.view_counts(TicketFilter(period=MARCH), NOW, SOON))[
                QueueView.ALL
            ] == 6
            # A text search counts every tab in one pass over the tickets found.
            assert await r.view_counts(TicketFilter(text="во дворе"), NOW, SOON) == {
                QueueView.UNROUTED: 0, QueueView.REDIRECTED: 0, QueueView.OVERDUE: 1,
                QueueView.DUE_SOON: 1, QueueView.ALL: 6,
            }
            assert await r.view_counts(TicketFilter(text="срочно"), NOW, SOON) == {
                QueueView.UNROUTED: 1, QueueView.REDIRECTED: 0, QueueView.OVERDUE: 0,
                QueueView.DUE_SOON: 0, QueueView.ALL: 1,
            }
            assert set((await r.view_counts(TicketFilter(text="нет такого"), NOW, SOON))
                       .values()) == {0}

            async def numbers(view, flt=ANY, limit=50, offset=0):
                rows = await r.queue(view, flt, NOW, SOON, limit, offset)
                return [row.number for row in rows]

            assert await numbers(QueueView.ALL) == [
                "26-000007", "26-000005", "26-000004", "26-000003", "26-000002", "26-000001",
                "26-000006",
            ]
            assert await numbers(QueueView.ALL, limit=2, offset=2) == ["26-000004", "26-000003"]
            assert await numbers(QueueView.OVERDUE) == ["26-000003"]
            assert await numbers(QueueView.DUE_SOON) == ["26-000007"]
            assert await numbers(QueueView.UNROUTED) == ["26-000004"]
            scope_b = TicketFilter(bodies=frozenset({"B"}))
            assert await numbers(QueueView.ALL, scope_b) == ["26-000007", "26-000003"]
            assert await numbers(QueueView.ALL, TicketFilter(bodies=frozenset())) == []
            assert await numbers(QueueView.ALL, TicketFilter(channel="vk")) == ["26-000005"]
            assert await numbers(QueueView.ALL, TicketFilter(topic="snow", state="routed")) == [
                "26-000003"
            ]
            assert await numbers(QueueView.ALL, TicketFilter(municipality="63650000")) == [
                "26-000007"
            ]
            assert await numbers(QueueView.ALL, TicketFilter(number="26-000003")) == [
                "26-000003"
            ]
            # Case-insensitive, ё = е; % and _ are letters, not wildcards.
            assert await numbers(QueueView.ALL, TicketFilter(text=fold("СНЕГ"))) == ["26-000002"]
            assert await numbers(QueueView.ALL, TicketFilter(text=fold("все завалено"))) == [
                "26-000002"
            ]
            assert await numbers(QueueView.ALL, TicketFilter(text="_100%")) == ["26-000004"]
            assert await numbers(QueueView.ALL, TicketFilter(text="%")) == ["26-000004"]
            assert await numbers(QueueView.ALL, TicketFilter(text="м_")) == []
            [row] = await r.queue(QueueView.ALL, TicketFilter(number="26-000003"), NOW, SOON, 1, 0)
            assert (row.id, row.body, row.state, row.due_at) == (ids["T3"], "B", "routed", NOW - H)
            assert row.excerpt == "Яма во дворе" and row.created_at == datetime(
                2026, 3, 1, 12, tzinfo=UTC
            )


@run_async
async def test_export_in_keyset_batches_and_map_points(url):
    async with opened(url) as repo:
        ids = await seven_tickets(repo)
        async with repo.transaction() as tx:
            r = tx.reports
            flt = TicketFilter(period=MARCH)
            assert await r.export_count(flt) == 6
            first, cursor = await r.export_batch(flt, None, 4)
            rest, end = await r.export_batch(flt, cursor, 4)
            assert end is None and cursor == ("2026-03-01T13:00:00.000000Z", ids["T4"])
            assert [row.number for row in first + rest] == [
                f"26-{n:06d}" for n in (1, 2, 3, 4, 5, 7)
            ]
            # A full last batch says so only with the next, empty one.
            whole, cursor = await r.export_batch(flt, None, 6)
            assert len(whole) == 6 and await r.export_batch(flt, cursor, 6) == ([], None)
            t1 = first[0]
            assert (t1.solved, t1.rating, t1.body, t1.channel) == (True, 5, "A", "tg")
            assert t1.first_answer_at == datetime(2026, 3, 1, 12, tzinfo=UTC)
            assert first[2].first_answer_at is None
            points = await r.map_points(flt, 10)
            assert [(p.number, p.lat, p.lon) for p in points] == [
                ("26-000003", 51.6, 46.1), ("26-000001", 51.5, 46.0)
            ]
            assert [p.number for p in await r.map_points(TicketFilter(topic="snow"), 10)] == [
                "26-000003"
            ]
            assert len(await r.map_points(flt, 1)) == 1
            assert await r.by_municipality(flt) == {"63701000": 4, "63650000": 1}


@run_async
async def test_migrations_19_and_21_derive_the_milestones_of_tickets_stored_before(url):
    """A database left at version 16: its tickets get ``routed_how``, ``first_answer_at`` and
    ``search_text`` from their audit log when the bot starts with migration 19."""
    from bot.storage.migrations import (
        MIGRATIONS,
        POSTGRES,
        SCHEMA_VERSION_TABLE,
        SQLITE,
        statements,
    )

    old = [v for v, _, _ in MIGRATIONS if v < 19]
    rows = [
        "INSERT INTO tickets (number, channel, text, attachments, state, candidates,"
        " tried_bodies, created_at, updated_at) VALUES ('26-000001', 'tg', 'Всё ЗАЛИТО водой',"
        " '[]', 'answered', '[]', '[]', '2026-03-01T10:00:00.000000Z',"
        " '2026-03-01T10:00:00.000000Z')",
        *(
            "INSERT INTO ticket_events (ticket_id, at, kind, to_state, detail, actor) VALUES"
            f" (1, '2026-03-01T1{n}:00:00.000000Z', '{kind}', {to}, '{{}}', '{actor}')"
            for n, kind, to, actor in (
                (0, "asked_place", "'collecting'", "system"), (1, "routed", "'routed'", "system"),
                (2, "answered", "'answered'", "body:A:tg:1"),
                (3, "answered", "'answered'", "body:A:tg:1"),
            )
        ),
    ]
    if url.startswith("sqlite"):
        import sqlite3

        with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
            db.execute(SCHEMA_VERSION_TABLE.format(timestamp="TEXT"))
            for version in old:
                for statement in statements(version, SQLITE):
                    db.execute(statement)
                db.execute(f"INSERT INTO schema_version VALUES ({version}, 'v', '')")
            for statement in rows:
                db.execute(statement)
    else:
        import asyncpg

        conn = await asyncpg.connect(url)
        try:
            await conn.execute(SCHEMA_VERSION_TABLE.format(timestamp="TEXT"))
            for version in old:
                for statement in statements(version, POSTGRES):
                    await conn.execute(statement)
                await conn.execute(f"INSERT INTO schema_version VALUES ({version}, 'v', '')")
            for statement in rows:
                await conn.execute(statement)
        finally:
            await conn.close()
    async with opened(url) as repo, repo.transaction() as tx:
        row = await tx.sql.one(
            "SELECT routed_how, first_answer_at, search_text, first_answer_seconds"
            " FROM tickets WHERE id = 1"
        )
        assert tuple(row) == (
            "after_question", "2026-03-01T12:00:00.000000Z", "все залито водой", 7200
        )  # first_answer_seconds: migration 21
        assert [r.number for r in await tx.reports.queue(
            QueueView.ALL, TicketFilter(text="залито"), NOW, SOON, 10, 0
        )] == ["26-000001"]

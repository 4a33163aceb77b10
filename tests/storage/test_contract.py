"""One storage contract, two backends: whatever the core can observe through a transaction must
be the same on SQLite and on PostgreSQL, or switching ``DATABASE_URL`` would change behaviour.

Every test runs twice — on a SQLite file and on a fresh database of a real PostgreSQL server
(`tests.servers_pg`) — through `bot.storage.repository_from_url`, as the bot opens it.
"""

from __future__ import annotations

import asyncio
import socket
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, closing
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.messages import Attachment
from bot.domain.records import (
    DuplicateTicket,
    ModelVersion,
    NewTicket,
    OutboxDraft,
    StaffBinding,
    StaffInvite,
    TicketMessage,
    TicketNote,
    TrainingExample,
)
from bot.storage import repository_from_url
from bot.storage.migrations import latest_version
from bot.storage.postgres import DatabaseUnavailable
from tests.emulators.aio import run_async

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PHOTO = Attachment("photo", "AgAD-фото")


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    return request.getfixturevalue("pg_cluster").new_database()


@asynccontextmanager
async def opened(url: str) -> AsyncIterator:
    repo = repository_from_url(url)
    await repo.open()
    try:
        yield repo
    finally:
        await repo.close()


def draft(message_id: int, *, chat: int = 555, text: str = "Яма во дворе") -> NewTicket:
    return NewTicket("tg", chat, chat, message_id, text, (PHOTO,), 51.53, 46.03)


def note(key: str, chat: int = 555, ticket_id: int | None = None, **extra) -> OutboxDraft:
    return OutboxDraft(
        key, "tg", chat, {"text": f"Сообщение {key}"}, "citizen", ticket_id, **extra
    )


@run_async
async def test_migrations_are_applied_once_and_reopening_is_a_no_op(url):
    async with opened(url) as repo:
        assert await repo.schema_version() == latest_version()
    async with opened(url) as repo:
        assert await repo.schema_version() == latest_version()


@run_async
async def test_tickets_are_numbered_stored_and_found_every_way(url):
    async with opened(url) as repo:
        async with repo.transaction() as tx:
            assert [await tx.tickets.next_sequence(2026) for _ in range(3)] == [1, 2, 3]
            assert await tx.tickets.next_sequence(2027) == 1
            first = await tx.tickets.insert("2026-000001", draft(10), "new", NOW)
            second = await tx.tickets.insert("2026-000002", draft(11), "new", NOW)
        async with repo.transaction() as tx:
            ticket = await tx.tickets.by_id(first)
            assert (ticket.number, ticket.state) == ("2026-000001", "new")
            assert ticket.text == "Яма во дворе"
            assert ticket.attachments == (PHOTO,)
            assert (ticket.lat, ticket.lon) == (51.53, 46.03)
            assert ticket.created_at == NOW and ticket.candidates == () and ticket.solved is None
            assert (await tx.tickets.by_number("2026-000002")).id == second
            assert (await tx.tickets.by_source("tg", 555, 11)).id == second
            assert await tx.tickets.by_source("tg", 555, 99) is None
            assert (await tx.tickets.latest_of_chat("tg", 555)).id == second
            assert [t.id for t in await tx.tickets.of_citizen("tg", 555)] == [first, second]
            assert [t.id for t in await tx.tickets.in_state("new")] == [first, second]
            assert await tx.tickets.seen_message("tg", 555, 10) == "2026-000001"
            assert await tx.tickets.by_id(9999) is None
            # A citizen's message is looked up once: seen before, or new with the latest ticket.
            assert await tx.tickets.seen_or_latest("tg", 555, 10) == ("2026-000001", None)
            seen, latest = await tx.tickets.seen_or_latest("tg", 555, 12)
            assert seen is None and latest == await tx.tickets.by_id(second)
            assert await tx.tickets.seen_or_latest("tg", 556, 10) == (None, None)


@run_async
async def test_the_same_platform_message_twice_is_a_duplicate_and_the_transaction_goes_on(url):
    async with opened(url) as repo:
        async with repo.transaction() as tx:
            await tx.tickets.insert("2026-000001", draft(10), "new", NOW)
            with pytest.raises(DuplicateTicket):
                await tx.tickets.insert("2026-000002", draft(10), "new", NOW)
            # What the core does next in the same transaction must still work.
            assert (await tx.tickets.by_source("tg", 555, 10)).number == "2026-000001"
            await tx.tickets.insert("2026-000003", draft(12), "new", NOW)
        async with repo.transaction() as tx:
            assert [t.number for t in await tx.tickets.of_citizen("tg", 555)] == [
                "2026-000001",
                "2026-000003",
            ]


@run_async
async def test_an_update_happens_only_from_the_expected_state(url):
    async with opened(url) as repo:
        later = NOW + timedelta(hours=1)
        async with repo.transaction() as tx:
            ticket_id = await tx.tickets.insert("2026-000001", draft(10), "new", NOW)
            assert await tx.tickets.update(
                ticket_id,
                "new",
                later,
                state="routed",
                body="city",
                candidates=[{"body": "city", "score": 0.8}],
                tried_bodies=["transport"],
                due_at=later + timedelta(days=10),
                extended_at=later,
                solved=True,
                rating=5,
            )
            assert not await tx.tickets.update(ticket_id, "new", later, state="closed")
            assert await tx.tickets.update(ticket_id, None, later, route_round=2)
            with pytest.raises(ValueError):
                await tx.tickets.update(ticket_id, None, later, number="x")
        async with repo.transaction() as tx:
            ticket = await tx.tickets.by_id(ticket_id)
        assert (ticket.state, ticket.body, ticket.route_round) == ("routed", "city", 2)
        assert ticket.candidates == ({"body": "city", "score": 0.8},)
        assert ticket.tried_bodies == ("transport",)
        assert ticket.due_at == later + timedelta(days=10) and ticket.updated_at == later
        assert (ticket.solved, ticket.rating, ticket.extended_at) == (True, 5, later)


@run_async
async def test_a_failed_transaction_leaves_nothing_behind(url):
    async with opened(url) as repo:
        with pytest.raises(RuntimeError, match="boom"):
            async with repo.transaction() as tx:
                await tx.tickets.insert("2026-000001", draft(10), "new", NOW)
                await tx.outbox.enqueue(note("ack"), NOW)
                raise RuntimeError("boom")
        async with repo.transaction() as tx:
            assert await tx.tickets.by_number("2026-000001") is None
            assert await tx.outbox.by_key("ack") is None


@run_async
async def test_an_audit_entry_that_cannot_be_written_fails_its_whole_transaction(url):
    """SQLite writes the audit log with the transaction's next statement or at its end, not at
    once: an entry that breaks a constraint must still undo the transaction around it."""
    async with opened(url) as repo:
        async with repo.transaction() as tx:
            kept = await tx.tickets.insert("2026-000001", draft(10), "new", NOW)
        with pytest.raises(Exception, match=r"(?i)foreign key"):
            async with repo.transaction() as tx:
                await tx.tickets.insert("2026-000002", draft(11), "new", NOW)
                await tx.tickets.add_event(kept, "created", NOW)
                await tx.tickets.add_event(kept + 1000, "created", NOW)  # no such ticket
        async with repo.transaction() as tx:
            assert await tx.tickets.by_number("2026-000002") is None
            assert await tx.tickets.events(kept) == []
            assert await tx.tickets.by_number("2026-000001") is not None


async def committed_ticket(url: str, other, ticket_id: int) -> bool:
    """Whether another connection sees the ticket. SQLite: a plain reader, which sees the last
    COMMIT without waiting for the writer (a transaction of ``other`` would wait for it)."""
    if url.startswith("sqlite:///"):
        with closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as reader:
            row = reader.execute("SELECT 1 FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
            return row is not None
    async with other.transaction() as tx:
        return await tx.tickets.by_id(ticket_id) is not None


@run_async
async def test_a_burst_of_transactions_each_is_durable_on_return_and_a_failure_stays_alone(url):
    """Twenty transactions at once (SQLite lets queued ones share one COMMIT): each one's work
    is visible to another connection the moment its ``async with`` returns, and the one that
    fails half-way takes nothing of the others with it."""
    async with opened(url) as repo, opened(url) as other:
        seen_elsewhere: dict[int, bool] = {}

        async def appeal(i: int) -> None:
            async with repo.transaction() as tx:
                ticket_id = await tx.tickets.insert(
                    f"2026-{i:06d}", draft(100 + i, chat=1000 + i), "new", NOW
                )
                await tx.outbox.enqueue(note(f"ack-{i}", chat=1000 + i, ticket_id=ticket_id), NOW)
                await asyncio.sleep(0)  # let the others queue up behind this one
                if i == 7:
                    raise RuntimeError("boom")
            seen_elsewhere[i] = await committed_ticket(url, other, ticket_id)

        results = await asyncio.gather(*(appeal(i) for i in range(20)), return_exceptions=True)
        assert [i for i, r in enumerate(results) if isinstance(r, Exception)] == [7]
        assert seen_elsewhere == {i: True for i in range(20) if i != 7}
        async with other.transaction() as tx:
            assert await tx.tickets.by_number("2026-000007") is None
            assert await tx.outbox.by_key("ack-7") is None
            assert await tx.outbox.by_key("ack-8") is not None


@run_async
async def test_events_and_thread_messages_and_repeated_deliveries(url):
    async with opened(url) as repo:
        async with repo.transaction() as tx:
            ticket_id = await tx.tickets.insert("2026-000001", draft(10), "new", NOW)
            await tx.tickets.add_event(ticket_id, "created", NOW, None, "new")
            await tx.tickets.add_event(
                ticket_id, "rejected", NOW, "routed", "new", {"reason": "не наше"}, actor="tg:7"
            )
            message = TicketMessage("body", "tg", -1001, 77, "Отремонтируем", NOW, (PHOTO,))
            assert await tx.tickets.add_message(ticket_id, message)
            assert not await tx.tickets.add_message(ticket_id, message)  # the same delivery again
            row_id = await tx.outbox.enqueue(note("to-city", chat=-1001, ticket_id=ticket_id), NOW)
            await tx.outbox.set_state(row_id, "sent", platform_message_id=900, sent_at=NOW)
        async with repo.transaction() as tx:
            events = await tx.tickets.events(ticket_id)
            assert [e["kind"] for e in events] == ["created", "rejected"]
            assert events[1]["detail"] == {"reason": "не наше"} and events[1]["actor"] == "tg:7"
            assert events[0]["actor"] == "system" and events[0]["to_state"] == "new"
            assert await tx.tickets.messages(ticket_id) == [message]
            assert await tx.tickets.seen_message("tg", -1001, 77) == "2026-000001"
            assert await tx.tickets.id_by_sent_message("tg", -1001, 900) == ticket_id
            assert await tx.tickets.id_by_sent_message("tg", -1001, 901) is None


@run_async
async def test_queue_writes_without_answering_and_within_its_transaction(url):
    """`OutboxTx.queue` and an unconditional `TicketsTx.update` may wait for the transaction's
    next statement (SQLite): a later read in the same transaction sees them, a failure undoes
    them, and a repeated key still makes no second row."""
    async with opened(url) as repo:
        async with repo.transaction() as tx:
            ticket_id = await tx.tickets.insert("2026-000001", draft(10), "new", NOW)
            assert await tx.tickets.update(ticket_id, None, NOW, state="routed", body="city")
            await tx.outbox.queue(note("q1", ticket_id=ticket_id), NOW)
            await tx.outbox.queue(note("q1", ticket_id=ticket_id), NOW)  # same key: a no-op
            assert (await tx.outbox.by_key("q1")).ticket_id == ticket_id
            assert (await tx.tickets.by_id(ticket_id)).state == "routed"
        with pytest.raises(RuntimeError):
            async with repo.transaction() as tx:
                await tx.tickets.update(ticket_id, None, NOW, state="closed")
                await tx.outbox.queue(note("q2", ticket_id=ticket_id), NOW)
                raise RuntimeError("the handler failed")
        async with repo.transaction() as tx:
            assert (await tx.tickets.by_id(ticket_id)).state == "routed"
            assert await tx.outbox.by_key("q2") is None
            assert [r.key for r in await tx.outbox.in_state("pending")] == ["q1"]


@run_async
async def test_outbox_rows_are_queued_once_and_claimed_once_in_chat_order(url):
    async with opened(url) as repo:
        async with repo.transaction() as tx:
            first = await tx.outbox.enqueue(note("a1"), NOW)
            assert await tx.outbox.enqueue(note("a1"), NOW) is None  # same key: a no-op
            second = await tx.outbox.enqueue(note("a2"), NOW)
            other = await tx.outbox.enqueue(note("b1", chat=777, resend_if_uncertain=True), NOW)
            later = await tx.outbox.enqueue(note("c1", chat=888), NOW + timedelta(minutes=5))
        async with repo.transaction() as tx:
            assert await tx.outbox.next_due_at() == NOW
            heads = await tx.outbox.due(NOW, 10)
            # One row per chat (the oldest), and nothing that is not due yet.
            assert [r.id for r in heads] == [first, other]
            assert heads[0].payload == {"text": "Сообщение a1"}
            assert heads[1].resend_if_uncertain and not heads[0].resend_if_uncertain
        async with repo.transaction() as tx:
            assert await tx.outbox.claim([first]) == {first}
            assert await tx.outbox.claim([first]) == set()  # a second worker loses
        async with repo.transaction() as tx:
            # a2 waits while a1 is being sent: messages to one chat keep their order.
            assert [r.id for r in await tx.outbox.due(NOW, 10)] == [other]
            await tx.outbox.set_state(
                first, "sent", platform_message_id=42, sent_at=NOW, last_error=None
            )
            assert [r.id for r in await tx.outbox.due(NOW, 10)] == [second, other]
            await tx.outbox.set_state(
                second, "pending", next_attempt_at=NOW + timedelta(seconds=30), last_error="429"
            )
            with pytest.raises(ValueError):
                await tx.outbox.set_state(second, "sent", payload="x")
        async with repo.transaction() as tx:
            row = await tx.outbox.by_key("a1")
            assert (row.id, row.state, row.attempts, row.platform_message_id) == (
                first, "sent", 1, 42
            )
            assert row.sent_at == NOW
            assert (await tx.outbox.row(second)).last_error == "429"
            assert [r.key for r in await tx.outbox.in_state("pending")] == ["a2", "b1", "c1"]
            assert [r.id for r in await tx.outbox.due(NOW + timedelta(minutes=5), 1)] == [second]
            assert await tx.outbox.row(later) is not None
            assert await tx.outbox.by_key("nope") is None
            # What a reply quoting message 42 of chat 555 is about (another chat's 42 is not).
            assert (await tx.outbox.sent_as("tg", 555, 42)).key == "a1"
            assert await tx.outbox.sent_as("tg", 777, 42) is None
            assert await tx.outbox.sent_as("vk", 555, 42) is None
            await tx.outbox.scrub_row(first, "")
            assert (await tx.outbox.row(first)).chat_id is None


@run_async
async def test_a_reminder_is_recorded_once_per_ticket_round_and_kind(url):
    async with opened(url) as repo, repo.transaction() as tx:
        ticket_id = await tx.tickets.insert("2026-000001", draft(10), "routed", NOW)
        assert await tx.tickets.record_reminder(ticket_id, 0, "half", NOW, skipped=False)
        assert not await tx.tickets.record_reminder(ticket_id, 0, "half", NOW, skipped=True)
        assert await tx.tickets.record_reminder(ticket_id, 1, "half", NOW, skipped=True)
        assert await tx.tickets.record_reminder(ticket_id, 0, "overdue", NOW, skipped=False)


@run_async
async def test_staff_invites_bindings_and_forum_topics(url):
    async with opened(url) as repo:
        invite = StaffInvite("tok-1", "city", "tg", 42, NOW, NOW + timedelta(days=1))
        async with repo.transaction() as tx:
            await tx.staff.add_invite(invite)
            assert await tx.staff.invite("tok-1") == invite
            assert await tx.staff.invite("tok-2") is None
            assert await tx.staff.use_invite("tok-1", NOW)
            assert not await tx.staff.use_invite("tok-1", NOW)  # single use
            assert (await tx.staff.invite("tok-1")).used_at == NOW
            group = StaffBinding("tg", -1001, 7, "city")
            assert await tx.staff.add_binding(group, NOW)
            assert await tx.staff.add_binding(StaffBinding("vk", 2000000001, 8, "transport"),
                                        NOW + timedelta(seconds=1))
            # The same binding again, the group now a forum: refreshed, not duplicated.
            assert not await tx.staff.add_binding(StaffBinding("tg", -1001, 7, "city", forum=True),
                                            NOW + timedelta(seconds=2))
            assert await tx.staff.bindings() == [
                StaffBinding("tg", -1001, 7, "city", forum=True),
                StaffBinding("vk", 2000000001, 8, "transport"),
            ]
            assert await tx.staff.forum_thread("tg", -1001, "2026-000001") is None
            await tx.staff.set_forum_thread("tg", -1001, "2026-000001", 15, NOW)
            await tx.staff.set_forum_thread("tg", -1001, "2026-000001", 16, NOW)  # recreated topic
            assert await tx.staff.forum_thread("tg", -1001, "2026-000001") == 16
            assert await tx.staff.topic_key_by_thread("tg", -1001, 16) == "2026-000001"
            assert await tx.staff.topic_key_by_thread("tg", -1001, 15) is None


@run_async
async def test_a_body_chat_marked_unreachable_and_back(url):
    """Marked per chat (a table chat has no binding); every binding in it shows the mark."""
    async with opened(url) as repo:
        async with repo.transaction() as tx:
            await tx.staff.add_binding(StaffBinding("tg", -1001, 7, "city"), NOW)
            await tx.staff.add_binding(StaffBinding("tg", 7, 7, "city"), NOW)
            assert await tx.staff.unreachable_chats() == {}
            assert await tx.staff.mark_unreachable("tg", -1001, "kicked", NOW)
            later = NOW + timedelta(hours=1)
            assert not await tx.staff.mark_unreachable("tg", -1001, "403", later)  # first stays
            assert await tx.staff.mark_unreachable("vk", 2000000001, "901", NOW)  # a table chat
        async with repo.transaction() as tx:
            assert await tx.staff.unreachable_chats() == {
                ("tg", -1001): NOW, ("vk", 2000000001): NOW,
            }
            assert await tx.staff.bindings() == [
                StaffBinding("tg", -1001, 7, "city", unreachable_since=NOW),
                StaffBinding("tg", 7, 7, "city"),
            ]
            assert await tx.staff.mark_reachable("tg", -1001)
            assert not await tx.staff.mark_reachable("tg", -1001)
            assert [b.unreachable_since for b in await tx.staff.bindings()] == [None, None]
            assert list(await tx.staff.unreachable_chats()) == [("vk", 2000000001)]


@run_async
async def test_routing_table_versions_proposals_and_statistics(url):
    async with opened(url) as repo, repo.transaction() as tx:
        assert await tx.tables.latest() is None
        v1 = await tx.tables.add_version(
            content="region: Саратовская\n", content_hash="h1", source="file",
            applied_by="system", now=NOW, summary="из файла", seed_hash="s1",
        )
        v2 = await tx.tables.add_version(
            content="region: Саратовская область\n", content_hash="h2", source="upload",
            applied_by="tg:42", now=NOW + timedelta(hours=1), summary="+1 орган",
        )
        assert (await tx.tables.latest()).id == v2
        assert (await tx.tables.version(v1)).content == "region: Саратовская\n"
        assert await tx.tables.latest_seed_hash() == "s1"
        assert [v.id for v in await tx.tables.versions(5)] == [v2, v1]
        proposal = await tx.tables.add_proposal(
            content="x", content_hash="h3", base_version=v2, kind="rollback",
            proposed_by="tg:42", now=NOW, summary="откат", restores=v1,
        )
        assert (await tx.tables.proposal(proposal)).state == "pending"
        assert await tx.tables.settle_proposal(proposal, "applied")
        assert not await tx.tables.settle_proposal(proposal, "cancelled")  # pressed twice

        answered = await tx.tickets.insert("2026-000001", draft(10), "routed", NOW)
        await tx.tickets.update(answered, None, NOW, body="city", due_at=NOW)
        await tx.tickets.add_event(
            answered, "answer", NOW + timedelta(hours=2), "routed", "answered"
        )
        late = await tx.tickets.insert("2026-000002", draft(11), "routed", NOW)
        await tx.tickets.update(late, None, NOW, body="city", due_at=NOW + timedelta(hours=1))
        assert await tx.stats.by_state() == {"routed": 2}
        assert await tx.stats.by_body() == {"city": 2}
        overdue = await tx.stats.overdue(("routed",), NOW + timedelta(minutes=30))
        assert overdue == [("2026-000001", "city", NOW)]
        assert await tx.stats.overdue_count(("routed",), NOW + timedelta(minutes=30)) == 1
        assert await tx.stats.overdue_count(("routed",), NOW + timedelta(hours=2)) == 2
        assert await tx.stats.overdue_count(("answered",), NOW + timedelta(hours=2)) == 0
        assert await tx.stats.first_answer_delays() == [7200.0]


@run_async
async def test_the_outbox_backlog_counts_unsent_rows_and_dates_the_oldest(url):
    """What `/metrics` shows of the outbox: rows not sent yet by state, and when the oldest
    of them was queued; sent, failed and uncertain rows are not a backlog."""
    async with opened(url) as repo:
        async with repo.transaction() as tx:
            assert await tx.stats.unsent() == {}
            assert await tx.stats.oldest_unsent_at() is None
            done = await tx.outbox.enqueue(note("a1"), NOW)
            oldest = await tx.outbox.enqueue(note("b1", chat=777), NOW + timedelta(minutes=1))
            await tx.outbox.enqueue(note("c1", chat=888), NOW + timedelta(minutes=2))
            await tx.outbox.enqueue(note("d1", chat=999), NOW + timedelta(minutes=3))
        async with repo.transaction() as tx:
            await tx.outbox.set_state(done, "sent", sent_at=NOW)
            await tx.outbox.claim([oldest])
        async with repo.transaction() as tx:
            assert await tx.stats.unsent() == {"pending": 2, "sending": 1}
            assert await tx.stats.oldest_unsent_at() == NOW + timedelta(minutes=1)
            await tx.outbox.set_state(oldest, "uncertain")
        async with repo.transaction() as tx:
            assert await tx.stats.unsent() == {"pending": 2}
            assert await tx.stats.oldest_unsent_at() == NOW + timedelta(minutes=2)


@run_async
async def test_model_versions_keep_their_figures_and_the_latest_swapped_one_serves(url):
    def version(path, swapped, at, restores=None):
        return ModelVersion(0, at, "retrain", path, swapped, 80, 20, 11, 14, restores, "system")

    async with opened(url) as repo:
        async with repo.transaction() as tx:
            assert await tx.models.in_force() is None and await tx.models.versions(5) == []
            first = await tx.models.add(version("/m/1.pkl.gz", True, NOW))
            second = await tx.models.add(version(None, False, NOW + timedelta(hours=1)))
        async with repo.transaction() as tx:
            serving = await tx.models.in_force()
            assert serving == ModelVersion(
                first, NOW, "retrain", "/m/1.pkl.gz", True, 80, 20, 11, 14, None, "system"
            )
            assert [v.id for v in await tx.models.versions(5)] == [second, first]
            assert (await tx.models.version(second)).swapped is False
            third = await tx.models.add(version(None, True, NOW + timedelta(hours=2), first))
            assert (await tx.models.in_force()).id == third
            assert (await tx.models.version(third)).restores == first
            assert await tx.models.version(999) is None


@run_async
async def test_training_examples_and_anonymising_a_ticket(url):
    async with opened(url) as repo:
        async with repo.transaction() as tx:
            ticket_id = await tx.tickets.insert("2026-000001", draft(10), "routed", NOW)
            await tx.tickets.add_event(ticket_id, "rejected", NOW, detail={"reason": "дом Иванова"})
            await tx.tickets.add_message(
                ticket_id, TicketMessage("citizen", "tg", 555, 11, "Ещё фото", NOW, (PHOTO,))
            )
            await tx.outbox.enqueue(note("ack", ticket_id=ticket_id), NOW)
            await tx.outbox.enqueue(
                OutboxDraft("city", "tg", -1001, {"text": "Яма"}, "body", ticket_id), NOW
            )
            example = TrainingExample(
                "Яма во дворе", "roads", "city", "transport", at=NOW, reason="другой район"
            )
            await tx.training.add(example, ticket_id)
            await tx.training.add(
                TrainingExample("Мусор", "trash", "city", at=NOW, source="seed"), None
            )
            assert [e.ticket for e in await tx.training.examples()] == ["2026-000001", None]
            assert (await tx.training.examples())[0].wrong_body == "transport"
            assert [e.reason for e in await tx.training.examples()] == ["другой район", None]

            await tx.tickets.anonymise(ticket_id, "[удалено]", NOW + timedelta(days=1))
        async with repo.transaction() as tx:
            ticket = await tx.tickets.by_id(ticket_id)
            assert (ticket.text, ticket.chat_id, ticket.attachments) == ("[удалено]", None, ())
            assert ticket.anonymised_at == NOW + timedelta(days=1)
            [message] = await tx.tickets.messages(ticket_id)
            assert (message.text, message.chat_id, message.attachments) == ("[удалено]", None, ())
            citizen, city = await tx.outbox.in_state("cancelled")
            assert (citizen.chat_id, citizen.payload) == (None, {"text": "[удалено]"})
            assert city.chat_id == -1001  # the body's chat is not the citizen's
            assert (await tx.tickets.events(ticket_id))[0]["detail"] == {"reason": None}
            assert [e.text for e in await tx.training.examples()] == ["Мусор"]
            await tx.outbox.enqueue(note("other", chat=555), NOW)
            await tx.outbox.scrub_chat("tg", 555, "")
            assert (await tx.outbox.by_key("other")).state == "cancelled"


@run_async
async def test_notes_revoked_bindings_and_what_a_reply_points_at(url):
    """Issue 16: internal notes (once per platform message, blanked with the ticket), a revoked
    binding (gone, audited, once), the key of the row a platform message was sent by, pending
    staff rows of a chat cancelled."""
    async with opened(url) as repo, repo.transaction() as tx:
        ticket_id = await tx.tickets.insert("2026-000001", draft(10), "routed", NOW)
        first = TicketNote("body:city:tg:7", "tg", -1001, 31, "Вася, глянь", NOW, (PHOTO,))
        assert await tx.tickets.add_note(ticket_id, first)
        assert not await tx.tickets.add_note(ticket_id, first)  # a repeated delivery
        later = TicketNote("coordinator:tg:42", "tg", 42, 5, "Ок", NOW + timedelta(minutes=1))
        assert await tx.tickets.add_note(ticket_id, later)
        assert await tx.tickets.notes(ticket_id) == [first, later]
        assert await tx.tickets.messages(ticket_id) == []  # never part of the thread
        row = await tx.outbox.enqueue(
            OutboxDraft("2026-000001:body:1:tg:-1001", "tg", -1001, {"text": "Карточка"},
                        "body", ticket_id), NOW)
        await tx.outbox.mark_sent([(row, 900, NOW)])
        assert await tx.outbox.key_of_sent("tg", -1001, 900) == "2026-000001:body:1:tg:-1001"
        assert await tx.outbox.key_of_sent("tg", -1001, 901) is None
        await tx.outbox.enqueue(
            OutboxDraft("later", "tg", -1001, {"text": "Ещё"}, "body", ticket_id), NOW)
        assert await tx.outbox.cancel_pending("tg", -1001, "body") == 1
        assert (await tx.outbox.by_key("later")).state == "cancelled"
        binding = StaffBinding("tg", -1001, 7, "city")
        await tx.staff.add_binding(binding, NOW)
        assert (await tx.staff.bindings())[0].since == NOW
        assert await tx.staff.remove_binding(binding, NOW, "coordinator:tg:42")
        assert not await tx.staff.remove_binding(binding, NOW, "coordinator:tg:42")
        assert await tx.staff.bindings() == []
        audit = await tx.sql.all("SELECT kind, actor, chat_id, user_id, body FROM staff_audit")
        assert [tuple(r) for r in audit] == [("revoked", "coordinator:tg:42", -1001, 7, "city")]
        await tx.tickets.anonymise(ticket_id, "[удалено]", NOW)
        blanked = await tx.tickets.notes(ticket_id)
        assert [(n.text, n.attachments, n.author) for n in blanked] == [
            ("[удалено]", (), "body:city:tg:7"), ("[удалено]", (), "coordinator:tg:42")]


@run_async
async def test_a_transaction_inside_a_transaction_is_refused(url):
    async with opened(url) as repo, repo.transaction():
        with pytest.raises(RuntimeError):
            async with repo.transaction():
                pass


@run_async
async def test_an_unreachable_postgresql_is_one_russian_line_without_the_password():
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    repo = repository_from_url(f"postgresql://bot:s3cret-pass@127.0.0.1:{port}/bot")
    with pytest.raises(DatabaseUnavailable) as caught:
        await repo.open()
    message = str(caught.value)
    assert message.startswith(f"Не удалось подключиться к PostgreSQL 127.0.0.1:{port}/bot")
    assert "s3cret-pass" not in message


@run_async
async def test_two_processes_taking_tickets_at_once_never_share_a_number(url):
    async with opened(url) as first, opened(url) as second:

        async def take(repo, message_id: int) -> str:
            async with repo.transaction() as tx:
                number = f"2026-{await tx.tickets.next_sequence(2026):06d}"
                await tx.tickets.insert(number, draft(message_id), "new", NOW)
                return number

        numbers = await asyncio.gather(
            *(take(first if n % 2 else second, n) for n in range(1, 41))
        )
    assert sorted(numbers) == [f"2026-{n:06d}" for n in range(1, 41)]

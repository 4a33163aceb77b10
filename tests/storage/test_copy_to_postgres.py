"""`python -m bot.storage.copy`: a SQLite deployment moves to PostgreSQL with nothing lost.

A SQLite database filled through the same `Tx` methods the bot uses is copied into a fresh
PostgreSQL database; read back through the PostgreSQL repository, tickets, their events and
messages, the outbox, staff bindings and table versions are the same, and the next ticket gets
a fresh id. A second copy into the now non-empty database is refused.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.messages import Attachment
from bot.domain.records import NewTicket, OutboxDraft, StaffBinding, TicketMessage
from bot.storage.copy import CopyRefused, copy_database, main
from bot.storage.postgres import PostgresRepository
from bot.storage.sqlite import SqliteRepository
from tests.emulators.aio import run_async

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def fill(repo: SqliteRepository) -> list[int]:
    ids = []
    async with repo.transaction() as tx:
        for n in range(1, 4):
            draft = NewTicket("tg", 555, 555, n, f"Яма №{n}", (Attachment("photo", f"f{n}"),),
                              51.5, 46.0)
            ticket_id = await tx.tickets.insert(f"2026-00000{n}", draft, "new", NOW)
            await tx.tickets.next_sequence(2026)
            await tx.tickets.add_event(ticket_id, "created", NOW, None, "new", {"reason": "тест"})
            await tx.tickets.add_message(
                ticket_id, TicketMessage("body", "tg", -1001, 100 + n, "Ответ", NOW)
            )
            await tx.outbox.enqueue(
                OutboxDraft(f"ack:{n}", "tg", 555, {"text": f"Принято №{n}"}, "citizen",
                            ticket_id),
                NOW,
            )
            await tx.tickets.update(ticket_id, None, NOW, candidates=[{"body": "city"}],
                                   solved=False, due_at=NOW + timedelta(days=10))
            ids.append(ticket_id)
        await tx.tickets.record_reminder(ids[0], 0, "half", NOW, skipped=False)
        await tx.staff.add_binding(StaffBinding("tg", -1001, 7, "city", forum=True), NOW)
        await tx.tables.add_version(content="region: x\n", content_hash="h", source="file",
                                   applied_by="system", now=NOW, summary="из файла")
    return ids


async def snapshot(repo) -> dict:
    async with repo.transaction() as tx:
        tickets = [await tx.tickets.by_number(f"2026-00000{n}") for n in range(1, 4)]
        return {
            "tickets": tickets,
            "events": [await tx.tickets.events(t.id) for t in tickets],
            "messages": [await tx.tickets.messages(t.id) for t in tickets],
            "outbox": await tx.outbox.in_state("pending"),
            "bindings": await tx.staff.bindings(),
            "versions": await tx.tables.versions(10),
            "reminder_taken": await tx.tickets.record_reminder(
                tickets[0].id, 0, "half", NOW, False
            ),
        }


@run_async
async def test_a_sqlite_database_is_copied_into_postgresql_row_for_row(tmp_path, pg_cluster):
    source_url = f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    target_url = pg_cluster.new_database()
    source = SqliteRepository.from_url(source_url)
    await source.open()
    try:
        ids = await fill(source)
        before = await snapshot(source)
    finally:
        await source.close()

    copied = await copy_database(source_url, target_url)
    assert copied["tickets"] == 3 and copied["outbox"] == 3 and copied["ticket_events"] == 3

    target = PostgresRepository.from_url(target_url)
    await target.open()
    try:
        assert await snapshot(target) == before
        async with target.transaction() as tx:
            assert await tx.tickets.next_sequence(2026) == 4  # the counter came along
            fresh = await tx.tickets.insert(
                "2026-000004", NewTicket("tg", 555, 555, 99, "Новая яма"), "new", NOW
            )
        assert fresh > max(ids)
    finally:
        await target.close()

    with pytest.raises(CopyRefused, match="уже есть данные"):
        await copy_database(source_url, target_url)


def test_the_command_refuses_a_missing_sqlite_file_in_russian(tmp_path, pg_cluster, capsys):
    code = main([f"sqlite:///{tmp_path / 'nope.sqlite3'}", pg_cluster.url()])
    assert code == 2
    assert "нет файла базы SQLite" in capsys.readouterr().err
    assert not (tmp_path / "nope.sqlite3").exists()

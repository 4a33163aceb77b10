"""The SQLite repository: migrations, ticket numbers, transactions, idempotent inserts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.domain.records import DuplicateTicket, NewTicket, OutboxDraft
from bot.storage.migrations import MIGRATIONS, POSTGRES, latest_version, statements
from bot.storage.sqlite import SqliteRepository

NOW = datetime(2026, 3, 4, 6, 0, tzinfo=UTC)


async def test_migrations_apply_once_and_survive_reopen(tmp_path):
    path = tmp_path / "db" / "bot.sqlite3"
    repo = SqliteRepository.from_url(f"sqlite:///{path}")
    await repo.open()
    assert await repo.schema_version() == latest_version()
    async with repo.transaction() as tx:
        mode = await tx.sql.one("PRAGMA journal_mode")
        assert mode[0] == "wal"
        await tx.tickets.next_sequence(2026)
    await repo.close()

    again = SqliteRepository(path)
    await again.open()  # must not try to create the tables a second time
    async with again.transaction() as tx:
        rows = await tx.sql.all("SELECT version FROM schema_version")
        assert [r[0] for r in rows] == [m[0] for m in MIGRATIONS]
        assert await tx.tickets.next_sequence(2026) == 2
    await again.close()


def test_migrations_render_for_postgres_without_sqlite_specifics():
    sql = "\n".join(statements(1, POSTGRES))
    assert "GENERATED ALWAYS AS IDENTITY" in sql and "JSONB" in sql
    assert "AUTOINCREMENT" not in sql and "{" not in sql


async def test_sequences_are_per_year():
    repo = SqliteRepository(":memory:")
    await repo.open()
    async with repo.transaction() as tx:
        assert [await tx.tickets.next_sequence(2026) for _ in range(3)] == [1, 2, 3]
        assert await tx.tickets.next_sequence(2027) == 1
    await repo.close()


async def test_a_failed_transaction_leaves_nothing():
    repo = SqliteRepository(":memory:")
    await repo.open()
    draft = NewTicket("tg", 1, 1, 10, "текст")
    with pytest.raises(RuntimeError):
        async with repo.transaction() as tx:
            await tx.tickets.insert("26-000001", draft, "new", NOW)
            await tx.outbox.enqueue(OutboxDraft("k", "tg", 1, {"text": "x"}, "citizen"), NOW)
            raise RuntimeError("boom")
    async with repo.transaction() as tx:
        assert await tx.tickets.by_number("26-000001") is None
        assert await tx.outbox.by_key("k") is None
    await repo.close()


async def test_same_platform_message_cannot_make_two_tickets():
    repo = SqliteRepository(":memory:")
    await repo.open()
    draft = NewTicket("tg", 1, 1, 10, "текст")
    async with repo.transaction() as tx:
        await tx.tickets.insert("26-000001", draft, "new", NOW)
    with pytest.raises(DuplicateTicket):
        async with repo.transaction() as tx:
            await tx.tickets.insert("26-000002", draft, "new", NOW)
    async with repo.transaction() as tx:  # the same id in another chat or channel is fine
        await tx.tickets.insert("26-000003", NewTicket("vk", 1, 1, 10, "т"), "new", NOW)
        await tx.tickets.insert("26-000004", NewTicket("tg", 2, 2, 10, "т"), "new", NOW)
    await repo.close()


async def test_enqueue_is_idempotent_by_key():
    repo = SqliteRepository(":memory:")
    await repo.open()
    draft = OutboxDraft("26-000001:citizen-ack", "tg", 1, {"text": "x"}, "citizen")
    async with repo.transaction() as tx:
        first = await tx.outbox.enqueue(draft, NOW)
        second = await tx.outbox.enqueue(draft, NOW)
    assert first is not None and second is None
    await repo.close()


async def test_update_refuses_unknown_columns():
    repo = SqliteRepository(":memory:")
    await repo.open()
    with pytest.raises(ValueError):
        async with repo.transaction() as tx:
            await tx.tickets.update(1, None, NOW, **{"text = 'x' --": 1})
    await repo.close()


async def test_a_nested_transaction_fails_instead_of_waiting_forever():
    repo = SqliteRepository(":memory:")
    await repo.open()
    async with repo.transaction():
        with pytest.raises(RuntimeError, match="already open"):
            async with repo.transaction():
                pass
    async with repo.transaction() as tx:  # and the repository is still usable
        assert await tx.tickets.next_sequence(2026) == 1
    await repo.close()


async def test_a_version_1_database_is_upgraded_in_place(tmp_path):
    import sqlite3

    from bot.storage.migrations import SCHEMA_VERSION_TABLE, SQLITE

    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:  # what the first release left on disk
        db.execute(SCHEMA_VERSION_TABLE.format(timestamp="TEXT"))
        for statement in statements(1, SQLITE):
            db.execute(statement)
        db.execute("INSERT INTO schema_version VALUES (1, 'v1', '2026-01-01T00:00:00.000000Z')")
        db.execute(
            "INSERT INTO tickets (number, channel, chat_id, user_id, source_message_id, text,"
            " attachments, state, candidates, tried_bodies, created_at, updated_at) VALUES"
            " ('26-000001', 'tg', 1, 1, 1, 'т', '[]', 'routed', '[]', '[]',"
            " '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z')"
        )
        db.execute(
            "INSERT INTO ticket_events (ticket_id, at, kind, detail)"
            " VALUES (1, '2026-01-01T00:00:00.000000Z', 'routed', '{}')"
        )
    db.close()
    repo = SqliteRepository(path)
    await repo.open()
    assert await repo.schema_version() == latest_version() == MIGRATIONS[-1][0]
    async with repo.transaction() as tx:
        ticket = await tx.tickets.by_number("26-000001")
        assert (ticket.solved, ticket.rating) == (None, None)
        assert [e["actor"] for e in await tx.tickets.events(ticket.id)] == ["system"]
        assert await tx.tickets.next_sequence(2026) == 1  # counters table came with v1
    await repo.close()


async def test_a_deleted_row_leaves_no_bytes_in_the_file(tmp_path):
    """``secure_delete``: SQLite keeps a deleted row's bytes in the page's free space unless it
    is on, and builds differ in the default; /forget relies on it, so the repository sets it."""
    path = tmp_path / "bot.sqlite3"
    repo = SqliteRepository(path)
    await repo.open()
    async with repo.transaction() as tx:
        await tx.sql.run("CREATE TABLE scratch (id INTEGER PRIMARY KEY, text TEXT)")
        for number, text in enumerate(["первый житель", "Пржевальского 17", "третий житель"]):
            await tx.sql.run("INSERT INTO scratch VALUES (?, ?)", (number, text))
    async with repo.transaction() as tx:
        await tx.sql.run("DELETE FROM scratch WHERE id = 1")
    await repo.close()  # the WAL is checkpointed into the file
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("bot.sqlite3*"))
    assert "третий житель".encode() in stored
    assert "Пржевальского".encode() not in stored

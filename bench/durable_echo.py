"""The durable echo: the least a bot that routes appeals and loses none must do before answering.

It is the floor `bench.intake_throughput --reference` holds the full bot against: the echo bot,
plus the shipped classifier off the event loop, plus the ticket and the administrator's card
written durably before the citizen hears the number. It commits the way the bot does — in groups
(`GroupCommit`): while one group's COMMIT (an fsync) is on its way, the appeals arriving meanwhile
gather, and the next COMMIT covers them all — so its share of the echo measures the minimum, not
the disk's fsync cost per appeal (one COMMIT per appeal made it 55–75% of the echo depending on
the machine). SQLite (WAL, ``synchronous = FULL``, as the bot's store) or PostgreSQL.

No dialog, no duplicate check, no outbox (an answer is lost if it crashes after the COMMIT), no
audit log, no card sent to anybody: everything the full bot does beyond this is what ours adds.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

Kept = tuple[int, str, str, str]  # chat, text, body, why


class GroupCommit:
    """Appeals kept in groups: `keep` returns the ticket's id once a COMMIT covering it is
    done. ``write(batch)`` stores a batch in one transaction and returns the ids in order."""

    def __init__(self, write: Callable[[list[Kept]], Any]) -> None:
        self._write = write
        self._waiting: list[tuple[Kept, asyncio.Future[int]]] = []
        self._committer: asyncio.Task[None] | None = None

    async def keep(self, chat: int, text: str, body: str, why: str) -> int:
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._waiting.append(((chat, text, body, why), future))
        if self._committer is None:
            self._committer = asyncio.create_task(self._commit_while_waiting())
        return await future

    async def _commit_while_waiting(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                try:
                    ids = await self._write([kept for kept, _ in batch])
                except Exception as exc:
                    for _, future in batch:
                        future.set_exception(exc)
                    continue
                for (_, future), ticket_id in zip(batch, ids, strict=True):
                    future.set_result(ticket_id)
        finally:
            self._committer = None


SCHEMA = (
    "CREATE TABLE tickets (id INTEGER PRIMARY KEY, chat BIGINT, text TEXT, body TEXT)",
    "CREATE TABLE cards (ticket INTEGER, body TEXT, text TEXT)",
)


def _write_on_thread(conn: sqlite3.Connection, batch: list[Kept]) -> list[int]:
    """On the connection's thread: the batch's tickets and cards, one COMMIT."""
    ids = []
    with conn:  # BEGIN … COMMIT
        for chat, text, body, why in batch:
            ticket_id = conn.execute(
                "INSERT INTO tickets (chat, text, body) VALUES (?, ?, ?)", (chat, text, body)
            ).lastrowid
            conn.execute("INSERT INTO cards VALUES (?, ?, ?)", (ticket_id, body, why))
            ids.append(int(ticket_id))
    return ids


@contextlib.asynccontextmanager
async def sqlite_store(path: Path) -> AsyncIterator[GroupCommit]:
    import aiosqlite

    db = await aiosqlite.connect(path)
    await db.execute("PRAGMA journal_mode = WAL")
    await db.execute("PRAGMA synchronous = FULL")
    for statement in SCHEMA:
        await db.execute(statement)
    await db.commit()

    async def write(batch: list[Kept]) -> list[int]:
        return await db._execute(_write_on_thread, db._conn, batch)

    try:
        yield GroupCommit(write)
    finally:
        await db.close()


@contextlib.asynccontextmanager
async def postgres_store(url: str) -> AsyncIterator[GroupCommit]:
    import asyncpg

    conn = await asyncpg.connect(url)
    for statement in SCHEMA:
        await conn.execute(statement.replace("INTEGER PRIMARY KEY", "BIGSERIAL PRIMARY KEY"))

    async def write(batch: list[Kept]) -> list[int]:
        chats, texts, bodies, whys = (list(column) for column in zip(*batch, strict=True))
        async with conn.transaction():  # one round trip each way, one COMMIT
            rows = await conn.fetch(  # ids from one sequence, in the order of the rows
                "INSERT INTO tickets (chat, text, body) SELECT chat, text, body FROM"
                " unnest($1::bigint[], $2::text[], $3::text[]) WITH ORDINALITY"
                " AS t(chat, text, body, n) ORDER BY n RETURNING id",
                chats, texts, bodies,
            )
            ids = [row["id"] for row in rows]
            await conn.execute(
                "INSERT INTO cards SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[])",
                ids, bodies, whys,
            )
        return ids

    try:
        yield GroupCommit(write)
    finally:
        await conn.close()


def store_for(database: str, tmp: Path) -> contextlib.AbstractAsyncContextManager[GroupCommit]:
    """``database``: ``sqlite`` or a PostgreSQL URL."""
    if database == "sqlite":
        return sqlite_store(tmp / "durable-echo.sqlite3")
    return postgres_store(database)


async def answer_of(store: GroupCommit, classifier: Any, chat: int, text: str) -> str:
    """Classify off the loop, keep durably, and say where it went: the durable echo's reply."""
    decision = await asyncio.to_thread(classifier.classify, text)
    body = decision.body or "coordinators"
    number = await store.keep(chat, text, body, decision.why)
    return f"Обращение № {number} принято: {body}"

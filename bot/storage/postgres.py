"""The PostgreSQL repository: an asyncpg pool, one pooled connection per transaction.

Same interface and same migrations as `bot.storage.sqlite` (rendered with the ``POSTGRES``
dialect), so the core cannot tell them apart. What differs, and why:

- Several bot processes may share one database. Outbox rows are picked with ``FOR UPDATE SKIP
  LOCKED`` and taken with a conditional ``UPDATE … WHERE state = 'pending'``, so two workers
  never send the same row; reminders and ticket numbers rely on unique keys and an atomic
  upsert, which PostgreSQL serialises per row.
- An error inside a PostgreSQL transaction aborts it, while SQLite carries on. Where the core
  expects to carry on (a duplicate ticket), the statement runs in a savepoint.
- Migrations take an advisory lock, so processes starting together apply them once.

Times stay the fixed-width UTC text the migrations describe; JSON columns are ``JSONB`` but
travel as text, exactly as in SQLite. SQL is written once with ``?`` placeholders, as in
sqlite.py, and numbered (``$1``…) by `numbered` before it reaches the server.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import asyncpg

from bot.domain.records import (
    DuplicateTicket,
    NewTicket,
    OutboxRow,
    StaffBinding,
    TicketMessage,
)
from bot.domain.wire import CITIZEN_PURPOSES_SQL
from bot.storage.migrations import MIGRATIONS, POSTGRES, SCHEMA_VERSION_TABLE, statements
from bot.storage.sqlite import (
    _DUE_HEADS,
    _MARK_SENT,
    _OUTBOX_COLUMNS,
    SharedSql,
    _attachments_json,
    _outbox,
    to_db_time,
)
from bot.storage.table_versions import TableVersionsTx

log = logging.getLogger("bot.storage")

#: Any constant: the key of the advisory lock held while migrating.
_MIGRATION_LOCK = 0x0B0_7AB1E

_PLACEHOLDER = re.compile(r"\?")


def numbered(sql: str) -> str:
    """``?`` placeholders → ``$1, $2, …`` (none of our SQL has a ``?`` inside a literal)."""
    counter = 0

    def next_number(_match: re.Match[str]) -> str:
        nonlocal counter
        counter += 1
        return f"${counter}"

    return _PLACEHOLDER.sub(next_number, sql)


def _count(status: str) -> int:
    """Rows touched, from a command tag such as ``UPDATE 1`` or ``INSERT 0 1``."""
    try:
        return int(status.rsplit(" ", 1)[-1])
    except ValueError:
        return 0


def _plain(value: Any) -> Any:
    """SQLite takes a ``bool`` for an INTEGER column; PostgreSQL wants the integer."""
    return int(value) if isinstance(value, bool) else value


class DatabaseUnavailable(ConnectionError):
    """PostgreSQL cannot be reached or refuses us; the message is one Russian line for the
    operator, naming the server and database but never the password."""


def where(url: str) -> str:
    """``host:port/database`` of a URL, without the user and password."""
    parts = urlsplit(url)
    return f"{parts.hostname or 'localhost'}:{parts.port or 5432}{parts.path or '/'}"


class PostgresTx(SharedSql, TableVersionsTx):
    """One transaction on one pooled connection; every method mirrors `SqliteTx`."""

    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    # -- SQL helpers (also what tests use for direct looks, as with SqliteTx) ------------------
    async def _run(self, sql: str, params: tuple = ()) -> int:
        return _count(await self.conn.execute(numbered(sql), *map(_plain, params)))

    async def _one(self, sql: str, params: tuple = ()) -> asyncpg.Record | None:
        return await self.conn.fetchrow(numbered(sql), *map(_plain, params))

    async def _all(self, sql: str, params: tuple = ()) -> list[asyncpg.Record]:
        return list(await self.conn.fetch(numbered(sql), *map(_plain, params)))

    async def _id(self, sql: str, params: tuple = ()) -> int | None:
        """Run an ``INSERT … RETURNING id``; ``None`` when nothing was inserted."""
        value = await self.conn.fetchval(numbered(sql), *map(_plain, params))
        return None if value is None else int(value)

    # -- tickets -------------------------------------------------------------------------------
    async def next_ticket_sequence(self, year: int) -> int:
        # One atomic upsert: concurrent transactions queue on the row and each gets its own value.
        value = await self._id(
            "INSERT INTO ticket_counters (year, last_value) VALUES (?, 1) "
            "ON CONFLICT (year) DO UPDATE SET last_value = ticket_counters.last_value + 1"
            " RETURNING last_value",
            (year,),
        )
        assert value is not None
        return value

    async def insert_ticket(self, number: str, draft: NewTicket, state: str, now: datetime) -> int:
        stamp = to_db_time(now)
        try:
            # A savepoint: the caller's transaction survives a duplicate, as it does in SQLite.
            async with self.conn.transaction():
                ticket_id = await self._id(
                    "INSERT INTO tickets (number, channel, chat_id, user_id, source_message_id,"
                    " text, attachments, lat, lon, state, candidates, tried_bodies, created_at,"
                    " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '[]', '[]', ?, ?)"
                    " RETURNING id",
                    (
                        number,
                        draft.channel,
                        draft.chat_id,
                        draft.user_id,
                        draft.source_message_id,
                        draft.text,
                        _attachments_json(draft.attachments),
                        draft.lat,
                        draft.lon,
                        state,
                        stamp,
                        stamp,
                    ),
                )
        except asyncpg.UniqueViolationError as exc:
            if "source_message_id" in (exc.constraint_name or ""):
                raise DuplicateTicket(number) from None
            raise
        assert ticket_id is not None
        return ticket_id

    async def add_message(self, ticket_id: int, message: TicketMessage) -> bool:
        count = await self._run(
            "INSERT INTO ticket_messages (ticket_id, at, author, channel, chat_id,"
            " platform_message_id, text, attachments) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            (
                ticket_id,
                to_db_time(message.at),
                message.author,
                message.channel,
                message.chat_id,
                message.platform_message_id,
                message.text,
                _attachments_json(message.attachments),
            ),
        )
        return count == 1

    async def anonymise_ticket(self, ticket_id: int, placeholder: str, now: datetime) -> None:
        """As `SqliteTx.anonymise_ticket`; only the JSON functions differ."""
        stamp = to_db_time(now)
        await self._run(
            "UPDATE tickets SET text = ?, attachments = '[]', chat_id = NULL, user_id = NULL,"
            " source_message_id = NULL, lat = NULL, lon = NULL, anonymised_at = ?,"
            " updated_at = ? WHERE id = ?",
            (placeholder, stamp, stamp, ticket_id),
        )
        await self._run(
            "UPDATE ticket_messages SET text = ?, attachments = '[]', chat_id = NULL,"
            " platform_message_id = NULL WHERE ticket_id = ?",
            (placeholder, ticket_id),
        )
        await self._run(
            "UPDATE outbox SET payload = ?,"
            f" chat_id = CASE WHEN purpose IN {CITIZEN_PURPOSES_SQL} THEN NULL ELSE chat_id END,"
            " state = CASE WHEN state = 'pending' THEN 'cancelled' ELSE state END"
            " WHERE ticket_id = ?",
            (json.dumps({"text": placeholder}, ensure_ascii=False), ticket_id),
        )
        await self._run(
            "UPDATE ticket_events SET detail = jsonb_set(detail, '{reason}', 'null'::jsonb)"
            " WHERE ticket_id = ? AND detail ->> 'reason' IS NOT NULL",
            (ticket_id,),
        )
        await self._run("DELETE FROM training_examples WHERE ticket_id = ?", (ticket_id,))

    async def scrub_chat(self, channel: str, chat_id: int, placeholder: str) -> None:
        await self._run(
            "UPDATE outbox SET chat_id = NULL, payload = ?,"
            " state = CASE WHEN state = 'pending' THEN 'cancelled' ELSE state END"
            f" WHERE channel = ? AND chat_id = ? AND purpose IN {CITIZEN_PURPOSES_SQL}",
            (json.dumps({"text": placeholder}, ensure_ascii=False), channel, chat_id),
        )

    # -- reminders -----------------------------------------------------------------------------
    async def record_reminder(
        self, ticket_id: int, route_round: int, kind: str, now: datetime, skipped: bool
    ) -> bool:
        """``False`` when another scan (in this process or another) already recorded it."""
        count = await self._run(
            "INSERT INTO reminders (ticket_id, route_round, kind, at, skipped)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (ticket_id, route_round, kind, to_db_time(now), int(skipped)),
        )
        return count == 1

    # -- outbox --------------------------------------------------------------------------------
    async def claim_due(self, now: datetime, limit: int) -> list[OutboxRow]:
        """The oldest unsent row of each chat, skipping rows another worker holds right now.

        The rows stay locked until this transaction ends; `claim_rows` then takes each one only if
        it is still pending, so of two workers that both saw a row exactly one sends it.
        """
        rows = await self._all(
            _DUE_HEADS.format(index="") + " FOR UPDATE OF o SKIP LOCKED", (to_db_time(now), limit)
        )
        return [_outbox(r) for r in rows]

    async def mark_sent(self, sent: Sequence[tuple[int, int | None, datetime]]) -> None:
        await self.conn.executemany(
            numbered(_MARK_SENT),
            [(message_id, to_db_time(at), row_id) for row_id, message_id, at in sent],
        )

    async def set_outbox_state(self, row_id: int, state: str, **changes: Any) -> None:
        unknown = set(changes) - _OUTBOX_COLUMNS
        if unknown:
            raise ValueError(f"unknown outbox columns: {sorted(unknown)}")
        values = [to_db_time(v) if isinstance(v, datetime) else v for v in changes.values()]
        assignments = ", ".join(["state = ?", *(f"{name} = ?" for name in changes)])
        await self._run(f"UPDATE outbox SET {assignments} WHERE id = ?", (state, *values, row_id))

    # -- administrators: invites, bindings, forum topics (migration 4) -------------------------

    async def use_invite(self, token: str, now: datetime) -> bool:
        count = await self._run(
            "UPDATE staff_invites SET used_at = ? WHERE token = ? AND used_at IS NULL",
            (to_db_time(now), token),
        )
        return count == 1

    async def add_binding(self, binding: StaffBinding, now: datetime) -> bool:
        """``False`` when exactly this binding already exists (its ``forum`` flag refreshed)."""
        inserted = await self._run(
            "INSERT INTO staff_bindings (channel, chat_id, user_id, body, forum, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (
                binding.channel,
                binding.chat_id,
                binding.user_id,
                binding.body,
                int(binding.forum),
                to_db_time(now),
            ),
        )
        if inserted != 1:
            await self._run(
                "UPDATE staff_bindings SET forum = ? WHERE channel = ? AND chat_id = ?"
                " AND user_id = ? AND body = ?",
                (int(binding.forum), binding.channel, binding.chat_id, binding.user_id,
                 binding.body),
            )
        return inserted == 1

    async def bindings(self) -> list[StaffBinding]:
        # No rowid here: bindings made at the same instant come in key order, not insert order.
        rows = await self._all(
            "SELECT * FROM staff_bindings ORDER BY created_at, channel, chat_id, user_id, body"
        )
        return [
            StaffBinding(r["channel"], r["chat_id"], r["user_id"], r["body"], bool(r["forum"]))
            for r in rows
        ]


class PostgresRepository:
    """``url``: ``postgresql://user:password@host:port/database`` (or ``postgres://…``)."""

    def __init__(self, url: str, *, min_size: int = 1, max_size: int = 10):
        self.url = url
        self.min_size = min_size
        self.max_size = max_size
        self._pool: asyncpg.Pool | None = None
        self._owners: set[asyncio.Task] = set()

    @classmethod
    def from_url(cls, url: str) -> PostgresRepository:
        if not url.startswith(("postgresql://", "postgres://")):
            raise ValueError(f"не адрес базы PostgreSQL: {url.split(':', 1)[0]}://…")
        return cls(url)

    async def open(self) -> None:
        try:
            self._pool = await asyncpg.create_pool(
                self.url, min_size=self.min_size, max_size=self.max_size
            )
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            reason = str(exc).replace(self.url, where(self.url)) or type(exc).__name__
            raise DatabaseUnavailable(
                f"Не удалось подключиться к PostgreSQL {where(self.url)} (DATABASE_URL): {reason}"
            ) from None
        try:
            await self._migrate()
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()

    async def _migrate(self) -> None:
        async with self.transaction() as tx:
            # Processes starting together: one migrates, the others wait and find nothing to do.
            await tx.conn.execute("SELECT pg_advisory_xact_lock($1)", _MIGRATION_LOCK)
            await tx.conn.execute(SCHEMA_VERSION_TABLE.format(timestamp=POSTGRES.timestamp))
            current = await tx.conn.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_version")
            for version, description, _sql in MIGRATIONS:
                if version <= current:
                    continue
                for statement in statements(version, POSTGRES):
                    await tx.conn.execute(statement)
                await tx._run(
                    "INSERT INTO schema_version (version, description, applied_at)"
                    " VALUES (?, ?, ?)",
                    (version, description, to_db_time(datetime.now(UTC))),
                )
                log.info("database migrated to version %d", version)

    async def schema_version(self) -> int:
        async with self.transaction() as tx:
            row = await tx._one("SELECT COALESCE(MAX(version), 0) FROM schema_version")
            return int(row[0])

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PostgresTx]:
        if self._pool is None:
            raise RuntimeError("repository is not open")
        task = asyncio.current_task()
        if task is not None and task in self._owners:
            # Same rule as SQLite: a second transaction from inside the first is a bug (and with
            # a full pool it would wait for itself forever).
            raise RuntimeError("a transaction is already open in this task")
        if task is not None:
            self._owners.add(task)
        try:
            async with self._pool.acquire() as conn, conn.transaction():
                yield PostgresTx(conn)
        finally:
            self._owners.discard(task)  # type: ignore[arg-type]

"""The outbox's rows (`bot.storage.base.OutboxTx`): queued with the change that announces them,
taken by one worker at a time, marked with what became of them (`bot.core.outbox`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.domain.records import OutboxDraft, OutboxRow
from bot.domain.wire import CITIZEN_PURPOSES_SQL
from bot.storage.sql import values
from bot.storage.sql.driver import Facet
from bot.storage.sql.values import from_db_time, outbox_values, to_db_time, to_json

# Columns that `OutboxSql.set_state` may change besides the state.
_SETTABLE = frozenset("attempts next_attempt_at last_error platform_message_id sent_at".split())

INSERT = (
    "INSERT INTO outbox (idempotency_key, ticket_id, purpose, channel, chat_id, payload,"
    " resend_if_uncertain, state, next_attempt_at, created_at, priority)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?) ON CONFLICT DO NOTHING"
)

# The oldest unsent row of each chat (messages to one chat keep their order), citizens' first
# (`OutboxDraft.priority`). Served by the partial indexes of migration 8: `outbox_queue` is
# walked in ORDER BY order until LIMIT heads are found, `outbox_chat_queue` answers NOT EXISTS.
# ``{index}`` and ``{lock}``: `SqlDialect.due_index`, `SqlDialect.due_lock`.
_DUE_HEADS = (
    "SELECT * FROM outbox o{index} WHERE o.state = 'pending' AND o.next_attempt_at <= ?"
    " AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.channel = o.channel"
    " AND p.chat_id = o.chat_id AND p.state IN ('pending', 'sending') AND p.id < o.id)"
    " ORDER BY o.priority, o.id LIMIT ?{lock}"
)

#: (platform message id, sent at, row id) per row: one statement for a group of outcomes.
_MARK_SENT = (
    "UPDATE outbox SET state = 'sent', platform_message_id = ?, sent_at = ?, last_error = NULL"
    " WHERE id = ?"
)

_CANCEL_PENDING = "state = CASE WHEN state = 'pending' THEN 'cancelled' ELSE state END"


class OutboxSql(Facet):
    __slots__ = ()

    async def enqueue(self, draft: OutboxDraft, now: datetime) -> int | None:
        """The new row's id; ``None`` if a row with the same key is already queued."""
        return await self._value(INSERT + " RETURNING id", outbox_values(draft, now), int)

    async def queue(self, draft: OutboxDraft, now: datetime) -> None:
        """`enqueue` for callers that do not need the id (the core never does)."""
        await self.db.run_later(INSERT, outbox_values(draft, now))

    async def due(self, now: datetime, limit: int) -> list[OutboxRow]:
        """The oldest unsent row of each chat; on PostgreSQL, skipping rows another worker holds
        right now, and locked until this transaction ends. `claim` then takes each one only if
        it is still pending, so of two workers that both saw a row exactly one sends it."""
        dialect = self.db.dialect
        sql = _DUE_HEADS.format(index=dialect.due_index, lock=dialect.due_lock)
        return await self._records(values.outbox, sql, (to_db_time(now), limit))

    async def claim(self, row_ids: Sequence[int]) -> set[int]:
        """Take pending rows for sending in one statement; RETURNING says which were still
        pending (of two workers that saw a row, exactly one gets it)."""
        if not row_ids:
            return set()
        marks = ", ".join("?" * len(row_ids))
        rows = await self.db.all(
            "UPDATE outbox SET state = 'sending', attempts = attempts + 1"
            f" WHERE state = 'pending' AND id IN ({marks}) RETURNING id",
            tuple(row_ids),
        )
        return {r[0] for r in rows}

    async def mark_sent(self, sent: Sequence[tuple[int, int | None, datetime]]) -> None:
        rows = [(message_id, to_db_time(at), row_id) for row_id, message_id, at in sent]
        await self.db.run_many(_MARK_SENT, rows)

    async def set_state(self, row_id: int, state: str, **changes: Any) -> None:
        unknown = set(changes) - _SETTABLE
        if unknown:
            raise ValueError(f"unknown outbox columns: {sorted(unknown)}")
        params = [to_db_time(v) if isinstance(v, datetime) else v for v in changes.values()]
        assignments = ", ".join(["state = ?", *(f"{name} = ?" for name in changes)])
        await self.db.run(
            f"UPDATE outbox SET {assignments} WHERE id = ?", (state, *params, row_id)
        )

    async def _row(self, where: str, params: tuple) -> OutboxRow | None:
        return await self._record(values.outbox, f"SELECT * FROM outbox WHERE {where}", params)

    async def row(self, row_id: int) -> OutboxRow | None:
        return await self._row("id = ?", (row_id,))

    async def by_key(self, key: str) -> OutboxRow | None:
        return await self._row("idempotency_key = ?", (key,))

    async def sent_as(
        self, channel: str, chat_id: int, platform_message_id: int
    ) -> OutboxRow | None:
        """The row whose message the platform numbered so in that chat (what a reply quotes)."""
        where = "channel = ? AND chat_id = ? AND platform_message_id = ? ORDER BY id DESC LIMIT 1"
        return await self._row(where, (channel, chat_id, platform_message_id))

    async def in_state(self, state: str) -> list[OutboxRow]:
        sql = "SELECT * FROM outbox WHERE state = ? ORDER BY id"
        return await self._records(values.outbox, sql, (state,))

    async def next_due_at(self, after: datetime | None = None) -> datetime | None:
        """When the next pending row falls due (only rows due later than ``after``, if given:
        the outbox asks that when rows due now are held back by the rate limit)."""
        sql = "SELECT MIN(next_attempt_at) FROM outbox WHERE state = 'pending'"
        if after is not None:
            return await self._value(
                sql + " AND next_attempt_at > ?", (to_db_time(after),), from_db_time
            )
        return await self._value(sql, (), from_db_time)

    async def scrub_chat(self, channel: str, chat_id: int, placeholder: str) -> None:
        """Blank every message queued or sent to a citizen's chat outside tickets too (e.g.
        "write it as text"), and cancel what has not gone."""
        await self.db.run(
            f"UPDATE outbox SET chat_id = NULL, payload = ?, {_CANCEL_PENDING}"
            f" WHERE channel = ? AND chat_id = ? AND purpose IN {CITIZEN_PURPOSES_SQL}",
            (to_json({"text": placeholder}), channel, chat_id),
        )

    async def key_of_sent(
        self, channel: str, chat_id: int, platform_message_id: int
    ) -> str | None:
        return await self._value(
            "SELECT idempotency_key FROM outbox WHERE channel = ? AND chat_id = ?"
            " AND platform_message_id = ? LIMIT 1",
            (channel, chat_id, platform_message_id),
        )

    async def cancel_pending(self, channel: str, chat_id: int, purpose: str) -> int:
        return await self.db.run(
            "UPDATE outbox SET state = 'cancelled' WHERE channel = ? AND chat_id = ?"
            " AND purpose = ? AND state = 'pending'",
            (channel, chat_id, purpose),
        )

    async def scrub_row(self, row_id: int, placeholder: str) -> None:
        await self.db.run(
            "UPDATE outbox SET chat_id = NULL, payload = ? WHERE id = ?",
            (to_json({"text": placeholder}), row_id),
        )

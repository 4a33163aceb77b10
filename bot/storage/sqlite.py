"""The SQLite repository: one aiosqlite connection, WAL, one writer at a time, group commit.

SQLite allows one writer anyway, so transactions are serialised in-process with a lock and
started with ``BEGIN IMMEDIATE`` (taking the write lock up front, so two processes pointed at
the same file wait instead of failing half-way). All SQL is parameterised.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite

from bot.domain.messages import Attachment
from bot.domain.records import (
    DuplicateTicket,
    NewTicket,
    OutboxDraft,
    OutboxRow,
    StaffBinding,
    StaffInvite,
    TicketMessage,
    TicketRecord,
    TrainingExample,
)
from bot.domain.states import OutboxState, TicketState
from bot.domain.wire import CITIZEN_PURPOSES_SQL, Purpose
from bot.storage.migrations import MIGRATIONS, SCHEMA_VERSION_TABLE, SQLITE, statements
from bot.storage.table_versions import TableVersionsTx

log = logging.getLogger("bot.storage")

_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"

# Columns that `update_ticket` may change; anything else is a programming error.
_TICKET_COLUMNS = frozenset(
    (
        *("state", "topic", "municipality", "body", "candidates", "tried_bodies"),
        *("route_round", "routed_at", "due_at", "lat", "lon", "solved", "rating"),
    )
)
_OUTBOX_COLUMNS = frozenset(
    "attempts next_attempt_at last_error platform_message_id sent_at".split()
)


# The oldest unsent row of each chat (messages to one chat keep their order), citizens' first
# (`OutboxDraft.priority`). Served by the partial indexes of migration 8: `outbox_queue` is
# walked in ORDER BY order until LIMIT heads are found, `outbox_chat_queue` answers NOT EXISTS.
# ``{index}``: SQLite, without statistics, would rather range-scan `outbox_due` and sort every
# due row, so `SqliteTx` names the index; PostgreSQL's planner has statistics and no such syntax.
_DUE_HEADS = (
    "SELECT * FROM outbox o{index} WHERE o.state = 'pending' AND o.next_attempt_at <= ?"
    " AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.channel = o.channel"
    " AND p.chat_id = o.chat_id AND p.state IN ('pending', 'sending') AND p.id < o.id)"
    " ORDER BY o.priority, o.id LIMIT ?"
)


#: (platform message id, sent at, row id) per row: one statement for a group of outcomes.
_MARK_SENT = (
    "UPDATE outbox SET state = 'sent', platform_message_id = ?, sent_at = ?, last_error = NULL"
    " WHERE id = ?"
)


def _claim_rows_sql(count: int) -> str:
    """Take pending rows for sending in one statement; RETURNING says which were still pending
    (of two workers that saw a row, exactly one gets it)."""
    marks = ", ".join("?" * count)
    return (
        "UPDATE outbox SET state = 'sending', attempts = attempts + 1"
        f" WHERE state = 'pending' AND id IN ({marks}) RETURNING id"
    )


def to_db_time(value: datetime | None) -> str | None:
    """``_TIME_FORMAT`` (isoformat is the same text, written several times faster)."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the database")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def from_db_time(value: str | None) -> datetime | None:
    """Read ``_TIME_FORMAT`` back; fromisoformat takes the trailing ``Z`` as UTC and is several
    times faster than strptime (a ticket row has four times, read on every appeal)."""
    if value is None:
        return None
    return datetime.fromisoformat(value)


def _attachments_json(items: tuple[Attachment, ...]) -> str:
    return json.dumps([a.to_json() for a in items], ensure_ascii=False)


def _ticket_update(
    ticket_id: int, expected_state: str | None, now: datetime, changes: dict[str, Any]
) -> Statement:
    """``UPDATE tickets`` for `SharedSql.update_ticket`; the columns are checked against the
    schema because their names become SQL."""
    unknown = set(changes) - _TICKET_COLUMNS
    if unknown:
        raise ValueError(f"unknown ticket columns: {sorted(unknown)}")
    values: list[Any] = []
    for name, value in changes.items():
        if name in ("candidates", "tried_bodies"):
            value = json.dumps(list(value), ensure_ascii=False)
        elif isinstance(value, datetime):
            value = to_db_time(value)
        elif name in ("lat", "lon") and value is not None:
            value = float(value)  # PostgreSQL's column is a double; SQLite takes either
        values.append(value)
    assignments = ", ".join([*(f"{name} = ?" for name in changes), "updated_at = ?"])
    sql = f"UPDATE tickets SET {assignments} WHERE id = ?"
    params: list[Any] = [*values, to_db_time(now), ticket_id]
    if expected_state is not None:
        sql += " AND state = ?"
        params.append(expected_state)
    return sql, tuple(params)


_SEEN_MESSAGE = (
    "SELECT number FROM tickets WHERE channel = ? AND chat_id = ? AND source_message_id = ?"
    " UNION ALL SELECT t.number FROM ticket_messages m JOIN tickets t ON t.id = m.ticket_id"
    " WHERE m.channel = ? AND m.chat_id = ? AND m.platform_message_id = ? LIMIT 1"
)

_OUTBOX_INSERT = (
    "INSERT INTO outbox (idempotency_key, ticket_id, purpose, channel, chat_id, payload,"
    " resend_if_uncertain, state, next_attempt_at, created_at, priority)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?) ON CONFLICT DO NOTHING"
)


def _outbox_values(draft: OutboxDraft, now: datetime) -> tuple:
    stamp = to_db_time(now)
    return (
        draft.key,
        draft.ticket_id,
        draft.purpose,
        draft.channel,
        draft.chat_id,
        json.dumps(draft.payload, ensure_ascii=False),
        int(draft.resend_if_uncertain),
        stamp,
        stamp,
        draft.priority,
    )


def _attachments(text: str) -> tuple[Attachment, ...]:
    return tuple(Attachment.from_json(item) for item in json.loads(text))


def _ticket(row: aiosqlite.Row) -> TicketRecord:
    return TicketRecord(
        id=row["id"],
        number=row["number"],
        channel=row["channel"],
        chat_id=row["chat_id"],
        user_id=row["user_id"],
        source_message_id=row["source_message_id"],
        text=row["text"],
        attachments=_attachments(row["attachments"]),
        lat=row["lat"],
        lon=row["lon"],
        state=TicketState(row["state"]),
        topic=row["topic"],
        municipality=row["municipality"],
        body=row["body"],
        candidates=tuple(json.loads(row["candidates"])),
        tried_bodies=tuple(json.loads(row["tried_bodies"])),
        route_round=row["route_round"],
        created_at=from_db_time(row["created_at"]),
        updated_at=from_db_time(row["updated_at"]),
        routed_at=from_db_time(row["routed_at"]),
        due_at=from_db_time(row["due_at"]),
        anonymised_at=from_db_time(row["anonymised_at"]),
        solved=None if row["solved"] is None else bool(row["solved"]),
        rating=row["rating"],
    )


def _outbox(row: aiosqlite.Row) -> OutboxRow:
    return OutboxRow(
        id=row["id"],
        key=row["idempotency_key"],
        ticket_id=row["ticket_id"],
        purpose=Purpose(row["purpose"]),
        channel=row["channel"],
        chat_id=row["chat_id"],
        payload=json.loads(row["payload"]),
        resend_if_uncertain=bool(row["resend_if_uncertain"]),
        state=OutboxState(row["state"]),
        attempts=row["attempts"],
        next_attempt_at=from_db_time(row["next_attempt_at"]),
        last_error=row["last_error"],
        platform_message_id=row["platform_message_id"],
        sent_at=from_db_time(row["sent_at"]),
    )


class SharedSql:
    """The statements both backends run with the same SQL (``?`` placeholders; `PostgresTx`
    numbers them): written once here, so a query fixed for one database is fixed for the other.
    Writes here do not read `_run`'s result, which differs (a cursor in SQLite, a count in
    PostgreSQL)."""

    async def _one(self, sql: str, params: tuple = ()) -> Any: ...

    async def _all(self, sql: str, params: tuple = ()) -> list[Any]: ...

    async def _run(self, sql: str, params: tuple = ()) -> Any: ...

    async def update_ticket(
        self, ticket_id: int, expected_state: str | None, now: datetime, **changes: Any
    ) -> bool:
        """Apply ``changes``; with ``expected_state`` only if the ticket is still in it (the
        answer says whether it was). Without, the change is unconditional and nobody waits for
        an answer: it goes with `_unanswered` and the answer is True."""
        statement = _ticket_update(ticket_id, expected_state, now, changes)
        if expected_state is None:
            await self._unanswered(*statement)
            return True
        return await self._one(statement[0] + " RETURNING id", statement[1]) is not None

    async def enqueue(self, draft: OutboxDraft, now: datetime) -> int | None:
        """The new row's id; ``None`` if a row with the same key is already queued."""
        row = await self._one(_OUTBOX_INSERT + " RETURNING id", _outbox_values(draft, now))
        return int(row[0]) if row is not None else None

    async def queue(self, draft: OutboxDraft, now: datetime) -> None:
        """`enqueue` for callers that do not need the id (the core never does)."""
        await self._unanswered(_OUTBOX_INSERT, _outbox_values(draft, now))

    async def add_event(
        self,
        ticket_id: int,
        kind: str,
        now: datetime,
        from_state: str | None = None,
        to_state: str | None = None,
        detail: dict[str, Any] | None = None,
        actor: str = "system",
    ) -> None:
        await self._unanswered(
            "INSERT INTO ticket_events (ticket_id, at, kind, from_state, to_state, detail, actor)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                ticket_id,
                to_db_time(now),
                kind,
                from_state,
                to_state,
                json.dumps(detail or {}, ensure_ascii=False),
                actor,
            ),
        )

    async def _unanswered(self, sql: str, params: tuple) -> None:
        """A write whose outcome nobody reads; a backend may hold it back until its next
        statement in the same transaction (`SqliteTx` does), never past the transaction."""
        await self._run(sql, params)

    async def claim_rows(self, row_ids: Sequence[int]) -> set[int]:
        """A write, but one statement both databases run alike (``UPDATE … RETURNING``)."""
        if not row_ids:
            return set()
        rows = await self._all(_claim_rows_sql(len(row_ids)), tuple(row_ids))
        return {r[0] for r in rows}

    async def add_invite(self, invite: StaffInvite) -> None:
        await self._run(
            "INSERT INTO staff_invites (token, body, created_by_channel, created_by_user,"
            " created_at, expires_at, used_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                invite.token,
                invite.body,
                invite.created_by_channel,
                invite.created_by_user,
                to_db_time(invite.created_at),
                to_db_time(invite.expires_at),
                to_db_time(invite.used_at),
            ),
        )

    async def add_training_example(self, example: TrainingExample, ticket_id: int | None) -> None:
        await self._run(
            "INSERT INTO training_examples (ticket_id, at, text, topic, body, wrong_body, source)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                ticket_id,
                to_db_time(example.at),
                example.text,
                example.topic,
                example.body,
                example.wrong_body,
                example.source,
            ),
        )

    async def scrub_row(self, row_id: int, placeholder: str) -> None:
        await self._run(
            "UPDATE outbox SET chat_id = NULL, payload = ? WHERE id = ?",
            (json.dumps({"text": placeholder}, ensure_ascii=False), row_id),
        )

    async def set_forum_thread(
        self, channel: str, chat_id: int, topic_key: str, thread_id: int, now: datetime
    ) -> None:
        await self._run(
            "INSERT INTO forum_topics (channel, chat_id, topic_key, thread_id, created_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (channel, chat_id, topic_key)"
            " DO UPDATE SET thread_id = excluded.thread_id, created_at = excluded.created_at",
            (channel, chat_id, topic_key, thread_id, to_db_time(now)),
        )

    async def ticket_by_sent_message(
        self, channel: str, chat_id: int, platform_message_id: int
    ) -> int | None:
        row = await self._one(
            "SELECT ticket_id FROM outbox WHERE channel = ? AND chat_id = ?"
            " AND platform_message_id = ? AND ticket_id IS NOT NULL LIMIT 1",
            (channel, chat_id, platform_message_id),
        )
        return int(row[0]) if row else None

    async def topic_key_by_thread(
        self, channel: str, chat_id: int, thread_id: int
    ) -> str | None:
        r = await self._one(
            "SELECT topic_key FROM forum_topics WHERE channel = ? AND chat_id = ?"
            " AND thread_id = ? LIMIT 1",
            (channel, chat_id, thread_id),
        )
        return r[0] if r else None

    async def ticket_by_source(
        self, channel: str, chat_id: int, message_id: int
    ) -> TicketRecord | None:
        row = await self._one(
            "SELECT * FROM tickets WHERE channel = ? AND chat_id = ? AND source_message_id = ?",
            (channel, chat_id, message_id),
        )
        return _ticket(row) if row else None

    async def seen_message(self, channel: str, chat_id: int, message_id: int) -> str | None:
        """The number of the ticket this platform message already belongs to, if any."""
        row = await self._one(_SEEN_MESSAGE, (channel, chat_id, message_id) * 2)
        return row[0] if row else None

    async def seen_or_latest(
        self, channel: str, chat_id: int, message_id: int
    ) -> tuple[str | None, TicketRecord | None]:
        """`seen_message`, or if the message is new the chat's `latest_ticket_of_chat`: what
        every citizen message is looked up by first, in one query."""
        row = await self._one(
            f"SELECT ({_SEEN_MESSAGE}) AS seen_number, t.* FROM (SELECT 1) AS one"
            " LEFT JOIN (SELECT * FROM tickets WHERE channel = ? AND chat_id = ?"
            " ORDER BY id DESC LIMIT 1) AS t ON TRUE",
            ((channel, chat_id, message_id) * 2) + (channel, chat_id),
        )
        assert row is not None  # one row always: the LEFT JOIN keeps it
        if row["seen_number"] is not None:
            return row["seen_number"], None
        return None, _ticket(row) if row["id"] is not None else None

    async def ticket(self, ticket_id: int) -> TicketRecord | None:
        row = await self._one("SELECT * FROM tickets WHERE id = ?", (ticket_id,))
        return _ticket(row) if row else None

    async def state_and_event(
        self, ticket_id: int, kinds: tuple[str, ...]
    ) -> tuple[str, bool] | None:
        """The ticket's state now, and whether it has an event of one of ``kinds``: one short
        query where loading the ticket and its whole history would be two long ones."""
        row = await self._one(
            "SELECT state, EXISTS (SELECT 1 FROM ticket_events WHERE ticket_id = tickets.id"
            f" AND kind IN ({', '.join('?' * len(kinds))})) FROM tickets WHERE id = ?",
            (*kinds, ticket_id),
        )
        return (row[0], bool(row[1])) if row else None

    async def ticket_by_number(self, number: str) -> TicketRecord | None:
        row = await self._one("SELECT * FROM tickets WHERE number = ?", (number,))
        return _ticket(row) if row else None

    async def tickets_in_state(self, state: str) -> list[TicketRecord]:
        rows = await self._all("SELECT * FROM tickets WHERE state = ? ORDER BY id", (state,))
        return [_ticket(r) for r in rows]

    async def latest_ticket_of_chat(self, channel: str, chat_id: int) -> TicketRecord | None:
        row = await self._one(
            "SELECT * FROM tickets WHERE channel = ? AND chat_id = ? ORDER BY id DESC LIMIT 1",
            (channel, chat_id),
        )
        return _ticket(row) if row else None

    async def tickets_of(self, channel: str, user_id: int) -> list[TicketRecord]:
        rows = await self._all(
            "SELECT * FROM tickets WHERE channel = ? AND user_id = ? ORDER BY id",
            (channel, user_id),
        )
        return [_ticket(r) for r in rows]

    async def events(self, ticket_id: int) -> list[dict[str, Any]]:
        rows = await self._all(
            "SELECT at, kind, from_state, to_state, detail, actor FROM ticket_events"
            " WHERE ticket_id = ? ORDER BY id",
            (ticket_id,),
        )
        return [
            {
                "at": r["at"],
                "kind": r["kind"],
                "from_state": r["from_state"],
                "to_state": r["to_state"],
                "detail": json.loads(r["detail"]),
                "actor": r["actor"],
            }
            for r in rows
        ]

    async def messages(self, ticket_id: int) -> list[TicketMessage]:
        rows = await self._all(
            "SELECT * FROM ticket_messages WHERE ticket_id = ? ORDER BY id", (ticket_id,)
        )
        return [
            TicketMessage(
                author=r["author"],
                channel=r["channel"],
                chat_id=r["chat_id"],
                platform_message_id=r["platform_message_id"],
                text=r["text"],
                at=from_db_time(r["at"]),
                attachments=_attachments(r["attachments"]),
            )
            for r in rows
        ]

    async def outbox_row(self, row_id: int) -> OutboxRow | None:
        row = await self._one("SELECT * FROM outbox WHERE id = ?", (row_id,))
        return _outbox(row) if row else None

    async def outbox_by_key(self, key: str) -> OutboxRow | None:
        row = await self._one("SELECT * FROM outbox WHERE idempotency_key = ?", (key,))
        return _outbox(row) if row else None

    async def rows_in_state(self, state: str) -> list[OutboxRow]:
        rows = await self._all("SELECT * FROM outbox WHERE state = ? ORDER BY id", (state,))
        return [_outbox(r) for r in rows]

    async def next_due_at(self, after: datetime | None = None) -> datetime | None:
        """When the next pending row falls due (only rows due later than ``after``, if given:
        the outbox asks that when rows due now are held back by the rate limit)."""
        if after is None:
            row = await self._one(
                "SELECT MIN(next_attempt_at) FROM outbox WHERE state = 'pending'"
            )
        else:
            row = await self._one(
                "SELECT MIN(next_attempt_at) FROM outbox"
                " WHERE state = 'pending' AND next_attempt_at > ?",
                (to_db_time(after),),
            )
        return from_db_time(row[0]) if row else None

    async def training_examples(self) -> list[TrainingExample]:
        rows = await self._all(
            "SELECT e.*, t.number FROM training_examples e"
            " LEFT JOIN tickets t ON t.id = e.ticket_id ORDER BY e.id"
        )
        return [
            TrainingExample(
                text=r["text"],
                topic=r["topic"],
                body=r["body"],
                wrong_body=r["wrong_body"],
                ticket=r["number"],
                at=from_db_time(r["at"]),
                source=r["source"],
            )
            for r in rows
        ]

    async def invite(self, token: str) -> StaffInvite | None:
        r = await self._one("SELECT * FROM staff_invites WHERE token = ?", (token,))
        if r is None:
            return None
        return StaffInvite(
            token=r["token"],
            body=r["body"],
            created_by_channel=r["created_by_channel"],
            created_by_user=r["created_by_user"],
            created_at=from_db_time(r["created_at"]),
            expires_at=from_db_time(r["expires_at"]),
            used_at=from_db_time(r["used_at"]),
        )

    async def forum_thread(self, channel: str, chat_id: int, topic_key: str) -> int | None:
        r = await self._one(
            "SELECT thread_id FROM forum_topics WHERE channel = ? AND chat_id = ?"
            " AND topic_key = ?",
            (channel, chat_id, topic_key),
        )
        return int(r[0]) if r else None


Statement = tuple[str, tuple]
SAVEPOINT: Statement = ("SAVEPOINT logical", ())
RELEASE: Statement = ("RELEASE logical", ())


def _run_on_thread(
    db: aiosqlite.Connection, ahead: list[Statement], sql: str, params: tuple, fetch: bool
) -> Any:
    """On the connection's thread: the statements waiting ``ahead`` (each removed once it has
    run, so after an error the caller sees what did not), then ``sql``; its rows, or the cursor
    (``rowcount``, ``lastrowid``) of a write."""
    conn = _run_ahead(db, ahead)
    cursor = conn.execute(sql, params)
    return cursor.fetchall() if fetch else cursor


def _run_many_on_thread(
    db: aiosqlite.Connection, ahead: list[Statement], sql: str, rows: list[tuple]
) -> None:
    """`_run_on_thread` for one statement over many parameter rows (``executemany``)."""
    _run_ahead(db, ahead).executemany(sql, rows)


def _run_ahead(db: aiosqlite.Connection, ahead: list[Statement]) -> sqlite3.Connection:
    conn = db._conn  # the sqlite3 connection (private), used on its own thread only
    while ahead:
        conn.execute(*ahead[0])
        del ahead[0]
    return conn


class SqliteTx(SharedSql, TableVersionsTx):  # table versions: bot.storage.table_versions
    """One logical transaction. Every statement is one trip to aiosqlite's thread, and the
    statements that need no answer ride along with the next trip (``_ahead``): the transaction's
    SAVEPOINT, the previous transaction's RELEASE, and the writes nobody reads the outcome of
    (`_unanswered`: the audit log, `queue`, an unconditional `update_ticket`). A trip costs
    far more than these statements, and the repository's lock is held across it.

    ``db`` is the raw connection, for reads that stream (`bot.storage.copy`); writes go
    through `_run`, so that they land inside this transaction's savepoint."""

    def __init__(self, db: aiosqlite.Connection, ahead: list[Statement] | None = None):
        self.db = db
        self._ahead: list[Statement] = ahead if ahead is not None else []

    @property
    def _opened(self) -> bool:
        """Whether this transaction's SAVEPOINT has run."""
        return not any(item is SAVEPOINT for item in self._ahead)

    async def _call(self, sql: str, params: tuple, fetch: bool) -> Any:
        # aiosqlite's one way to run a function on its thread (`Connection._execute`).
        return await self.db._execute(
            _run_on_thread, self.db, self._ahead, sql, params, fetch
        )

    async def _one(self, sql: str, params: tuple = ()) -> aiosqlite.Row | None:
        rows = await self._call(sql, params, True)
        return rows[0] if rows else None

    async def _all(self, sql: str, params: tuple = ()) -> list[aiosqlite.Row]:
        return list(await self._call(sql, params, True))

    async def _run(self, sql: str, params: tuple = ()) -> sqlite3.Cursor:
        return await self._call(sql, params, False)

    async def _unanswered(self, sql: str, params: tuple) -> None:
        """Runs with the next trip, at the latest when the transaction ends (an error then
        fails the transaction all the same)."""
        self._ahead.append((sql, params))

    # -- tickets -------------------------------------------------------------------------------
    async def next_ticket_sequence(self, year: int) -> int:
        row = await self._one(
            "INSERT INTO ticket_counters (year, last_value) VALUES (?, 1) "
            "ON CONFLICT (year) DO UPDATE SET last_value = ticket_counters.last_value + 1"
            " RETURNING last_value",
            (year,),
        )
        return int(row[0])

    async def insert_ticket(self, number: str, draft: NewTicket, state: str, now: datetime) -> int:
        stamp = to_db_time(now)
        try:
            cursor = await self._run(
                "INSERT INTO tickets (number, channel, chat_id, user_id, source_message_id, text,"
                " attachments, lat, lon, state, candidates, tried_bodies, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '[]', '[]', ?, ?)",
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
        except aiosqlite.IntegrityError as exc:
            if "source_message_id" in str(exc) or "tickets.channel" in str(exc):
                raise DuplicateTicket(number) from None
            raise
        return int(cursor.lastrowid)

    async def add_message(self, ticket_id: int, message: TicketMessage) -> bool:
        """False when this platform message is already in a thread (a repeated delivery)."""
        cursor = await self._run(
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
        return cursor.rowcount == 1

    async def anonymise_ticket(self, ticket_id: int, placeholder: str, now: datetime) -> None:
        """Remove what identifies or quotes the citizen; keep the route, times and audit."""
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
        # Every queued copy quotes the appeal or addresses the citizen: blank it, and do not
        # deliver what has not gone yet. Staff chat ids stay (they are not the citizen's).
        await self._run(
            "UPDATE outbox SET payload = ?,"
            f" chat_id = CASE WHEN purpose IN {CITIZEN_PURPOSES_SQL} THEN NULL ELSE chat_id END,"
            " state = CASE WHEN state = 'pending' THEN 'cancelled' ELSE state END"
            " WHERE ticket_id = ?",
            (json.dumps({"text": placeholder}, ensure_ascii=False), ticket_id),
        )
        # Reasons typed by administrators ("не наше: это дом Иванова") may quote the citizen.
        await self._run(
            "UPDATE ticket_events SET detail = json_set(detail, '$.reason', NULL)"
            " WHERE ticket_id = ? AND json_extract(detail, '$.reason') IS NOT NULL",
            (ticket_id,),
        )
        await self._run("DELETE FROM training_examples WHERE ticket_id = ?", (ticket_id,))

    async def scrub_chat(self, channel: str, chat_id: int, placeholder: str) -> None:
        """Blank every message queued or sent to a citizen's chat outside tickets too (e.g.
        "write it as text"), and cancel what has not gone."""
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
        cursor = await self._run(
            "INSERT INTO reminders (ticket_id, route_round, kind, at, skipped)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (ticket_id, route_round, kind, to_db_time(now), int(skipped)),
        )
        return cursor.rowcount == 1

    # -- outbox --------------------------------------------------------------------------------
    async def claim_due(self, now: datetime, limit: int) -> list[OutboxRow]:
        rows = await self._all(
            _DUE_HEADS.format(index=" INDEXED BY outbox_queue"), (to_db_time(now), limit)
        )
        return [_outbox(r) for r in rows]

    async def mark_sent(self, sent: Sequence[tuple[int, int | None, datetime]]) -> None:
        rows = [(message_id, to_db_time(at), row_id) for row_id, message_id, at in sent]
        await self.db._execute(_run_many_on_thread, self.db, self._ahead, _MARK_SENT, rows)

    async def set_outbox_state(self, row_id: int, state: str, **changes: Any) -> None:
        unknown = set(changes) - _OUTBOX_COLUMNS
        if unknown:
            raise ValueError(f"unknown outbox columns: {sorted(unknown)}")
        values = [to_db_time(v) if isinstance(v, datetime) else v for v in changes.values()]
        assignments = ", ".join(["state = ?", *(f"{name} = ?" for name in changes)])
        await self._run(
            f"UPDATE outbox SET {assignments} WHERE id = ?", (state, *values, row_id)
        )

    # -- administrators: invites, bindings, forum topics (migration 4) -------------------------

    async def use_invite(self, token: str, now: datetime) -> bool:
        """Mark used; ``False`` if it already was (single use even under a race)."""
        cur = await self._run(
            "UPDATE staff_invites SET used_at = ? WHERE token = ? AND used_at IS NULL",
            (to_db_time(now), token),
        )
        return cur.rowcount == 1

    async def add_binding(self, binding: StaffBinding, now: datetime) -> bool:
        """``False`` when exactly this binding already exists."""
        cur = await self._run(
            "INSERT OR IGNORE INTO staff_bindings (channel, chat_id, user_id, body, forum,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (
                binding.channel,
                binding.chat_id,
                binding.user_id,
                binding.body,
                int(binding.forum),
                to_db_time(now),
            ),
        )
        if cur.rowcount != 1:
            # Same person, chat and body again (e.g. the group became a forum since): refresh.
            await self._run(
                "UPDATE staff_bindings SET forum = ? WHERE channel = ? AND chat_id = ?"
                " AND user_id = ? AND body = ?",
                (int(binding.forum), binding.channel, binding.chat_id, binding.user_id,
                 binding.body),
            )
        return cur.rowcount == 1

    async def bindings(self) -> list[StaffBinding]:
        rows = await self._all("SELECT * FROM staff_bindings ORDER BY created_at, rowid")
        return [
            StaffBinding(r["channel"], r["chat_id"], r["user_id"], r["body"], bool(r["forum"]))
            for r in rows
        ]


class SqliteRepository:
    """``path`` is a file, or ``":memory:"`` for tests."""

    def __init__(self, path: str | Path):
        self.path = str(path)
        self._db: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task | None = None
        self._group: _CommitGroup | None = None  # the SQLite transaction open now, if any
        self._starting = 0  # logical transactions waiting for the lock to begin
        self._carried: list[Statement] = []  # to run first on the next trip (a RELEASE)

    @classmethod
    def from_url(cls, url: str) -> SqliteRepository:
        """``sqlite:///data/bot.sqlite3`` (relative) or ``sqlite:////abs/path`` (absolute)."""
        prefix = "sqlite:///"
        if not url.startswith(prefix):
            raise ValueError(f"не адрес базы SQLite: {url.split(':', 1)[0]}://…")
        return cls(url[len(prefix) :] or ":memory:")

    async def open(self) -> None:
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._db = await aiosqlite.connect(self.path, isolation_level=None)
        self._db.row_factory = aiosqlite.Row
        await self._db.execute("PRAGMA journal_mode = WAL")
        await self._db.execute("PRAGMA foreign_keys = ON")
        await self._db.execute("PRAGMA busy_timeout = 5000")
        await self._migrate()

    async def close(self) -> None:
        if self._db is not None:
            async with self._lock:
                if self._group is not None:
                    await self._commit()
            await self._db.close()
            self._db = None

    async def _migrate(self) -> None:
        async with self.transaction() as tx:
            await tx._run(SCHEMA_VERSION_TABLE.format(timestamp=SQLITE.timestamp))
            current = (await tx._one("SELECT COALESCE(MAX(version), 0) FROM schema_version"))[0]
            for version, description, _sql in MIGRATIONS:
                if version <= current:
                    continue
                for statement in statements(version, SQLITE):
                    await tx._run(statement)
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
    async def transaction(self) -> AsyncIterator[SqliteTx]:
        """One logical transaction, all or nothing; the ``async with`` returns only once a
        COMMIT covering it is on disk, so nothing done after it can outrun the data.

        Group commit: while other transactions are queued for the lock, the SQLite transaction
        is left open and handed over; each logical transaction is a SAVEPOINT inside it, so one
        that fails rolls back alone. The COMMIT (an fsync: ``synchronous = FULL``) then covers
        the whole group. Every member re-queues for the lock after its work and commits the
        group if nobody has yet; a group takes new members only for `GROUP_COMMIT_WINDOW`
        after its BEGIN, so a finished transaction waits at most about that long for its
        COMMIT. The SAVEPOINT and RELEASE cost no trips of their own: they
        ride along with the next statement (`SqliteTx`)."""
        if self._db is None:
            raise RuntimeError("repository is not open")
        task = asyncio.current_task()
        if task is not None and task is self._owner:
            # Would wait for itself forever; SQLite has no nested transactions anyway.
            raise RuntimeError("a transaction is already open in this task")
        self._starting += 1
        try:
            await self._lock.acquire()
        finally:
            self._starting -= 1
        group: _CommitGroup | None = None
        try:
            self._owner = task
            group = await self._join_group()
            tx = SqliteTx(self._db, [*self._carried, SAVEPOINT])
            self._carried = []
            try:
                yield tx
                await self._end(tx)
            except BaseException:
                # Shielded: a second cancellation must not leave half of it in the group.
                await asyncio.shield(self._undo(group, tx))
                raise
        except BaseException:
            self._owner = None
            self._lock.release()
            if group is not None and not group.committed.done():
                with contextlib.suppress(Exception):  # its own error is the one to report
                    await asyncio.shield(self._commit_later(group))
            raise
        self._owner = None
        if self._starting and group.young():
            self._lock.release()
            await asyncio.shield(self._commit_later(group))
            return
        try:
            await self._commit()
        finally:
            self._lock.release()

    async def _join_group(self) -> _CommitGroup:
        """With the lock held: open the SQLite transaction if none is."""
        assert self._db is not None
        if self._group is None:
            await self._db.execute("BEGIN IMMEDIATE")
            self._group = _CommitGroup()
        self._group.members += 1
        return self._group

    async def _end(self, tx: SqliteTx) -> None:
        """With the lock held: the logical transaction succeeded. Its deferred writes must run
        now (their errors are its errors); its RELEASE may wait for the next trip."""
        if not tx._ahead:
            self._carried = [RELEASE]
        elif tx._ahead[-1] is SAVEPOINT:  # it never asked anything of the database
            self._carried = tx._ahead[:-1]
        else:
            await tx._run(*RELEASE)

    async def _undo(self, group: _CommitGroup, tx: SqliteTx) -> None:
        """With the lock held: roll back one failed logical transaction. If SQLite has already
        abandoned the whole transaction (a disk error, say), the group is lost: its other
        members learn it from their `_commit_later` and fail too."""
        assert self._db is not None
        if not tx._opened:  # nothing of it reached the database; what was ahead of it stays
            self._carried = [item for item in tx._ahead if item is RELEASE]
            return
        if self._db.in_transaction:
            try:
                await self._db.execute("ROLLBACK TO logical")
                await self._db.execute("RELEASE logical")
                return
            except Exception:
                with contextlib.suppress(Exception):
                    await self._db.execute("ROLLBACK")
        if self._group is group:
            self._group = None
        group.fail(RuntimeError("the transaction was rolled back"))

    async def _commit_later(self, group: _CommitGroup) -> None:
        """Wait for the lock again (behind the transactions that were queued) and commit the
        group unless a later member already did; raises if the group's COMMIT failed."""
        if not group.committed.done():
            async with self._lock:
                if self._group is group:
                    await self._commit()
        await group.committed

    async def _commit(self) -> None:
        """With the lock held: COMMIT the open group (with the RELEASE still carried) and tell
        its members."""
        assert self._db is not None and self._group is not None
        group, self._group = self._group, None
        carried, self._carried = self._carried, []
        try:
            await SqliteTx(self._db, carried)._run("COMMIT")
        except BaseException as exc:
            with contextlib.suppress(Exception):
                if self._db.in_transaction:
                    await self._db.execute("ROLLBACK")
            group.fail(exc)
            raise
        group.committed.set_result(None)


#: A finished transaction hands the open group over only while the group is younger than this
#: (seconds) and smaller than the limit. It bounds how long a finished transaction's changes
#: stay uncommitted: e.g. the outbox's "sent", whose delay widens the window in which a crash
#: leaves a Telegram citizen message `uncertain` (see `bot.delivery.outbox`).
GROUP_COMMIT_WINDOW = 0.02
GROUP_COMMIT_LIMIT = 64


class _CommitGroup:
    """The logical transactions sharing one SQLite transaction; ``committed`` resolves when
    its COMMIT has returned (or fails with the reason none of them was kept)."""

    def __init__(self) -> None:
        self.members = 0
        self.began = time.monotonic()
        self.committed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        # A group whose last member failed may have nobody left awaiting the outcome.
        self.committed.add_done_callback(lambda f: f.cancelled() or f.exception())

    def young(self) -> bool:
        return (
            self.members < GROUP_COMMIT_LIMIT
            and time.monotonic() - self.began < GROUP_COMMIT_WINDOW
        )

    def fail(self, exc: BaseException) -> None:
        if self.committed.done():
            return
        if isinstance(exc, asyncio.CancelledError):
            self.committed.cancel()
        else:
            self.committed.set_exception(exc)

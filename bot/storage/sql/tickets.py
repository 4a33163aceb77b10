"""Tickets, their audit log, their threads and reminders (`bot.storage.base.TicketsTx`), and the
classifier's training examples (`TrainingTx`), which a ticket's anonymisation deletes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.domain.records import (
    DuplicateTicket,
    NewTicket,
    TicketMessage,
    TicketNote,
    TicketRecord,
    TrainingExample,
)
from bot.domain.reports import QUESTION_EVENTS, fold
from bot.domain.wire import CITIZEN_PURPOSES_SQL
from bot.storage.sql import values
from bot.storage.sql.driver import Facet
from bot.storage.sql.values import attachments_json, to_db_time, to_json

# Columns that `TicketsSql.update` may change; anything else is a programming error.
_UPDATABLE = frozenset(
    (
        *("state", "topic", "municipality", "body", "candidates", "tried_bodies"),
        *("route_round", "routed_at", "due_at", "lat", "lon", "solved", "rating"),
        "extended_at",
    )
)

_NEXT_SEQUENCE = (
    "INSERT INTO ticket_counters (year, last_value) VALUES (?, 1) "
    "ON CONFLICT (year) DO UPDATE SET last_value = ticket_counters.last_value + 1"
    " RETURNING last_value"
)

_INSERT = (
    "INSERT INTO tickets (number, channel, chat_id, user_id, source_message_id, text,"
    " attachments, lat, lon, state, candidates, tried_bodies, created_at, updated_at, origin,"
    " search_text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '[]', '[]', ?, ?, ?, ?)"
)

_SEEN_MESSAGE = (
    "SELECT number FROM tickets WHERE channel = ? AND chat_id = ? AND source_message_id = ?"
    " UNION ALL SELECT t.number FROM ticket_messages m JOIN tickets t ON t.id = m.ticket_id"
    " WHERE m.channel = ? AND m.chat_id = ? AND m.platform_message_id = ? LIMIT 1"
)

_SEEN_OR_LATEST = (
    f"SELECT ({_SEEN_MESSAGE}) AS seen_number, t.* FROM (SELECT 1) AS one"
    " LEFT JOIN (SELECT * FROM tickets WHERE channel = ? AND chat_id = ?"
    " ORDER BY id DESC LIMIT 1) AS t ON TRUE"
)

_TICKET_OF_SENT_MESSAGE = (
    "SELECT ticket_id FROM outbox WHERE channel = ? AND chat_id = ?"
    " AND platform_message_id = ? AND ticket_id IS NOT NULL LIMIT 1"
)

_ADD_EVENT = (
    "INSERT INTO ticket_events (ticket_id, at, kind, from_state, to_state, detail, actor)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)"
)

# What the console's dashboard counts, kept on the ticket as its audit log grows (migration 19;
# `bot.storage.sql.reports` tells how each figure is derived).
#: ``{answered}``/``{created}``: the dialect's seconds of the answer's time and of receipt
#: (``first_answer_seconds``, migration 21: the median needs a number, not two timestamps).
_FIRST_ANSWER = (
    "UPDATE tickets SET first_answer_at = ?,"
    " first_answer_seconds = CAST(ROUND({answered} - {created}) AS INTEGER)"
    " WHERE id = ? AND first_answer_at IS NULL"
)
_FIRST_ROUTE_BY_COORDINATOR = (
    "UPDATE tickets SET routed_how = 'coordinator' WHERE id = ? AND routed_how IS NULL"
)
_FIRST_ROUTE = (
    "UPDATE tickets SET routed_how = CASE WHEN EXISTS (SELECT 1 FROM ticket_events"
    f" WHERE ticket_id = tickets.id AND kind IN ({', '.join(repr(k) for k in QUESTION_EVENTS)}))"
    " THEN 'after_question' ELSE 'automatic' END WHERE id = ? AND routed_how IS NULL"
)

_ADD_MESSAGE = (
    "INSERT INTO ticket_messages (ticket_id, at, author, channel, chat_id,"
    " platform_message_id, text, attachments) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT DO NOTHING"
)


_ADD_NOTE = (
    "INSERT INTO ticket_notes (ticket_id, at, author, channel, chat_id, platform_message_id,"
    " text, attachments) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
)


def _update(
    ticket_id: int, expected_state: str | None, now: datetime, changes: dict[str, Any]
) -> tuple[str, tuple]:
    """``UPDATE tickets``; the columns are checked against the schema because their names
    become SQL."""
    unknown = set(changes) - _UPDATABLE
    if unknown:
        raise ValueError(f"unknown ticket columns: {sorted(unknown)}")
    params: list[Any] = []
    for name, value in changes.items():
        if name in ("candidates", "tried_bodies"):
            value = to_json(list(value))
        elif isinstance(value, datetime):
            value = to_db_time(value)
        elif name in ("lat", "lon") and value is not None:
            value = float(value)  # PostgreSQL's column is a double; SQLite takes either
        params.append(value)
    assignments = ", ".join([*(f"{name} = ?" for name in changes), "updated_at = ?"])
    sql = f"UPDATE tickets SET {assignments} WHERE id = ?"
    params += [to_db_time(now), ticket_id]
    if expected_state is not None:
        sql += " AND state = ?"
        params.append(expected_state)
    return sql, tuple(params)


class TicketsSql(Facet):
    __slots__ = ()

    async def next_sequence(self, year: int) -> int:
        # One atomic upsert: concurrent transactions (PostgreSQL) queue on the row and each
        # gets its own value.
        return await self._value(_NEXT_SEQUENCE, (year,), int)

    async def insert(self, number: str, draft: NewTicket, state: str, now: datetime) -> int:
        stamp = to_db_time(now)
        params = (
            *(number, draft.channel, draft.chat_id, draft.user_id, draft.source_message_id),
            *(draft.text, attachments_json(draft.attachments), draft.lat, draft.lon),
            *(state, stamp, stamp, draft.origin, fold(draft.text)),
        )
        ticket_id = await self.db.insert(
            _INSERT, params, unique="channel, chat_id, source_message_id"
        )
        if ticket_id is None:
            raise DuplicateTicket(number)
        return ticket_id

    async def update(
        self, ticket_id: int, expected_state: str | None, now: datetime, **changes: Any
    ) -> bool:
        """Apply ``changes``; with ``expected_state`` only if the ticket is still in it (the
        answer says whether it was). Without, the change is unconditional and nobody waits for
        an answer: it goes with `Driver.run_later` and the answer is True."""
        sql, params = _update(ticket_id, expected_state, now, changes)
        if expected_state is None:
            await self.db.run_later(sql, params)
            return True
        return await self.db.one(sql + " RETURNING id", params) is not None

    async def _ticket(self, where: str, params: tuple) -> TicketRecord | None:
        return await self._record(values.ticket, f"SELECT * FROM tickets WHERE {where}", params)

    async def _tickets(self, where: str, params: tuple) -> list[TicketRecord]:
        sql = f"SELECT * FROM tickets WHERE {where} ORDER BY id"
        return await self._records(values.ticket, sql, params)

    async def by_id(self, ticket_id: int) -> TicketRecord | None:
        return await self._ticket("id = ?", (ticket_id,))

    async def by_number(self, number: str) -> TicketRecord | None:
        return await self._ticket("number = ?", (number,))

    async def by_source(
        self, channel: str, chat_id: int, message_id: int
    ) -> TicketRecord | None:
        where = "channel = ? AND chat_id = ? AND source_message_id = ?"
        return await self._ticket(where, (channel, chat_id, message_id))

    async def latest_of_chat(self, channel: str, chat_id: int) -> TicketRecord | None:
        where = "channel = ? AND chat_id = ? ORDER BY id DESC LIMIT 1"
        return await self._ticket(where, (channel, chat_id))

    async def in_state(self, state: str) -> list[TicketRecord]:
        return await self._tickets("state = ?", (state,))

    async def of_citizen(self, channel: str, user_id: int) -> list[TicketRecord]:
        return await self._tickets("channel = ? AND user_id = ?", (channel, user_id))

    async def state_and_event(
        self, ticket_id: int, kinds: tuple[str, ...]
    ) -> tuple[str, bool] | None:
        """The ticket's state now, and whether it has an event of one of ``kinds``: one short
        query where loading the ticket and its whole history would be two long ones."""
        row = await self.db.one(
            "SELECT state, EXISTS (SELECT 1 FROM ticket_events WHERE ticket_id = tickets.id"
            f" AND kind IN ({', '.join('?' * len(kinds))})) FROM tickets WHERE id = ?",
            (*kinds, ticket_id),
        )
        return (row[0], bool(row[1])) if row else None

    async def seen_message(self, channel: str, chat_id: int, message_id: int) -> str | None:
        """The number of the ticket this platform message already belongs to, if any."""
        return await self._value(_SEEN_MESSAGE, (channel, chat_id, message_id) * 2)

    async def seen_or_latest(
        self, channel: str, chat_id: int, message_id: int
    ) -> tuple[str | None, TicketRecord | None]:
        """`seen_message`, or if the message is new the chat's `latest_of_chat`: what every
        citizen message is looked up by first, in one query."""
        row = await self.db.one(
            _SEEN_OR_LATEST, ((channel, chat_id, message_id) * 2) + (channel, chat_id)
        )
        assert row is not None  # one row always: the LEFT JOIN keeps it
        if row["seen_number"] is not None:
            return row["seen_number"], None
        return None, values.ticket(row) if row["id"] is not None else None

    async def id_by_sent_message(
        self, channel: str, chat_id: int, platform_message_id: int
    ) -> int | None:
        """The ticket a message we sent belongs to (an administrator replied to it)."""
        params = (channel, chat_id, platform_message_id)
        return await self._value(_TICKET_OF_SENT_MESSAGE, params, int)

    # -- the audit log -------------------------------------------------------------------------
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
        detail_json = to_json(detail or {})
        stamp = to_db_time(now)
        params = (ticket_id, stamp, kind, from_state, to_state, detail_json, actor)
        await self.db.run_later(_ADD_EVENT, params)
        if to_state == "answered":
            epoch = self.db.dialect.epoch
            sql = _FIRST_ANSWER.format(
                answered=epoch.format("CAST(? AS TEXT)"), created=epoch.format("created_at")
            )
            await self.db.run_later(sql, (stamp, stamp, ticket_id))
        elif to_state == "routed":
            by_coordinator = actor.partition(":")[0] == "coordinator"
            route = _FIRST_ROUTE_BY_COORDINATOR if by_coordinator else _FIRST_ROUTE
            await self.db.run_later(route, (ticket_id,))

    async def events(self, ticket_id: int) -> list[dict[str, Any]]:
        return await self._records(
            values.event,
            "SELECT at, kind, from_state, to_state, detail, actor FROM ticket_events"
            " WHERE ticket_id = ? ORDER BY id",
            (ticket_id,),
        )

    # -- the thread ----------------------------------------------------------------------------
    async def add_message(self, ticket_id: int, message: TicketMessage) -> bool:
        """False when this platform message is already in a thread (a repeated delivery)."""
        params = (
            *(ticket_id, to_db_time(message.at), message.author, message.channel),
            *(message.chat_id, message.platform_message_id, message.text),
            attachments_json(message.attachments),
        )
        return await self.db.run(_ADD_MESSAGE, params) == 1

    async def messages(self, ticket_id: int) -> list[TicketMessage]:
        sql = "SELECT * FROM ticket_messages WHERE ticket_id = ? ORDER BY id"
        return await self._records(values.message, sql, (ticket_id,))

    async def set_message_author(
        self, ticket_id: int, platform_message_id: int, author: str, new_author: str
    ) -> bool:
        """A held message becomes the citizen's (`bot.core.new_problem`); ``False`` when it
        is not held in this ticket (any more)."""
        count = await self.db.run(
            "UPDATE ticket_messages SET author = ?"
            " WHERE ticket_id = ? AND platform_message_id = ? AND author = ?",
            (new_author, ticket_id, platform_message_id, author),
        )
        return count == 1

    async def drop_message(self, ticket_id: int, platform_message_id: int, author: str) -> bool:
        """A held message leaves the thread (it became an appeal of its own)."""
        count = await self.db.run(
            "DELETE FROM ticket_messages"
            " WHERE ticket_id = ? AND platform_message_id = ? AND author = ?",
            (ticket_id, platform_message_id, author),
        )
        return count == 1
    # -- internal notes (never part of the thread a citizen sees) -----------------------------
    async def add_note(self, ticket_id: int, note: TicketNote) -> bool:
        """False when this platform message is already a note (a repeated delivery)."""
        params = (
            *(ticket_id, to_db_time(note.at), note.author, note.channel, note.chat_id),
            *(note.platform_message_id, note.text, attachments_json(note.attachments)),
        )
        return await self.db.run(_ADD_NOTE, params) == 1

    async def notes(self, ticket_id: int) -> list[TicketNote]:
        sql = "SELECT * FROM ticket_notes WHERE ticket_id = ? ORDER BY id"
        return await self._records(values.note, sql, (ticket_id,))

    # -- reminders -----------------------------------------------------------------------------
    async def record_reminder(
        self, ticket_id: int, route_round: int, kind: str, now: datetime, skipped: bool
    ) -> bool:
        """``False`` when another scan (in this process or another) already recorded it."""
        count = await self.db.run(
            "INSERT INTO reminders (ticket_id, route_round, kind, at, skipped)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (ticket_id, route_round, kind, to_db_time(now), int(skipped)),
        )
        return count == 1

    # -- privacy -------------------------------------------------------------------------------
    async def anonymise(self, ticket_id: int, placeholder: str, now: datetime) -> None:
        """Remove what identifies or quotes the citizen; keep the route, times and audit."""
        stamp = to_db_time(now)
        await self.db.run(
            "UPDATE tickets SET text = ?, search_text = ?, attachments = '[]', chat_id = NULL,"
            " user_id = NULL, source_message_id = NULL, lat = NULL, lon = NULL,"
            " anonymised_at = ?, updated_at = ? WHERE id = ?",
            (placeholder, fold(placeholder), stamp, stamp, ticket_id),
        )
        await self.db.run(
            "UPDATE ticket_messages SET text = ?, attachments = '[]', chat_id = NULL,"
            " platform_message_id = NULL WHERE ticket_id = ?",
            (placeholder, ticket_id),
        )
        # A comment's ids lead to the citizen's public words.
        await self.db.run("DELETE FROM ticket_comments WHERE ticket_id = ?", (ticket_id,))
        # Staff notes may quote the citizen too; who wrote them and when stays.
        await self.db.run(
            "UPDATE ticket_notes SET text = ?, attachments = '[]' WHERE ticket_id = ?",
            (placeholder, ticket_id),
        )
        # Every queued copy quotes the appeal or addresses the citizen: blank it, and do not
        # deliver what has not gone yet. Staff chat ids stay (they are not the citizen's).
        await self.db.run(
            "UPDATE outbox SET payload = ?,"
            f" chat_id = CASE WHEN purpose IN {CITIZEN_PURPOSES_SQL} THEN NULL ELSE chat_id END,"
            " state = CASE WHEN state = 'pending' THEN 'cancelled' ELSE state END"
            " WHERE ticket_id = ?",
            (to_json({"text": placeholder}), ticket_id),
        )
        # Reasons typed by administrators ("не наше: это дом Иванова") may quote the citizen.
        without_reason, reason = self.db.dialect.reason
        await self.db.run(
            f"UPDATE ticket_events SET detail = {without_reason}"
            f" WHERE ticket_id = ? AND {reason} IS NOT NULL",
            (ticket_id,),
        )
        await self.db.run("DELETE FROM training_examples WHERE ticket_id = ?", (ticket_id,))


class TrainingSql(Facet):
    __slots__ = ()

    async def add(self, example: TrainingExample, ticket_id: int | None) -> None:
        await self.db.run(
            "INSERT INTO training_examples"
            " (ticket_id, at, text, topic, body, wrong_body, source, reason)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                *(ticket_id, to_db_time(example.at), example.text, example.topic),
                *(example.body, example.wrong_body, example.source, example.reason),
            ),
        )

    async def examples(self) -> list[TrainingExample]:
        return await self._records(
            values.training_example,
            "SELECT e.*, t.number FROM training_examples e"
            " LEFT JOIN tickets t ON t.id = e.ticket_id ORDER BY e.id",
        )


"""How values travel between the records and the rows: times as fixed-width UTC text, JSON as
text, booleans as integers — the same in SQLite and PostgreSQL (`bot.storage.migrations`), so
one conversion serves both and a row read from either makes the same record.

A row is anything indexable by column name: `sqlite3.Row` and `asyncpg.Record` both are.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from bot.domain import records
from bot.domain.messages import Attachment
from bot.domain.states import InboxState, OutboxState, ProposalState, TicketState
from bot.domain.wire import Purpose

Row = Any


def to_db_time(value: datetime | None) -> str | None:
    """``2026-03-01T09:00:00.000000Z`` (isoformat is the same text, written several times
    faster than strftime)."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the database")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def from_db_time(value: str | None) -> datetime | None:
    """Read `to_db_time`'s text back; fromisoformat takes the trailing ``Z`` as UTC and is
    several times faster than strptime (a ticket row has four times, read on every appeal)."""
    if value is None:
        return None
    return datetime.fromisoformat(value)


def to_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def attachments_json(items: tuple[Attachment, ...]) -> str:
    return to_json([a.to_json() for a in items])


def attachments(text: str) -> tuple[Attachment, ...]:
    return tuple(Attachment.from_json(item) for item in json.loads(text))


def columns(row: Row, as_is: Iterable[str], times: Iterable[str] = ()) -> dict[str, Any]:
    """Record fields named as the row's columns: ``as_is`` copied, ``times`` read back."""
    fields = {name: row[name] for name in as_is}
    for name in times:
        fields[name] = from_db_time(row[name])
    return fields


def outbox_values(draft: records.OutboxDraft, now: datetime) -> tuple:
    """The parameters of `bot.storage.sql.outbox.INSERT`."""
    stamp = to_db_time(now)
    return (
        draft.key,
        draft.ticket_id,
        draft.purpose,
        draft.channel,
        draft.chat_id,
        to_json(draft.payload),
        int(draft.resend_if_uncertain),
        stamp,
        stamp,
        draft.priority,
    )


# -- rows → records ---------------------------------------------------------------------------
_TICKET_AS_IS = (
    *("id", "number", "channel", "chat_id", "user_id", "source_message_id", "text"),
    *("lat", "lon", "topic", "municipality", "body", "route_round", "rating", "origin"),
)
_TICKET_TIMES = (
    *("created_at", "updated_at", "routed_at", "due_at", "anonymised_at", "extended_at"),
)

# Stored text → enum member by a dict: calling the enum (``TicketState(text)``) costs ~1 µs, a
# lookup ~0.03, and rows are read on every message.
_TICKET_STATES = {state.value: state for state in TicketState}
_OUTBOX_STATES = {state.value: state for state in OutboxState}
_PROPOSAL_STATES = {state.value: state for state in ProposalState}
_PURPOSES = {purpose.value: purpose for purpose in Purpose}


def ticket(row: Row) -> records.TicketRecord:
    return records.TicketRecord(
        **columns(row, _TICKET_AS_IS, _TICKET_TIMES),
        attachments=attachments(row["attachments"]),
        state=_TICKET_STATES[row["state"]],
        candidates=tuple(json.loads(row["candidates"])),
        tried_bodies=tuple(json.loads(row["tried_bodies"])),
        solved=None if row["solved"] is None else bool(row["solved"]),
    )


_OUTBOX_AS_IS = (
    *("id", "ticket_id", "channel", "chat_id", "attempts", "last_error"),
    "platform_message_id",
)


def outbox(row: Row) -> records.OutboxRow:
    return records.OutboxRow(
        **columns(row, _OUTBOX_AS_IS, ("next_attempt_at", "sent_at")),
        key=row["idempotency_key"],
        purpose=_PURPOSES[row["purpose"]],
        payload=json.loads(row["payload"]),
        resend_if_uncertain=bool(row["resend_if_uncertain"]),
        state=_OUTBOX_STATES[row["state"]],
    )


def inbox(row: Row) -> records.InboxRow:
    return records.InboxRow(
        **columns(
            row,
            ("id", "channel", "chat_id", "payload", "attempts", "last_error"),
            ("held_until", "received_at", "handled_at"),
        ),
        key=row["update_key"],
        state=InboxState(row["state"]),
    )


def message(row: Row) -> records.TicketMessage:
    as_is = ("author", "channel", "chat_id", "platform_message_id", "text")
    return records.TicketMessage(
        **columns(row, as_is, ("at",)), attachments=attachments(row["attachments"])
    )


def event(row: Row) -> dict[str, Any]:
    return {
        **columns(row, ("at", "kind", "from_state", "to_state")),
        "detail": json.loads(row["detail"]),
        "actor": row["actor"],
    }


def training_example(row: Row) -> records.TrainingExample:
    as_is = ("text", "topic", "body", "wrong_body", "source", "reason")
    return records.TrainingExample(**columns(row, as_is, ("at",)), ticket=row["number"])


def invite(row: Row) -> records.StaffInvite:
    as_is = ("token", "body", "created_by_channel", "created_by_user")
    return records.StaffInvite(**columns(row, as_is, ("created_at", "expires_at", "used_at")))


def binding(row: Row) -> records.StaffBinding:
    as_is = ("channel", "chat_id", "user_id", "body")
    return records.StaffBinding(
        **columns(row, as_is),
        forum=bool(row["forum"]),
        since=from_db_time(row["created_at"]),
    )


def note(row: Row) -> records.TicketNote:
    as_is = ("author", "channel", "chat_id", "platform_message_id", "text")
    return records.TicketNote(
        **columns(row, as_is, ("at",)), attachments=attachments(row["attachments"])
    )


def version(row: Row) -> records.TableVersion:
    as_is = ("id", "content", "content_hash", "source", "seed_hash", "restores", "applied_by")
    return records.TableVersion(**columns(row, (*as_is, "summary"), ("applied_at",)))


def proposal(row: Row) -> records.TableProposal:
    as_is = ("id", "content", "content_hash", "base_version", "kind", "restores")
    return records.TableProposal(
        **columns(row, (*as_is, "proposed_by", "summary"), ("created_at",)),
        state=_PROPOSAL_STATES[row["state"]],
    )


def model_version(row: Row) -> records.ModelVersion:
    as_is = ("id", "source", "path", "trained_on", "tested_on", "current_right")
    return records.ModelVersion(
        **columns(row, (*as_is, "candidate_right", "restores", "applied_by"), ("at",)),
        swapped=bool(row["swapped"]),
    )

"""The records the core works in: tickets, their messages, outbox and inbox rows, staff, table
versions.

They are the core's own vocabulary, so they live in the domain, not in storage: the use cases
build and read them, and each storage backend only maps them to and from its rows
(`bot.storage`). Frozen dataclasses: a record is what was read, and a change is a new record
or a write through the transaction, never an edit in place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.domain.messages import Attachment, Channel, IncomingMessage
from bot.domain.states import InboxState, OutboxState, ProposalState, TicketState
from bot.domain.wire import CITIZEN_PURPOSES, Purpose


@dataclass(frozen=True)
class TicketRecord:
    id: int
    number: str
    channel: Channel
    chat_id: int | None
    user_id: int | None
    source_message_id: int | None
    text: str
    attachments: tuple[Attachment, ...]
    lat: float | None
    lon: float | None
    state: TicketState
    topic: str | None
    municipality: str | None
    body: str | None
    candidates: tuple[dict[str, Any], ...]  # ranked, as `Candidate` fields
    tried_bodies: tuple[str, ...]  # bodies that already said "не наше"
    route_round: int
    created_at: datetime
    updated_at: datetime
    routed_at: datetime | None
    due_at: datetime | None
    anonymised_at: datetime | None
    solved: bool | None = None  # the citizen's answer to «Проблема решена?»
    rating: int | None = None  # 1–5
    #: When the body extended the deadline of this routing round (once per round).
    extended_at: datetime | None = None
    #: Where the appeal was written: ``None`` a message to the bot, `COMMENT` a comment under
    #: a post (its public place: `CommentRef`, ``tx.comments``).
    origin: str | None = None

    @property
    def untouched(self) -> bool:
        """Whether this is a ticket still in the transaction that creates it, before its first
        move: it has no thread messages and has been asked nothing yet, and nothing needs to be
        read to know it."""
        return self.state == TicketState.NEW


@dataclass(frozen=True)
class NewTicket:
    channel: Channel
    chat_id: int
    user_id: int
    source_message_id: int | None  # None: a comment (its ids are in `CommentRef`)
    text: str
    attachments: tuple[Attachment, ...] = ()
    lat: float | None = None
    lon: float | None = None
    origin: str | None = None

    def stored(
        self, ticket_id: int, number: str, state: TicketState, now: datetime
    ) -> TicketRecord:
        """The row `Tx.tickets.insert` has just written, as `Tx.tickets.by_id` would read it back:
        intake goes on with it instead of asking the database for what it just wrote."""
        return TicketRecord(
            id=ticket_id,
            number=number,
            channel=self.channel,
            chat_id=self.chat_id,
            user_id=self.user_id,
            source_message_id=self.source_message_id,
            text=self.text,
            attachments=self.attachments,
            lat=self.lat,
            lon=self.lon,
            state=state,
            topic=None,
            municipality=None,
            body=None,
            candidates=(),
            tried_bodies=(),
            route_round=0,
            created_at=now,
            updated_at=now,
            routed_at=None,
            due_at=None,
            anonymised_at=None,
            origin=self.origin,
        )


@dataclass(frozen=True)
class OutboxDraft:
    """A message to deliver; ``key`` is unique forever, so enqueueing twice is a no-op."""

    key: str
    channel: Channel
    chat_id: int
    payload: dict[str, Any]
    purpose: Purpose
    ticket_id: int | None = None
    # After a crash between sending and recording: send again (a duplicate is acceptable) or
    # give up (a duplicate is not)? See `bot.delivery.outbox`.
    resend_if_uncertain: bool = False

    @property
    def priority(self) -> int:
        """0 for what a citizen is waiting for, 1 for staff cards and reminders (see
        `Purpose.priority`); a set lookup, since it is asked for every queued row."""
        return 0 if self.purpose in CITIZEN_PURPOSES else 1

    def to_json(self) -> dict[str, Any]:
        """Kept inside another row's payload as the message to queue once that row is
        delivered (``payload["then"]``, `bot.delivery.outbox`)."""
        return {
            "key": self.key, "channel": self.channel, "chat_id": self.chat_id,
            "payload": self.payload, "purpose": str(self.purpose), "ticket_id": self.ticket_id,
            "resend_if_uncertain": self.resend_if_uncertain,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OutboxDraft:
        return cls(**{**data, "purpose": Purpose(data["purpose"])})


@dataclass(frozen=True)
class OutboxRow:
    id: int
    key: str
    ticket_id: int | None
    purpose: Purpose
    channel: Channel
    chat_id: int | None
    payload: dict[str, Any]
    resend_if_uncertain: bool
    state: OutboxState
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    platform_message_id: int | None
    sent_at: datetime | None


@dataclass(frozen=True)
class InboxDraft:
    """An update as it arrived, to be stored before the platform is told it was received.

    ``key`` is the platform's own id of the update (``tg:<bot>:<update_id>``,
    ``vk:<group>:<event_id>``): storing it twice is a no-op, so a re-delivery is dropped.
    ``chat_id`` orders the updates of one conversation (``None``: no conversation).
    ``payload`` is the raw update (JSON text); ``parsed`` is what the adapter already made of
    it, handed to the first attempt so that it is not parsed twice (never stored)."""

    key: str
    channel: Channel
    chat_id: int | None
    payload: str
    parsed: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class InboxRow:
    id: int
    key: str
    channel: Channel
    chat_id: int | None
    payload: str | None  # None once handled: nothing the citizen wrote is kept here
    state: InboxState
    attempts: int  # begun and not succeeded, as far as they were recorded
    held_until: datetime
    received_at: datetime
    handled_at: datetime | None = None
    last_error: str | None = None  # the exception's type only, never its message


@dataclass(frozen=True)
class TrainingExample:
    text: str
    topic: str | None
    body: str | None
    wrong_body: str | None = None
    ticket: str | None = None
    at: datetime | None = None
    source: str = "redirect"
    reason: str | None = None  # why the wrong body said «Не наше», in its words


@dataclass(frozen=True)
class TicketMessage:
    author: str  # citizen / body / coordinator / bot
    channel: Channel
    chat_id: int | None
    platform_message_id: int | None
    text: str
    at: datetime
    attachments: tuple[Attachment, ...] = field(default_factory=tuple)

    @classmethod
    def of(cls, message: IncomingMessage, author: str, at: datetime) -> TicketMessage:
        """What someone wrote, as the ticket's thread keeps it (the platform ids identify a
        repeated delivery)."""
        return cls(
            author, message.channel, message.chat_id, message.message_id, message.text, at,
            message.attachments,
        )


@dataclass(frozen=True)
class TicketNote:
    """An internal note of a body's staff or a coordinator on a ticket: kept in its history for
    staff, never shown or sent to the citizen. ``author`` is who, as the audit log names them
    (`Desk.actor`: ``body:city:tg:2002``, ``coordinator:tg:500``)."""

    author: str
    channel: Channel
    chat_id: int
    platform_message_id: int
    text: str
    at: datetime
    attachments: tuple[Attachment, ...] = field(default_factory=tuple)

    @classmethod
    def of(cls, message: IncomingMessage, author: str, at: datetime) -> TicketNote:
        return cls(
            author, message.channel, message.chat_id, message.message_id, message.text, at,
            message.attachments,
        )


class DuplicateTicket(Exception):
    """The same platform message was already taken in as a ticket."""



# -- administrators --------------------------------------------------------------------------------
@dataclass(frozen=True)
class StaffInvite:
    """A single-use invite of an administrator to a body, created by a coordinator."""

    token: str
    body: str
    created_by_channel: str
    created_by_user: int
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None


@dataclass(frozen=True)
class StaffBinding:
    """A chat where a body's tickets arrive, and the administrator who bound it there (in a
    private chat both ids are the same). ``forum``: a supergroup with topics, one per ticket.
    ``unreachable_since``: since when the bot cannot write to the chat (removed from the group,
    blocked: `bot.core.chat_access`); ``None`` while it can."""

    channel: Channel
    chat_id: int
    user_id: int
    body: str
    forum: bool = False
    unreachable_since: datetime | None = None
    #: When it was made (read back from the database; not part of what identifies it).
    since: datetime | None = field(default=None, compare=False)



# -- routing table versions ----------------------------------------------------------------------
# Where a version came from.
FROM_FILE = "file"  # seeded from ROUTING_TABLE at start
FROM_UPLOAD = "upload"  # a coordinator uploaded it and pressed «Применить»
FROM_ROLLBACK = "rollback"  # /rollback: a copy of an earlier version
FROM_EDIT = "edit"  # one row edited in the console, then «Применить»



@dataclass(frozen=True)
class TableVersion:
    id: int
    content: str
    content_hash: str
    source: str
    seed_hash: str | None  # the content hash of the file this version was seeded from
    restores: int | None  # for a rollback: the version whose content it copies
    applied_by: str  # "system" or "tg:123" (the coordinator)
    applied_at: datetime
    summary: str


@dataclass(frozen=True)
class TableProposal:
    id: int
    content: str
    content_hash: str
    base_version: int  # the version that was current when it was proposed
    kind: str  # FROM_UPLOAD, FROM_ROLLBACK or FROM_EDIT
    restores: int | None
    proposed_by: str
    created_at: datetime
    summary: str  # becomes the version's summary when applied
    state: ProposalState




# -- trained model versions (migration 13, `bot.core.learning`) ----------------------------------
MODEL_RETRAIN = "retrain"  # the scheduled job trained it on the bot's own tickets
MODEL_ROLLBACK = "rollback"  # a coordinator put an earlier version back


@dataclass(frozen=True)
class ModelVersion:
    id: int
    at: datetime
    source: str  # MODEL_RETRAIN or MODEL_ROLLBACK
    path: str | None  # the model file; None: the ROUTING_MODEL file (or no model)
    swapped: bool  # it served from ``at`` on; False: judged worse, never served
    trained_on: int
    tested_on: int
    current_right: int
    candidate_right: int
    restores: int | None
    applied_by: str

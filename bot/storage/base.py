"""What the core needs from a database, as a Protocol, and the records it reads and writes.

Everything goes through a transaction (`Repository.transaction`): a state change and the
messages announcing it are written together or not at all, which is what makes the outbox
reliable. Implementations: `bot.storage.sqlite.SqliteRepository` (the default) and
`bot.storage.postgres.PostgresRepository`, chosen by ``DATABASE_URL``
(`bot.storage.select.repository_from_url`); both apply the same migrations
(`bot.storage.migrations`).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from bot.core.types import Attachment


@dataclass(frozen=True)
class TicketRecord:
    id: int
    number: str
    channel: str
    chat_id: int | None
    user_id: int | None
    source_message_id: int | None
    text: str
    attachments: tuple[Attachment, ...]
    lat: float | None
    lon: float | None
    state: str
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


@dataclass(frozen=True)
class NewTicket:
    channel: str
    chat_id: int
    user_id: int
    source_message_id: int
    text: str
    attachments: tuple[Attachment, ...] = ()
    lat: float | None = None
    lon: float | None = None

    def stored(self, ticket_id: int, number: str, state: str, now: datetime) -> TicketRecord:
        """The row `Tx.insert_ticket` has just written, as `Tx.ticket` would read it back:
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
        )


@dataclass(frozen=True)
class OutboxDraft:
    """A message to deliver; ``key`` is unique forever, so enqueueing twice is a no-op."""

    key: str
    channel: str
    chat_id: int
    payload: dict[str, Any]
    purpose: str
    ticket_id: int | None = None
    # After a crash between sending and recording: send again (a duplicate is acceptable) or
    # give up (a duplicate is not)? See `bot.core.outbox`.
    resend_if_uncertain: bool = False

    @property
    def priority(self) -> int:
        """0 for what a citizen is waiting for (purposes starting with "citizen": confirmations,
        questions, answers), 1 for staff cards and reminders. When both are due the outbox sends
        0 first, so a burst of appeals does not queue the citizens' replies behind the cards;
        within one chat the order is always the order of queueing."""
        return 0 if self.purpose.startswith("citizen") else 1


@dataclass(frozen=True)
class OutboxRow:
    id: int
    key: str
    ticket_id: int | None
    purpose: str
    channel: str
    chat_id: int | None
    payload: dict[str, Any]
    resend_if_uncertain: bool
    state: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    platform_message_id: int | None
    sent_at: datetime | None


@dataclass(frozen=True)
class TrainingExample:
    text: str
    topic: str | None
    body: str | None
    wrong_body: str | None = None
    ticket: str | None = None
    at: datetime | None = None
    source: str = "redirect"


@dataclass(frozen=True)
class TicketMessage:
    author: str  # citizen / body / coordinator / bot
    channel: str
    chat_id: int | None
    platform_message_id: int | None
    text: str
    at: datetime
    attachments: tuple[Attachment, ...] = field(default_factory=tuple)


class DuplicateTicket(Exception):
    """The same platform message was already taken in as a ticket."""


class Tx(Protocol):
    """One transaction. Methods never commit on their own."""

    # tickets
    async def next_ticket_sequence(self, year: int) -> int: ...
    async def insert_ticket(
        self, number: str, draft: NewTicket, state: str, now: datetime
    ) -> int: ...
    async def ticket_by_source(
        self, channel: str, chat_id: int, message_id: int
    ) -> TicketRecord | None: ...
    async def ticket(self, ticket_id: int) -> TicketRecord | None: ...
    async def state_and_event(
        self, ticket_id: int, kinds: tuple[str, ...]
    ) -> tuple[str, bool] | None: ...
    async def ticket_by_number(self, number: str) -> TicketRecord | None: ...
    async def update_ticket(
        self, ticket_id: int, expected_state: str | None, now: datetime, **changes: Any
    ) -> bool:
        """With ``expected_state``: whether the ticket was still in it (and so changed).
        Without: unconditional, True, and possibly written with the transaction's next
        statement (SQLite saves a trip to its thread that way)."""
    async def tickets_in_state(self, state: str) -> list[TicketRecord]: ...
    async def latest_ticket_of_chat(self, channel: str, chat_id: int) -> TicketRecord | None: ...
    async def seen_or_latest(
        self, channel: str, chat_id: int, message_id: int
    ) -> tuple[str | None, TicketRecord | None]: ...
    async def tickets_of(self, channel: str, user_id: int) -> list[TicketRecord]: ...
    async def add_event(
        self,
        ticket_id: int,
        kind: str,
        now: datetime,
        from_state: str | None = None,
        to_state: str | None = None,
        detail: dict[str, Any] | None = None,
        actor: str = "system",
    ) -> None: ...
    async def events(self, ticket_id: int) -> list[dict[str, Any]]: ...
    async def add_message(self, ticket_id: int, message: TicketMessage) -> bool: ...
    async def seen_message(self, channel: str, chat_id: int, message_id: int) -> str | None: ...
    async def messages(self, ticket_id: int) -> list[TicketMessage]: ...
    async def ticket_by_sent_message(
        self, channel: str, chat_id: int, platform_message_id: int
    ) -> int | None: ...
    async def anonymise_ticket(self, ticket_id: int, placeholder: str, now: datetime) -> None: ...

    async def scrub_chat(self, channel: str, chat_id: int, placeholder: str) -> None: ...
    async def scrub_row(self, row_id: int, placeholder: str) -> None: ...

    # reminders
    async def record_reminder(
        self, ticket_id: int, route_round: int, kind: str, now: datetime, skipped: bool
    ) -> bool: ...

    # outbox
    async def enqueue(self, draft: OutboxDraft, now: datetime) -> int | None: ...
    async def queue(self, draft: OutboxDraft, now: datetime) -> None:
        """`enqueue` without the id: possibly written with the transaction's next statement."""
    async def claim_due(self, now: datetime, limit: int) -> list[OutboxRow]: ...
    async def claim_rows(self, row_ids: Sequence[int]) -> set[int]: ...
    async def mark_sent(self, sent: Sequence[tuple[int, int | None, datetime]]) -> None: ...
    async def outbox_row(self, row_id: int) -> OutboxRow | None: ...
    async def outbox_by_key(self, key: str) -> OutboxRow | None: ...
    async def set_outbox_state(self, row_id: int, state: str, **changes: Any) -> None: ...
    async def rows_in_state(self, state: str) -> list[OutboxRow]: ...
    async def next_due_at(self, after: datetime | None = None) -> datetime | None: ...

    # training data
    async def add_training_example(
        self, example: TrainingExample, ticket_id: int | None
    ) -> None: ...
    async def training_examples(self) -> list[TrainingExample]: ...


class Repository(Protocol):
    async def open(self) -> None:
        """Connect and apply pending migrations."""

    async def close(self) -> None: ...

    def transaction(self) -> AbstractAsyncContextManager[Tx]: ...


# -- administrators (migration 4) ---------------------------------------------------------------
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
    private chat both ids are the same). ``forum``: a supergroup with topics, one per ticket."""

    channel: str
    chat_id: int
    user_id: int
    body: str
    forum: bool = False


class StaffTx(Protocol):
    """What `Tx` adds for administrators; `bot.storage.sqlite.SqliteTx` implements both."""

    async def add_invite(self, invite: StaffInvite) -> None: ...
    async def invite(self, token: str) -> StaffInvite | None: ...
    async def use_invite(self, token: str, now: datetime) -> bool: ...
    async def add_binding(self, binding: StaffBinding, now: datetime) -> bool: ...
    async def bindings(self) -> list[StaffBinding]: ...
    async def forum_thread(self, channel: str, chat_id: int, topic_key: str) -> int | None: ...
    async def set_forum_thread(
        self, channel: str, chat_id: int, topic_key: str, thread_id: int, now: datetime
    ) -> None: ...
    async def topic_key_by_thread(
        self, channel: str, chat_id: int, thread_id: int
    ) -> str | None: ...

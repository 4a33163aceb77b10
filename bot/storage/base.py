"""What the core needs from a database: the ports, as Protocols (the records are
`bot.domain.records`).

Everything goes through a transaction (`Repository.transaction`): a state change and the
messages announcing it are written together or not at all, which is what makes the outbox
reliable. A transaction is split into facets, one per aggregate (``tx.tickets``, ``tx.outbox``,
``tx.staff``, ``tx.tables``, ``tx.stats``, ``tx.training``, ``tx.inbox``, ``tx.comments``,
``tx.pages``, ``tx.console``, ``tx.reports``), so that a call site names what it touches and a
type checker sees every method without the core knowing which backend it has.

Implementations: `bot.storage.sqlite.SqliteRepository` (the default) and
`bot.storage.postgres.PostgresRepository`, chosen by ``DATABASE_URL``
(`bot.storage.select.repository_from_url`). Both run the facets of `bot.storage.sql` over a
driver of their own and apply the same migrations (`bot.storage.migrations`). No method commits
on its own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any, Protocol, TypeVar

from bot.domain.comments import CommentRef
from bot.domain.console import ConsoleSession
from bot.domain.pages import ConnectedPage, PageAppeal
from bot.domain.records import (
    InboxDraft,
    InboxRow,
    ModelVersion,
    NewTicket,
    OutboxDraft,
    OutboxRow,
    StaffBinding,
    StaffInvite,
    TableProposal,
    TableVersion,
    TicketMessage,
    TicketNote,
    TicketRecord,
    TrainingExample,
)
from bot.domain.reports import (
    BodyFigures,
    ExportCursor,
    ExportRow,
    MapPoint,
    QueueRow,
    QueueView,
    RouteCounts,
    TicketFilter,
    TopicCount,
    Totals,
)

R = TypeVar("R")


class TicketsTx(Protocol):
    """Tickets, their audit log (events), their thread messages and the reminders sent."""

    async def next_sequence(self, year: int) -> int: ...
    async def insert(self, number: str, draft: NewTicket, state: str, now: datetime) -> int:
        """The new ticket's id; `bot.domain.records.DuplicateTicket` if its source message
        already made one (the transaction stays usable)."""
    async def by_id(self, ticket_id: int) -> TicketRecord | None: ...
    async def by_number(self, number: str) -> TicketRecord | None: ...
    async def by_source(
        self, channel: str, chat_id: int, message_id: int
    ) -> TicketRecord | None: ...
    async def state_and_event(
        self, ticket_id: int, kinds: tuple[str, ...]
    ) -> tuple[str, bool] | None: ...
    async def update(
        self, ticket_id: int, expected_state: str | None, now: datetime, **changes: Any
    ) -> bool:
        """With ``expected_state``: whether the ticket was still in it (and so changed).
        Without: unconditional, True, and possibly written with the transaction's next
        statement (SQLite saves a trip to its thread that way)."""
    async def in_state(self, state: str) -> list[TicketRecord]: ...
    async def latest_of_chat(self, channel: str, chat_id: int) -> TicketRecord | None: ...
    async def seen_or_latest(
        self, channel: str, chat_id: int, message_id: int
    ) -> tuple[str | None, TicketRecord | None]: ...
    async def of_citizen(self, channel: str, user_id: int) -> list[TicketRecord]: ...
    async def anonymise(self, ticket_id: int, placeholder: str, now: datetime) -> None: ...

    async def add_event(
        self, ticket_id: int, kind: str, now: datetime, from_state: str | None = None,
        to_state: str | None = None, detail: dict[str, Any] | None = None, actor: str = "system",
    ) -> None:
        """Possibly written with the transaction's next statement, as `update` without an
        expected state."""
    async def events(self, ticket_id: int) -> list[dict[str, Any]]: ...

    async def add_message(self, ticket_id: int, message: TicketMessage) -> bool: ...
    async def messages(self, ticket_id: int) -> list[TicketMessage]: ...
    async def set_message_author(
        self, ticket_id: int, platform_message_id: int, author: str, new_author: str
    ) -> bool: ...
    async def drop_message(self, ticket_id: int, platform_message_id: int, author: str) -> bool:
        ...
    async def add_note(self, ticket_id: int, note: TicketNote) -> bool:
        """An internal note (migration 11); False for a platform message already stored."""
    async def notes(self, ticket_id: int) -> list[TicketNote]: ...
    async def seen_message(self, channel: str, chat_id: int, message_id: int) -> str | None: ...
    async def id_by_sent_message(
        self, channel: str, chat_id: int, platform_message_id: int
    ) -> int | None: ...

    async def record_reminder(
        self, ticket_id: int, route_round: int, kind: str, now: datetime, skipped: bool
    ) -> bool: ...


class OutboxTx(Protocol):
    """Messages waiting to be sent, and what became of them."""

    async def enqueue(self, draft: OutboxDraft, now: datetime) -> int | None: ...
    async def queue(self, draft: OutboxDraft, now: datetime) -> None:
        """`enqueue` without the id: possibly written with the transaction's next statement."""
    async def due(self, now: datetime, limit: int) -> list[OutboxRow]: ...
    async def claim(self, row_ids: Sequence[int]) -> set[int]: ...
    async def mark_sent(self, sent: Sequence[tuple[int, int | None, datetime]]) -> None: ...
    async def row(self, row_id: int) -> OutboxRow | None: ...
    async def by_key(self, key: str) -> OutboxRow | None: ...
    async def sent_as(
        self, channel: str, chat_id: int, platform_message_id: int
    ) -> OutboxRow | None:
        """The row whose sent message has this platform id in that chat (a reply quotes it)."""
    async def set_state(self, row_id: int, state: str, **changes: Any) -> None: ...
    async def in_state(self, state: str) -> list[OutboxRow]: ...
    async def next_due_at(self, after: datetime | None = None) -> datetime | None: ...
    async def scrub_chat(self, channel: str, chat_id: int, placeholder: str) -> None: ...
    async def key_of_sent(
        self, channel: str, chat_id: int, platform_message_id: int
    ) -> str | None:
        """The key of the row whose send made this platform message (what a reply points at)."""
    async def cancel_pending(self, channel: str, chat_id: int, purpose: str) -> int:
        """Pending rows of ``purpose`` to a chat not sent after all; how many."""
    async def scrub_row(self, row_id: int, placeholder: str) -> None: ...


class InboxTx(Protocol):
    """Incoming updates, stored before they are acknowledged and handled from here
    (`bot.delivery.inbox`; migration 9)."""

    async def add(
        self, drafts: Sequence[InboxDraft], now: datetime, held_until: datetime
    ) -> dict[str, int]:
        """The ids of the rows that are new, by key; a key stored before is a re-delivery."""
    async def done(self, row_ids: Sequence[int], now: datetime) -> None: ...
    async def failed(self, row_id: int, attempts: int, error: str) -> None: ...
    async def hold(self, row_ids: Sequence[int], until: datetime) -> None: ...
    async def dead(self, row_id: int, attempts: int, error: str, now: datetime) -> None: ...
    async def waiting(
        self, now: datetime | None, channels: Sequence[str], limit: int
    ) -> list[InboxRow]: ...
    async def take(
        self, row_ids: Sequence[int], now: datetime | None, held_until: datetime
    ) -> list[InboxRow]: ...
    async def depth_and_age(self) -> tuple[int, datetime | None]:
        """Updates waiting to be handled, and when the oldest arrived (for metrics)."""
    async def prune(self, before: datetime) -> int: ...
    async def scrub_chat(self, channel: str, chat_id: int) -> None: ...
    async def row(self, row_id: int) -> InboxRow | None: ...
    async def in_state(self, state: str) -> list[InboxRow]: ...


class StaffTx(Protocol):
    """Administrators: invites, chats bound to bodies, forum topics (migration 4)."""

    async def add_invite(self, invite: StaffInvite) -> None: ...
    async def invite(self, token: str) -> StaffInvite | None: ...
    async def use_invite(self, token: str, now: datetime) -> bool: ...
    async def add_binding(self, binding: StaffBinding, now: datetime) -> bool: ...
    async def remove_binding(
        self, binding: StaffBinding, now: datetime, actor: str
    ) -> bool:
        """Delete it and record who revoked it (``staff_audit``, migration 11); False when it
        was gone already."""
    async def bindings(self) -> list[StaffBinding]: ...
    async def mark_unreachable(
        self, channel: str, chat_id: int, reason: str, now: datetime
    ) -> bool: ...
    async def mark_reachable(self, channel: str, chat_id: int) -> bool: ...
    async def unreachable_chats(self) -> dict[tuple[str, int], datetime]: ...
    async def forum_thread(self, channel: str, chat_id: int, topic_key: str) -> int | None: ...
    async def set_forum_thread(
        self, channel: str, chat_id: int, topic_key: str, thread_id: int, now: datetime
    ) -> None: ...
    async def topic_key_by_thread(
        self, channel: str, chat_id: int, thread_id: int
    ) -> str | None: ...


class TablesTx(Protocol):
    """Routing table versions (append-only) and proposals awaiting «Применить» (migration 6)."""

    async def add_version(
        self, *, content: str, content_hash: str, source: str, applied_by: str, now: datetime,
        summary: str, seed_hash: str | None = None, restores: int | None = None,
    ) -> int: ...
    async def latest(self) -> TableVersion | None: ...
    async def version(self, version_id: int) -> TableVersion | None: ...
    async def versions(self, limit: int) -> list[TableVersion]: ...
    async def latest_seed_hash(self) -> str | None: ...
    async def add_proposal(
        self, *, content: str, content_hash: str, base_version: int, kind: str,
        proposed_by: str, now: datetime, summary: str, restores: int | None = None,
    ) -> int: ...
    async def proposal(self, proposal_id: int) -> TableProposal | None: ...
    async def settle_proposal(self, proposal_id: int, state: str) -> bool: ...


class StatsTx(Protocol):
    """The counts `/stats` shows (`bot.core.stats`) and the gauges `/metrics` reads
    (`bot.metrics`): each an indexed look, cheap enough for every scrape."""

    async def by_state(self) -> dict[str, int]: ...
    async def by_body(self) -> dict[str, int]: ...
    async def overdue(self, states: tuple[str, ...], now: datetime) -> list[tuple]: ...
    async def overdue_count(self, states: tuple[str, ...], now: datetime) -> int: ...
    async def first_answer_delays(self) -> list[float]: ...
    async def unsent(self) -> dict[str, int]:
        """Outbox rows not sent yet, by state (``pending``, ``sending``)."""
    async def oldest_unsent_at(self) -> datetime | None:
        """When the oldest of them was queued; ``None``: the outbox is empty."""


class TrainingTx(Protocol):
    """Examples for the classifier, collected from coordinators' corrections."""

    async def add(self, example: TrainingExample, ticket_id: int | None) -> None: ...
    async def examples(self) -> list[TrainingExample]: ...


class ModelsTx(Protocol):
    """Trained model versions with their figures (migration 13), append-only."""

    async def add(self, version: ModelVersion) -> int: ...
    async def in_force(self) -> ModelVersion | None: ...
    async def version(self, version_id: int) -> ModelVersion | None: ...
    async def versions(self, limit: int) -> list[ModelVersion]: ...


class CommentsTx(Protocol):
    """Where the tickets made from comments were written (`bot.core.comments`)."""

    async def add(self, ticket_id: int, ref: CommentRef, author_id: int, now: datetime) -> bool:
        """False when the comment has a ticket already."""
    async def ticket_of(self, ref: CommentRef) -> int | None: ...
    async def of_ticket(self, ticket_id: int) -> CommentRef | None: ...


class PagesTx(Protocol):
    """Connected VK pages (migration 15), their tokens sealed; appeals through them (16)."""

    async def save(self, page: ConnectedPage) -> bool: ...
    async def page(self, group_id: int) -> ConnectedPage | None: ...
    async def pages(self) -> list[ConnectedPage]: ...
    async def set_enabled(self, group_id: int, enabled: bool) -> bool: ...
    async def add_appeal(self, appeal: PageAppeal) -> None: ...
    async def appeal_counts(self) -> dict[int, tuple[int, int]]: ...


class ConsoleTx(Protocol):
    """The web console (migrations 17, 18): login links and sessions by the hash of their
    secret (the queue page reads `ReportsTx`, as the report pages do)."""

    async def add_login(
        self, token_hash: str, channel: str, user_id: int, now: datetime, expires_at: datetime
    ) -> None: ...
    async def login_is_open(self, token_hash: str, now: datetime) -> bool: ...
    async def add_used_login(
        self, token_hash: str, channel: str, user_id: int, now: datetime, expires_at: datetime
    ) -> bool:
        """A login used at once (the Telegram widget's signed answer); ``False``, nothing
        written, when that hash was used before: a replay."""
    async def use_login(self, token_hash: str, now: datetime) -> tuple[str, int] | None:
        """The link's account, the link marked used; ``None``: forged, used or expired."""
    async def add_session(self, session_hash: str, session: ConsoleSession) -> None: ...
    async def session(self, session_hash: str) -> ConsoleSession | None: ...
    async def end_session(self, session_hash: str, now: datetime) -> bool: ...


class ReportsTx(Protocol):
    """The web console's read model (`bot.domain.reports`): bounded reads over tickets and
    their audit log; how each figure is derived is told in `bot.storage.sql.reports`."""

    async def queue(
        self, view: QueueView, flt: TicketFilter, now: datetime, soon: datetime,
        limit: int, offset: int,
    ) -> list[QueueRow]: ...
    async def view_counts(
        self, flt: TicketFilter, now: datetime, soon: datetime
    ) -> dict[QueueView, int]: ...
    async def figures(
        self, flt: TicketFilter, now: datetime
    ) -> tuple[Totals, RouteCounts, list[BodyFigures]]: ...
    async def hourly(
        self, flt: TicketFilter, now: datetime
    ) -> list[tuple[datetime, int, int, int, int]]: ...
    async def top_topics(self, flt: TicketFilter, per_municipality: int) -> list[TopicCount]:
        ...
    async def export_count(self, flt: TicketFilter) -> int: ...
    async def export_batch(
        self, flt: TicketFilter, after: ExportCursor | None, limit: int
    ) -> tuple[list[ExportRow], ExportCursor | None]: ...
    async def map_points(self, flt: TicketFilter, limit: int) -> list[MapPoint]: ...
    async def by_municipality(self, flt: TicketFilter) -> dict[str, int]: ...


class Tx(Protocol):
    """One transaction, by facet: plain attributes, bound once when the transaction begins."""

    tickets: TicketsTx
    comments: CommentsTx
    outbox: OutboxTx
    staff: StaffTx
    tables: TablesTx
    stats: StatsTx
    training: TrainingTx
    inbox: InboxTx
    models: ModelsTx
    pages: PagesTx
    console: ConsoleTx
    reports: ReportsTx


class Repository(Protocol):
    async def open(self) -> None:
        """Connect and apply pending migrations."""

    async def close(self) -> None: ...

    def transaction(self) -> AbstractAsyncContextManager[Tx]: ...

    async def atomically(self, work: Callable[[Tx], Awaitable[R]]) -> R:
        """``work(tx)`` as one transaction that the backend runs as a unit, with no return to
        the event loop between its statements where it can (`bot.storage.sql.unit`: the unit
        awaits nothing but its statements). For the hot paths; its answer is ``work``'s."""

    async def erase_traces(self) -> None:
        """After data was anonymised: leave no readable copy of the old rows in the database's
        own files (SQLite keeps page images in its WAL until a checkpoint)."""

"""The desk: the one place that moves a ticket and writes what announces the move.

Every use case (`intake`, `staff_actions`, `verdicts`, `deadlines`, `privacy`, `invites`,
`citizen`) decides *what* happens; the desk is *how* it is recorded: a state change checked
against `bot.domain.states.TRANSITIONS` and written with its audit event, and the outbox rows
to the citizen, the body's chats or the coordinators, queued in the same transaction. So either
everybody concerned will hear of a change or it did not happen, and every outbox key, card
layout and forum topic is made in one place.

The desk also holds what the use cases share and what a table swap replaces at once: the
routing table, the classifier and the staff directory (`Desk.replace_table`).

Logs carry ticket numbers and body ids only — never names, chat ids or the appeal's text.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from bot.core import keyboards, live_cards
from bot.core.flood import FloodGuard
from bot.core.page_appeals import note_page_appeal
from bot.core.ports import UNOBSERVED, Addressee, AddressService, Classifies, Observer
from bot.domain import cards, texts
from bot.domain.calendar import WorkingCalendar
from bot.domain.comments import ANNOUNCED_PUBLICLY, COMMENT
from bot.domain.messages import (
    MAX_TEXT,
    Attachment,
    Channel,
    Clock,
    IncomingMessage,
    OutgoingMessage,
    carried,
    split_text,
)
from bot.domain.records import OutboxDraft, StaffBinding, TicketMessage, TicketRecord
from bot.domain.staff import StaffDirectory
from bot.domain.states import InvalidTransition, TicketState, check_move
from bot.domain.wire import Action, OutboxKey, Purpose
from bot.storage.base import Repository, Tx
from routing.model import DEFAULT_DEADLINE, Body, Deadline, RoutingTable

log = logging.getLogger("bot.core")

S = TicketState
CITIZEN = Purpose.CITIZEN
BODY = Purpose.BODY
COORDINATOR = Purpose.COORDINATOR
_TICKET_FIELDS = frozenset(f.name for f in dataclasses.fields(TicketRecord))


@dataclass(frozen=True)
class Policy:
    """The numbers a deployment sets (`config.Settings`) that the use cases obey."""

    reminder_fractions: tuple[float, ...] = (0.5, 0.9)
    #: Questions before a person takes over.
    max_questions: int = 2
    #: Words sent later than this after the bot's question start a new appeal.
    clarification_window: timedelta = timedelta(days=1)
    #: A photo or a location sent this soon after an appeal belongs to it.
    follow_up_window: timedelta = timedelta(minutes=10)
    #: How long ended tickets keep the citizen's data (`privacy.anonymise_expired`).
    retention: timedelta = timedelta(days=1095)


async def thread_of(tx: Tx, ticket: TicketRecord) -> list[TicketMessage]:
    """The ticket's thread: read, unless the ticket is `untouched` (then it has none)."""
    return [] if ticket.untouched else await tx.tickets.messages(ticket.id)


class Desk:
    def __init__(
        self,
        repo: Repository,
        table: RoutingTable,
        classifier: Classifies,
        calendar: WorkingCalendar,
        clock: Clock,
        *,
        coordinators: Sequence[Addressee] = (),
        on_enqueue: Callable[[], None] | None = None,
        sends_recorded: Callable[[str, int], Awaitable[None]] | None = None,
        flood: FloodGuard | None = None,
        reminder_fractions: Iterable[float] = Policy.reminder_fractions,
        max_questions: int = Policy.max_questions,
        clarification_window: timedelta = Policy.clarification_window,
        follow_up_window: timedelta = Policy.follow_up_window,
        retention: timedelta | None = None,
        observer: Observer = UNOBSERVED,
        addresses: AddressService | None = None,
        console_url: str | None = None,
    ):
        self.repo = repo
        self.table = table
        self.classifier = classifier
        self.calendar = calendar
        self.clock = clock
        self.coordinators = tuple(coordinators)
        self.policy = Policy(
            tuple(sorted(f for f in reminder_fractions if 0 < f < 1)),
            max_questions,
            clarification_window,
            follow_up_window,
            retention or Policy.retention,
        )
        self.on_enqueue = on_enqueue
        #: `DeliverySignals.recorded`: waits until the sends to a chat are recorded (`dispatch`).
        self.sends_recorded = sends_recorded
        self.flood = flood  # per-citizen message limits; None: unlimited
        self.observer = observer  # counts messages and decisions (`bot.metrics`)
        self.addresses = addresses  # an address service reading a location, if configured
        self.console_url = console_url  # the web console's public address; None: console off
        self.bindings: tuple[StaffBinding, ...] = ()  # loaded by `invites.load_staff`
        #: Body chats the bot cannot write to (`chat_access`), loaded with the bindings.
        self.unreachable: frozenset[tuple[str, int]] = frozenset()
        self._rebuild_staff()

    # -- what a table swap or a new binding replaces ----------------------------------------------
    def replace_table(self, table: RoutingTable, classifier: Classifies) -> None:
        """Hot swap after a coordinator applied a table: synchronous, so no handler ever sees a
        new table with the old classifier or staff map. Tickets keep their stored topic, body and
        deadline; only decisions made from now on use the new table."""
        self.table = table
        self.classifier = classifier
        self._rebuild_staff()

    def replace_bindings(
        self,
        bindings: Iterable[StaffBinding],
        unreachable: Iterable[tuple[str, int]] | None = None,
    ) -> None:
        """New bindings, and (unless ``None``) the new set of unreachable chats."""
        self.bindings = tuple(bindings)
        if unreachable is not None:
            self.unreachable = frozenset(unreachable)
        self._rebuild_staff()

    def _rebuild_staff(self) -> None:
        """Recompute every staff map from the table and the stored bindings."""
        self.staff = StaffDirectory.build(
            self.table,
            self.bindings,
            [(person.channel, person.user_id) for person in self.coordinators],
            self.unreachable,
        )
        chats: dict[tuple[str, int], str] = {
            key: bodies[0] for key, bodies in self.staff.chat_bodies.items()
        }
        for person in self.coordinators:
            chats.setdefault((person.channel, person.user_id), COORDINATOR)
        #: Who a chat works for: its first body, or ``"coordinator"`` for a coordinator's chat.
        self.staff_chats = chats

    # -- who acts --------------------------------------------------------------------------------
    def authority(self, ticket: TicketRecord, message: IncomingMessage) -> str | None:
        """On whose behalf ``message`` may act on ``ticket``: its current body (an
        administrator of it, or anyone in a chat bound to it), a coordinator, or nobody."""
        if self.staff.is_coordinator(message.channel, message.user_id):
            return COORDINATOR
        if self.staff.may_act_for(ticket.body, message.channel, message.chat_id, message.user_id):
            return ticket.body
        return None

    @staticmethod
    def actor(staff: str, message: IncomingMessage) -> str:
        """Who, for the audit log: the body and the administrator's account, or a coordinator."""
        prefix = COORDINATOR.value if staff == COORDINATOR else f"body:{staff}"
        return f"{prefix}:{message.channel}:{message.user_id}"

    def find_bodies(self, query: str) -> list[Body]:
        """A body by its id, or by a piece of its name (case-insensitive)."""
        if query in self.table.body_by_id:
            return [self.table.body_by_id[query]]
        needle = query.casefold().replace("ё", "е")
        return [b for b in self.table.bodies if needle in b.name.casefold().replace("ё", "е")]

    def body_of(self, ticket: TicketRecord) -> Body | None:
        return self.table.body_by_id.get(ticket.body or "")

    def body_chats(self, body: Body) -> list[tuple[str, int]]:
        return self.staff.chats_of(body.id)

    # -- moves -----------------------------------------------------------------------------------
    async def move(
        self,
        tx: Tx,
        ticket: TicketRecord,
        to: TicketState,
        now: datetime,
        kind: str,
        detail: dict | None = None,
        *,
        actor: str = "system",
        **changes: Any,
    ) -> TicketRecord:
        """Move the ticket, record why, and show it on its cards (`live_cards.refresh`); returns
        the ticket as it is now."""
        # The actor as `Desk.actor` writes it: a coordinator's moves start with "coordinator".
        by_coordinator = actor.partition(":")[0] == COORDINATOR.value
        check_move(ticket.number, ticket.state, to, by_coordinator=by_coordinator)
        # An `untouched` ticket is in the transaction that inserts it: nobody else can have
        # moved it, so its first move needs no check (and no answer from the database).
        expected = None if ticket.untouched else ticket.state
        if not await tx.tickets.update(ticket.id, expected, now, state=to.value, **changes):
            raise InvalidTransition(ticket.number, "changed concurrently", to)
        await tx.tickets.add_event(
            ticket.id, kind, now, ticket.state, to.value, detail or {}, actor
        )
        moved = dataclasses.replace(
            ticket, state=to, updated_at=now,
            **{name: value for name, value in changes.items() if name in _TICKET_FIELDS},
        )
        await live_cards.refresh(self, tx, ticket, moved, detail or {}, now)
        return moved

    def deadline_for(self, body: Body, topic_id: str | None) -> Deadline:
        topic = self.table.topic_by_id.get(topic_id or "")
        if topic is not None and topic.deadline is not None:
            return topic.deadline
        return body.deadline or DEFAULT_DEADLINE

    async def route(
        self,
        tx: Tx,
        ticket: TicketRecord,
        body: Body,
        topic: str | None,
        municipality: str | None,
        now: datetime,
        *,
        kind: str = "routed",
        actor: str = "system",
        detail: dict | None = None,
        note: str | None = None,
    ) -> None:
        """Hand the ticket to ``body`` with a fresh deadline: first routing, after "не наше"
        (``kind="redirected"``), after the citizen's "not solved" (``kind="reopened"``) or when
        a coordinator returns a closed ticket (``kind="returned"``). ``note`` opens the card."""
        due = self.calendar.due(now, self.deadline_for(body, topic))
        round_ = ticket.route_round + 1
        await self.move(
            tx,
            ticket,
            S.REOPENED if kind == "reopened" else S.ROUTED,
            now,
            kind,
            {"body": body.id, "round": round_, **(detail or {})},
            actor=actor,
            body=body.id,
            topic=topic,
            municipality=municipality,
            routed_at=now,
            due_at=due,
            route_round=round_,
            extended_at=None,  # a new round: its deadline may be extended once again
        )
        # What the row now holds: the card shows this route (and, reopened, the answer before).
        ticket = dataclasses.replace(
            ticket, body=body.id, topic=topic, municipality=municipality, routed_at=now,
            due_at=due, route_round=round_,
        )
        template = {
            "routed": texts.ACCEPTED_ROUTED,
            "redirected": texts.REDIRECTED_TO_CITIZEN,
            "reopened": texts.REOPENED_TO_CITIZEN,
            "returned": texts.RETURNED_TO_CITIZEN,
            "dispatched": texts.DISPATCHED_TO_CITIZEN,
        }[kind]
        # On acceptance, a topic that wants a photo invites one (never waits for it).
        photo_line, photo_buttons, page_line = ("", (), "")
        if kind == "routed":
            photo_line, photo_buttons = await keyboards.photo_offer(self.table, tx, ticket, topic)
            # Written to a connected page of another body: where it went (`page_appeals`).
            page_line = await note_page_appeal(self, tx, ticket, body, now)
        await self.to_citizen(
            tx,
            ticket,
            OutboxKey.to_citizen(ticket.number, "routed", round_),
            page_line
            + template.format(number=ticket.number, body=body.name, due=self.show_due(due))
            + photo_line,
            buttons=photo_buttons,
        )
        if note is None:
            note = texts.REOPENED_NOTE if kind == "reopened" else ""
        state = S.REOPENED if kind == "reopened" else S.ROUTED
        await live_cards.send_cards(
            self, tx, ticket, body, topic, municipality, due, round_, note, state=state
        )

    async def appeal_text(self, tx: Tx, ticket: TicketRecord) -> str:
        """The appeal as a body or coordinator must read it (`cards.appeal_text`)."""
        return cards.appeal_text(ticket, await thread_of(tx, ticket))

    async def ask(
        self, tx: Tx, ticket: TicketRecord, what: str, options: Sequence[str], now: datetime
    ) -> None:
        """Ask the citizen the topic or the place, with a button an option and «Другое»."""
        await self.move(tx, ticket, S.COLLECTING, now, f"asked_{what}", {"options": list(options)})
        if what == "topic":
            names: dict = self.table.topic_by_id
            template = texts.ASK_TOPIC
        else:
            names = self.table.municipality_by_id
            template = texts.ASK_MUNICIPALITY if options else texts.ASK_PLACE_TEXT
        rows = cards.question_buttons(Action(what), ticket.number, options, names)
        asked = sum(e["kind"].startswith("asked_") for e in await tx.tickets.events(ticket.id))
        key = OutboxKey.to_citizen(ticket.number, f"ask-{what}", asked)
        await self.to_citizen(
            tx, ticket, key, template.format(number=ticket.number), buttons=rows
        )
        if what == "place":
            await keyboards.offer_location(tx, ticket, key, now)

    async def to_coordinators(
        self,
        tx: Tx,
        ticket: TicketRecord,
        reason: str,
        now: datetime,
        *,
        told_citizen: str | None = None,
        state: TicketState = S.WITH_COORDINATOR,
        actor: str = "system",
        likely: Sequence[Body] = (),
    ) -> None:
        """Hand the ticket to the coordinators: nothing fits, too many questions, all refused,
        or the classifier is unsure between ``likely`` bodies (offered as one-tap buttons)."""
        await self.move(tx, ticket, state, now, "to_coordinator", {"reason": reason}, actor=actor)
        await self.to_citizen(
            tx,
            ticket,
            OutboxKey.to_citizen(ticket.number, "to-coordinator", ticket.route_round),
            (told_citizen or texts.ACCEPTED_TO_COORDINATOR).format(number=ticket.number),
        )
        for person in self.coordinators:
            await self.enqueue(
                tx,
                ticket,
                OutboxKey.to_staff(
                    ticket.number, COORDINATOR, None, ticket.route_round, person.channel,
                    person.user_id,
                ),
                person.channel,
                person.user_id,
                texts.TO_COORDINATOR_UNROUTED.format(
                    number=ticket.number, reason=reason, text=await self.appeal_text(tx, ticket)
                ),
                COORDINATOR,
                attachments=self.portable(ticket, person.channel),
                buttons=cards.body_choice_buttons(ticket.number, likely),
            )

    async def to_staff(
        self, tx: Tx, ticket: TicketRecord, event: str, text: str, *parts: str | int,
        everyone_without_chat: bool = True,
    ) -> list[tuple[str, int]]:
        """A notice about a ticket to its body's chats, in reply to the card there; with no
        chat (and ``everyone_without_chat``), to the coordinators. Returns the body's chats."""
        body = self.body_of(ticket)
        chats = self.body_chats(body) if body is not None else []
        for channel, chat in chats:
            await self.enqueue(
                tx,
                ticket,
                OutboxKey.to_staff(ticket.number, BODY, event, *parts, channel, chat),
                channel,
                chat,
                text,
                BODY,
                reply_to=await self.card_id(tx, ticket, channel, chat),
            )
        if not chats and everyone_without_chat:
            await self.to_each_coordinator(tx, ticket, event, text, *parts)
        return chats

    async def to_each_coordinator(
        self, tx: Tx, ticket: TicketRecord, event: str, text: str, *parts: str | int
    ) -> None:
        for person in self.coordinators:
            await self.enqueue(
                tx,
                ticket,
                OutboxKey.to_staff(
                    ticket.number, COORDINATOR, event, *parts, person.channel, person.user_id
                ),
                person.channel,
                person.user_id,
                text,
                COORDINATOR,
            )

    # -- the citizen's side of a move ------------------------------------------------------------
    async def to_citizen(
        self,
        tx: Tx,
        ticket: TicketRecord,
        key: OutboxKey,
        text: str,
        *,
        buttons: tuple = (),
        attachments: tuple[Attachment, ...] = (),
        then: OutboxDraft | None = None,
    ) -> None:
        if ticket.chat_id is None:  # anonymised
            return
        if ticket.origin == COMMENT and key.name in ANNOUNCED_PUBLICLY:
            return  # the citizen wrote in public, and got the reply there (`bot.core.comments`)
        remove = not buttons and not attachments and await keyboards.keyboard_shown(tx, ticket)
        await self.enqueue(
            tx,
            ticket,
            key,
            ticket.channel,
            ticket.chat_id,
            text,
            CITIZEN,
            buttons=buttons,
            attachments=attachments,
            reply_to=ticket.source_message_id,
            remove_keyboard=remove,
            menu=not buttons,
            then=then,
        )

    # -- outbox rows -----------------------------------------------------------------------------
    async def enqueue(
        self,
        tx: Tx,
        ticket: TicketRecord | None,
        key: OutboxKey,
        channel: Channel,
        chat_id: int,
        text: str,
        purpose: Purpose,
        *,
        buttons: tuple = (),
        attachments: tuple[Attachment, ...] = (),
        reply_to: int | None = None,
        remove_keyboard: bool = False,
        menu: bool = False,
        card: str | None = None,
        then: OutboxDraft | None = None,
        thread_id: int | None = None,
        post_id: int | None = None,
    ) -> None:
        """A message about ``ticket`` (or about none), cut into pieces of at most `MAX_TEXT`.
        ``menu``: the citizen's standing menu under the last piece, unless it has buttons.
        ``card``: a card's text without its status line (`live_cards`); ``then``: a message
        the outbox queues once the last piece is delivered (`bot.delivery.outbox`);
        ``thread_id``: the forum topic of a message about no ticket (an answer to a command
        given in a topic); a ticket's messages go to the ticket's own topic."""
        parts = split_text(text, MAX_TEXT)
        forum: dict[str, Any] = (
            self.forum_fields(ticket, channel, chat_id) if ticket is not None else {}
        )
        if not forum and thread_id is not None:
            forum = {"thread_id": thread_id}
        for index, part in enumerate(parts, start=1):
            last = index == len(parts)
            message = OutgoingMessage(
                channel,
                chat_id,
                part,
                # Files and buttons go with the first and the last part respectively: the
                # buttons then sit under the end of the text they are about.
                buttons=buttons if last else (),
                attachments=attachments if index == 1 else (),
                reply_to=reply_to if index == 1 else None,
                **forum,
                remove_keyboard=remove_keyboard and last,
                menu=menu and last and not buttons,
                card=card if len(parts) == 1 else None,
                post_id=post_id,
            )
            payload = message.to_json()
            if then is not None and last:
                payload["then"] = then.to_json()
            await tx.outbox.queue(
                OutboxDraft(
                    key=(key.piece_of(index) if len(parts) > 1 else key).render(),
                    channel=channel,
                    chat_id=chat_id,
                    payload=payload,
                    purpose=purpose,
                    ticket_id=ticket.id if ticket is not None else None,
                    # A repeated message in a staff chat is a nuisance; a lost appeal is a
                    # failure.
                    resend_if_uncertain=not purpose.to_citizen,
                ),
                self.clock.now(),
            )

    async def say(
        self,
        channel: Channel,
        chat_id: int,
        text: str,
        key: OutboxKey,
        *,
        purpose: Purpose,
        tx: Tx | None = None,
        reply_to: int | None = None,
        buttons: tuple = (),
        menu: bool = False,
        thread_id: int | None = None,
    ) -> None:
        """A message about no ticket (a command's answer, an invite, a refusal), in its own
        transaction unless ``tx`` is given."""
        if tx is not None:
            await self.enqueue(
                tx, None, key, channel, chat_id, text, purpose, buttons=buttons,
                reply_to=reply_to, menu=menu, thread_id=thread_id,
            )
            return
        async with self.repo.transaction() as own:
            await self.say(
                channel, chat_id, text, key, purpose=purpose, tx=own, reply_to=reply_to,
                buttons=buttons, menu=menu, thread_id=thread_id,
            )
        self.wake()

    async def reply_in_chat(
        self, message: IncomingMessage, text: str, kind: str, *, tx: Tx | None = None,
        buttons: tuple = (), purpose: Purpose = COORDINATOR,
    ) -> None:
        """A staff-facing answer to a command or a refused message, in the chat (and the forum
        topic) it came from."""
        key = OutboxKey.about_no_ticket(kind, message.channel, message.chat_id, message.message_id)
        await self.say(
            message.channel, message.chat_id, text, key, purpose=purpose, tx=tx,
            reply_to=message.message_id, buttons=buttons, thread_id=message.thread_id,
        )

    async def card_id(self, tx: Tx, ticket: TicketRecord, channel: str, chat: int) -> int | None:
        """The platform id of the ticket card in a body's chat (or of the card a coordinator
        got instead, for a body without a chat), once it has been sent: later messages about
        the ticket reply to it, so the chat reads as one thread per ticket."""
        card = OutboxKey.card(ticket.number, ticket.route_round, channel, chat)
        instead = OutboxKey.to_staff(
            ticket.number, Purpose.COORDINATOR, "no-chat", ticket.route_round, channel, chat
        )
        for key in (card, card.piece_of(1), instead, instead.piece_of(1)):
            row = await tx.outbox.by_key(key.render())
            if row is not None:
                return row.platform_message_id
        return None

    def forum_fields(self, ticket: TicketRecord, channel: str, chat_id: int) -> dict[str, Any]:
        """In a forum chat every message about a ticket goes to the ticket's own topic, titled
        with its state, and leaves the topic closed or open as the state says."""
        if not self.staff.is_forum(channel, chat_id):
            return {}
        title = cards.forum_topic_title(self.table, ticket)
        return {
            "topic_key": ticket.number,
            "topic_title": title,
            "topic_closed": live_cards.topic_closed(ticket.state),
        }

    @staticmethod
    def portable(ticket: TicketRecord, channel: str) -> tuple[Attachment, ...]:
        """The ticket's files for a chat in ``channel`` (marked with their origin if it is
        another channel: that channel's file ids mean nothing here, so they are fetched)."""
        return carried(ticket.attachments, ticket.channel, channel)

    def show_due(self, due: datetime) -> str:
        local = due.astimezone(self.calendar.timezone)
        if local.time() == time(0):
            return texts.DUE_DAY.format(date=local - timedelta(days=1))
        return texts.DUE_MOMENT.format(date=local)

    def wake(self) -> None:
        """Tell the outbox that rows were committed (it would find them at its next poll)."""
        if self.on_enqueue is not None:
            self.on_enqueue()

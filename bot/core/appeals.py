"""The appeal lifecycle: intake, routing, questions, redirects, answers, deadlines, privacy.

The core decides and records; it never talks to a platform. Every state change is written in
one transaction together with the outbox rows that announce it, so either the citizen (and the
body) will hear about the change or it did not happen. Timers are not kept in memory: a
periodic scan (`AppealCore.scan_deadlines`) derives them from the stored deadline and a
reminder log with a unique key, so a restart neither loses nor repeats a reminder.

States (`TicketState`) and the allowed moves are in `TRANSITIONS`; the README section
"Обращения: состояния и сроки" draws the same picture for coordinators.

Logs carry ticket numbers and body ids only — never names, chat ids or the appeal's text.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
import secrets
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any, Protocol

from bot.core.flood import FloodGuard
from bot.core.logsafe import describe
from bot.core.sanitize import storable_message
from bot.domain import texts
from bot.domain.calendar import WorkingCalendar
from bot.domain.messages import Attachment, Button, Clock, IncomingMessage, OutgoingMessage, carried
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
from bot.domain.staff import INVITE_TTL, StaffDirectory, new_invite_token
from bot.domain.states import (
    ACTIVE,
    TRANSITIONS,
    InvalidTransition,
    OutboxState,
    TicketState,
)
from bot.domain.states import TicketState as S
from bot.domain.wire import Action, Outcome, Payload, Purpose
from bot.storage.base import Repository, Tx
from routing.model import DEFAULT_DEADLINE, Body, Deadline, RoutingTable

log = logging.getLogger("bot.core")


#: Who may be sent what, for outbox rows (`Purpose`).
CITIZEN = Purpose.CITIZEN
BODY = Purpose.BODY
COORDINATOR = Purpose.COORDINATOR

OVERDUE = "overdue"


class Classifies(Protocol):
    """`routing.classify.Classifier` or a stand-in with the same ``classify``."""

    def classify(
        self,
        text: str,
        lat: float | None = None,
        lon: float | None = None,
        *,
        topic: str | None = None,
        municipality: str | None = None,
    ) -> Any: ...


class Addressee(Protocol):
    """`config.Coordinator`: a user reached in a private chat whose id equals the user id."""

    channel: str
    user_id: int


@dataclass(frozen=True)
class _Unclassified:
    decision: str = "to_coordinator"
    topic: None = None
    municipality: None = None
    body: None = None
    candidates: tuple = ()
    topic_options: tuple = ()
    municipality_options: tuple = ()


#: Both platforms cut a message at 4096 characters (PLATFORMS.md); longer texts are split.
MAX_TEXT = 4096


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Pieces of at most ``limit`` characters, cut at a paragraph, line or word break when
    there is one in the second half of the piece (so a sentence is rarely cut in two)."""
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"), window.rfind(" "))
        if cut < limit // 2:
            cut = limit
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    parts.append(rest)
    return parts


_NOT_OURS = re.compile(r"^\s*не\s+наш[еа]\b[\s:,.!—–-]*", re.IGNORECASE)


def not_ours_reason(text: str) -> str | None:
    """``"Не наше: это трасса"`` → ``"это трасса"``; ``""`` for a bare «не наше»; ``None`` when
    the reply is not a refusal (then it is an answer for the citizen)."""
    match = _NOT_OURS.match(text or "")
    if match is None:
        return None
    return text[match.end() :].strip()


_ASSIGN = re.compile(r"^\s*(?:орган|/to)\s*[:\s]\s*(?P<body>.+?)\s*$", re.IGNORECASE)


def assigned_body(text: str) -> str | None:
    """``"Орган: минтранс"`` or ``"/to transport"`` → what names the body; else ``None``."""
    match = _ASSIGN.match(text or "")
    return match.group("body") if match else None


def untouched(ticket: TicketRecord) -> bool:
    """Whether the record is of a ticket still in the transaction that creates it, before its
    first move: state ``new`` exists only there, so the ticket has no thread messages and has
    been asked nothing yet, and nothing needs to be read to know it."""
    return ticket.state == TicketState.NEW


async def thread_of(tx: Tx, ticket: TicketRecord) -> list[TicketMessage]:
    """The ticket's thread: read, unless the ticket is `untouched` (then it has none)."""
    return [] if untouched(ticket) else await tx.tickets.messages(ticket.id)


def ticket_number(year: int, sequence: int) -> str:
    """``26-000123``: two-digit year and a per-year sequence; wider once past 999999."""
    return f"{year % 100:02d}-{sequence:06d}"


def _from_citizen(message: IncomingMessage, now: datetime) -> TicketMessage:
    """The citizen's message as it is kept in the ticket thread."""
    return TicketMessage(
        author=CITIZEN,
        channel=message.channel,
        chat_id=message.chat_id,
        platform_message_id=message.message_id,
        text=message.text,
        at=now,
        attachments=message.attachments,
    )


class AppealCore:
    def __init__(
        self,
        repo: Repository,
        table: RoutingTable,
        classifier: Classifies,
        calendar: WorkingCalendar,
        clock: Clock,
        *,
        coordinators: Sequence[Addressee] = (),
        reminder_fractions: Iterable[float] = (0.5, 0.9),
        on_enqueue: Callable[[], None] | None = None,
        sends_recorded: Callable[[str, int], Awaitable[None]] | None = None,
        max_questions: int = 2,
        clarification_window: timedelta = timedelta(days=1),
        follow_up_window: timedelta = timedelta(minutes=10),
        retention: timedelta | None = None,
        flood: FloodGuard | None = None,
    ):
        self.repo = repo
        self.table = table
        self.classifier = classifier
        self.calendar = calendar
        self.clock = clock
        self.coordinators = tuple(coordinators)
        self.reminder_fractions = tuple(sorted(f for f in reminder_fractions if 0 < f < 1))
        self.on_enqueue = on_enqueue
        #: `Outbox.recorded`: waits until the sends to a chat are recorded (see `handle`).
        self.sends_recorded = sends_recorded
        self.max_questions = max_questions
        self.clarification_window = clarification_window
        self.follow_up_window = follow_up_window
        self.flood = flood  # per-citizen message limits; None: unlimited
        self._staff_chats: dict[tuple[str, int], str] = {}
        from bot.core.citizen import CitizenDesk  # it builds on this module

        self.citizen = CitizenDesk(self, retention)
        self._bindings: tuple[StaffBinding, ...] = ()  # loaded by `load_staff`
        self._rebuild_staff()

    def replace_table(self, table: RoutingTable, classifier: Classifies) -> None:
        """Hot swap after a coordinator applied a table: synchronous, so no handler ever sees a
        new table with the old classifier or staff map. Tickets keep their stored topic, body and
        deadline; only decisions made from now on use the new table."""
        self.table = table
        self.classifier = classifier
        self._rebuild_staff()

    # == entry point ============================================================================
    async def handle(self, message: IncomingMessage) -> Outcome:
        """Everything an adapter receives goes here; the core decides what it means."""
        message = storable_message(message)  # lone surrogates / NUL would crash the database
        if message.reply_to is not None and self.sends_recorded is not None:
            # It names a message of ours by its platform id: the send that made it may still
            # be unrecorded (an administrator answering a card the moment it arrived).
            await self.sends_recorded(message.channel, message.chat_id)
        if self.flood is not None and (message.channel, message.chat_id) not in self._staff_chats:
            refused = await self._refuse_flood(message)
            if refused is not None:
                return refused
        staff_outcome = await self._staff_handle(message)
        if staff_outcome is not None:
            return staff_outcome
        staff = self._staff_chats.get((message.channel, message.chat_id))
        payload = Payload.unpack(message.payload)
        if self.citizen.serves(message, staff):
            return await self.citizen.command(message)
        if payload is not None and payload.action.on_desk:
            return await self.citizen.button(message, payload)
        if staff is not None:
            actor = self._actor(staff, message)
            if payload is not None and payload.action == "redirect":
                return await self.redirect(payload.number, by=staff, actor=actor)
            if payload is not None and payload.action == "take":
                return await self.take(payload.number, by=staff, actor=actor)
            if payload is not None and payload.action == "reject":
                return await self.reject(payload.number, by=staff, actor=actor)
            if message.reply_to is not None and staff == COORDINATOR:
                wanted = assigned_body(message.text)
                if wanted is not None:  # «Орган: минтранс» — the coordinator picks the body
                    return await self.assign(message, wanted, actor=actor)
            if message.reply_to is not None:
                reason = not_ours_reason(message.text)
                if reason is not None:  # «Не наше: это федеральная трасса» typed as a reply
                    async with self.repo.transaction() as tx:
                        ticket_id = await tx.tickets.id_by_sent_message(
                            message.channel, message.chat_id, message.reply_to
                        )
                        ticket = (
                            await tx.tickets.by_id(ticket_id) if ticket_id is not None else None
                        )
                    if ticket is None:
                        return Outcome("ignored")
                    return await self.redirect(
                        ticket.number, by=staff, reason=reason or None, actor=actor
                    )
                return await self.record_answer(message, by=staff)
            return Outcome("ignored")
        if payload is not None and payload.action.by_citizen:
            return self._with_press_notice(await self._citizen_press(message, payload))
        if message.payload:  # a button from an older version of the bot, or forged data
            return Outcome("ignored", notice=texts.BUTTON_INACTIVE)
        async with self.repo.transaction() as tx:  # one look answers both questions below
            seen, latest = await tx.tickets.seen_or_latest(
                message.channel, message.chat_id, message.message_id
            )
        if seen is not None:  # the platform delivered this message again
            return Outcome("duplicate", seen)
        if message.reply_to is not None:
            follow_up = await self.follow_up(message)
            if follow_up is not None:
                return follow_up
        waiting = self._awaiting_answer(message, latest)
        if waiting is not None:
            return await self.clarify(message, waiting)
        if not message.text.strip() and (message.attachments or message.location):
            # A photo sent right after the text ("Яма у дома 5", then the picture) belongs to
            # the appeal just made; text is never glued on like this — it may be a new problem.
            recent = await self.follow_up(message, within=self.follow_up_window)
            if recent is not None:
                return recent
        return await self.intake(message, unseen=True)

    # == intake =================================================================================
    async def intake(self, message: IncomingMessage, *, unseen: bool = False) -> Outcome:
        """A new appeal. The same platform message delivered twice makes one ticket.

        ``unseen``: the caller has just looked the message up (`handle`), so the early look
        that spares a duplicate its classification is skipped; a duplicate that arrives in
        between is still caught by the ticket's unique source (`DuplicateTicket`)."""
        if not unseen:
            async with self.repo.transaction() as tx:
                existing = await tx.tickets.by_source(
                    message.channel, message.chat_id, message.message_id
                )
            if existing is not None:
                return Outcome("duplicate", existing.number, existing.state)
        wordless = not message.text.strip()
        if wordless and not message.attachments and message.location is None:
            await self._send_direct(message, texts.EMPTY_APPEAL, f"empty:{message.message_id}")
            return Outcome("ignored")
        lat = message.location.lat if message.location else None
        lon = message.location.lon if message.location else None
        # A photo or a location alone starts the appeal too, but nobody can route (or answer) a
        # picture without words: the citizen is asked for them, and `clarify` goes on from there.
        classification = None if wordless else await self._classify(message.text, lat, lon)
        now = self.clock.now()
        year = now.astimezone(self.calendar.timezone).year
        draft = NewTicket(
            channel=message.channel,
            chat_id=message.chat_id,
            user_id=message.user_id,
            source_message_id=message.message_id,
            text=message.text,
            attachments=message.attachments,
            lat=lat,
            lon=lon,
        )
        try:
            async with self.repo.transaction() as tx:
                number = ticket_number(year, await tx.tickets.next_sequence(year))
                ticket_id = await tx.tickets.insert(number, draft, S.NEW, now)
                await tx.tickets.add_event(
                    ticket_id, "created", now, None, None, {"channel": draft.channel}
                )
                ticket = draft.stored(ticket_id, number, S.NEW, now)
                if classification is None:
                    await self._move(tx, ticket, S.COLLECTING, now, "requested_text")
                    await self._to_citizen(
                        tx, ticket, "ask-text", texts.ASK_WHAT_HAPPENED.format(number=number)
                    )
                    state: str = S.COLLECTING
                else:
                    state = await self._apply_classification(tx, ticket, classification, now)
        except DuplicateTicket:  # another process took the same message in between
            async with self.repo.transaction() as tx:
                existing = await tx.tickets.by_source(
                    message.channel, message.chat_id, message.message_id
                )
            assert existing is not None
            return Outcome("duplicate", existing.number, existing.state)
        log.info("ticket %s created: %s", number, state)
        self._wake()
        return Outcome("created", number, state)

    async def _apply_classification(
        self, tx: Tx, ticket: TicketRecord, result: Any, now: datetime
    ) -> str:
        """Route, ask or hand over, according to the classifier's decision."""
        candidates = [
            {
                "topic": c.topic,
                "municipality": c.municipality,
                "body": c.body,
                "confidence": round(float(c.confidence), 4),
            }
            for c in result.candidates
        ]
        decision = str(getattr(result.decision, "value", result.decision))
        changes = {"topic": result.topic, "municipality": result.municipality}
        await tx.tickets.update(ticket.id, None, now, candidates=candidates, **changes)
        # What the row now holds, without reading it back.
        ticket = dataclasses.replace(
            ticket, candidates=tuple(candidates), updated_at=now, **changes
        )
        await tx.tickets.add_event(
            ticket.id, "classified", now, detail={"decision": decision, "body": result.body}
        )
        body = self.table.body_by_id.get(result.body or "")
        if decision == "route" and body is not None:
            if await self.citizen.ask_missing(tx, ticket, result.topic):
                return S.COLLECTING
            await self._route(tx, ticket, body, result.topic, result.municipality, now)
            return S.ROUTED
        if decision == "ask_topic" and result.topic_options:
            await self._ask(tx, ticket, "topic", result.topic_options, now)
            return S.COLLECTING
        if decision == "ask_municipality":
            # No options means "we know nothing about the place": ask for it in words.
            await self._ask(tx, ticket, "place", result.municipality_options, now)
            return S.COLLECTING
        await self._to_coordinators(tx, ticket, texts.REASON_NOTHING_FITS, now)
        return S.WITH_COORDINATOR

    async def _classify(
        self, text: str, lat: float | None, lon: float | None, **answers: str | None
    ) -> Any:
        """The classifier's verdict, or "coordinators" if it fails: a bug or a broken model
        must not lose an appeal."""
        try:
            # CPU-bound (morphology, a model): off the event loop.
            return await asyncio.to_thread(self.classifier.classify, text, lat, lon, **answers)
        except Exception as exc:
            log.error("classifier failed; the appeal goes to the coordinators: %s", describe(exc))
            return _Unclassified()

    # == state changes (always inside a transaction) ===========================================
    async def _move(
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
    ) -> None:
        if to not in TRANSITIONS[TicketState(ticket.state)]:
            raise InvalidTransition(ticket.number, ticket.state, to)
        # An `untouched` ticket is in the transaction that inserts it: nobody else can have
        # moved it, so its first move needs no check (and no answer from the database).
        expected = None if untouched(ticket) else ticket.state
        if not await tx.tickets.update(ticket.id, expected, now, state=to.value, **changes):
            raise InvalidTransition(ticket.number, "changed concurrently", to)
        await tx.tickets.add_event(
            ticket.id, kind, now, ticket.state, to.value, detail or {}, actor
        )

    def deadline_for(self, body: Body, topic_id: str | None) -> Deadline:
        topic = self.table.topic_by_id.get(topic_id or "")
        if topic is not None and topic.deadline is not None:
            return topic.deadline
        return body.deadline or DEFAULT_DEADLINE

    async def _route(
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
    ) -> None:
        """Hand the ticket to ``body`` with a fresh deadline: first routing, after "не наше"
        (``kind="redirected"``) or after the citizen's "not solved" (``kind="reopened"``)."""
        due = self.calendar.due(now, self.deadline_for(body, topic))
        round_ = ticket.route_round + 1
        await self._move(
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
        )
        template = {
            "routed": texts.ACCEPTED_ROUTED,
            "redirected": texts.REDIRECTED_TO_CITIZEN,
            "reopened": texts.REOPENED_TO_CITIZEN,
        }[kind]
        # On acceptance, a topic that wants a photo invites one (never waits for it).
        photo_line, photo_buttons = (
            await self.citizen.photo_offer(tx, ticket, topic) if kind == "routed" else ("", ())
        )
        await self._to_citizen(
            tx,
            ticket,
            f"routed:{round_}",
            template.format(number=ticket.number, body=body.name, due=self.show_due(due))
            + photo_line,
            buttons=photo_buttons,
        )
        note = texts.REOPENED_NOTE if kind == "reopened" else ""
        await self._to_body(tx, ticket, body, topic, municipality, due, round_, now, note)

    async def _to_body(
        self,
        tx: Tx,
        ticket: TicketRecord,
        body: Body,
        topic: str | None,
        municipality: str | None,
        due: datetime,
        round_: int,
        now: datetime,
        note: str = "",
    ) -> None:
        """The ticket card for the body's chat (or, with no chat, for the coordinators)."""
        topic_obj = self.table.topic_by_id.get(topic or "")
        place = self.table.municipality_by_id.get(municipality or "")
        appeal = await self._appeal_text(tx, ticket)
        text = note + texts.TO_BODY.format(
            number=ticket.number,
            topic=topic_obj.name if topic_obj else texts.UNKNOWN_TOPIC,
            place=place.name if place else texts.UNKNOWN_PLACE,
            due=self.show_due(due),
            text=appeal,
        )
        take = Button(texts.TAKE_BUTTON, Payload(Action.TAKE, ticket.number).pack())
        not_ours = Button(texts.NOT_OURS_BUTTON, Payload(Action.REDIRECT, ticket.number).pack())
        spam = Button(texts.REJECT_BUTTON, Payload(Action.REJECT, ticket.number).pack())
        close = Button(texts.CLOSE_BUTTON, Payload(Action.CLOSE, ticket.number).pack())
        buttons: tuple = ((take, not_ours), (close, spam))
        chats = self._body_chats(body)
        if not chats:
            for person in self.coordinators:
                await self._enqueue(
                    tx,
                    ticket,
                    f"{COORDINATOR}-no-chat:{round_}:{person.channel}:{person.user_id}",
                    person.channel,
                    person.user_id,
                    texts.TO_COORDINATOR_NO_CHAT.format(
                        number=ticket.number,
                        body=body.name,
                        due=self.show_due(due),
                        text=appeal,
                    ),
                    COORDINATOR,
                    buttons=((not_ours, spam),),
                    attachments=self._portable(ticket, person.channel),
                )
            return
        for channel, chat in chats:
            attachments = self._portable(ticket, channel)
            body_text = text
            if ticket.attachments and not attachments:
                body_text += texts.TO_BODY_ATTACHMENTS_ELSEWHERE.format(
                    count=len(ticket.attachments)
                )
            await self._enqueue(
                tx,
                ticket,
                f"{BODY}:{round_}:{channel}:{chat}",
                channel,
                chat,
                body_text,
                BODY,
                buttons=buttons,
                attachments=attachments,
            )

    async def _appeal_text(self, tx: Tx, ticket: TicketRecord) -> str:
        """The appeal as a body or coordinator must read it: the first message, then the
        citizen's later words (answers to the bot's questions — the address, the settlement —
        which the first message lacked), then the location, if one was sent."""
        lines = [
            texts.CLARIFICATION_LINE.format(text=m.text.strip())
            for m in await thread_of(tx, ticket)
            if m.author == CITIZEN
            and m.text.strip()
            and m.platform_message_id != ticket.source_message_id
        ]
        text = ticket.text
        if lines and not text.strip():  # a photo or a location came first, the words after
            text = "\n".join(line.removeprefix("• ") for line in lines)
        elif lines:
            text += texts.CLARIFICATIONS.format(lines="\n".join(lines))
        if ticket.lat is not None and ticket.lon is not None:
            text += texts.LOCATION_LINE.format(lat=ticket.lat, lon=ticket.lon)
        return text

    async def _ask(
        self, tx: Tx, ticket: TicketRecord, what: str, options: Sequence[str], now: datetime
    ) -> None:
        await self._move(tx, ticket, S.COLLECTING, now, f"asked_{what}", {"options": list(options)})
        if what == "topic":
            names: dict = self.table.topic_by_id
            template = texts.ASK_TOPIC
        else:
            names = self.table.municipality_by_id
            template = texts.ASK_MUNICIPALITY if options else texts.ASK_PLACE_TEXT
        action = Action(what)
        rows = [
            (Button(names[o].name if o in names else o, Payload(action, ticket.number, o).pack()),)
            for o in options
        ]
        if rows:
            rows.append((Button(texts.OTHER_OPTION, Payload(action, ticket.number, "-").pack()),))
        asked = sum(e["kind"].startswith("asked_") for e in await tx.tickets.events(ticket.id))
        await self._to_citizen(
            tx,
            ticket,
            f"ask-{what}:{asked}",
            template.format(number=ticket.number),
            buttons=tuple(rows),
        )
        if what == "place":
            await self.citizen.offer_location(tx, ticket, f"ask-{what}:{asked}")

    async def _to_coordinators(
        self,
        tx: Tx,
        ticket: TicketRecord,
        reason: str,
        now: datetime,
        *,
        told_citizen: str | None = None,
        state: TicketState = S.WITH_COORDINATOR,
        actor: str = "system",
    ) -> None:
        await self._move(tx, ticket, state, now, "to_coordinator", {"reason": reason}, actor=actor)
        await self._to_citizen(
            tx,
            ticket,
            f"to-coordinator:{ticket.route_round}",
            (told_citizen or texts.ACCEPTED_TO_COORDINATOR).format(number=ticket.number),
        )
        for person in self.coordinators:
            await self._enqueue(
                tx,
                ticket,
                f"{COORDINATOR}:{ticket.route_round}:{person.channel}:{person.user_id}",
                person.channel,
                person.user_id,
                texts.TO_COORDINATOR_UNROUTED.format(
                    number=ticket.number, reason=reason, text=await self._appeal_text(tx, ticket)
                ),
                COORDINATOR,
                attachments=self._portable(ticket, person.channel),
            )

    # == the citizen answers a question =========================================================
    async def answer_question(
        self,
        message: IncomingMessage,
        number: str,
        *,
        topic: str | None = None,
        municipality: str | None = None,
    ) -> Outcome:
        """A tap on one of the question's buttons. Only the citizen's own answers (this one and
        earlier ones) are given to the classifier as facts — not its own earlier guesses."""
        async with self.repo.transaction() as tx:
            ticket = await tx.tickets.by_number(number)
            events = await tx.tickets.events(ticket.id) if ticket is not None else []
        if ticket is None or ticket.state != S.COLLECTING or not self._own(ticket, message):
            return Outcome("ignored", number)
        now = self.clock.now()
        if topic == "-" or municipality == "-":
            async with self.repo.transaction() as tx:
                ticket = await tx.tickets.by_number(number)
                if ticket is None or ticket.state != S.COLLECTING:
                    return Outcome("ignored", number)
                await self._to_coordinators(
                    tx, ticket, texts.REASON_CITIZEN_OTHER, now, actor=CITIZEN
                )
            self._wake()
            return Outcome("answered_question", number, S.WITH_COORDINATOR)
        answers = self._answers(events)
        given = {"topic": topic, "municipality": municipality}
        answers.update({k: v for k, v in given.items() if v})
        result = await self._classify(ticket.text, ticket.lat, ticket.lon, **answers)
        async with self.repo.transaction() as tx:
            ticket = await tx.tickets.by_number(number)
            if ticket is None or ticket.state != S.COLLECTING:
                return Outcome("ignored", number)  # a second tap on an old button
            await tx.tickets.add_event(
                ticket.id,
                "answered",
                now,
                detail={k: v for k, v in given.items() if v},
                actor=CITIZEN,
            )
            state = await self._settle(tx, ticket, result, now)
        self._wake()
        return Outcome("answered_question", number, state)

    @staticmethod
    def _answers(events: list[dict]) -> dict[str, str | None]:
        """What the citizen has answered so far (by buttons), as classifier arguments."""
        answers: dict[str, str | None] = {"topic": None, "municipality": None}
        for event in events:
            if event["kind"] == "answered":
                answers.update({k: v for k, v in event["detail"].items() if k in answers})
        return answers

    async def _settle(self, tx: Tx, ticket: TicketRecord, result: Any, now: datetime) -> str:
        """Apply a re-classification after a citizen's answer, or give up asking: after
        ``max_questions`` questions a person takes over."""
        asked = sum(e["kind"].startswith("asked_") for e in await tx.tickets.events(ticket.id))
        decision = str(getattr(result.decision, "value", result.decision))
        if decision.startswith("ask") and asked >= self.max_questions:
            await self._to_coordinators(tx, ticket, texts.REASON_TOO_MANY_QUESTIONS, now)
            return S.WITH_COORDINATOR
        return await self._apply_classification(tx, ticket, result, now)

    def _awaiting_answer(
        self, message: IncomingMessage, ticket: TicketRecord | None
    ) -> TicketRecord | None:
        """The citizen's latest ticket (``ticket``), if it waits for their words and they are
        recent."""
        if ticket is None or ticket.state != S.COLLECTING:
            return None
        if self.clock.now() - ticket.updated_at > self.clarification_window:
            return None  # an old question: this is more likely a new appeal
        if not message.text.strip() and message.location is None:
            return None
        return ticket

    async def clarify(self, message: IncomingMessage, ticket: TicketRecord) -> Outcome:
        """Words (or a location) sent while the bot waits for an answer: read the appeal again
        with them. After ``max_questions`` unanswered questions a person takes over."""
        now = self.clock.now()
        lat = message.location.lat if message.location else ticket.lat
        lon = message.location.lon if message.location else ticket.lon
        async with self.repo.transaction() as tx:
            earlier = [m.text for m in await tx.tickets.messages(ticket.id) if m.author == CITIZEN]
            answers = self._answers(await tx.tickets.events(ticket.id))
        text = "\n".join([ticket.text, *earlier, message.text]).strip()
        result = await self._classify(text, lat, lon, **answers)
        async with self.repo.transaction() as tx:
            fresh = await tx.tickets.by_id(ticket.id)
            if fresh is None or fresh.state != S.COLLECTING:
                return Outcome("ignored", ticket.number)
            if not await tx.tickets.add_message(fresh.id, _from_citizen(message, now)):
                return Outcome("duplicate", fresh.number)
            if message.location is not None:
                await tx.tickets.update(fresh.id, None, now, lat=lat, lon=lon)
            await tx.tickets.add_event(fresh.id, "clarified", now, actor=CITIZEN)
            fresh = await tx.tickets.by_id(fresh.id)
            assert fresh is not None
            state = await self._settle(tx, fresh, result, now)
        self._wake()
        return Outcome("clarified", ticket.number, state)

    # == "не наше", "взять в работу", "спам" ===================================================
    def _actor(self, staff: str, message: IncomingMessage) -> str:
        """Who, for the audit log: the body and the administrator's account, or a coordinator."""
        prefix = COORDINATOR if staff == COORDINATOR else f"body:{staff}"
        return f"{prefix}:{message.channel}:{message.user_id}"

    def _may_act(self, ticket: TicketRecord, by: str) -> bool:
        """A body acts only on a ticket it currently holds; coordinators on any open one."""
        if by == COORDINATOR:
            return True
        return ticket.state in ACTIVE and ticket.body == by

    async def redirect(
        self,
        number: str,
        *,
        by: str,
        correct_body: str | None = None,
        reason: str | None = None,
        actor: str | None = None,
    ) -> Outcome:
        """The body says the appeal is not theirs: next candidate, or coordinators.

        ``by`` is the body id whose chat pressed the button, or ``"coordinator"``. Every
        redirect is kept as a labelled example (`export_training_examples`): the text, the body
        that was wrong and, when known, the right one (a coordinator named it, or the next body
        answered).
        """
        now = self.clock.now()
        actor = actor or by
        async with self.repo.transaction() as tx:
            ticket = await tx.tickets.by_number(number)
            open_states = ACTIVE | {S.WITH_COORDINATOR, S.REDIRECTED}
            if ticket is None or ticket.state not in open_states or not self._may_act(ticket, by):
                return Outcome("ignored", number)
            holding = ticket.state in ACTIVE
            tried = [*ticket.tried_bodies]
            if ticket.body and holding and ticket.body not in tried:
                tried.append(ticket.body)
            await tx.tickets.update(ticket.id, None, now, tried_bodies=tried)
            ticket = await tx.tickets.by_id(ticket.id)
            assert ticket is not None
            choice = self._next_body(ticket, correct_body)
            if choice is None and not holding:
                return Outcome("ignored", number)  # already with the coordinators
            await tx.training.add(
                TrainingExample(
                    text=ticket.text,
                    topic=choice[1] if choice and correct_body else None,
                    body=correct_body if choice else None,
                    wrong_body=ticket.body if holding else None,
                    at=now,
                    source="coordinator" if correct_body else "redirect",
                ),
                ticket.id,
            )
            detail = {"from": ticket.body if holding else None, "reason": reason}
            if choice is None:
                await self._to_coordinators(
                    tx,
                    ticket,
                    texts.REASON_ALL_REFUSED
                    + (texts.REASON_GIVEN.format(reason=reason) if reason else ""),
                    now,
                    told_citizen=texts.REDIRECTED_TO_COORDINATOR_CITIZEN,
                    state=S.REDIRECTED,
                    actor=actor,
                )
                state = S.REDIRECTED
            else:
                body, topic, municipality = choice
                await self._route(
                    tx,
                    ticket,
                    body,
                    topic,
                    municipality,
                    now,
                    kind="redirected",
                    actor=actor,
                    detail=detail,
                )
                state = S.ROUTED
        log.info("ticket %s redirected by %s: %s", number, by, state)
        self._wake()
        return Outcome("redirected", number, state)

    def find_bodies(self, query: str) -> list[Body]:
        """A body by its id, or by a piece of its name (case-insensitive)."""
        if query in self.table.body_by_id:
            return [self.table.body_by_id[query]]
        needle = query.casefold().replace("ё", "е")
        return [b for b in self.table.bodies if needle in b.name.casefold().replace("ё", "е")]

    async def assign(self, message: IncomingMessage, query: str, *, actor: str) -> Outcome:
        """A coordinator names the body in a reply to any message about the ticket."""
        async with self.repo.transaction() as tx:
            ticket_id = await tx.tickets.id_by_sent_message(
                message.channel, message.chat_id, message.reply_to or 0
            )
            ticket = await tx.tickets.by_id(ticket_id) if ticket_id is not None else None
        if ticket is None:
            return Outcome("ignored")
        found = self.find_bodies(query)
        if len(found) != 1:
            names = "\n".join(f"• {b.name} ({b.id})" for b in found[:10])
            text = (
                texts.ASSIGN_AMBIGUOUS.format(query=query, names=names)
                if found
                else texts.ASSIGN_UNKNOWN.format(query=query)
            )
            async with self.repo.transaction() as tx:
                await tx.outbox.queue(
                    OutboxDraft(
                        key=f"assign:{message.channel}:{message.chat_id}:{message.message_id}",
                        channel=message.channel,
                        chat_id=message.chat_id,
                        payload=OutgoingMessage(
                            message.channel, message.chat_id, text, reply_to=message.message_id
                        ).to_json(),
                        purpose=COORDINATOR,
                        resend_if_uncertain=True,
                    ),
                    self.clock.now(),
                )
            self._wake()
            return Outcome("ignored", ticket.number)
        return await self.redirect(
            ticket.number, by=COORDINATOR, correct_body=found[0].id, actor=actor
        )

    async def take(self, number: str, *, by: str, actor: str | None = None) -> Outcome:
        """The body confirms it works on the ticket; the citizen is told who."""
        now = self.clock.now()
        async with self.repo.transaction() as tx:
            ticket = await tx.tickets.by_number(number)
            if ticket is None or ticket.state not in (S.ROUTED, S.REOPENED):
                return Outcome("ignored", number)
            if not self._may_act(ticket, by):
                return Outcome("ignored", number)
            await self._move(tx, ticket, S.IN_WORK, now, "taken", actor=actor or by)
            body = self.table.body_by_id.get(ticket.body or "")
            await self._to_citizen(
                tx,
                ticket,
                f"taken:{ticket.route_round}",
                texts.TAKEN_TO_CITIZEN.format(
                    number=ticket.number, body=body.name if body else texts.COORDINATOR_NAME
                ),
            )
        self._wake()
        return Outcome("taken", number, S.IN_WORK)

    async def reject(
        self, number: str, *, by: str, reason: str | None = None, actor: str | None = None
    ) -> Outcome:
        """Spam or abuse: the ticket ends here; the citizen gets a neutral notice."""
        now = self.clock.now()
        async with self.repo.transaction() as tx:
            ticket = await tx.tickets.by_number(number)
            if ticket is None or S.REJECTED not in TRANSITIONS[TicketState(ticket.state)]:
                return Outcome("ignored", number)
            if not self._may_act(ticket, by):
                return Outcome("ignored", number)
            await self._move(
                tx, ticket, S.REJECTED, now, "rejected", {"reason": reason}, actor=actor or by
            )
            await self._to_citizen(
                tx, ticket, "rejected", texts.REJECTED_TO_CITIZEN.format(number=ticket.number)
            )
        log.info("ticket %s rejected by %s", number, by)
        self._wake()
        return Outcome("rejected", number, S.REJECTED)

    # == «Проблема решена?» and the rating ======================================================
    async def verdict(self, message: IncomingMessage, number: str, *, solved: bool) -> Outcome:
        """The citizen's answer to «Проблема решена?»: close, or reopen to the same body."""
        now = self.clock.now()
        async with self.repo.transaction() as tx:
            ticket = await tx.tickets.by_number(number)
            if ticket is None or ticket.state != S.ANSWERED or not self._own(ticket, message):
                return Outcome("ignored", number)
            await tx.tickets.update(ticket.id, None, now, solved=solved)
            ticket = await tx.tickets.by_id(ticket.id)
            assert ticket is not None
            body = self.table.body_by_id.get(ticket.body or "")
            if solved or body is None:
                await self._move(
                    tx, ticket, S.CLOSED, now, "closed", {"solved": solved}, actor=CITIZEN
                )
                state: str = S.CLOSED
            else:
                await self._route(
                    tx,
                    ticket,
                    body,
                    ticket.topic,
                    ticket.municipality,
                    now,
                    kind="reopened",
                    actor=CITIZEN,
                )
                state = S.REOPENED
            fresh = await tx.tickets.by_id(ticket.id)
            assert fresh is not None
            verdicts = self._verdicts(await tx.tickets.events(fresh.id))
            await self._to_citizen(
                tx,
                fresh,
                f"rate?:{verdicts}",
                texts.ASK_RATING.format(number=ticket.number),
                buttons=(
                    tuple(
                        Button(str(k), Payload(Action.RATE, fresh.number, f"{k}@{verdicts}").pack())
                        for k in range(1, 6)
                    ),
                ),
            )
        self._wake()
        return Outcome("verdict", number, state)

    async def rate(self, message: IncomingMessage, number: str, value: str) -> Outcome:
        """A 1–5 score, once per verdict (``value`` is ``score@verdict``): after "not solved"
        and a second answer the citizen rates again and the latest score is the ticket's. Taps
        on old buttons change nothing."""
        score, _, round_ = value.partition("@")
        if score not in ("1", "2", "3", "4", "5") or not round_.isdigit():
            return Outcome("ignored", number)
        now = self.clock.now()
        async with self.repo.transaction() as tx:
            ticket = await tx.tickets.by_number(number)
            if ticket is None or ticket.solved is None or not self._own(ticket, message):
                return Outcome("ignored", number)  # rating buttons come only after the verdict
            events = await tx.tickets.events(ticket.id)
            rated = [
                e
                for e in events
                if e["kind"] == "rated" and e["detail"].get("round") == int(round_)
            ]
            if int(round_) != self._verdicts(events) or rated:
                return Outcome("ignored", number)
            await tx.tickets.update(ticket.id, None, now, rating=int(score))
            await tx.tickets.add_event(
                ticket.id,
                "rated",
                now,
                detail={"rating": int(score), "round": int(round_)},
                actor=CITIZEN,
            )
            await self._to_citizen(
                tx, ticket, f"rated:{round_}", texts.THANKS_FOR_RATING.format(number=ticket.number)
            )
        self._wake()
        return Outcome("rated", number, ticket.state)

    @staticmethod
    def _verdicts(events: list[dict]) -> int:
        """How many times the citizen has answered «Проблема решена?» — numbers the ratings."""
        return sum(e["actor"] == CITIZEN and e["kind"] in ("closed", "reopened") for e in events)

    @staticmethod
    def _own(ticket: TicketRecord, message: IncomingMessage) -> bool:
        return (ticket.channel, ticket.chat_id) == (message.channel, message.chat_id)

    def _next_body(
        self, ticket: TicketRecord, correct_body: str | None
    ) -> tuple[Body, str | None, str | None] | None:
        if correct_body is not None:
            body = self.table.body_by_id.get(correct_body)
            if body is None:
                raise KeyError(correct_body)
            topic = ticket.topic if ticket.topic in body.topics else (body.topics or (None,))[0]
            return body, topic, ticket.municipality
        for candidate in ticket.candidates:
            body_id = candidate.get("body")
            if body_id and body_id not in ticket.tried_bodies and body_id in self.table.body_by_id:
                return (
                    self.table.body_by_id[body_id],
                    candidate.get("topic"),
                    candidate.get("municipality"),
                )
        return None

    # == answers and follow-ups ================================================================
    async def record_answer(
        self, message: IncomingMessage, *, by: str, ticket_id: int | None = None
    ) -> Outcome:
        """A body (or coordinator) replied to the appeal we sent them: pass it to the citizen.
        ``ticket_id`` when the caller already knows the ticket (a message in its forum topic)."""
        now = self.clock.now()
        async with self.repo.transaction() as tx:
            if ticket_id is None:
                ticket_id = await tx.tickets.id_by_sent_message(
                    message.channel, message.chat_id, message.reply_to or 0
                )
            ticket = await tx.tickets.by_id(ticket_id) if ticket_id is not None else None
            answerable = ACTIVE | {S.WITH_COORDINATOR, S.REDIRECTED, S.ANSWERED}
            if ticket is None or ticket.state not in answerable:
                return Outcome("ignored")
            if by != COORDINATOR and ticket.body != by:
                return Outcome("ignored", ticket.number)  # a body it was taken away from
            actor = self._actor(by, message)
            body = self.table.body_by_id.get(ticket.body or "")
            body_name = body.name if body is not None else texts.COORDINATOR_NAME
            if not await tx.tickets.add_message(
                ticket.id,
                TicketMessage(
                    author=COORDINATOR if by == COORDINATOR else BODY,
                    channel=message.channel,
                    chat_id=message.chat_id,
                    platform_message_id=message.message_id,
                    text=message.text,
                    at=now,
                    attachments=message.attachments,
                ),
            ):
                return Outcome("duplicate", ticket.number)
            first = ticket.state != S.ANSWERED
            if first:
                await self._move(tx, ticket, S.ANSWERED, now, "answered", actor=actor)
                if ticket.tried_bodies and ticket.body:  # the redirect found the right body
                    await tx.training.add(
                        TrainingExample(
                            text=ticket.text,
                            topic=ticket.topic,
                            body=ticket.body,
                            at=now,
                            source="answered_after_redirect",
                        ),
                        ticket.id,
                    )
            else:
                await tx.tickets.add_event(ticket.id, "answer_added", now, actor=actor)
            await self._to_citizen(
                tx,
                ticket,
                f"answer:{message.channel}:{message.chat_id}:{message.message_id}",
                texts.ANSWER_TO_CITIZEN.format(
                    number=ticket.number, body=body_name, text=message.text
                ),
                attachments=carried(message.attachments, message.channel, ticket.channel),
            )
            if first:
                yes = Button(texts.SOLVED_YES, Payload(Action.SOLVED, ticket.number, "yes").pack())
                no = Button(texts.SOLVED_NO, Payload(Action.SOLVED, ticket.number, "no").pack())
                await self._to_citizen(
                    tx,
                    ticket,
                    f"solved?:{ticket.route_round}",
                    texts.ASK_SOLVED.format(number=ticket.number),
                    buttons=((yes, no),),
                )
        log.info("ticket %s answered by %s", ticket.number, by)
        self._wake()
        return Outcome("answer", ticket.number, S.ANSWERED)

    async def follow_up(
        self, message: IncomingMessage, *, within: timedelta | None = None
    ) -> Outcome | None:
        """Add the citizen's message to a ticket and pass it to the body's chat: the ticket of
        the bot message it replies to, or (``within``) the citizen's ticket created that
        recently. ``None`` when there is no such ticket."""
        now = self.clock.now()
        async with self.repo.transaction() as tx:
            if within is None:
                ticket_id = await tx.tickets.id_by_sent_message(
                    message.channel, message.chat_id, message.reply_to or 0
                )
                ticket = await tx.tickets.by_id(ticket_id) if ticket_id is not None else None
            else:
                ticket = await tx.tickets.latest_of_chat(message.channel, message.chat_id)
                if ticket is not None and now - ticket.created_at > within:
                    ticket = None
            if ticket is None or ticket.state in (S.CLOSED, S.REJECTED):
                return None
            if not await tx.tickets.add_message(ticket.id, _from_citizen(message, now)):
                return Outcome("duplicate", ticket.number)
            await tx.tickets.add_event(ticket.id, "follow_up", now, actor=CITIZEN)
            key = f"follow-up:{message.message_id}"
            body = self.table.body_by_id.get(ticket.body or "")
            if ticket.state in ACTIVE and body is not None:
                for channel, chat in self._body_chats(body):
                    files = carried(message.attachments, message.channel, channel)
                    text = texts.FOLLOW_UP_TO_BODY.format(number=ticket.number, text=message.text)
                    if message.location is not None:
                        text += texts.LOCATION_LINE.format(
                            lat=message.location.lat, lon=message.location.lon
                        )
                    if message.attachments and not files:
                        text += texts.TO_BODY_ATTACHMENTS_ELSEWHERE.format(
                            count=len(message.attachments)
                        )
                    await self._enqueue(
                        tx,
                        ticket,
                        f"{BODY}-{key}:{channel}:{chat}",
                        channel,
                        chat,
                        text,
                        BODY,
                        attachments=files,
                        reply_to=await self._card_id(tx, ticket, channel, chat),
                    )
            await self._to_citizen(
                tx, ticket, key, texts.FOLLOW_UP_ACCEPTED.format(number=ticket.number)
            )
        self._wake()
        return Outcome("follow_up", ticket.number, ticket.state)

    async def close(self, number: str, *, actor: str = COORDINATOR) -> Outcome:
        """Close by hand (a coordinator's decision); raises `InvalidTransition` when final."""
        now = self.clock.now()
        async with self.repo.transaction() as tx:
            ticket = await tx.tickets.by_number(number)
            if ticket is None:
                return Outcome("ignored", number)
            await self._move(tx, ticket, S.CLOSED, now, "closed", actor=actor)
        return Outcome("closed", number, S.CLOSED)

    # == deadlines ==============================================================================
    async def scan_deadlines(self) -> int:
        """Queue reminders and overdue escalations that are due; returns how many were queued.

        Marks are the reminder fractions of [routed_at, due_at] plus the deadline itself. If
        several passed since the last scan (the bot was down), only the latest is sent and the
        earlier ones are logged as skipped — one "overdue" beats three stale messages. The
        (ticket, round, mark) key makes a second scan, or a second process, a no-op.
        """
        now = self.clock.now()
        async with self.repo.transaction() as tx:
            tickets = [t for state in ACTIVE for t in await tx.tickets.in_state(state)]
        queued = 0
        for ticket in tickets:
            if ticket.due_at is None or ticket.routed_at is None:
                continue
            span = ticket.due_at - ticket.routed_at
            marks = [
                (f"reminder:{f:g}", ticket.routed_at + span * f) for f in self.reminder_fractions
            ]
            marks.append((OVERDUE, ticket.due_at))
            passed = [kind for kind, moment in marks if moment <= now]
            if not passed:
                continue
            async with self.repo.transaction() as tx:
                fresh = await tx.tickets.by_id(ticket.id)
                if (
                    fresh is None
                    or fresh.state not in ACTIVE
                    or fresh.route_round != ticket.route_round
                ):
                    continue
                for kind in passed:
                    latest = kind == passed[-1]
                    inserted = await tx.tickets.record_reminder(
                        ticket.id, ticket.route_round, kind, now, skipped=not latest
                    )
                    if inserted and latest:
                        await self._remind(tx, fresh, kind)
                        queued += 1
        if queued:
            self._wake()
        return queued

    async def _remind(self, tx: Tx, ticket: TicketRecord, kind: str) -> None:
        body = self.table.body_by_id.get(ticket.body or "")
        due = self.show_due(ticket.due_at) if ticket.due_at else ""
        chats = self._body_chats(body) if body else []
        key = f"{kind}:{ticket.route_round}"
        for channel, chat in chats:
            await self._enqueue(
                tx,
                ticket,
                f"{BODY}-{key}:{channel}:{chat}",
                channel,
                chat,
                texts.REMINDER_TO_BODY.format(number=ticket.number, due=due),
                BODY,
                reply_to=await self._card_id(tx, ticket, channel, chat),
            )
        if kind == OVERDUE or not chats:
            text = texts.OVERDUE_TO_COORDINATOR if kind == OVERDUE else texts.REMINDER_TO_BODY
            for person in self.coordinators:
                await self._enqueue(
                    tx,
                    ticket,
                    f"{COORDINATOR}-{key}:{person.channel}:{person.user_id}",
                    person.channel,
                    person.user_id,
                    text.format(
                        number=ticket.number, due=due, body=body.name if body else ticket.body
                    ),
                    COORDINATOR,
                )
        log.info("ticket %s: %s queued", ticket.number, kind)

    # == privacy ================================================================================
    async def export_citizen(self, channel: str, user_id: int) -> dict[str, Any]:
        """Everything stored about one citizen, as JSON-ready data (a 152-ФЗ access request)."""
        async with self.repo.transaction() as tx:
            tickets = await tx.tickets.of_citizen(channel, user_id)
            items = []
            for t in tickets:
                messages = await tx.tickets.messages(t.id)
                items.append(
                    {
                        "number": t.number,
                        "state": t.state,
                        "created_at": t.created_at.isoformat(),
                        "text": t.text,
                        "attachments": [[a.kind, a.ref] for a in t.attachments],
                        "location": [t.lat, t.lon] if t.lat is not None else None,
                        "topic": t.topic,
                        "municipality": t.municipality,
                        "body": t.body,
                        "due_at": t.due_at.isoformat() if t.due_at else None,
                        "solved": t.solved,
                        "rating": t.rating,
                        "messages": [
                            {
                                "author": m.author,
                                "at": m.at.isoformat(),
                                "text": m.text,
                                "attachments": [[a.kind, a.ref] for a in m.attachments],
                            }
                            for m in messages
                        ],
                        "events": await tx.tickets.events(t.id),
                    }
                )
        return {"channel": channel, "user_id": user_id, "tickets": items}

    async def forget_citizen(self, channel: str, user_id: int, *, notify: bool = True) -> int:
        """Anonymise every ticket of a citizen; returns how many. Numbers, routes, times and the
        audit trail stay (statistics and accountability need them), text and ids do not.

        With ``notify`` the citizen is told in their private chat (whose id is their user id on
        both platforms); that one message is the last thing queued for them.
        """
        now = self.clock.now()
        async with self.repo.transaction() as tx:
            tickets = await tx.tickets.of_citizen(channel, user_id)
            for t in tickets:
                await tx.tickets.anonymise(t.id, texts.ANONYMISED, now)
                await tx.tickets.add_event(t.id, "anonymised", now)
            if notify:
                message = OutgoingMessage(channel, user_id, texts.DATA_DELETED)  # type: ignore[arg-type]
                await tx.outbox.scrub_chat(channel, user_id, texts.ANONYMISED)
                await tx.outbox.queue(
                    OutboxDraft(
                        # Nothing about the person in the key; the row itself is blanked by the
                        # outbox right after delivery (purpose FORGOTTEN).
                        key=f"forgotten:{now.isoformat()}:{secrets.token_hex(8)}",
                        channel=channel,
                        chat_id=user_id,
                        payload=message.to_json(),
                        purpose=Purpose.CITIZEN_FORGOTTEN,
                    ),
                    now,
                )
        if notify:
            self._wake()
        log.info("anonymised %d tickets: %s", len(tickets), ", ".join(t.number for t in tickets))
        return len(tickets)

    async def export_training_examples(self, *, only_labelled: bool = True) -> list[dict]:
        """Rows ``{"text", "topic", "body", …}`` for ``routing train``; ``only_labelled`` drops
        the ones where only the wrong body is known."""
        async with self.repo.transaction() as tx:
            examples = await tx.training.examples()
        return [
            {
                "text": e.text,
                "topic": e.topic,
                "body": e.body,
                "wrong_body": e.wrong_body,
                "ticket": e.ticket,
                "source": e.source,
            }
            for e in examples
            if e.body is not None or not only_labelled
        ]

    # == helpers ================================================================================
    def show_due(self, due: datetime) -> str:
        local = due.astimezone(self.calendar.timezone)
        if local.time() == time(0):
            return texts.DUE_DAY.format(date=local - timedelta(days=1))
        return texts.DUE_MOMENT.format(date=local)

    def _body_chats(self, body: Body) -> list[tuple[str, int]]:
        return self.staff.chats_of(body.id)

    @staticmethod
    async def _card_id(tx: Tx, ticket: TicketRecord, channel: str, chat: int) -> int | None:
        """The platform id of the ticket card in a body's chat, once it has been sent: later
        messages about the ticket reply to it, so the chat reads as one thread per ticket."""
        key = f"{ticket.number}:{BODY}:{ticket.route_round}:{channel}:{chat}"
        row = await tx.outbox.by_key(key) or await tx.outbox.by_key(key + ":part1")
        return row.platform_message_id if row is not None else None

    @staticmethod
    def _portable(ticket: TicketRecord, channel: str) -> tuple[Attachment, ...]:
        """The ticket's files for a chat in ``channel`` (marked with their origin if it is
        another channel: that channel's file ids mean nothing here, so they are fetched)."""
        return carried(ticket.attachments, ticket.channel, channel)

    async def _to_citizen(
        self,
        tx: Tx,
        ticket: TicketRecord,
        key: str,
        text: str,
        *,
        buttons: tuple = (),
        attachments: tuple[Attachment, ...] = (),
    ) -> None:
        if ticket.chat_id is None:  # anonymised
            return
        remove = not buttons and not attachments and await self.citizen.keyboard_shown(tx, ticket)
        await self._enqueue(
            tx,
            ticket,
            f"{CITIZEN}-{key}",
            ticket.channel,
            ticket.chat_id,
            text,
            CITIZEN,
            buttons=buttons,
            attachments=attachments,
            reply_to=ticket.source_message_id,
            remove_keyboard=remove,
            menu=not buttons,
        )

    async def _enqueue(
        self,
        tx: Tx,
        ticket: TicketRecord,
        key: str,
        channel: str,
        chat_id: int,
        text: str,
        purpose: str,
        *,
        buttons: tuple = (),
        attachments: tuple[Attachment, ...] = (),
        reply_to: int | None = None,
        remove_keyboard: bool = False,
        menu: bool = False,
    ) -> None:
        parts = split_text(text, MAX_TEXT)
        for index, part in enumerate(parts, start=1):
            last = index == len(parts)
            message = OutgoingMessage(
                channel,  # type: ignore[arg-type]
                chat_id,
                part,
                # Files and buttons go with the first and the last part respectively: the
                # buttons then sit under the end of the text they are about.
                buttons=buttons if last else (),
                attachments=attachments if index == 1 else (),
                reply_to=reply_to if index == 1 else None,
                **self._forum_fields(ticket, channel, chat_id),
                remove_keyboard=remove_keyboard and last,
                menu=menu and last,
            )
            await tx.outbox.queue(
                OutboxDraft(
                    key=f"{ticket.number}:{key}" + (f":part{index}" if len(parts) > 1 else ""),
                    channel=channel,
                    chat_id=chat_id,
                    payload=message.to_json(),
                    purpose=purpose,
                    ticket_id=ticket.id,
                    # A repeated message in a staff chat is a nuisance; a lost appeal is a
                    # failure.
                    resend_if_uncertain=purpose != CITIZEN,
                ),
                self.clock.now(),
            )

    async def _send_direct(self, message: IncomingMessage, text: str, key: str) -> None:
        """A reply that belongs to no ticket (e.g. "write it as text")."""
        async with self.repo.transaction() as tx:
            await tx.outbox.queue(
                OutboxDraft(
                    key=f"direct:{message.channel}:{message.chat_id}:{key}",
                    channel=message.channel,
                    chat_id=message.chat_id,
                    payload=OutgoingMessage(message.channel, message.chat_id, text).to_json(),
                    purpose=CITIZEN,
                ),
                self.clock.now(),
            )
        self._wake()

    def _wake(self) -> None:
        if self.on_enqueue is not None:
            self.on_enqueue()

    # == administrators: invites, bindings, who may act (issue 4) ===============================
    def _rebuild_staff(self) -> None:
        """Recompute every staff map from ``self.table`` and the stored bindings: call it after
        anything changes either (a new binding, a routing table swap)."""
        self.staff = StaffDirectory.build(
            self.table,
            self._bindings,
            [(person.channel, person.user_id) for person in self.coordinators],
        )
        chats: dict[tuple[str, int], str] = {
            key: bodies[0] for key, bodies in self.staff.chat_bodies.items()
        }
        for person in self.coordinators:
            chats.setdefault((person.channel, person.user_id), COORDINATOR)
        self._staff_chats = chats

    async def load_staff(self) -> None:
        """Read the bindings made by invites (on start, after migrations)."""
        async with self.repo.transaction() as tx:
            self._bindings = tuple(await tx.staff.bindings())
        self._rebuild_staff()

    async def invite(
        self,
        message: IncomingMessage,
        query: str,
        *,
        links: Callable[[str], str] | None = None,
    ) -> Outcome:
        """A coordinator's ``/invite <body>``: a single-use code for that body, valid
        `INVITE_TTL`. ``links`` renders the channel's way to redeem it (Telegram deep links);
        the bare code is always included, for channels without links."""
        refusal = None
        found: list[Body] = []
        if not self.staff.is_coordinator(message.channel, message.user_id):
            refusal = texts.INVITE_NOT_COORDINATOR
        elif not query.strip():
            refusal = texts.INVITE_USAGE
        else:
            found = self.find_bodies(query.strip())
            if not found:
                refusal = texts.INVITE_UNKNOWN_BODY.format(query=query.strip())
            elif len(found) > 1:
                names = "\n".join(f"• {b.name} ({b.id})" for b in found[:10])
                if len(found) > 10:
                    names += f"\n… и ещё {len(found) - 10}"
                refusal = texts.INVITE_AMBIGUOUS.format(query=query.strip(), names=names)
        if refusal is not None:
            await self._reply_in_chat(message, refusal, "invite-refused")
            return Outcome("ignored", notice=refusal)
        body = found[0]
        now = self.clock.now()
        token = new_invite_token()
        invite = StaffInvite(
            token, body.id, message.channel, message.user_id, now, now + INVITE_TTL
        )
        text = texts.INVITE_CREATED.format(
            body=body.name,
            body_id=body.id,
            until=self.show_due(invite.expires_at),
            links=links(token) if links is not None else "",
            token=token,
        )
        async with self.repo.transaction() as tx:
            await tx.staff.add_invite(invite)
        await self._reply_in_chat(message, text, "invite")
        log.info("invite created for body %s", body.id)
        return Outcome("invited")

    async def redeem(
        self,
        channel: str,
        chat_id: int,
        user_id: int,
        token: str,
        *,
        forum: bool,
        name: str = "",
        message_id: int | None = None,
    ) -> Outcome:
        """An administrator opened an invite (Telegram ``/start <code>`` in a private chat or
        a group; VK: the code sent to the community). Binds the chat and the person to the
        body at once and for good (database); tells them and the coordinator who invited.
        ``forum``: the chat is a supergroup with topics — one topic per ticket there.
        ``name`` is the platform display name, for the coordinator's message only."""
        now = self.clock.now()
        binding: StaffBinding | None = None
        async with self.repo.transaction() as tx:
            invite = await tx.staff.invite(token)
            body = self.table.body_by_id.get(invite.body) if invite is not None else None
            refusal = None
            if invite is None:
                refusal = texts.INVITE_UNKNOWN
            elif invite.used_at is not None:
                if any(
                    (b.channel, b.chat_id, b.user_id, b.body)
                    == (channel, chat_id, user_id, invite.body)
                    for b in self._bindings
                ):
                    return Outcome("duplicate")  # the same /start delivered twice
                refusal = texts.INVITE_USED
            elif invite.expires_at <= now:
                refusal = texts.INVITE_EXPIRED
            elif body is None:
                refusal = texts.INVITE_BODY_GONE
            elif not await tx.staff.use_invite(token, now):
                refusal = texts.INVITE_USED
            if refusal is None and invite is not None and body is not None:
                binding = StaffBinding(channel, chat_id, user_id, body.id, forum)
                await tx.staff.add_binding(binding, now)
                bindings = tuple(await tx.staff.bindings())
                hint = texts.INVITE_BOUND_FORUM_HINT if forum else ""
                await self._enqueue_plain(
                    tx,
                    f"invite:{token}:bound",
                    channel,
                    chat_id,
                    texts.INVITE_BOUND.format(body=body.name, forum_hint=hint),
                    BODY,
                    reply_to=message_id,
                )
                where = (
                    texts.INVITE_WHERE_FORUM
                    if forum
                    else texts.INVITE_WHERE_PRIVATE
                    if chat_id == user_id
                    else texts.INVITE_WHERE_GROUP
                )
                await self._enqueue_plain(
                    tx,
                    f"invite:{token}:joined",
                    invite.created_by_channel,
                    invite.created_by_user,
                    texts.INVITE_JOINED.format(body=body.name, who=name or "—", where=where),
                    COORDINATOR,
                )
            else:
                await self._enqueue_plain(
                    tx,
                    # A repeated delivery of the same message says it once.
                    f"invite-refused:{channel}:{chat_id}:{message_id or secrets.token_hex(8)}",
                    channel,
                    chat_id,
                    refusal or texts.INVITE_UNKNOWN,
                    BODY,
                    reply_to=message_id,
                )
        self._wake()
        if binding is None:
            log.info("invite refused")
            return Outcome("ignored", notice=refusal)
        self._bindings = bindings
        self._rebuild_staff()
        log.info("invite redeemed: body %s, %s chat", binding.body, "forum" if forum else "plain")
        await self._send_open_cards(body)
        return Outcome("bound")

    async def _send_open_cards(self, body: Body) -> None:
        """A chat bound to a body gets the cards of the tickets the body holds now, not only
        of the next ones. Card keys are per chat, so chats that have them get nothing again."""
        now = self.clock.now()
        async with self.repo.transaction() as tx:
            for state in sorted(ACTIVE):
                for ticket in await tx.tickets.in_state(state):
                    if ticket.body != body.id or ticket.due_at is None:
                        continue
                    note = texts.REOPENED_NOTE if state == S.REOPENED else ""
                    await self._to_body(
                        tx, ticket, body, ticket.topic, ticket.municipality, ticket.due_at,
                        ticket.route_round, now, note,
                    )
        self._wake()

    def _authority(self, ticket: TicketRecord, message: IncomingMessage) -> str | None:
        """On whose behalf ``message`` may act on ``ticket``: its current body (an
        administrator of it, or anyone in a chat bound to it), a coordinator, or nobody."""
        if self.staff.is_coordinator(message.channel, message.user_id):
            return COORDINATOR
        if self.staff.may_act_for(ticket.body, message.channel, message.chat_id, message.user_id):
            return ticket.body
        return None

    def _refusal(self, ticket: TicketRecord, message: IncomingMessage) -> str:
        """Why a press was refused: the ticket moved on from the presser's body, or the
        presser never had anything to do with it."""
        mine = set(self.staff.bodies_of_chat(message.channel, message.chat_id)) | set(
            self.staff.user_bodies.get((message.channel, message.user_id), ())
        )
        if mine & set(ticket.tried_bodies):
            return texts.STAFF_HANDED_OVER.format(number=ticket.number)
        return texts.STAFF_NOT_ALLOWED

    async def _staff_handle(self, message: IncomingMessage) -> Outcome | None:
        """Presses of card buttons (from anyone: forged ones are refused here) and messages in
        body chats. ``None`` hands the message to the older paths of `handle` (citizens, and
        coordinators in their private chats)."""
        payload = Payload.unpack(message.payload)
        if payload is not None and payload.action.by_staff:
            return await self.staff_action(message, payload)
        if not self.staff.bodies_of_chat(message.channel, message.chat_id):
            return None
        if payload is not None or message.payload:
            return Outcome("ignored")
        ticket = await self._ticket_in_staff_chat(message)
        if ticket is None:
            if message.chat_id == message.user_id and message.text.strip():
                # An administrator wrote to the bot directly, not about a ticket: say how.
                await self._reply_in_chat(message, texts.STAFF_HOW_TO_ANSWER, "how-to")
            return Outcome("ignored")
        by = self._authority(ticket, message)
        if by is None:
            text = texts.STAFF_REPLY_REFUSED.format(number=ticket.number)
            await self._reply_in_chat(message, text, "reply-refused")
            log.info("ticket %s: a reply from a chat of another body refused", ticket.number)
            return Outcome("ignored", ticket.number, ticket.state, notice=text)
        actor = self._actor(by, message)
        if by == COORDINATOR and assigned_body(message.text) is not None:
            return await self.assign(message, assigned_body(message.text) or "", actor=actor)
        reason = not_ours_reason(message.text)
        if reason is not None:  # «Не наше: это федеральная трасса» typed as a reply
            return await self.redirect(ticket.number, by=by, reason=reason or None, actor=actor)
        return await self.record_answer(message, by=by, ticket_id=ticket.id)

    async def _ticket_in_staff_chat(self, message: IncomingMessage) -> TicketRecord | None:
        """The ticket a staff message is about: its forum topic, else the bot message it
        replies to. In a topic every message "replies" to the topic's first message, so the
        topic is asked first."""
        async with self.repo.transaction() as tx:
            if message.thread_id is not None:
                number = await tx.staff.topic_key_by_thread(
                    message.channel, message.chat_id, message.thread_id
                )
                if number is not None:
                    return await tx.tickets.by_number(number)
            if message.reply_to is None:
                return None
            ticket_id = await tx.tickets.id_by_sent_message(
                message.channel, message.chat_id, message.reply_to
            )
            return await tx.tickets.by_id(ticket_id) if ticket_id is not None else None

    async def staff_action(self, message: IncomingMessage, payload: Payload) -> Outcome:
        """A card button: «Взять в работу», «Не наше», «Закрыть», «Спам». Anyone without the
        right (see `_authority`) or a press the ticket's state no longer allows gets a notice
        saying why, and nothing changes."""
        async with self.repo.transaction() as tx:
            ticket = await tx.tickets.by_number(payload.number)
        if ticket is None:
            return Outcome("ignored", payload.number, notice=texts.STAFF_NOT_ALLOWED)
        by = self._authority(ticket, message)
        if by is None:
            log.info("ticket %s: %s refused (no right to act)", ticket.number, payload.action)
            return Outcome(
                "ignored", ticket.number, ticket.state, notice=self._refusal(ticket, message)
            )
        actor = self._actor(by, message)
        if payload.action == "take":
            outcome = await self.take(ticket.number, by=by, actor=actor)
        elif payload.action == "close":
            outcome = await self.close_by_staff(ticket.number, by=by, actor=actor)
        elif payload.action == "redirect":
            outcome = await self.redirect(ticket.number, by=by, actor=actor)
        else:
            outcome = await self.reject(ticket.number, by=by, actor=actor)
        if outcome.kind != "ignored":
            return outcome
        async with self.repo.transaction() as tx:  # why not: read the state as it is now
            fresh = await tx.tickets.by_number(payload.number)
        state = fresh.state if fresh is not None else ticket.state
        name = texts.STATE_NAMES.get(state, state)
        if state == S.IN_WORK and payload.action == "take":
            notice = texts.STAFF_ALREADY_TAKEN.format(number=ticket.number)
        elif state in (S.CLOSED, S.REJECTED):
            notice = texts.STAFF_ALREADY_FINISHED.format(number=ticket.number, state=name)
        elif fresh is not None and by != COORDINATOR and fresh.body != by:
            notice = texts.STAFF_HANDED_OVER.format(number=ticket.number)
        else:
            notice = texts.STAFF_NOT_NOW.format(number=ticket.number, state=name)
        return Outcome("ignored", ticket.number, state, notice=notice)

    async def close_by_staff(self, number: str, *, by: str, actor: str) -> Outcome:
        """«Закрыть» under a card: the body (or a coordinator) considers the matter settled;
        the citizen is told. A body closes only what it holds or has answered."""
        now = self.clock.now()
        async with self.repo.transaction() as tx:
            ticket = await tx.tickets.by_number(number)
            if ticket is None or S.CLOSED not in TRANSITIONS[TicketState(ticket.state)]:
                return Outcome("ignored", number)
            holding = ticket.body == by and ticket.state in ACTIVE | {S.ANSWERED}
            if by != COORDINATOR and not holding:
                return Outcome("ignored", number)
            await self._move(tx, ticket, S.CLOSED, now, "closed", {"by": by}, actor=actor)
            body = self.table.body_by_id.get(ticket.body or "")
            await self._to_citizen(
                tx,
                ticket,
                f"closed:{ticket.route_round}",
                texts.CLOSED_TO_CITIZEN.format(
                    number=ticket.number,
                    body=body.name if body and by != COORDINATOR else texts.COORDINATOR_NAME,
                ),
            )
        log.info("ticket %s closed by %s", number, by)
        self._wake()
        return Outcome("closed", number, S.CLOSED)

    def _forum_fields(self, ticket: TicketRecord, channel: str, chat_id: int) -> dict[str, str]:
        """In a forum chat every message about a ticket goes to the ticket's own topic."""
        if not self.staff.is_forum(channel, chat_id):
            return {}
        topic = self.table.topic_by_id.get(ticket.topic or "")
        title = texts.FORUM_TOPIC_TITLE.format(
            number=ticket.number, topic=topic.name if topic else texts.UNKNOWN_TOPIC
        )
        return {"topic_key": ticket.number, "topic_title": title[:128]}

    async def _reply_in_chat(self, message: IncomingMessage, text: str, kind: str) -> None:
        """A staff-facing answer to a command or a refused message, in the chat it came from."""
        async with self.repo.transaction() as tx:
            await self._enqueue_plain(
                tx,
                f"{kind}:{message.channel}:{message.chat_id}:{message.message_id}",
                message.channel,
                message.chat_id,
                text,
                COORDINATOR,
                reply_to=message.message_id,
            )
        self._wake()

    async def _enqueue_plain(
        self,
        tx: Tx,
        key: str,
        channel: str,
        chat_id: int,
        text: str,
        purpose: str,
        *,
        reply_to: int | None = None,
    ) -> None:
        """A message about no ticket (invites, refusals) to a staff chat."""
        await tx.outbox.queue(
            OutboxDraft(
                key=key,
                channel=channel,
                chat_id=chat_id,
                payload=OutgoingMessage(
                    channel,  # type: ignore[arg-type]
                    chat_id,
                    text,
                    reply_to=reply_to,
                ).to_json(),
                purpose=purpose,
                resend_if_uncertain=True,
            ),
            self.clock.now(),
        )
    # == the citizen cannot be reached ==========================================================
    async def citizen_unreachable(self, row: OutboxRow) -> None:
        """The outbox could not deliver ``row`` because the citizen has not allowed messages
        (VK 901). The ticket stays as it is (the answer is saved in it); the body's chats — or
        the coordinators, when the body has none — are told once per routing round, so that
        someone contacts the citizen another way."""
        if row.purpose != CITIZEN or row.ticket_id is None:
            return  # a staff chat that cannot be reached is a setup problem, not a ticket's
        now = self.clock.now()
        async with self.repo.transaction() as tx:
            ticket = await tx.tickets.by_id(row.ticket_id)
            if ticket is None:
                return
            await tx.tickets.add_event(
                ticket.id, "citizen_unreachable", now, detail={"outbox": row.id}
            )
            text = texts.CITIZEN_UNREACHABLE_TO_STAFF.format(number=ticket.number)
            key = f"unreachable:{ticket.route_round}"
            body = self.table.body_by_id.get(ticket.body or "")
            chats = self._body_chats(body) if body is not None else []
            for channel, chat in chats:
                await self._enqueue(
                    tx, ticket, f"{BODY}-{key}:{channel}:{chat}", channel, chat, text, BODY,
                    reply_to=await self._card_id(tx, ticket, channel, chat),
                )
            if not chats:
                for person in self.coordinators:
                    await self._enqueue(
                        tx, ticket, f"{COORDINATOR}-{key}:{person.channel}:{person.user_id}",
                        person.channel, person.user_id, text, COORDINATOR,
                    )
        log.info("ticket %s: the citizen cannot be reached", ticket.number)
        self._wake()

    async def citizen_reachable(self, channel: str, user_id: int) -> int:
        """The citizen allowed messages again (VK ``message_allow``): what could not be
        delivered to them is queued again, in its original order. Returns how many."""
        now = self.clock.now()
        requeued = 0
        async with self.repo.transaction() as tx:
            for ticket in await tx.tickets.of_citizen(channel, user_id):
                for event in await tx.tickets.events(ticket.id):
                    if event.get("kind") != "citizen_unreachable":
                        continue
                    row_id = (event.get("detail") or {}).get("outbox")
                    row = await tx.outbox.row(row_id) if row_id is not None else None
                    if row is None or row.state != OutboxState.FAILED:
                        continue
                    await tx.outbox.set_state(
                        row.id,
                        OutboxState.PENDING,
                        next_attempt_at=now,
                        attempts=0,
                        last_error=None,
                    )
                    requeued += 1
        if requeued:
            self._wake()
        return requeued

    async def _citizen_press(self, message: IncomingMessage, payload: Payload) -> Outcome:
        """A citizen's button under a question, «Проблема решена?» or the rating."""
        if payload.action == "topic":
            return await self.answer_question(message, payload.number, topic=payload.value)
        if payload.action == "place":
            return await self.answer_question(message, payload.number, municipality=payload.value)
        if payload.action == "solved":
            return await self.verdict(message, payload.number, solved=payload.value == "yes")
        return await self.rate(message, payload.number, payload.value)

    @staticmethod
    def _with_press_notice(outcome: Outcome) -> Outcome:
        """A refused press (someone else's ticket, an old or forged button) is answered with a
        notice, so the person does not keep pressing a button that silently does nothing."""
        if outcome.kind == "ignored" and outcome.notice is None:
            return dataclasses.replace(outcome, notice=texts.BUTTON_INACTIVE)
        return outcome

    async def _refuse_flood(self, message: IncomingMessage) -> Outcome | None:
        """``None`` if the citizen is within the flood limits; otherwise the refusal. A button
        press is answered by its notice every time (it must not spin); a message gets one chat
        reply per window, the rest of the window's extra messages get none."""
        verdict = await self.flood.check_async(message.channel, message.user_id)
        if verdict.allowed:
            return None
        if message.payload:
            return Outcome("flooded", notice=texts.FLOOD_PRESS.format(minutes=verdict.minutes))
        if verdict.warn:
            log.info("flood limit reached in %s: citizen told to wait", message.channel)
            await self._send_direct(
                message,
                texts.FLOOD_WAIT.format(minutes=verdict.minutes),
                f"flood:{message.message_id}",
            )
        return Outcome("flooded")

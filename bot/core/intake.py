"""A citizen's words become a ticket: intake, the questions the bot asks, and follow-ups.

`take_in` is the last rule of the dispatcher: whatever a citizen writes that is not a command
or a button lands here and is one of four things — small talk («Здравствуйте», «Спасибо!»,
«ок», emoji alone: a hint, no ticket), an answer to the bot's question (the ticket waits in
``collecting``; a message that reads as a different problem is offered as a new appeal first,
`bot.core.new_problem`), an addition to a ticket (a reply to a bot message about it, a photo
right after the appeal, the reason right after «Нет, не решена»), or a new appeal. The
classifier decides route, question or coordinators (`apply_classification`); only the
citizen's own answers are given back to it as facts, never its earlier guesses.

The same platform message delivered twice makes one ticket: the message is looked up first,
and the ticket's unique source catches a duplicate that arrives in between.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.core import address_lookup, keyboards, new_problem
from bot.core.desk import BODY, CITIZEN, Desk, thread_of
from bot.core.logsafe import describe
from bot.domain import cards, texts
from bot.domain.messages import IncomingMessage, carried
from bot.domain.phrases import has_address, small_talk
from bot.domain.records import DuplicateTicket, NewTicket, TicketMessage, TicketRecord
from bot.domain.states import ACTIVE, FINAL, TicketState
from bot.domain.wire import OutboxKey, Outcome, OutcomeKind, Payload
from bot.storage.base import Tx
from routing.model import Body

log = logging.getLogger("bot.core")

S = TicketState
K = OutcomeKind


@dataclass(frozen=True)
class Unclassified:
    """The verdict when the classifier fails: the appeal goes to the coordinators."""

    decision: str = "to_coordinator"
    topic: None = None
    municipality: None = None
    body: None = None
    candidates: tuple = ()
    topic_options: tuple = ()
    municipality_options: tuple = ()


def ticket_number(year: int, sequence: int) -> str:
    """``26-000123``: two-digit year and a per-year sequence; wider once past 999999."""
    return f"{year % 100:02d}-{sequence:06d}"


def from_citizen(message: IncomingMessage, now: datetime) -> TicketMessage:
    """The citizen's message as it is kept in the ticket thread."""
    return TicketMessage.of(message, CITIZEN, now)


async def take_in(desk: Desk, message: IncomingMessage, payload: Payload | None = None) -> Outcome:
    """A citizen's message that is no command and no button: see the module's opening."""
    # One look answers both questions below.
    seen, latest = await desk.repo.atomically(
        lambda tx: tx.tickets.seen_or_latest(message.channel, message.chat_id, message.message_id)
    )
    if seen is not None:  # the platform delivered this message again
        return Outcome(K.DUPLICATE, seen)
    chatter = None if message.attachments or message.location else small_talk(message.text)
    if chatter is not None:
        waiting = awaiting_answer(desk, message, latest)
        return await answer_small_talk(desk, message, chatter, waiting)
    if message.reply_to is not None:
        added = await follow_up(desk, message)
        if added is not None:
            return added
    waiting = awaiting_answer(desk, message, latest)
    if waiting is not None:
        return await clarify(desk, message, waiting)
    if not message.text.strip() and (message.attachments or message.location):
        # A photo sent right after the text ("Яма у дома 5", then the picture) belongs to
        # the appeal just made; text is never glued on like this — it may be a new problem.
        recent = await follow_up(desk, message, within=desk.policy.follow_up_window)
        if recent is not None:
            return recent
    if explains_not_solved(desk, message, latest):
        assert latest is not None
        reason = await follow_up(desk, message, ticket=latest)
        if reason is not None:
            return reason
    return await intake(desk, message, unseen=True)


async def answer_small_talk(
    desk: Desk, message: IncomingMessage, kind: str, waiting: TicketRecord | None
) -> Outcome:
    """«Здравствуйте», «Спасибо!», «ок», «😡😡😡🤬»: a hint (how to write an appeal, where to
    see one's appeals), no ticket and nothing to anyone else; a question still waiting for an
    answer is recalled."""
    prefix = {"greeting": texts.SMALL_TALK_GREETING, "thanks": texts.SMALL_TALK_THANKS}
    text = prefix.get(kind, "") + texts.SMALL_TALK_HINT
    if waiting is not None:
        text += texts.SMALL_TALK_PENDING.format(number=waiting.number)
    key = OutboxKey.about_no_ticket(
        "direct", message.channel, message.chat_id, "small-talk", message.message_id
    )
    await desk.say(message.channel, message.chat_id, text, key, purpose=CITIZEN, menu=True)
    return Outcome(K.SMALL_TALK)


def explains_not_solved(
    desk: Desk, message: IncomingMessage, latest: TicketRecord | None
) -> bool:
    """Words sent soon after «Нет, не решена» (the bot asked what is still wrong) belong to
    the reopened ticket: they go to the body as the citizen's reason."""
    return (
        latest is not None
        and latest.state == S.REOPENED
        and bool(message.text.strip())
        and desk.clock.now() - latest.updated_at <= desk.policy.follow_up_window
    )


async def intake(desk: Desk, message: IncomingMessage, *, unseen: bool = False) -> Outcome:
    """A new appeal. ``unseen``: the caller has just looked the message up (`take_in`), so the
    early look that spares a duplicate its classification is skipped."""
    if not unseen:
        existing = await desk.repo.atomically(
            lambda tx: tx.tickets.by_source(message.channel, message.chat_id, message.message_id)
        )
        if existing is not None:
            return Outcome(K.DUPLICATE, existing.number, existing.state)
    wordless = not message.text.strip()
    if wordless and not message.attachments and message.location is None:
        key = OutboxKey.about_no_ticket(
            "direct", message.channel, message.chat_id, "empty", message.message_id
        )
        await desk.say(message.channel, message.chat_id, texts.EMPTY_APPEAL, key, purpose=CITIZEN)
        return Outcome(K.IGNORED)
    lat = message.location.lat if message.location else None
    lon = message.location.lon if message.location else None
    # A photo or a location alone starts the appeal too, but nobody can route (or answer) a
    # picture without words: the citizen is asked for them, and `clarify` goes on from there.
    classification = None if wordless else await classify(desk, message.text, lat, lon)
    now = desk.clock.now()
    year = now.astimezone(desk.calendar.timezone).year
    draft = NewTicket(
        message.channel, message.chat_id, message.user_id, message.message_id, message.text,
        message.attachments, lat, lon,
    )

    async def create(tx: Tx) -> tuple[str, str]:
        """The ticket, its audit log, and what the citizen and the body are sent: one unit."""
        number = ticket_number(year, await tx.tickets.next_sequence(year))
        ticket_id = await tx.tickets.insert(number, draft, S.NEW, now)
        created = {"channel": draft.channel}
        await tx.tickets.add_event(ticket_id, "created", now, None, None, created)
        ticket = draft.stored(ticket_id, number, S.NEW, now)
        if classification is None:
            await desk.move(tx, ticket, S.COLLECTING, now, "requested_text")
            await desk.to_citizen(
                tx,
                ticket,
                OutboxKey.to_citizen(number, "ask-text"),
                texts.ASK_WHAT_HAPPENED.format(number=number),
            )
            return number, S.COLLECTING
        return number, await apply_classification(desk, tx, ticket, classification, now)

    try:
        number, state = await desk.repo.atomically(create)
    except DuplicateTicket:  # another process took the same message in between
        existing = await desk.repo.atomically(
            lambda tx: tx.tickets.by_source(message.channel, message.chat_id, message.message_id)
        )
        assert existing is not None
        return Outcome(K.DUPLICATE, existing.number, existing.state)
    log.info("ticket %s created: %s", number, state)
    desk.wake()
    return Outcome(K.CREATED, number, state)


async def classify(
    desk: Desk, text: str, lat: float | None, lon: float | None, **answers: str | None
) -> Any:
    """The classifier's verdict, or "coordinators" if it fails: a bug or a broken model must
    not lose an appeal."""
    try:
        # CPU-bound (morphology, a model): off the event loop.
        result = await asyncio.to_thread(desk.classifier.classify, text, lat, lon, **answers)
        if desk.addresses is not None:  # production's address service, when configured
            result = await address_lookup.place(desk, result, text, lat, lon, answers)
    except Exception as exc:
        log.error("classifier failed; the appeal goes to the coordinators: %s", describe(exc))
        result = Unclassified()
    desk.observer.classified(decision_of(result))
    return result


def decision_of(result: Any) -> str:
    """The classifier's decision as its word (``route``…), whether an enum or a string."""
    return str(getattr(result.decision, "value", result.decision))


async def apply_classification(
    desk: Desk, tx: Tx, ticket: TicketRecord, result: Any, now: datetime
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
    decision = decision_of(result)
    changes = {"topic": result.topic, "municipality": result.municipality}
    await tx.tickets.update(ticket.id, None, now, candidates=candidates, **changes)
    # What the row now holds, without reading it back.
    ticket = dataclasses.replace(ticket, candidates=tuple(candidates), updated_at=now, **changes)
    await tx.tickets.add_event(
        ticket.id, "classified", now, detail={"decision": decision, "body": result.body}
    )
    body = desk.table.body_by_id.get(result.body or "")
    if decision == "route" and body is not None:
        if await ask_address(desk, tx, ticket, result.topic, now):
            return S.COLLECTING
        await desk.route(tx, ticket, body, result.topic, result.municipality, now)
        return S.ROUTED
    if decision == "ask_topic" and result.topic_options:
        await desk.ask(tx, ticket, "topic", result.topic_options, now)
        return S.COLLECTING
    if decision == "ask_municipality":
        # No options means "we know nothing about the place": ask for it in words.
        await desk.ask(tx, ticket, "place", result.municipality_options, now)
        return S.COLLECTING
    if body is not None:  # a likely body, too unsure to route and no question would help
        likely = likely_bodies(desk, result)
        reason = texts.REASON_UNSURE.format(bodies="; ".join(f"«{b.name}»" for b in likely))
        await desk.to_coordinators(tx, ticket, reason, now, likely=likely)
        return S.WITH_COORDINATOR
    await desk.to_coordinators(tx, ticket, texts.REASON_NOTHING_FITS, now)
    return S.WITH_COORDINATOR


#: How many of the likely bodies a coordinator gets as buttons for an appeal the bot was unsure of.
UNSURE_CHOICES = 3


def likely_bodies(desk: Desk, result: Any) -> list[Body]:
    """The classifier's likeliest bodies, best first (`Classification.ranked_bodies`)."""
    ranked = [b for b in result.ranked_bodies() if b in desk.table.body_by_id]
    return [desk.table.body_by_id[b] for b in ranked[:UNSURE_CHOICES]]


async def ask_address(
    desk: Desk, tx: Tx, ticket: TicketRecord, topic_id: str | None, now: datetime
) -> bool:
    """Before routing: ask for the address once if the topic needs one and the citizen gave
    none. True when a question went out (the ticket waits in ``collecting``)."""
    topic = desk.table.topic_by_id.get(topic_id or "")
    if topic is None or not topic.needs_address or ticket.lat is not None:
        return False
    if ticket.state not in (S.NEW, S.COLLECTING):
        return False
    if not ticket.untouched:
        asked = await tx.tickets.state_and_event(ticket.id, ("asked_address",))
        if asked is not None and asked[1]:
            return False  # asked once; whatever the citizen said, the body gets it now
    said = [ticket.text, *(m.text for m in await thread_of(tx, ticket))]
    if has_address("\n".join(said)):
        return False
    await desk.move(tx, ticket, S.COLLECTING, now, "asked_address", {"topic": topic.id})
    key = OutboxKey.to_citizen(ticket.number, "ask-address")
    await desk.to_citizen(tx, ticket, key, texts.ASK_ADDRESS.format(number=ticket.number))
    await keyboards.offer_location(tx, ticket, key, now)
    return True


def asked_count(events: list[dict]) -> int:
    return sum(e["kind"].startswith("asked_") for e in events)


def answers_of(events: list[dict]) -> dict[str, str | None]:
    """What the citizen has answered so far (by buttons), as classifier arguments."""
    answers: dict[str, str | None] = {"topic": None, "municipality": None}
    for event in events:
        if event["kind"] == "answered":
            answers.update({k: v for k, v in event["detail"].items() if k in answers})
    return answers


async def settle(desk: Desk, tx: Tx, ticket: TicketRecord, result: Any, now: datetime) -> str:
    """Apply a re-classification after a citizen's answer, or give up asking: after
    ``max_questions`` questions a person takes over."""
    asked = asked_count(await tx.tickets.events(ticket.id))
    decision = decision_of(result)
    if decision.startswith("ask") and asked >= desk.policy.max_questions:
        await desk.to_coordinators(tx, ticket, texts.REASON_TOO_MANY_QUESTIONS, now)
        return S.WITH_COORDINATOR
    return await apply_classification(desk, tx, ticket, result, now)


async def answer_question(
    desk: Desk,
    message: IncomingMessage,
    number: str,
    *,
    topic: str | None = None,
    municipality: str | None = None,
) -> Outcome:
    """A tap on one of the question's buttons («Другое»: ``"-"``)."""
    async def look(tx: Tx) -> tuple[TicketRecord | None, list[dict]]:
        found = await tx.tickets.by_number(number)
        return found, (await tx.tickets.events(found.id) if found is not None else [])

    ticket, events = await desk.repo.atomically(look)
    if ticket is None or ticket.state != S.COLLECTING or not own(ticket, message):
        return Outcome(K.IGNORED, number)
    now = desk.clock.now()
    if topic == "-" or municipality == "-":

        async def hand_over(tx: Tx) -> bool:
            fresh = await tx.tickets.by_number(number)
            if fresh is None or fresh.state != S.COLLECTING:
                return False
            await desk.to_coordinators(tx, fresh, texts.REASON_CITIZEN_OTHER, now, actor=CITIZEN)
            return True

        if not await desk.repo.atomically(hand_over):
            return Outcome(K.IGNORED, number)
        desk.wake()
        return Outcome(K.ANSWERED_QUESTION, number, S.WITH_COORDINATOR)
    answers = answers_of(events)
    given = {"topic": topic, "municipality": municipality}
    answers.update({k: v for k, v in given.items() if v})
    result = await classify(desk, ticket.text, ticket.lat, ticket.lon, **answers)

    async def answered(tx: Tx) -> str | None:
        fresh = await tx.tickets.by_number(number)
        if fresh is None or fresh.state != S.COLLECTING:
            return None  # a second tap on an old button
        detail = {k: v for k, v in given.items() if v}
        await tx.tickets.add_event(fresh.id, "answered", now, detail=detail, actor=CITIZEN)
        return await settle(desk, tx, fresh, result, now)

    state = await desk.repo.atomically(answered)
    if state is None:
        return Outcome(K.IGNORED, number)
    desk.wake()
    return Outcome(K.ANSWERED_QUESTION, number, state)


def own(ticket: TicketRecord, message: IncomingMessage) -> bool:
    """Whether the message comes from the chat the ticket was written in."""
    return (ticket.channel, ticket.chat_id) == (message.channel, message.chat_id)


def awaiting_answer(
    desk: Desk, message: IncomingMessage, ticket: TicketRecord | None
) -> TicketRecord | None:
    """The citizen's latest ticket (``ticket``), if it waits for their words and they are
    recent."""
    if ticket is None or ticket.state != S.COLLECTING:
        return None
    if desk.clock.now() - ticket.updated_at > desk.policy.clarification_window:
        return None  # an old question: this is more likely a new appeal
    if not message.text.strip() and message.location is None:
        return None
    return ticket


async def clarify(
    desk: Desk, message: IncomingMessage, ticket: TicketRecord, *, held: bool = False
) -> Outcome:
    """Words (or a location) sent while the bot waits for an answer: read the appeal again
    with them, unless they read as a new problem (then the citizen is asked, see
    `bot.core.new_problem`). ``held``: the citizen has said «Нет, это уточнение» about a
    message held in the thread. After ``max_questions`` unanswered questions a person takes
    over."""
    now = desk.clock.now()
    lat = message.location.lat if message.location else ticket.lat
    lon = message.location.lon if message.location else ticket.lon
    async def look(tx: Tx) -> tuple[list[str], list[dict]]:
        thread = await tx.tickets.messages(ticket.id)
        return [m.text for m in thread if m.author == CITIZEN], await tx.tickets.events(ticket.id)

    earlier, events = await desk.repo.atomically(look)
    if not held and await new_problem.reads_as_new(desk, message, ticket, events):
        offered = await new_problem.offer(desk, message, ticket)
        if offered is not None:
            return offered
    text = "\n".join([ticket.text, *earlier, message.text]).strip()
    result = await classify(desk, text, lat, lon, **answers_of(events))

    async def clarified(tx: Tx) -> Outcome:
        fresh = await tx.tickets.by_id(ticket.id)
        if fresh is None or fresh.state != S.COLLECTING:
            return Outcome(K.IGNORED, ticket.number)
        if held:
            kept = await tx.tickets.set_message_author(
                fresh.id, message.message_id, new_problem.HELD, CITIZEN
            )
        else:
            kept = await tx.tickets.add_message(fresh.id, from_citizen(message, now))
        if not kept:
            return Outcome(K.DUPLICATE, fresh.number)
        if message.location is not None:
            await tx.tickets.update(fresh.id, None, now, lat=lat, lon=lon)
        await tx.tickets.add_event(fresh.id, "clarified", now, actor=CITIZEN)
        fresh = await tx.tickets.by_id(fresh.id)
        assert fresh is not None
        return Outcome(K.CLARIFIED, ticket.number, await settle(desk, tx, fresh, result, now))

    outcome = await desk.repo.atomically(clarified)
    if outcome.kind == K.CLARIFIED:
        desk.wake()
    return outcome


async def follow_up(
    desk: Desk,
    message: IncomingMessage,
    *,
    within: timedelta | None = None,
    ticket: TicketRecord | None = None,
) -> Outcome | None:
    """Add the citizen's message to a ticket and pass it to the body's chat: ``ticket`` (just
    reopened: the message says why), the ticket of the bot message it replies to, or
    (``within``) the citizen's ticket created that recently. ``None`` when there is no such
    ticket."""
    now = desk.clock.now()
    not_solved = ticket is not None

    async def added(tx: Tx) -> Outcome | None:
        if ticket is not None:
            found = await tx.tickets.by_id(ticket.id)
        elif within is None:
            ticket_id = await tx.tickets.id_by_sent_message(
                message.channel, message.chat_id, message.reply_to or 0
            )
            found = await tx.tickets.by_id(ticket_id) if ticket_id is not None else None
        else:
            found = await tx.tickets.latest_of_chat(message.channel, message.chat_id)
            if found is not None and now - found.created_at > within:
                found = None
        if found is None or found.state in FINAL:
            return None
        if not await tx.tickets.add_message(found.id, from_citizen(message, now)):
            return Outcome(K.DUPLICATE, found.number)
        await tx.tickets.add_event(found.id, "follow_up", now, actor=CITIZEN)
        body = desk.body_of(found)
        if found.state in ACTIVE and body is not None:
            for channel, chat in desk.body_chats(body):
                await follow_up_to_chat(desk, tx, found, message, channel, chat, not_solved)
        await desk.to_citizen(
            tx,
            found,
            OutboxKey.to_citizen(found.number, "follow-up", message.message_id),
            texts.FOLLOW_UP_ACCEPTED.format(number=found.number),
        )
        return Outcome(K.FOLLOW_UP, found.number, found.state)

    outcome = await desk.repo.atomically(added)
    if outcome is not None and outcome.kind == K.FOLLOW_UP:
        desk.wake()
    return outcome


async def follow_up_to_chat(
    desk: Desk,
    tx: Tx,
    ticket: TicketRecord,
    message: IncomingMessage,
    channel: str,
    chat: int,
    not_solved: bool = False,
) -> None:
    """The citizen's addition in one body chat, in reply to the card there (``not_solved``:
    their reason after «Нет, не решена»)."""
    files = carried(message.attachments, message.channel, channel)
    where = message.location
    text = cards.follow_up_text(
        ticket.number,
        message.text,
        not_solved=not_solved,
        location=(where.lat, where.lon) if where is not None else None,
        files_elsewhere=len(message.attachments) if message.attachments and not files else 0,
    )
    await desk.enqueue(
        tx,
        ticket,
        OutboxKey.to_staff(ticket.number, BODY, "follow-up", message.message_id, channel, chat),
        channel,
        chat,
        text,
        BODY,
        attachments=files,
        reply_to=await desk.card_id(tx, ticket, channel, chat),
    )

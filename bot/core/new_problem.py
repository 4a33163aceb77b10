"""«Это новое обращение?»: a different problem written while the bot waits for an answer.

After «В каком населённом пункте это?» a citizen may write the next problem instead of the
answer; merged into the pending ticket, it would reach the first problem's body and be lost
there. So when a message sent while a topic, place or address question is pending reads as a
different problem (`bot.domain.phrases.is_new_problem`: it names a problem, the classifier
reading it alone is sure of a topic, and that topic is none the pending ticket may be about),
it is held in the pending ticket's thread (author `HELD`: not on the card, not yet anybody's
words) and the citizen is asked, with two buttons, which it is (`bot.core.verdicts` acts on
the answer). Anything less clear is merged as before: a wrong question costs a tap, a missed
one what it always cost.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from bot.core.desk import CITIZEN, Desk
from bot.core.logsafe import describe
from bot.domain import texts
from bot.domain.messages import Button, IncomingMessage
from bot.domain.phrases import is_new_problem, names_a_problem
from bot.domain.records import TicketMessage, TicketRecord
from bot.domain.states import TicketState
from bot.domain.wire import Action, OutboxKey, Outcome, OutcomeKind, Payload

log = logging.getLogger("bot.core")

#: The author of a message held while the citizen decides (`offer`).
HELD = "held"
#: The questions after which a problem-like message may be a new appeal.
_QUESTIONS = ("asked_topic", "asked_place", "asked_address")


def pending_topics(ticket: TicketRecord, events: list[dict]) -> frozenset[str]:
    """What the pending ticket may be about: its topic, the topics of its first candidates
    and the options of a topic question."""
    topics = {ticket.topic, *(c.get("topic") for c in ticket.candidates[:4])}
    for event in events:
        if event["kind"] == "asked_topic":
            topics.update(event["detail"].get("options") or ())
    return frozenset(t for t in topics if t)


async def reads_as_new(
    desk: Desk, message: IncomingMessage, ticket: TicketRecord, events: list[dict]
) -> bool:
    """Whether ``message`` (sent while ``ticket`` waits) is clearly a different problem."""
    asked = [e["kind"] for e in events if e["kind"].startswith("asked_")]
    if not asked or asked[-1] not in _QUESTIONS or message.location is not None:
        return False
    if not names_a_problem(message.text):  # cheap and decisive for nearly every answer
        return False
    try:
        own = await asyncio.to_thread(desk.classifier.classify, message.text, None, None)
    except Exception as exc:  # then it is merged, as before this question existed
        log.error("classifier failed on a possible new problem: %s", describe(exc))
        return False
    decision = str(getattr(own.decision, "value", own.decision))
    return is_new_problem(
        message.text,
        own_topic=own.topic,
        own_decision=decision,
        pending_topics=pending_topics(ticket, events),
    )


async def offer(desk: Desk, message: IncomingMessage, ticket: TicketRecord) -> Outcome | None:
    """Hold ``message`` in ``ticket``'s thread and ask «Это новое обращение?». ``None`` when
    the ticket stopped waiting in between (the caller then merges as usual)."""
    now: datetime = desk.clock.now()
    async with desk.repo.transaction() as tx:
        fresh = await tx.tickets.by_id(ticket.id)
        if fresh is None or fresh.state != TicketState.COLLECTING:
            return None
        held = TicketMessage.of(message, HELD, now)
        if not await tx.tickets.add_message(fresh.id, held):
            return Outcome(OutcomeKind.DUPLICATE, fresh.number)
        detail = {"message": message.message_id}
        await tx.tickets.add_event(fresh.id, "offered_new", now, detail=detail, actor=CITIZEN)
        buttons = (
            (
                Button(texts.NEW_APPEAL_YES, _payload(fresh, "yes", message.message_id)),
                Button(texts.NEW_APPEAL_NO, _payload(fresh, "no", message.message_id)),
            ),
        )
        assert fresh.chat_id is not None  # a collecting ticket is never anonymised
        await desk.enqueue(
            tx,
            fresh,
            OutboxKey.to_citizen(fresh.number, "new?", message.message_id),
            fresh.channel,
            fresh.chat_id,
            texts.ASK_IF_NEW.format(number=fresh.number),
            CITIZEN,
            buttons=buttons,
            reply_to=message.message_id,
        )
    desk.wake()
    log.info("ticket %s: a possible new problem held, the citizen asked", fresh.number)
    return Outcome(OutcomeKind.ASKED_IF_NEW, fresh.number, fresh.state)


def _payload(ticket: TicketRecord, answer: str, message_id: int) -> str:
    return Payload(Action.NEW_APPEAL, ticket.number, f"{answer}@{message_id}").pack()


def held_message(ticket: TicketRecord, held: TicketMessage) -> IncomingMessage:
    """The held message as it came in, to be taken in now as a new appeal or an answer."""
    assert ticket.user_id is not None and held.chat_id is not None
    assert held.platform_message_id is not None
    return IncomingMessage(
        channel=ticket.channel,
        chat_id=held.chat_id,
        user_id=ticket.user_id,
        message_id=held.platform_message_id,
        text=held.text,
        attachments=held.attachments,
    )


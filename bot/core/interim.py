"""Before the answer: an interim answer, and one extension of the deadline with a reason.

Both start with a card button that asks (`prompts.ask`): «Промежуточный ответ» asks for the
text, which the staff member writes in reply to the question; «Продлить срок» asks for a reason
(a button with a common one, or a reply), showing the date it would move to. The citizen reads
both. The ticket stays where it is: an interim answer changes nothing but the thread, an
extension moves the deadline of the current routing round once, by the body's (or the topic's)
term counted from the end of the current deadline (from now, if that has passed), and the
reminders are planned anew for it (`deadlines.scan_deadlines` reads ``extended_at``). The change
and the messages announcing it are written in one transaction.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime, timedelta

from bot.core import live_cards, prompts, staff_actions
from bot.core.desk import COORDINATOR, Desk
from bot.domain import texts
from bot.domain.messages import IncomingMessage, carried
from bot.domain.prompts import Asked, cancel_button, reason_buttons
from bot.domain.records import TicketMessage, TicketRecord
from bot.domain.states import ACTIVE
from bot.domain.wire import OutboxKey, Outcome, OutcomeKind, Payload
from routing.model import DEFAULT_DEADLINE, DeadlineUnit

log = logging.getLogger("bot.core")

K = OutcomeKind

#: Who wrote an interim answer, in the ticket's thread (the citizen's history tells it apart).
INTERIM_AUTHOR = "interim"


def _holds(ticket: TicketRecord, by: str) -> bool:
    """A body that holds the ticket now, or a coordinator, while the deadline runs."""
    return ticket.state in ACTIVE and staff_actions.may_act(ticket, by)


# -- the questions ---------------------------------------------------------------------------------
async def ask_interim(
    desk: Desk, message: IncomingMessage, payload: Payload, ticket: TicketRecord, by: str
) -> Outcome:
    if not _holds(ticket, by):
        return Outcome(K.IGNORED, ticket.number)
    text = texts.ASK_INTERIM.format(number=ticket.number)
    buttons = ((cancel_button(ticket.number, Asked.INTERIM),),)
    async with desk.repo.transaction() as tx:
        await prompts.ask(desk, tx, ticket, message, Asked.INTERIM, text, buttons)
    desk.wake()
    return Outcome(K.ASKED, ticket.number, ticket.state)


async def ask_extend(
    desk: Desk, message: IncomingMessage, payload: Payload, ticket: TicketRecord, by: str
) -> Outcome:
    if not _holds(ticket, by) or ticket.due_at is None:
        return Outcome(K.IGNORED, ticket.number)
    if ticket.extended_at is not None:
        return _once(desk, ticket)
    text = texts.ASK_EXTEND_REASON.format(
        number=ticket.number,
        due=desk.show_due(ticket.due_at),
        new_due=desk.show_due(extended_due(desk, ticket, ticket.due_at)),
    )
    buttons = reason_buttons(ticket.number, Asked.EXTEND, ticket.route_round)
    async with desk.repo.transaction() as tx:
        await prompts.ask(desk, tx, ticket, message, Asked.EXTEND, text, buttons)
    desk.wake()
    return Outcome(K.ASKED, ticket.number, ticket.state)


def _once(desk: Desk, ticket: TicketRecord) -> Outcome:
    due = desk.show_due(ticket.due_at) if ticket.due_at is not None else ""
    notice = texts.EXTEND_ONCE.format(number=ticket.number, due=due)
    return Outcome(K.IGNORED, ticket.number, ticket.state, notice=notice)


# -- the use cases ---------------------------------------------------------------------------------
async def send_interim(
    desk: Desk, message: IncomingMessage, number: str, *, by: str
) -> Outcome:
    """The staff member's reply to «Промежуточный ответ» goes to the citizen; the ticket stays
    in work and its deadline runs on."""
    now = desk.clock.now()
    async with desk.repo.transaction() as tx:
        ticket = await tx.tickets.by_number(number)
        if ticket is None or not _holds(ticket, by):
            return Outcome(K.IGNORED, number)
        if not await tx.tickets.add_message(
            ticket.id,
            TicketMessage.of(message, INTERIM_AUTHOR, now),
        ):
            return Outcome(K.DUPLICATE, number)
        await tx.tickets.add_event(
            ticket.id, "interim", now, detail={"round": ticket.route_round},
            actor=desk.actor(by, message),
        )
        body = desk.body_of(ticket)
        await desk.to_citizen(
            tx,
            ticket,
            OutboxKey.to_citizen(
                number, "interim", message.channel, message.chat_id, message.message_id
            ),
            texts.INTERIM_TO_CITIZEN.format(
                number=number,
                body=body.name if body is not None and by != COORDINATOR
                else texts.COORDINATOR_NAME,
                text=message.text,
            ),
            attachments=carried(message.attachments, message.channel, ticket.channel),
        )
    log.info("ticket %s: interim answer by %s", number, by)
    desk.wake()
    notice = texts.DONE_INTERIM.format(number=number)
    return Outcome(K.INTERIM, number, ticket.state, notice=notice)


async def extend(
    desk: Desk, number: str, *, by: str, actor: str, reason: str, who: str = ""
) -> Outcome:
    """Move the deadline once per routing round (see the module docstring); the citizen reads
    the reason and the new date, the body's chats too."""
    now = desk.clock.now()
    async with desk.repo.transaction() as tx:
        ticket = await tx.tickets.by_number(number)
        if ticket is None or not _holds(ticket, by) or ticket.due_at is None:
            return Outcome(K.IGNORED, number)
        if ticket.extended_at is not None:
            return _once(desk, ticket)
        due = extended_due(desk, ticket, max(ticket.due_at, now))
        if not await tx.tickets.update(ticket.id, ticket.state, now, due_at=due, extended_at=now):
            return Outcome(K.IGNORED, number)  # moved meanwhile: `why_not` reads how
        detail = {
            "round": ticket.route_round,
            "from": ticket.due_at.isoformat(),
            "to": due.isoformat(),
            "reason": reason,
        }
        await tx.tickets.add_event(ticket.id, "extended", now, detail=detail, actor=actor)
        extended = dataclasses.replace(ticket, due_at=due, extended_at=now, updated_at=now)
        named = {"by_name": who} if who else {}
        shown_detail = {"extended_to": due.isoformat(), "reason": reason, **named}
        await live_cards.refresh(desk, tx, ticket, extended, shown_detail, now)
        body = desk.body_of(ticket)
        shown = desk.show_due(due)
        await desk.to_citizen(
            tx,
            ticket,
            OutboxKey.to_citizen(number, "extended", ticket.route_round),
            texts.EXTENDED_TO_CITIZEN.format(
                number=number, due=shown, reason=reason,
                body=body.name if body is not None else texts.COORDINATOR_NAME,
            ),
        )
        await desk.to_staff(
            tx, ticket, "extended",
            texts.EXTENDED_TO_BODY.format(number=number, due=shown, reason=reason),
            ticket.route_round,
        )
    log.info("ticket %s: deadline extended by %s", number, by)
    desk.wake()
    notice = texts.EXTENDED_TO_BODY.format(number=number, due=shown, reason=reason)
    return Outcome(K.EXTENDED, number, ticket.state, notice=notice)


def extended_due(desk: Desk, ticket: TicketRecord, end: datetime) -> datetime:
    """One more term of the ticket's body (or topic) after ``end``. Days are counted from the
    last day of the current term: a deadline at local midnight ends the day before."""
    body = desk.body_of(ticket)
    term = desk.deadline_for(body, ticket.topic) if body is not None else DEFAULT_DEADLINE
    if term.unit == DeadlineUnit.HOURS:
        return desk.calendar.due(end, term)
    return desk.calendar.due(end - timedelta(microseconds=1), term)

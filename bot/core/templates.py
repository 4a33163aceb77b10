"""Reply templates: ready answers a body sends with a few taps instead of typing.

The templates are kept in the routing table (`routing.model.ReplyTemplate`: per body, plus
region-wide defaults): coordinators already edit the table, and so templates come with its
versions, its upload diff and its rollback, with no second place to keep in step.

Under a card of a body that has templates: «Шаблоны ответов» → the list (a button each) →
the chosen text with [Отправить гражданину] [Отмена]. Sending is the typed answer's own path
(`staff_actions.record_answer`), with the same right to answer checked at that moment. The
press carries no message of its own, so the answer is recorded under the negated id of the
message whose button was pressed: no real message has a negative id, and a repeated press
(or a redelivered one) finds it recorded and sends nothing twice.
"""

from __future__ import annotations

import dataclasses
import logging

from bot.core import staff_actions
from bot.core.desk import BODY, Desk
from bot.domain import texts
from bot.domain.messages import Button, IncomingMessage
from bot.domain.records import TicketRecord
from bot.domain.wire import Action, OutboxKey, Outcome, OutcomeKind, Payload
from routing.model import ReplyTemplate

log = logging.getLogger("bot.core")

K = OutcomeKind

ACTIONS = frozenset(
    {Action.TEMPLATES, Action.TEMPLATE, Action.TEMPLATE_SEND, Action.TEMPLATE_CANCEL}
)


def pressed(desk: Desk, message: IncomingMessage, payload: Payload | None) -> bool:
    return payload is not None and payload.action in ACTIONS


async def press(desk: Desk, message: IncomingMessage, payload: Payload | None) -> Outcome:
    assert payload is not None  # the dispatcher's rule
    if payload.action == Action.TEMPLATE_CANCEL:
        return Outcome(K.IGNORED, payload.number, notice=texts.TEMPLATE_CANCELLED)
    async with desk.repo.transaction() as tx:
        ticket = await tx.tickets.by_number(payload.number)
    by = desk.authority(ticket, message) if ticket is not None else None
    if ticket is None or by is None:
        return Outcome(K.IGNORED, payload.number, notice=texts.STAFF_NOT_ALLOWED)
    offered = desk.table.templates_for(ticket.body or "")
    if payload.action == Action.TEMPLATES:
        if not offered:
            return Outcome(K.IGNORED, ticket.number, notice=texts.TEMPLATES_NONE)
        rows = tuple(
            (Button(t.title[:60], Payload(Action.TEMPLATE, ticket.number, t.id).pack()),)
            for t in offered[:10]
        )
        text = texts.TEMPLATES_LIST.format(number=ticket.number)
        await _show(desk, message, ticket, "templates", text, rows)
        return Outcome(K.SHOWN, ticket.number, ticket.state)
    chosen = next((t for t in offered if t.id == payload.value), None)
    if chosen is None:
        return Outcome(K.IGNORED, ticket.number, notice=texts.TEMPLATE_GONE)
    if payload.action == Action.TEMPLATE:
        await _preview(desk, message, ticket, chosen)
        return Outcome(K.SHOWN, ticket.number, ticket.state)
    answer = dataclasses.replace(
        message, text=chosen.text, message_id=-message.message_id, payload=None, reply_to=None
    )
    outcome = await staff_actions.record_answer(desk, answer, ticket, by=by)
    if outcome.kind in (K.ANSWER, K.DUPLICATE):
        log.info("ticket %s: template %s sent", ticket.number, chosen.id)
        return dataclasses.replace(outcome, notice=texts.TEMPLATE_SENT)
    state = texts.STATE_NAMES.get(ticket.state, ticket.state)
    return Outcome(K.IGNORED, ticket.number, notice=texts.STAFF_NOT_NOW.format(
        number=ticket.number, state=state))


async def _preview(
    desk: Desk, message: IncomingMessage, ticket: TicketRecord, chosen: ReplyTemplate
) -> None:
    send = Payload(Action.TEMPLATE_SEND, ticket.number, chosen.id).pack()
    cancel = Payload(Action.TEMPLATE_CANCEL, ticket.number, chosen.id).pack()
    rows = ((Button(texts.TEMPLATE_SEND_BUTTON, send),
             Button(texts.TEMPLATE_CANCEL_BUTTON, cancel)),)
    text = texts.TEMPLATE_PREVIEW.format(title=chosen.title, number=ticket.number,
                                         text=chosen.text)
    await _show(desk, message, ticket, f"template-{chosen.id}", text, rows)


async def _show(
    desk: Desk, message: IncomingMessage, ticket: TicketRecord, event: str, text: str,
    rows: tuple,
) -> None:
    """In the chat of the press (in a forum, the ticket's topic). Keyed by the message pressed
    and the minute: a redelivered press shows nothing twice, a press a while later shows it
    again. Not a reply: a VK press names its message by a number a reply cannot use."""
    minute = int(desk.clock.now().timestamp() // 60)
    key = OutboxKey.to_staff(
        ticket.number, BODY, event, message.channel, message.chat_id, message.message_id, minute
    )
    async with desk.repo.transaction() as tx:
        await desk.enqueue(
            tx, ticket, key, message.channel, message.chat_id, text, BODY, buttons=rows
        )
    desk.wake()

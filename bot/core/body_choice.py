"""A coordinator chooses a ticket's body by a button: the answer to «Орган: администрация» that
fits several bodies lists them with one button each (`staff_actions.assign`), and a tap hands
the ticket to that body exactly as the typed «Орган: <id>» would (`staff_actions.redirect`).

The same in both channels. The button can be pressed by anyone who sees it, forged data
included, so only a coordinator's press acts; everyone else is told so. A press on a ticket
that has moved on since (another coordinator chose, the citizen cancelled) changes nothing and
says why.
"""

from __future__ import annotations

import logging

from bot.core.desk import COORDINATOR, Desk
from bot.core.staff_actions import redirect
from bot.domain import texts
from bot.domain.messages import IncomingMessage
from bot.domain.wire import Outcome, OutcomeKind, Payload

log = logging.getLogger("bot.core")

K = OutcomeKind


async def press(desk: Desk, message: IncomingMessage, payload: Payload | None) -> Outcome:
    assert payload is not None  # the dispatcher's rule: a body-choice button
    if not desk.staff.is_coordinator(message.channel, message.user_id):
        log.info("ticket %s: a body choice refused (not a coordinator)", payload.number)
        return Outcome(K.IGNORED, payload.number, notice=texts.ONLY_COORDINATORS)
    body = desk.table.body_by_id.get(payload.value)
    if body is None:  # the table changed since the buttons were sent
        return Outcome(K.IGNORED, payload.number, notice=texts.ASSIGN_BODY_GONE)
    actor = desk.actor(COORDINATOR, message)
    outcome = await redirect(
        desk, payload.number, by=COORDINATOR, correct_body=body.id, actor=actor
    )
    if outcome.kind == K.REDIRECTED:
        notice = texts.ASSIGN_DONE_NOTICE.format(number=payload.number, body=body.name)
        return Outcome(outcome.kind, outcome.number, outcome.state, notice=notice)
    async with desk.repo.transaction() as tx:
        ticket = await tx.tickets.by_number(payload.number)
    if ticket is None:
        return Outcome(K.IGNORED, payload.number, notice=texts.BUTTON_INACTIVE)
    state = texts.STATE_NAMES.get(ticket.state, ticket.state)
    notice = texts.STAFF_NOT_NOW.format(number=ticket.number, state=state)
    return Outcome(K.IGNORED, ticket.number, ticket.state, notice=notice)

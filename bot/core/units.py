"""A parent body hands a ticket to one of its units: «Передать подразделению» (issue 17).

In the routing table a body may name a ``parent`` that receives and dispatches appeals for it
(a city administration for its committees and okrugs); the router sends an appeal there when it
doubts only between the units. The parent's card then offers «Передать подразделению»: a press
lists the units under the card, one button each, and one tap on a unit hands the ticket to it
with a fresh card and deadline, tells the citizen where it went, and keeps the text labelled
with the unit as a training example (like «Не наше» with the right body named, source
``unit``). The old card shows where the ticket went (`bot.core.live_cards`).

Both buttons are card buttons (`Action.by_staff`): the right to act is checked by
`staff_actions.authorise` before these handlers run, and again in the transaction that moves
the ticket, so a list pressed after the ticket moved on changes nothing and says why.
"""

from __future__ import annotations

import dataclasses
import logging

from bot.core.desk import BODY, COORDINATOR, Desk
from bot.core.staff_actions import may_act
from bot.domain import texts
from bot.domain.messages import Button, IncomingMessage
from bot.domain.records import TicketRecord, TrainingExample
from bot.domain.states import ACTIVE, TicketState
from bot.domain.wire import Action, OutboxKey, Outcome, OutcomeKind, Payload
from routing.model import Body

log = logging.getLogger("bot.core")

S = TicketState
K = OutcomeKind


def units_of(desk: Desk, body_id: str | None) -> list[Body]:
    """The bodies that ``body_id`` dispatches for directly, in the table's order."""
    table = desk.table
    return [table.body_by_id[i] for i in table.subordinates.get(body_id or "", ())]


def unit_buttons(number: str, units: list[Body]) -> tuple[tuple[Button, ...], ...]:
    """One button per unit, one to a row; a unit whose id does not fit a button's data (64
    bytes) is left out (a coordinator can still name it: «Орган: …»)."""
    rows = []
    for unit in units:
        try:
            rows.append((Button(unit.name, Payload(Action.TO_UNIT, number, unit.id).pack()),))
        except ValueError:
            log.warning("ticket %s: body %s does not fit a button", number, unit.id)
    return tuple(rows)


async def offer(
    desk: Desk, message: IncomingMessage, payload: Payload, ticket: TicketRecord, by: str
) -> Outcome:
    """«Передать подразделению»: the units as buttons, in reply to the card in this chat."""
    if ticket.state not in ACTIVE or not may_act(ticket, by):
        return Outcome(K.IGNORED, ticket.number)
    buttons = unit_buttons(ticket.number, units_of(desk, ticket.body))
    if not buttons:
        return Outcome(K.IGNORED, ticket.number, ticket.state, notice=texts.NO_UNITS)
    channel, chat = message.channel, message.chat_id
    audience = BODY if desk.staff.bodies_of_chat(channel, chat) else COORDINATOR
    stamp = int(desk.clock.now().timestamp() * 1_000_000)  # each press lists them anew
    key = OutboxKey.to_staff(
        ticket.number, audience, "units", ticket.route_round, channel, chat, stamp
    )
    async with desk.repo.transaction() as tx:
        await desk.enqueue(
            tx, ticket, key, channel, chat, texts.ASK_UNIT.format(number=ticket.number),
            audience, buttons=buttons, reply_to=await desk.card_id(tx, ticket, channel, chat),
        )
    desk.wake()
    return Outcome(K.ASKED, ticket.number, ticket.state,
                   notice=texts.NOTICE_UNITS.format(number=ticket.number))


async def hand_over(
    desk: Desk, message: IncomingMessage, payload: Payload, ticket: TicketRecord, by: str
) -> Outcome:
    """A unit tapped: the ticket goes to it (a new routing round), the citizen is told, and
    the appeal is kept as an example of the unit's."""
    unit = desk.table.body_by_id.get(payload.value)
    if unit is None:  # the table changed since the list was sent
        return Outcome(K.IGNORED, ticket.number, ticket.state, notice=texts.UNIT_GONE)
    now = desk.clock.now()
    async with desk.repo.transaction() as tx:
        fresh = await tx.tickets.by_number(ticket.number)
        if (
            fresh is None or fresh.state not in ACTIVE or not may_act(fresh, by)
            or fresh.body is None or unit.id == fresh.body
            or not desk.table.dispatches_for(fresh.body, unit.id)
        ):
            return Outcome(K.IGNORED, ticket.number)
        parent = desk.body_of(fresh)
        tried = [*fresh.tried_bodies]
        if fresh.body not in tried:  # a «Не наше» of the unit goes on, not back up
            tried.append(fresh.body)
        await tx.tickets.update(fresh.id, None, now, tried_bodies=tried)
        fresh = dataclasses.replace(fresh, tried_bodies=tuple(tried), updated_at=now)
        topic = fresh.topic if fresh.topic in unit.topics else (unit.topics or (None,))[0]
        await tx.training.add(
            TrainingExample(text=fresh.text, topic=topic, body=unit.id, wrong_body=fresh.body,
                            at=now, source="unit"),
            fresh.id,
        )
        await desk.route(
            tx, fresh, unit, topic, fresh.municipality, now, kind="dispatched",
            actor=desk.actor(by, message), detail={"from": fresh.body},
            note=texts.DISPATCHED_NOTE.format(body=parent.name if parent else fresh.body),
        )
    log.info("ticket %s handed by %s to its unit %s", ticket.number, by, unit.id)
    desk.wake()
    notice = texts.NOTICE_DISPATCHED.format(body=unit.name)
    return Outcome(K.REDIRECTED, ticket.number, S.ROUTED, notice=notice)

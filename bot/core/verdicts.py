"""The citizen's buttons on a ticket: answers to a question, «Проблема решена?», the rating.

A press is only ever the citizen's own (the ticket's chat), and only while the ticket is where
the button was meant for; anything else changes nothing and is answered with a notice, so
nobody keeps pressing a button that silently does nothing. «Нет, не решена» reopens the ticket
to the same body with a fresh deadline; every verdict is followed by a 1–5 rating, numbered by
the verdict so that a tap on an old rating button changes nothing.
"""

from __future__ import annotations

import dataclasses

from bot.core.desk import CITIZEN, Desk
from bot.core.intake import answer_question, own
from bot.domain import texts
from bot.domain.messages import Button, IncomingMessage
from bot.domain.states import TicketState
from bot.domain.wire import Action, OutboxKey, Outcome, OutcomeKind, Payload

S = TicketState
K = OutcomeKind


async def press(desk: Desk, message: IncomingMessage, payload: Payload | None) -> Outcome:
    """A citizen's button under a question, «Проблема решена?» or the rating."""
    assert payload is not None  # the dispatcher's rule: a ticket button
    if payload.action == Action.TOPIC:
        outcome = await answer_question(desk, message, payload.number, topic=payload.value)
    elif payload.action == Action.PLACE:
        outcome = await answer_question(desk, message, payload.number, municipality=payload.value)
    elif payload.action == Action.SOLVED:
        outcome = await verdict(desk, message, payload.number, solved=payload.value == "yes")
    else:
        outcome = await rate(desk, message, payload.number, payload.value)
    if outcome.kind == K.IGNORED and outcome.notice is None:
        return dataclasses.replace(outcome, notice=texts.BUTTON_INACTIVE)
    return outcome


async def verdict(desk: Desk, message: IncomingMessage, number: str, *, solved: bool) -> Outcome:
    """The citizen's answer to «Проблема решена?»: close, or reopen to the same body."""
    now = desk.clock.now()
    async with desk.repo.transaction() as tx:
        ticket = await tx.tickets.by_number(number)
        if ticket is None or ticket.state != S.ANSWERED or not own(ticket, message):
            return Outcome(K.IGNORED, number)
        await tx.tickets.update(ticket.id, None, now, solved=solved)
        ticket = await tx.tickets.by_id(ticket.id)
        assert ticket is not None
        body = desk.body_of(ticket)
        if solved or body is None:
            await desk.move(tx, ticket, S.CLOSED, now, "closed", {"solved": solved}, actor=CITIZEN)
            state: str = S.CLOSED
        else:
            await desk.route(
                tx, ticket, body, ticket.topic, ticket.municipality, now, kind="reopened",
                actor=CITIZEN,
            )
            state = S.REOPENED
        fresh = await tx.tickets.by_id(ticket.id)
        assert fresh is not None
        verdicts = verdicts_given(await tx.tickets.events(fresh.id))
        await desk.to_citizen(
            tx,
            fresh,
            OutboxKey.to_citizen(ticket.number, "rate?", verdicts),
            texts.ASK_RATING.format(number=ticket.number),
            buttons=(
                tuple(
                    Button(str(k), Payload(Action.RATE, fresh.number, f"{k}@{verdicts}").pack())
                    for k in range(1, 6)
                ),
            ),
        )
    desk.wake()
    return Outcome(K.VERDICT, number, state)


async def rate(desk: Desk, message: IncomingMessage, number: str, value: str) -> Outcome:
    """A 1–5 score, once per verdict (``value`` is ``score@verdict``): after "not solved" and a
    second answer the citizen rates again and the latest score is the ticket's."""
    score, _, round_ = value.partition("@")
    if score not in ("1", "2", "3", "4", "5") or not round_.isdigit():
        return Outcome(K.IGNORED, number)
    now = desk.clock.now()
    async with desk.repo.transaction() as tx:
        ticket = await tx.tickets.by_number(number)
        if ticket is None or ticket.solved is None or not own(ticket, message):
            return Outcome(K.IGNORED, number)  # rating buttons come only after the verdict
        events = await tx.tickets.events(ticket.id)
        rated = [
            e for e in events if e["kind"] == "rated" and e["detail"].get("round") == int(round_)
        ]
        if int(round_) != verdicts_given(events) or rated:
            return Outcome(K.IGNORED, number)
        await tx.tickets.update(ticket.id, None, now, rating=int(score))
        await tx.tickets.add_event(
            ticket.id,
            "rated",
            now,
            detail={"rating": int(score), "round": int(round_)},
            actor=CITIZEN,
        )
        await desk.to_citizen(
            tx,
            ticket,
            OutboxKey.to_citizen(ticket.number, "rated", round_),
            texts.THANKS_FOR_RATING.format(number=ticket.number),
        )
    desk.wake()
    return Outcome(K.RATED, number, ticket.state)


def verdicts_given(events: list[dict]) -> int:
    """How many times the citizen has answered «Проблема решена?» — numbers the ratings."""
    return sum(e["actor"] == CITIZEN and e["kind"] in ("closed", "reopened") for e in events)

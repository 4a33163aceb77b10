"""The citizen's buttons on a ticket: answers to a question, «Проблема решена?», the rating.

A press is only ever the citizen's own (the ticket's chat), and only while the ticket is where
the button was meant for; anything else changes nothing and is answered with a notice, so
nobody keeps pressing a button that silently does nothing. «Нет, не решена» reopens the ticket
to the same body with a fresh deadline and asks for no rating (the work is not done yet);
«Да, решена» is followed by a 1–5 rating, numbered by the verdicts given so far so that a tap
on an old rating button changes nothing.
"""

from __future__ import annotations

import dataclasses

from bot.core import new_problem
from bot.core.desk import CITIZEN, Desk
from bot.core.intake import (
    answer_question,
    answers_of,
    clarify,
    classify,
    follow_up_to_chat,
    intake,
    own,
    settle,
)
from bot.domain import texts
from bot.domain.messages import Button, IncomingMessage
from bot.domain.records import TicketRecord
from bot.domain.states import ACTIVE, TicketState
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
    elif payload.action == Action.NEW_APPEAL:
        outcome = await new_or_not(desk, message, payload.number, payload.value)
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
        if solved:  # a rating right after «Нет, не решена» would ask to grade unfinished work
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
        if ticket is None or ticket.solved is not True or not own(ticket, message):
            return Outcome(K.IGNORED, number)  # rating buttons come only after «Да, решена»
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


# -- «Это новое обращение?» ----------------------------------------------------------------------
async def new_or_not(desk: Desk, message: IncomingMessage, number: str, value: str) -> Outcome:
    """The citizen's answer about a message held by `bot.core.new_problem.offer` (``value``:
    ``yes@<message id>`` or ``no@<message id>``). «Да, новое»: the message becomes an appeal
    of its own, and the pending ticket goes on without the answer it waited for
    (`_without_answer`). «Нет, это уточнение»: it is merged as any answer is (or, if the
    ticket has stopped waiting meanwhile, it is an addition passed to the body). A second
    press finds nothing held and changes nothing."""
    answer, _, message_id = value.partition("@")
    if answer not in ("yes", "no") or not message_id.isdigit():
        return Outcome(K.IGNORED, number)
    async with desk.repo.transaction() as tx:
        ticket = await tx.tickets.by_number(number)
        if ticket is None or not own(ticket, message):
            return Outcome(K.IGNORED, number)
        thread = await tx.tickets.messages(ticket.id)
    held = next(
        (
            m for m in thread
            if m.author == new_problem.HELD and m.platform_message_id == int(message_id)
        ),
        None,
    )
    if held is None:
        return Outcome(K.IGNORED, number)
    words = new_problem.held_message(ticket, held)
    if answer == "no":
        merged = texts.NEW_APPEAL_MERGED.format(number=number)
        if ticket.state == S.COLLECTING:
            outcome = await clarify(desk, words, ticket, held=True)
            if outcome.kind != K.IGNORED:
                return dataclasses.replace(outcome, notice=merged)
        return dataclasses.replace(await _addition(desk, ticket, words), notice=merged)
    created = await intake(desk, words)
    await _without_answer(desk, ticket, words)
    return dataclasses.replace(created, notice=texts.NEW_APPEAL_MADE)


async def _addition(desk: Desk, ticket: TicketRecord, words: IncomingMessage) -> Outcome:
    """«Нет, это уточнение» after the ticket stopped waiting: the held message joins its thread
    as the citizen's, and reaches the body if one holds the ticket."""
    now = desk.clock.now()
    async with desk.repo.transaction() as tx:
        fresh = await tx.tickets.by_id(ticket.id)
        assert fresh is not None
        if not await tx.tickets.set_message_author(
            fresh.id, words.message_id, new_problem.HELD, CITIZEN
        ):
            return Outcome(K.IGNORED, fresh.number)
        await tx.tickets.add_event(fresh.id, "follow_up", now, actor=CITIZEN)
        body = desk.body_of(fresh)
        if fresh.state in ACTIVE and body is not None:
            for channel, chat in desk.body_chats(body):
                await follow_up_to_chat(desk, tx, fresh, words, channel, chat)
    desk.wake()
    return Outcome(K.FOLLOW_UP, fresh.number, fresh.state)


async def _without_answer(desk: Desk, ticket: TicketRecord, words: IncomingMessage) -> None:
    """After «Да, новое» the pending ticket is not left waiting for an answer that will not
    come (an abandoned draft is lost to everyone): an address question was asked once, so the
    body gets the ticket as it is (the rule of `bot.core.intake.ask_address`); a topic or
    place question passes it to the coordinators, who can choose without the answer."""
    async with desk.repo.transaction() as tx:
        events = await tx.tickets.events(ticket.id)
        thread = await tx.tickets.messages(ticket.id)
    asked = [e["kind"] for e in events if e["kind"].startswith("asked_")]
    result = None
    if asked and asked[-1] == "asked_address":
        earlier = [m.text for m in thread if m.author == CITIZEN]
        text = "\n".join([ticket.text, *earlier]).strip()
        result = await classify(desk, text, ticket.lat, ticket.lon, **answers_of(events))
    now = desk.clock.now()
    async with desk.repo.transaction() as tx:
        fresh = await tx.tickets.by_id(ticket.id)
        assert fresh is not None
        await tx.tickets.drop_message(fresh.id, words.message_id, new_problem.HELD)
        if fresh.state != S.COLLECTING:
            return  # answered or cancelled meanwhile: it goes on as it is
        if result is not None:
            await settle(desk, tx, fresh, result, now)
        else:
            await desk.to_coordinators(
                tx, fresh, texts.REASON_CITIZEN_MOVED_ON, now, actor=CITIZEN
            )
    desk.wake()

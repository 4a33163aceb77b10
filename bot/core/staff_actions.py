"""What bodies and coordinators do to a ticket: take it, hand it on, answer, close, reject.

Two ways in, one path each. A card button (`press`) can be pressed by anyone who sees the
card, forged data included, so the right to act is checked here (`Desk.authority`) and a
refused press is told why. A message in a staff chat (`message`) — a body's chat or a
coordinator's own — is about the ticket of its forum topic or of the bot message it replies
to. Nothing reaches the citizen by accident (`_is_addressed`): in a private chat or a plain
group a reply to the card (or to a bot message about the ticket) is the answer and ``/note``
as such a reply an internal note (`bot.core.notes`); in a forum topic only a reply to the card
or ``/answer`` is the answer and anything else in the topic is a note. An answer may also be a
refusal («Не наше: …») or a coordinator naming the body («Орган: минтранс»).

Every «Не наше» is kept as a labelled example for the classifier (`redirect`): the text, the
body that was wrong and, when known, the right one.
"""

from __future__ import annotations

import dataclasses
import logging

from bot.core import comments, live_cards, notes
from bot.core.desk import BODY, COORDINATOR, Desk
from bot.domain import cards, texts
from bot.domain.messages import Button, IncomingMessage, carried
from bot.domain.phrases import assigned_body, not_ours_reason, staff_command
from bot.domain.records import TicketMessage, TicketRecord, TrainingExample
from bot.domain.states import ACTIVE, ANSWERABLE, REDIRECTABLE, TicketState, may_move
from bot.domain.wire import Action, OutboxKey, Outcome, OutcomeKind, Payload
from bot.storage.base import Tx
from routing.model import Body

log = logging.getLogger("bot.core")

S = TicketState
K = OutcomeKind


# -- the two ways in -----------------------------------------------------------------------------
async def press(desk: Desk, message: IncomingMessage, payload: Payload | None) -> Outcome:
    """«Взять в работу» under a card (the other card buttons ask first: `safe_actions`).
    Anyone without the right or a press the ticket's state no longer allows gets a notice
    saying why; nothing changes."""
    assert payload is not None  # the dispatcher's rule: a card button
    ticket, by, refused = await authorise(desk, message, payload)
    if refused is not None:
        return refused
    assert ticket is not None and by is not None
    act = _PRESSES[payload.action]
    outcome = await act(
        desk, ticket.number, by=by, actor=desk.actor(by, message), who=message.user_name
    )
    if outcome.kind != K.IGNORED:
        return outcome
    return await why_not(desk, payload, ticket, by)


async def authorise(
    desk: Desk, message: IncomingMessage, payload: Payload
) -> tuple[TicketRecord | None, str | None, Outcome | None]:
    """The ticket a staff button is about and on whose behalf the presser acts, or the refusal
    to answer the press with (no such ticket, no right to act on it)."""
    async with desk.repo.transaction() as tx:
        ticket = await tx.tickets.by_number(payload.number)
    if ticket is None:
        return None, None, Outcome(K.IGNORED, payload.number, notice=texts.STAFF_NOT_ALLOWED)
    by = desk.authority(ticket, message)
    if by is None:
        log.info("ticket %s: %s refused (no right to act)", ticket.number, payload.action)
        notice = _refusal(desk, ticket, message)
        return ticket, None, Outcome(K.IGNORED, ticket.number, ticket.state, notice=notice)
    return ticket, by, None


async def why_not(desk: Desk, payload: Payload, ticket: TicketRecord, by: str) -> Outcome:
    """A press that changed nothing: why, from the ticket's state as it is now."""
    async with desk.repo.transaction() as tx:
        fresh = await tx.tickets.by_number(payload.number)
    state = fresh.state if fresh is not None else ticket.state
    name = texts.STATE_NAMES.get(state, state)
    if state == S.IN_WORK and payload.action == Action.TAKE:
        notice = texts.STAFF_ALREADY_TAKEN.format(number=ticket.number)
    elif state in (S.CLOSED, S.REJECTED):
        notice = texts.STAFF_ALREADY_FINISHED.format(number=ticket.number, state=name)
    elif fresh is not None and by != COORDINATOR and fresh.body != by:
        notice = texts.STAFF_HANDED_OVER.format(number=ticket.number)
    else:
        notice = texts.STAFF_NOT_NOW.format(number=ticket.number, state=name)
    return Outcome(K.IGNORED, ticket.number, state, notice=notice)


def _refusal(desk: Desk, ticket: TicketRecord, message: IncomingMessage) -> str:
    """Why a press was refused: the ticket moved on from the presser's body, or the presser
    never had anything to do with it."""
    mine = set(desk.staff.bodies_of_chat(message.channel, message.chat_id)) | set(
        desk.staff.user_bodies.get((message.channel, message.user_id), ())
    )
    if mine & set(ticket.tried_bodies):
        return texts.STAFF_HANDED_OVER.format(number=ticket.number)
    return texts.STAFF_NOT_ALLOWED


async def in_body_chat(desk: Desk, message: IncomingMessage, payload: Payload | None) -> Outcome:
    """A message in a body's chat: never an appeal, whoever writes it."""
    return await _staff_message(desk, message, body_chat=True)


async def in_own_chat(desk: Desk, message: IncomingMessage, payload: Payload | None) -> Outcome:
    """A message in a coordinator's own chat: the same path as a body chat's."""
    return await _staff_message(desk, message, body_chat=False)


async def _staff_message(desk: Desk, message: IncomingMessage, *, body_chat: bool) -> Outcome:
    """A message in a staff chat (``body_chat``: a body's; else a coordinator's own)."""
    if message.payload:  # a citizen's button pressed in a staff chat, or forged data
        return Outcome(K.IGNORED)
    verb = None  # "note" or "answer" when written with /note or /answer
    command = staff_command(message.text)
    if command is not None and command[0] in ("note", "answer"):
        verb, words = command
        message = dataclasses.replace(message, text=words)
    found = await _ticket_in_staff_chat(desk, message)
    if found is None:
        if verb is not None:
            text = texts.NOTE_NEEDS_TICKET.format(command=f"/{verb}")
            await desk.reply_in_chat(message, text, "needs-ticket")
        elif body_chat and message.chat_id == message.user_id and message.text.strip():
            # An administrator wrote to the bot directly, not about a ticket: say how.
            await desk.reply_in_chat(message, texts.STAFF_HOW_TO_ANSWER, "how-to")
        return Outcome(K.IGNORED)
    ticket, addressed = found
    if verb == "note" or (verb is None and not addressed):
        return await notes.take_note(desk, message, ticket, explicit=verb == "note")
    if verb == "answer" and not message.text.strip() and not message.attachments:
        await desk.reply_in_chat(message, texts.NOTE_EMPTY.format(command="/answer"), "empty")
        return Outcome(K.IGNORED, ticket.number, ticket.state)
    # A coordinator's own chat acts as the coordinators, whoever the platform says wrote.
    by = desk.authority(ticket, message) if body_chat else COORDINATOR
    if by is None:
        text = texts.STAFF_REPLY_REFUSED.format(number=ticket.number)
        await desk.reply_in_chat(message, text, "reply-refused")
        log.info("ticket %s: a reply from a chat of another body refused", ticket.number)
        return Outcome(K.IGNORED, ticket.number, ticket.state, notice=text)
    actor = desk.actor(by, message)
    wanted = assigned_body(message.text)
    if by == COORDINATOR and wanted is not None:  # «Орган: минтранс» — the coordinator picks
        return await assign(desk, message, ticket, wanted, actor=actor)
    reason = not_ours_reason(message.text)
    if reason is not None:  # «Не наше: это федеральная трасса» typed as a reply
        return await redirect(desk, ticket.number, by=by, reason=reason or None, actor=actor)
    return await record_answer(desk, message, ticket, by=by)


async def _ticket_in_staff_chat(
    desk: Desk, message: IncomingMessage
) -> tuple[TicketRecord, bool] | None:
    """The ticket a staff message is about — its forum topic, else the bot message it replies
    to — and whether the message is addressed to the citizen (`_is_addressed`). In a topic
    every message "replies" to the topic's first message, so the topic is asked first."""
    async with desk.repo.transaction() as tx:
        if message.thread_id is not None:
            number = await tx.staff.topic_key_by_thread(
                message.channel, message.chat_id, message.thread_id
            )
            ticket = await tx.tickets.by_number(number) if number is not None else None
            if ticket is not None:
                return ticket, await _is_addressed(tx, message, ticket)
        if message.reply_to is None:
            return None
        ticket_id = await tx.tickets.id_by_sent_message(
            message.channel, message.chat_id, message.reply_to
        )
        ticket = await tx.tickets.by_id(ticket_id) if ticket_id is not None else None
        return (ticket, True) if ticket is not None else None


async def _is_addressed(tx: Tx, message: IncomingMessage, ticket: TicketRecord) -> bool:
    """In a ticket's forum topic, whether a message replies to the ticket's card (of any
    routing round) itself: only that is meant for the citizen; a message replying to nothing
    (Telegram then names the topic's first message), to a colleague or to another bot message
    is talk among staff."""
    if message.reply_to is None or message.reply_to == message.thread_id:
        return False
    key = await tx.outbox.key_of_sent(message.channel, message.chat_id, message.reply_to)
    if key is None:
        return False
    sent = OutboxKey.parse(key)
    return sent.ticket == ticket.number and sent.name == BODY  # `OutboxKey.card`


# -- the actions ---------------------------------------------------------------------------------
def may_act(ticket: TicketRecord, by: str) -> bool:
    """A body acts only on a ticket it currently holds; coordinators on any open one."""
    return by == COORDINATOR or (ticket.state in ACTIVE and ticket.body == by)


async def take(
    desk: Desk, number: str, *, by: str, actor: str | None = None, who: str = ""
) -> Outcome:
    """The body confirms it works on the ticket; the citizen is told who (``who``: the
    administrator's name, for the card's status line)."""
    now = desk.clock.now()
    async with desk.repo.transaction() as tx:
        ticket = await tx.tickets.by_number(number)
        if ticket is None or ticket.state not in (S.ROUTED, S.REOPENED):
            return Outcome(K.IGNORED, number)
        if not may_act(ticket, by):
            return Outcome(K.IGNORED, number)
        await desk.move(tx, ticket, S.IN_WORK, now, "taken", _named(who), actor=actor or by)
        await _tell_citizen(desk, tx, ticket, "taken", texts.TAKEN_TO_CITIZEN, by_body=True)
    desk.wake()
    return Outcome(K.TAKEN, number, S.IN_WORK, notice=texts.NOTICE_TAKEN)


async def reject(
    desk: Desk, number: str, *, by: str, reason: str | None = None, actor: str | None = None,
    who: str = "",
) -> Outcome:
    """Spam or abuse: the ticket ends here; the citizen gets a neutral notice."""
    now = desk.clock.now()
    async with desk.repo.transaction() as tx:
        ticket = await tx.tickets.by_number(number)
        if ticket is None or not may_move(ticket.state, S.REJECTED):
            return Outcome(K.IGNORED, number)
        if not may_act(ticket, by):
            return Outcome(K.IGNORED, number)
        await desk.move(
            tx, ticket, S.REJECTED, now, "rejected", {"reason": reason, **_named(who)},
            actor=actor or by,
        )
        await desk.to_citizen(
            tx,
            ticket,
            OutboxKey.to_citizen(ticket.number, "rejected"),
            texts.REJECTED_TO_CITIZEN.format(number=ticket.number),
        )
    log.info("ticket %s rejected by %s", number, by)
    desk.wake()
    notice = texts.NOTICE_REJECTED.format(number=number)
    return Outcome(K.REJECTED, number, S.REJECTED, notice=notice)


async def close_by_staff(
    desk: Desk, number: str, *, by: str, actor: str, reason: str | None = None, who: str = ""
) -> Outcome:
    """«Закрыть» (confirmed): the body (or a coordinator) considers the matter settled; the
    citizen is told, with ``reason`` — which a ticket without an answer in this round must have.
    A body closes only what it holds or has answered; when it closes without an answer the
    coordinators are told, with a button to return the ticket to it. ``who``: the presser's
    name for the card's status line."""
    now = desk.clock.now()
    async with desk.repo.transaction() as tx:
        ticket = await tx.tickets.by_number(number)
        if ticket is None or not may_move(ticket.state, S.CLOSED):
            return Outcome(K.IGNORED, number)
        holding = ticket.body == by and ticket.state in ACTIVE | {S.ANSWERED}
        if by != COORDINATOR and not holding:
            return Outcome(K.IGNORED, number)
        answered = ticket.state == S.ANSWERED
        if not answered and not reason:
            notice = texts.REASON_REQUIRED.format(number=number)
            return Outcome(K.IGNORED, number, ticket.state, notice=notice)
        detail = {"by": by, "answered": answered, "reason": reason, **_named(who)}
        await desk.move(tx, ticket, S.CLOSED, now, "closed", detail, actor=actor)
        template = texts.CLOSED_WITH_REASON_TO_CITIZEN if reason else texts.CLOSED_TO_CITIZEN
        await _tell_citizen(
            desk, tx, ticket, "closed", template, by_body=by != COORDINATOR, reason=reason
        )
        if not answered and by != COORDINATOR:
            await _closed_unanswered(desk, tx, ticket, reason or "")
    log.info("ticket %s closed by %s", number, by)
    desk.wake()
    notice = texts.DONE_CLOSED_WITH_REASON if reason else texts.DONE_CLOSED
    return Outcome(K.CLOSED, number, S.CLOSED, notice=notice.format(number=number))


async def _closed_unanswered(desk: Desk, tx: Tx, ticket: TicketRecord, reason: str) -> None:
    """Tell the coordinators that a body closed a ticket it never answered: they may return it
    (`safe_actions.return_to_work`)."""
    body = desk.body_of(ticket)
    text = texts.CLOSED_UNANSWERED_TO_COORDINATOR.format(
        number=ticket.number, body=body.name if body else ticket.body, reason=reason
    )
    button = Button(texts.RETURN_BUTTON, Payload(Action.RETURN, ticket.number).pack())
    for person in desk.coordinators:
        await desk.enqueue(
            tx,
            ticket,
            OutboxKey.to_staff(
                ticket.number, COORDINATOR, "closed-unanswered", ticket.route_round,
                person.channel, person.user_id,
            ),
            person.channel,
            person.user_id,
            text,
            COORDINATOR,
            buttons=((button,),),
        )


async def _tell_citizen(
    desk: Desk, tx: Tx, ticket: TicketRecord, event: str, template: str, *, by_body: bool,
    reason: str | None = None,
) -> None:
    """«Обращение № … взято в работу / закрыто: <who>» — the body, when it is the one acting
    and the ticket has one, else «координатор»."""
    body = desk.body_of(ticket) if by_body else None
    await desk.to_citizen(
        tx,
        ticket,
        OutboxKey.to_citizen(ticket.number, event, ticket.route_round),
        template.format(
            number=ticket.number, body=body.name if body else texts.COORDINATOR_NAME,
            reason=reason,
        ),
    )


async def close(desk: Desk, number: str, *, actor: str = COORDINATOR) -> Outcome:
    """Close by hand (a coordinator's decision); raises `InvalidTransition` when final."""
    now = desk.clock.now()
    async with desk.repo.transaction() as tx:
        ticket = await tx.tickets.by_number(number)
        if ticket is None:
            return Outcome(K.IGNORED, number)
        await desk.move(tx, ticket, S.CLOSED, now, "closed", actor=actor)
    return Outcome(K.CLOSED, number, S.CLOSED)


async def redirect(
    desk: Desk,
    number: str,
    *,
    by: str,
    correct_body: str | None = None,
    reason: str | None = None,
    actor: str | None = None,
) -> Outcome:
    """The body says the appeal is not theirs: next candidate, or coordinators. ``by`` is the
    body id whose chat pressed the button, or ``"coordinator"``."""
    now = desk.clock.now()
    actor = actor or by
    async with desk.repo.transaction() as tx:
        ticket = await tx.tickets.by_number(number)
        if ticket is None or ticket.state not in REDIRECTABLE or not may_act(ticket, by):
            return Outcome(K.IGNORED, number)
        holding = ticket.state in ACTIVE
        tried = [*ticket.tried_bodies]
        if ticket.body and holding and ticket.body not in tried:
            tried.append(ticket.body)
        await tx.tickets.update(ticket.id, None, now, tried_bodies=tried)
        ticket = dataclasses.replace(ticket, tried_bodies=tuple(tried), updated_at=now)
        choice = _next_body(desk, ticket, correct_body)
        if choice is None and not holding:
            return Outcome(K.IGNORED, number)  # already with the coordinators
        await tx.training.add(
            TrainingExample(
                text=ticket.text,
                topic=choice[1] if choice and correct_body else None,
                body=correct_body if choice else None,
                wrong_body=ticket.body if holding else None,
                at=now,
                source="coordinator" if correct_body else "redirect",
                reason=reason if holding else None,
            ),
            ticket.id,
        )
        if choice is None:
            await desk.to_coordinators(
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
            notice = texts.NOTICE_TO_COORDINATORS
        else:
            body, topic, municipality = choice
            await desk.route(
                tx, ticket, body, topic, municipality, now, kind="redirected", actor=actor,
                detail={"from": ticket.body if holding else None, "reason": reason},
                note=_refused_note(desk, ticket, reason) if holding and by != COORDINATOR else "",
            )
            state = S.ROUTED
            notice = texts.NOTICE_REDIRECTED.format(body=body.name)
    log.info("ticket %s redirected by %s: %s", number, by, state)
    desk.wake()
    return Outcome(K.REDIRECTED, number, state, notice=notice)


def _refused_note(desk: Desk, ticket: TicketRecord, reason: str | None) -> str:
    """The first lines of the next body's card: who refused the ticket, and why."""
    body = desk.body_of(ticket)
    name = body.name if body is not None else ticket.body
    if reason:
        return texts.REDIRECTED_NOTE.format(body=name, reason=reason)
    return texts.REDIRECTED_NOTE_NO_REASON.format(body=name)


def _next_body(
    desk: Desk, ticket: TicketRecord, correct_body: str | None
) -> tuple[Body, str | None, str | None] | None:
    if correct_body is not None:
        body = desk.table.body_by_id.get(correct_body)
        if body is None:
            raise KeyError(correct_body)
        topic = ticket.topic if ticket.topic in body.topics else (body.topics or (None,))[0]
        return body, topic, ticket.municipality
    for candidate in ticket.candidates:
        body_id = candidate.get("body")
        if body_id and body_id not in ticket.tried_bodies and body_id in desk.table.body_by_id:
            return (
                desk.table.body_by_id[body_id],
                candidate.get("topic"),
                candidate.get("municipality"),
            )
    return None


async def assign(
    desk: Desk, message: IncomingMessage, ticket: TicketRecord, query: str, *, actor: str
) -> Outcome:
    """A coordinator names the body in a reply to any message about the ticket."""
    found = desk.find_bodies(query)
    if len(found) == 1:
        return await redirect(
            desk, ticket.number, by=COORDINATOR, correct_body=found[0].id, actor=actor
        )
    if not found:
        await desk.reply_in_chat(message, texts.ASSIGN_UNKNOWN.format(query=query), "assign")
        return Outcome(K.IGNORED, ticket.number)
    names = "\n".join(f"• {b.name} ({b.id})" for b in found[:10])
    text = texts.ASSIGN_AMBIGUOUS.format(number=ticket.number, query=query, names=names)
    key = OutboxKey.about_no_ticket("assign", message.channel, message.chat_id, message.message_id)
    await desk.say(
        message.channel, message.chat_id, text, key, purpose=COORDINATOR,
        reply_to=message.message_id, buttons=cards.body_choice_buttons(ticket.number, found[:10]),
    )
    return Outcome(K.IGNORED, ticket.number)


async def record_answer(
    desk: Desk, message: IncomingMessage, ticket: TicketRecord, *, by: str,
    acknowledge: bool = True,
) -> Outcome:
    """A body (or coordinator) replied about ``ticket``: pass it to the citizen.
    ``acknowledge``: reply «доставлено» to ``message`` in its chat once delivered (the web
    console has no chat message to reply to: it shows the result on the page)."""
    now = desk.clock.now()
    async with desk.repo.transaction() as tx:
        ticket = await tx.tickets.by_id(ticket.id)  # as it is now, in this transaction
        if ticket is None or ticket.state not in ANSWERABLE:
            return Outcome(K.IGNORED)
        if by != COORDINATOR and ticket.body != by:
            return Outcome(K.IGNORED, ticket.number)  # a body it was taken away from
        actor = desk.actor(by, message)
        body = desk.body_of(ticket)
        body_name = body.name if body is not None else texts.COORDINATOR_NAME
        if not await tx.tickets.add_message(
            ticket.id,
            TicketMessage.of(message, COORDINATOR if by == COORDINATOR else BODY, now),
        ):
            return Outcome(K.DUPLICATE, ticket.number)
        first = ticket.state != S.ANSWERED
        if first:
            await desk.move(
                tx, ticket, S.ANSWERED, now, "answered", _named(message.user_name), actor=actor
            )
            if ticket.body:
                # The body that answers is the label, whether the first choice was right or a
                # redirect found it: the retrain (`bot.core.learning`) judges a candidate on
                # the newest labels, which must not be only the router's corrections.
                source = "answered_after_redirect" if ticket.tried_bodies else "answered"
                await tx.training.add(
                    TrainingExample(
                        text=ticket.text, topic=ticket.topic, body=ticket.body, at=now,
                        source=source,
                    ),
                    ticket.id,
                )
        else:
            await tx.tickets.add_event(ticket.id, "answer_added", now, actor=actor)
        await desk.to_citizen(
            tx,
            ticket,
            OutboxKey.to_citizen(
                ticket.number, "answer", message.channel, message.chat_id, message.message_id
            ),
            texts.ANSWER_TO_CITIZEN.format(number=ticket.number, body=body_name, text=message.text),
            attachments=carried(message.attachments, message.channel, ticket.channel),
            then=live_cards.delivered_ack(
                desk, ticket, message, COORDINATOR if by == COORDINATOR else BODY
            ) if acknowledge else None,
        )
        await comments.answer_publicly(
            desk, tx, ticket,
            texts.ANSWER_TO_CITIZEN.format(number=ticket.number, body=body_name, text=message.text),
            message.channel, message.chat_id, message.message_id,
        )
        if first:
            yes = Button(texts.SOLVED_YES, Payload(Action.SOLVED, ticket.number, "yes").pack())
            no = Button(texts.SOLVED_NO, Payload(Action.SOLVED, ticket.number, "no").pack())
            await desk.to_citizen(
                tx,
                ticket,
                OutboxKey.to_citizen(ticket.number, "solved?", ticket.route_round),
                texts.ASK_SOLVED.format(number=ticket.number),
                buttons=((yes, no),),
            )
    log.info("ticket %s answered by %s", ticket.number, by)
    desk.wake()
    return Outcome(K.ANSWER, ticket.number, S.ANSWERED)


def _named(who: str) -> dict[str, str]:
    """The move's detail naming who made it (the card's status line shows it)."""
    return {"by_name": who} if who else {}


async def _take_press(desk: Desk, number: str, *, by: str, actor: str, who: str) -> Outcome:
    return await take(desk, number, by=by, actor=actor, who=who)


#: What a card button does at once; the others ask first (`bot.core.safe_actions`).
_PRESSES = {
    Action.TAKE: _take_press,
}

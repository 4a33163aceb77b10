"""Safe actions: the bot asks before «Закрыть», «Спам» and «Не наше», and a coordinator can undo
a close made by mistake.

A press on one of those card buttons changes nothing yet: it asks, in reply to the card
(`prompts.ask`). «Спам», and «Закрыть» of an answered ticket, want «Да, …»; «Закрыть» of a
ticket without an answer wants a reason the citizen will read, and «Не наше» a reason the next
holder will read — a button with a common one, or the staff member's own words in a reply to
the question. «Отмена» changes nothing. Whatever answers the question, the right to act and the
ticket's state are checked again then (`staff_actions.authorise` and the use case itself), and a
question from an earlier routing round is refused as stale.

When a body closes a ticket it never answered, the coordinators are told with «Вернуть в работу»
(`staff_actions.close_by_staff`); that button or ``/reopen <номер>`` returns the ticket to the
body (`return_to_work`): a coordinator-only move of `bot.domain.states.TRANSITIONS`, audited,
with a fresh deadline, a new card and a word to the citizen.

The interim answer and the extension of the deadline ask the same way; their use cases live in
`bot.core.interim`.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Awaitable, Callable

from bot.core import interim, prompts, staff_actions, units
from bot.core.desk import BODY, CITIZEN, COORDINATOR, Desk
from bot.domain import texts
from bot.domain.messages import IncomingMessage
from bot.domain.prompts import Asked, Choice, confirm_buttons, reason_buttons
from bot.domain.records import TicketRecord
from bot.domain.states import ACTIVE, REDIRECTABLE, TicketState, may_move
from bot.domain.wire import Action, OutboxKey, Outcome, OutcomeKind, Payload, Purpose

log = logging.getLogger("bot.core")

S = TicketState
K = OutcomeKind

_NUMBER = re.compile(r"\d{2}-\d{6,}")


# -- card buttons ----------------------------------------------------------------------------------
async def press(desk: Desk, message: IncomingMessage, payload: Payload | None) -> Outcome:
    """Any staff button: those that ask first, answer a question or undo a close are handled
    here, «Взять в работу» by `staff_actions.press`. A press that changed nothing and says
    nothing is told why, from the ticket as it is now."""
    assert payload is not None  # the dispatcher's rule: a staff button
    handler = _HANDLERS.get(payload.action)
    if handler is None:
        return await staff_actions.press(desk, message, payload)
    ticket, by, refused = await staff_actions.authorise(desk, message, payload)
    if refused is not None:
        return refused
    assert ticket is not None and by is not None
    outcome = await handler(desk, message, payload, ticket, by)
    if outcome.kind == K.IGNORED and outcome.notice is None:
        return await staff_actions.why_not(desk, payload, ticket, by)
    return outcome


Handler = Callable[[Desk, IncomingMessage, Payload, TicketRecord, str], Awaitable[Outcome]]


async def _ask_close(
    desk: Desk, message: IncomingMessage, payload: Payload, ticket: TicketRecord, by: str
) -> Outcome:
    holding = ticket.body == by and ticket.state in ACTIVE | {S.ANSWERED}
    if not may_move(ticket.state, S.CLOSED) or (by != COORDINATOR and not holding):
        return Outcome(K.IGNORED, ticket.number)
    if ticket.state == S.ANSWERED:
        text = texts.CONFIRM_CLOSE.format(number=ticket.number)
        buttons = confirm_buttons(
            ticket.number, Asked.CLOSE, ticket.route_round, texts.CONFIRM_CLOSE_YES
        )
    else:
        text = texts.ASK_CLOSE_REASON.format(number=ticket.number)
        buttons = reason_buttons(ticket.number, Asked.CLOSE, ticket.route_round)
    return await _ask(desk, message, ticket, Asked.CLOSE, text, buttons)


async def _ask_reject(
    desk: Desk, message: IncomingMessage, payload: Payload, ticket: TicketRecord, by: str
) -> Outcome:
    if not may_move(ticket.state, S.REJECTED) or not staff_actions.may_act(ticket, by):
        return Outcome(K.IGNORED, ticket.number)
    text = texts.CONFIRM_REJECT.format(number=ticket.number)
    buttons = confirm_buttons(
        ticket.number, Asked.REJECT, ticket.route_round, texts.CONFIRM_REJECT_YES
    )
    return await _ask(desk, message, ticket, Asked.REJECT, text, buttons)


async def _ask_redirect(
    desk: Desk, message: IncomingMessage, payload: Payload, ticket: TicketRecord, by: str
) -> Outcome:
    if ticket.state not in REDIRECTABLE or not staff_actions.may_act(ticket, by):
        return Outcome(K.IGNORED, ticket.number)
    text = texts.ASK_REDIRECT_REASON.format(number=ticket.number)
    buttons = reason_buttons(ticket.number, Asked.REDIRECT, ticket.route_round)
    return await _ask(desk, message, ticket, Asked.REDIRECT, text, buttons)


async def _ask(
    desk: Desk,
    message: IncomingMessage,
    ticket: TicketRecord,
    what: Asked,
    text: str,
    buttons: tuple,
) -> Outcome:
    async with desk.repo.transaction() as tx:
        await prompts.ask(desk, tx, ticket, message, what, text, buttons)
    desk.wake()
    # The toast says why nothing changed yet: the question is the next message in the chat.
    notice = texts.NOTICE_ASKED.format(number=ticket.number)
    return Outcome(K.ASKED, ticket.number, ticket.state, notice=notice)


async def _confirm(
    desk: Desk, message: IncomingMessage, payload: Payload, ticket: TicketRecord, by: str
) -> Outcome:
    """«Да, …» or a reason's button under a question: checked as if pressed for the first time,
    and refused when the question is from an earlier routing round or forged."""
    choice = Choice.unpack(payload.value)
    if choice is None or choice.what == Asked.INTERIM or (
        choice.what == Asked.EXTEND and not choice.reason
    ):
        return Outcome(K.IGNORED, ticket.number, notice=texts.BUTTON_INACTIVE)
    if choice.round != ticket.route_round:
        notice = texts.PROMPT_STALE.format(number=ticket.number)
        return Outcome(K.IGNORED, ticket.number, ticket.state, notice=notice)
    return await act(desk, message, ticket, by, choice.what, choice.label)


async def act(
    desk: Desk,
    message: IncomingMessage,
    ticket: TicketRecord,
    by: str,
    what: Asked,
    reason: str | None,
) -> Outcome:
    """Do what the question was about, with ``reason`` (a button's label or the reply's text);
    the use case checks the state and the right to act once more, in its own transaction."""
    actor = desk.actor(by, message)
    number = ticket.number
    if what == Asked.CLOSE:
        return await staff_actions.close_by_staff(
            desk, number, by=by, actor=actor, reason=reason, who=message.user_name
        )
    if what == Asked.REJECT:
        outcome = await staff_actions.reject(
            desk, number, by=by, actor=actor, who=message.user_name
        )
        done = texts.DONE_REJECTED
    elif what == Asked.REDIRECT:
        outcome = await staff_actions.redirect(desk, number, by=by, reason=reason, actor=actor)
        done = texts.DONE_REDIRECTED
    elif what == Asked.EXTEND:
        return await interim.extend(
            desk, number, by=by, actor=actor, reason=reason or "", who=message.user_name
        )
    else:
        return await interim.send_interim(desk, message, number, by=by)
    if outcome.kind == K.IGNORED:
        return outcome
    return dataclasses.replace(outcome, notice=done.format(number=number))


async def _dismiss(
    desk: Desk, message: IncomingMessage, payload: Payload, ticket: TicketRecord, by: str
) -> Outcome:
    """«Отмена»: nothing changes."""
    notice = texts.DISMISSED.format(number=ticket.number)
    return Outcome(K.DISMISSED, ticket.number, ticket.state, notice=notice)


async def _return_press(
    desk: Desk, message: IncomingMessage, payload: Payload, ticket: TicketRecord, by: str
) -> Outcome:
    if by != COORDINATOR:
        return Outcome(K.IGNORED, ticket.number, notice=texts.RETURN_ONLY_COORDINATORS)
    return await return_to_work(desk, ticket.number, actor=desk.actor(by, message))


# -- a reply to a question -------------------------------------------------------------------------
async def answer_prompt(
    desk: Desk, message: IncomingMessage, quoted: prompts.Quoted
) -> Outcome:
    """A staff member replied to the bot's question: the reply is the reason (or the interim
    answer), never an answer to the citizen. What it cannot do is said in the chat."""
    ticket = quoted.ticket
    if desk.staff.bodies_of_chat(message.channel, message.chat_id):
        by = desk.authority(ticket, message)
    else:  # a coordinator's own chat acts as the coordinators
        by = COORDINATOR
    if by is None:
        refused = texts.STAFF_REPLY_REFUSED.format(number=ticket.number)
        return await _say(desk, message, ticket, refused)
    if quoted.round != ticket.route_round:
        return await _say(desk, message, ticket, texts.PROMPT_STALE.format(number=ticket.number))
    if quoted.what == Asked.REJECT:
        buttons_only = texts.PROMPT_BUTTONS_ONLY.format(number=ticket.number)
        return await _say(desk, message, ticket, buttons_only)
    text = message.text.strip()
    if quoted.what == Asked.INTERIM:
        if not text and not message.attachments:
            return await _say(desk, message, ticket, texts.INTERIM_AS_TEXT)
    elif not text:
        return await _say(desk, message, ticket, texts.REASON_AS_TEXT)
    outcome = await act(desk, message, ticket, by, quoted.what, text)
    if outcome.kind == K.IGNORED and outcome.notice is None:
        payload = Payload(_ACTION_OF[quoted.what], ticket.number)
        outcome = await staff_actions.why_not(desk, payload, ticket, by)
    if outcome.notice:
        await _say(desk, message, ticket, outcome.notice, outcome)
    return outcome


#: The card button that opened each question (for `staff_actions.why_not`).
_ACTION_OF = {
    Asked.CLOSE: Action.CLOSE,
    Asked.REJECT: Action.REJECT,
    Asked.REDIRECT: Action.REDIRECT,
    Asked.EXTEND: Action.EXTEND,
    Asked.INTERIM: Action.INTERIM,
}


async def _say(
    desk: Desk,
    message: IncomingMessage,
    ticket: TicketRecord,
    text: str,
    outcome: Outcome | None = None,
) -> Outcome:
    """A line in the chat the reply came from, in the ticket's forum topic if it has one (a
    reply has no button to answer with a toast)."""
    channel, chat = message.channel, message.chat_id
    audience = BODY if desk.staff.bodies_of_chat(channel, chat) else COORDINATOR
    key = OutboxKey.to_staff(
        ticket.number, audience, "prompt-reply", channel, chat, message.message_id
    )
    async with desk.repo.transaction() as tx:
        await desk.enqueue(
            tx, ticket, key, channel, chat, text, audience, reply_to=message.message_id
        )
    desk.wake()
    return outcome or Outcome(K.IGNORED, ticket.number, notice=text)


# -- undoing a close -------------------------------------------------------------------------------
async def return_to_work(desk: Desk, number: str, *, actor: str = COORDINATOR) -> Outcome:
    """A coordinator returns a ticket closed by staff to its body: a new routing round with a
    fresh deadline, the card again (with a line saying why) and a word to the citizen. A ticket
    the citizen closed, one without a body, or one whose data is gone stays closed."""
    now = desk.clock.now()
    async with desk.repo.transaction() as tx:
        ticket = await tx.tickets.by_number(number)
        if ticket is None:
            return Outcome(K.IGNORED, number, notice=texts.RETURN_UNKNOWN.format(number=number))
        refusal = _why_it_stays(desk, ticket, await tx.tickets.events(ticket.id))
        if refusal is not None:
            return Outcome(K.IGNORED, number, ticket.state, notice=refusal)
        body = desk.body_of(ticket)
        assert body is not None  # `_why_it_stays`
        await desk.route(
            tx, ticket, body, ticket.topic, ticket.municipality, now, kind="returned",
            actor=actor, note=texts.RETURNED_NOTE,
        )
        fresh = await tx.tickets.by_id(ticket.id)
    assert fresh is not None and fresh.due_at is not None
    log.info("ticket %s returned to %s by a coordinator", number, body.id)
    desk.wake()
    notice = texts.DONE_RETURNED.format(
        number=number, body=body.name, due=desk.show_due(fresh.due_at)
    )
    return Outcome(K.RETURNED, number, S.ROUTED, notice=notice)


def _why_it_stays(desk: Desk, ticket: TicketRecord, events: list[dict]) -> str | None:
    number = ticket.number
    if ticket.state != S.CLOSED:
        state = texts.STATE_NAMES.get(ticket.state, ticket.state)
        return texts.RETURN_NOT_CLOSED.format(number=number, state=state)
    closing = next((e for e in reversed(events) if e["to_state"] == S.CLOSED), None)
    if closing is None or closing["actor"] == CITIZEN or closing["kind"] != "closed":
        return texts.RETURN_BY_CITIZEN.format(number=number)
    if ticket.anonymised_at is not None or ticket.chat_id is None:
        return texts.RETURN_ANONYMISED.format(number=number)
    if desk.body_of(ticket) is None:
        return texts.RETURN_NO_BODY.format(number=number)
    return None


async def reopen_command(
    desk: Desk, message: IncomingMessage, payload: Payload | None = None
) -> Outcome:
    """``/reopen 26-000123``: the coordinator's way to `return_to_work` without the button."""
    if not desk.staff.is_coordinator(message.channel, message.user_id):
        return await _answer(desk, message, texts.RETURN_ONLY_COORDINATORS, K.IGNORED)
    found = _NUMBER.search(message.text)
    if found is None:
        return await _answer(desk, message, texts.RETURN_USAGE, K.IGNORED)
    outcome = await return_to_work(
        desk, found.group(), actor=desk.actor(COORDINATOR, message)
    )
    await _answer(desk, message, outcome.notice or "", outcome.kind)
    return outcome


async def _answer(desk: Desk, message: IncomingMessage, text: str, kind: OutcomeKind) -> Outcome:
    key = OutboxKey.about_no_ticket("reopen", message.channel, message.chat_id, message.message_id)
    await desk.say(
        message.channel, message.chat_id, text, key, purpose=Purpose.COORDINATOR,
        reply_to=message.message_id,
    )
    return Outcome(kind, notice=text)


_HANDLERS: dict[Action, Handler] = {
    Action.CLOSE: _ask_close,
    Action.REJECT: _ask_reject,
    Action.REDIRECT: _ask_redirect,
    Action.INTERIM: interim.ask_interim,
    Action.EXTEND: interim.ask_extend,
    Action.CONFIRM: _confirm,
    Action.DISMISS: _dismiss,
    Action.RETURN: _return_press,
    Action.UNITS: units.offer,  # a parent body's «Передать подразделению» (issue 17)
    Action.TO_UNIT: units.hand_over,
}

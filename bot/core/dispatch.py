"""Where an incoming message goes: a few steps every message passes, then one ordered table.

The steps (`STEPS`) have aiogram's middleware shape, ``step(desk, message, next)``: report
the message and how its handling ended to the observer, make the text storable, take a message
from a body's chat marked unreachable as the sign it is back, wait until the send a reply refers
to is recorded, keep a citizen within the flood limits, and take a staff reply to one of the
bot's questions (a reason) as that question's answer. Then the first rule
of `RULES` whose test matches handles the message. The order is the policy, so it is read in
one place:

1. card buttons first — from anyone, since anyone who sees a card can press it (forged data
   included); the right to act is checked by the use case; so are a coordinator's choice of
   a body by a button, a coordinator's ``/reopen``, the staff tools' buttons (reply templates,
   revoking a binding) and commands (``/ticket``, a ticket number typed in a staff chat,
   ``/staff``), whose use cases refuse whoever may not use them;
2. staff chats next: a body's chat, whatever is written there, is never an appeal;
3. the citizen's commands and their desk buttons (``/my`` pages, history, ``/forget``);
4. a coordinator's own chat: one staff path with the body chats;
5. the citizen's buttons on a ticket; any other button is stale or forged;
6. everything else a citizen writes: an appeal, an answer to a question or an addition.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.core import (
    body_choice,
    chat_access,
    citizen,
    console_access,
    intake,
    prompts,
    safe_actions,
    staff_actions,
    staff_list,
    templates,
    ticket_view,
    verdicts,
)
from bot.core.desk import COORDINATOR, Desk
from bot.core.sanitize import storable_message
from bot.domain import texts
from bot.domain.messages import IncomingMessage
from bot.domain.wire import Action, OutboxKey, Outcome, OutcomeKind, Payload, Purpose

log = logging.getLogger("bot.core")

K = OutcomeKind

Next = Callable[[Desk, IncomingMessage], Awaitable[Outcome]]
Step = Callable[[Desk, IncomingMessage, Next], Awaitable[Outcome]]


# -- steps every message passes ------------------------------------------------------------------
async def observe(desk: Desk, message: IncomingMessage, next_: Next) -> Outcome:
    """First, so that every message counts, a flooded one included; the error is re-raised
    for the adapter (which logs it) after it is counted."""
    observer = desk.observer
    observer.update_received(message.channel)
    try:
        outcome = await next_(desk, message)
    except Exception as exc:
        observer.update_failed(message.channel, type(exc).__name__)
        raise
    observer.update_processed(message.channel)
    return outcome


async def make_storable(desk: Desk, message: IncomingMessage, next_: Next) -> Outcome:
    """Lone surrogates and NUL would crash the database: replaced once, here."""
    return await next_(desk, storable_message(message))


async def wait_for_recorded_sends(desk: Desk, message: IncomingMessage, next_: Next) -> Outcome:
    """A reply names a message of ours by its platform id: the send that made it may still be
    unrecorded (an administrator answering a card the moment it arrived)."""
    if message.reply_to is not None and desk.sends_recorded is not None:
        await desk.sends_recorded(message.channel, message.chat_id)
    return await next_(desk, message)


async def flood_limit(desk: Desk, message: IncomingMessage, next_: Next) -> Outcome:
    """Citizens only (staff chats are never limited). A button press over the limit is
    answered by its notice every time (it must not spin); a message gets one chat reply per
    window, the rest of the window's extra messages get none."""
    if desk.flood is None or (message.channel, message.chat_id) in desk.staff_chats:
        return await next_(desk, message)
    verdict = await desk.flood.check_async(message.channel, message.user_id)
    if verdict.allowed:
        return await next_(desk, message)
    if message.payload:
        return Outcome(K.FLOODED, notice=texts.FLOOD_PRESS.format(minutes=verdict.minutes))
    if verdict.warn:
        log.info("flood limit reached in %s: citizen told to wait", message.channel)
        await desk.say(
            message.channel,
            message.chat_id,
            texts.FLOOD_WAIT.format(minutes=verdict.minutes),
            _direct_key(message, "flood"),
            purpose=Purpose.CITIZEN,
        )
    return Outcome(K.FLOODED)


def _direct_key(message: IncomingMessage, kind: str) -> OutboxKey:
    return OutboxKey.about_no_ticket(
        "direct", message.channel, message.chat_id, kind, message.message_id
    )


async def chat_is_back(desk: Desk, message: IncomingMessage, next_: Next) -> Outcome:
    """A message from a body's chat marked unreachable: the bot is there again (a set lookup
    for every other message)."""
    if (message.channel, message.chat_id) in desk.staff.unreachable:
        await chat_access.access_changed(desk, message.channel, message.chat_id, allowed=True)
    return await next_(desk, message)


async def answers_to_prompts(desk: Desk, message: IncomingMessage, next_: Next) -> Outcome:
    """A reply in a staff chat to one of the bot's questions (a reason, an interim answer:
    `prompts`) is the answer to that question, before any rule could read it as the answer
    to the citizen; every other message goes on to the rules."""
    if message.reply_to is None or message.payload:
        return await next_(desk, message)
    if (message.channel, message.chat_id) not in desk.staff_chats:
        return await next_(desk, message)
    quoted = await prompts.quoted(desk, message)
    if quoted is None:
        return await next_(desk, message)
    return await safe_actions.answer_prompt(desk, message, quoted)


STEPS: tuple[Step, ...] = (
    observe, make_storable, chat_is_back, wait_for_recorded_sends, flood_limit,
    answers_to_prompts,
)


# -- the rules -----------------------------------------------------------------------------------
# Each test is a plain look at the message (no I/O); each action has the same signature.
Test = Callable[[Desk, IncomingMessage, Payload | None], bool]
Then = Callable[[Desk, IncomingMessage, Payload | None], Awaitable[Outcome]]


@dataclass(frozen=True)
class Rule:
    what: str
    when: Test
    then: Then


def _card_button(desk: Desk, message: IncomingMessage, payload: Payload | None) -> bool:
    return payload is not None and payload.action.by_staff


def _body_choice(desk: Desk, message: IncomingMessage, payload: Payload | None) -> bool:
    return payload is not None and payload.action == Action.ASSIGN


def _reopen_command(desk: Desk, message: IncomingMessage, payload: Payload | None) -> bool:
    """``/reopen`` from staff (a citizen's is an unknown command like any other)."""
    if message.command != "reopen":
        return False
    where = (message.channel, message.chat_id)
    return where in desk.staff_chats or desk.staff.is_coordinator(message.channel, message.user_id)


def _in_body_chat(desk: Desk, message: IncomingMessage, payload: Payload | None) -> bool:
    return bool(desk.staff.bodies_of_chat(message.channel, message.chat_id))


def _command(desk: Desk, message: IncomingMessage, payload: Payload | None) -> bool:
    return citizen.serves(message, desk.staff_chats.get((message.channel, message.chat_id)))


def _desk_button(desk: Desk, message: IncomingMessage, payload: Payload | None) -> bool:
    return payload is not None and payload.action.on_desk


def _in_coordinator_chat(desk: Desk, message: IncomingMessage, payload: Payload | None) -> bool:
    return desk.staff_chats.get((message.channel, message.chat_id)) == COORDINATOR


def _ticket_button(desk: Desk, message: IncomingMessage, payload: Payload | None) -> bool:
    return payload is not None and payload.action.by_citizen


def _any_button(desk: Desk, message: IncomingMessage, payload: Payload | None) -> bool:
    return bool(message.payload)


def _anything(desk: Desk, message: IncomingMessage, payload: Payload | None) -> bool:
    return True


async def _stale_button(desk: Desk, message: IncomingMessage, payload: Payload | None) -> Outcome:
    """A button from an older version of the bot, or forged data."""
    return Outcome(K.IGNORED, notice=texts.BUTTON_INACTIVE)


RULES: tuple[Rule, ...] = (
    Rule("a card button", _card_button, safe_actions.press),
    Rule("a coordinator's choice of body", _body_choice, body_choice.press),
    Rule("a coordinator's /reopen <номер>", _reopen_command, safe_actions.reopen_command),
    Rule("a reply template button", templates.pressed, templates.press),
    Rule("«Отозвать» under /staff", staff_list.pressed, staff_list.press),
    Rule("/web: a login link to the web console", console_access.asked, console_access.send_link),
    Rule("/ticket, or a ticket number in a staff chat", ticket_view.asked, ticket_view.show),
    Rule("/staff", staff_list.asked, staff_list.show),
    Rule("a message in a body's chat", _in_body_chat, staff_actions.in_body_chat),
    Rule("a citizen's command in a private chat", _command, citizen.command),
    Rule("a button of the citizen's /my, /forget", _desk_button, citizen.press),
    Rule("a message in a coordinator's chat", _in_coordinator_chat, staff_actions.in_own_chat),
    Rule("the citizen's buttons on a ticket", _ticket_button, verdicts.press),
    Rule("any other button: stale or forged", _any_button, _stale_button),
    Rule("anything else a citizen writes", _anything, intake.take_in),
)


async def route(desk: Desk, message: IncomingMessage) -> Outcome:
    """The first rule that matches handles the message (the last one always matches)."""
    payload = Payload.unpack(message.payload)
    for rule in RULES:
        if rule.when(desk, message, payload):
            return await rule.then(desk, message, payload)
    raise AssertionError("the last rule matches everything")


def _chain(steps: tuple[Step, ...], last: Next) -> Next:
    """``steps`` around ``last``, composed once: a message then costs one call per step."""
    handler = last
    for step in reversed(steps):
        handler = _wrapped(step, handler)
    return handler


def _wrapped(step: Step, inner: Next) -> Next:
    async def layer(desk: Desk, message: IncomingMessage) -> Outcome:
        return await step(desk, message, inner)

    return layer


#: Everything an adapter receives goes here: through `STEPS`, then `route`.
handle = _chain(STEPS, route)

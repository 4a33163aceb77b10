"""The citizen's side of the dialog beyond "write an appeal": ``/start``, ``/help``,
``/privacy``, ``/my`` with each ticket's history, ``/forget`` and ``/cancel``.

Channel-agnostic like the rest of the core: the Telegram adapter recognises ``/my`` with
aiogram's ``Command`` filter, the VK adapter recognises ``/my`` or «Мои обращения» in the text;
both put the name into ``IncomingMessage.command`` (`bot.domain.phrases.command_of`) and the
dispatcher hands it here. Every answer goes through the outbox like any other message, so a
crash after the command was read loses nothing, and a redelivered command is answered once
(the outbox key holds the platform message id).

Commands are served in private chats only (chat id = user id on both platforms): ``/my`` in a
body's group chat would show one person's appeals to everyone there.
"""

from __future__ import annotations

import logging
import time as _time
from datetime import UTC, datetime, timedelta

from bot.core import privacy
from bot.core.desk import BODY, CITIZEN, COORDINATOR, Desk
from bot.core.new_problem import HELD
from bot.domain import texts
from bot.domain.messages import Button, IncomingMessage
from bot.domain.pages import is_private
from bot.domain.phrases import COMMANDS
from bot.domain.records import TicketRecord
from bot.domain.states import TicketState
from bot.domain.wire import Action, OutboxKey, Outcome, OutcomeKind, Payload, Purpose

log = logging.getLogger("bot.core.citizen")

K = OutcomeKind

#: How many tickets one /my message lists; the rest come with «Показать ещё». Five keeps a page
#: far below 4096 characters and within VK's inline keyboard (at most 6 rows, 10 buttons).
PAGE = 5
#: How much of an appeal's text /my quotes.
SHORT_TEXT = 100
#: A «Да, удалить» older than this is refused: the person may have forgotten what it was for.
CONFIRM_WINDOW = timedelta(minutes=15)


def serves(message: IncomingMessage, staff: str | None) -> bool:
    """A command in a private chat (with the bot, or with a connected page). An unknown one
    from staff (a coordinator's /stats that no adapter handler took) is not answered with
    «unknown command»: it is theirs."""
    if message.command is None or not is_private(message.channel, message.chat_id,
                                                 message.user_id):
        return False
    return message.command in COMMANDS or staff is None


async def command(desk: Desk, message: IncomingMessage, payload: Payload | None = None) -> Outcome:
    name = message.command or ""
    key = ("cmd", message.message_id)
    if name == "start":
        await _say(desk, message, texts.START, *key)
    elif name == "help":
        await _say(desk, message, texts.HELP, *key)
    elif name == "privacy":
        await _say(desk, message, texts.PRIVACY.format(days=desk.policy.retention.days), *key)
    elif name == "my":
        return await my_tickets(desk, message, 0, *key)
    elif name == "forget":
        await _ask_forget(desk, message, *key)
    elif name == "cancel":
        return await cancel(desk, message)
    else:
        await _say(desk, message, texts.UNKNOWN_COMMAND.format(name=name), *key)
        return Outcome(K.UNKNOWN_COMMAND)
    return Outcome(K.COMMAND)


async def press(desk: Desk, message: IncomingMessage, payload: Payload | None) -> Outcome:
    """Presses on the buttons this module sends (`Action.on_desk`)."""
    assert payload is not None  # the dispatcher's rule: a desk button
    if payload.action == Action.HISTORY:
        return await history(desk, message, payload.number)
    if payload.action == Action.MY:
        offset = int(payload.value) if payload.value.isdigit() else 0
        return await my_tickets(
            desk, message, offset, "my", message.message_id, offset, _time.monotonic_ns()
        )
    if payload.action == Action.FORGET:
        return await _confirm_forget(desk, message, payload)
    if payload.action == Action.SKIP:
        return Outcome(K.SKIPPED, payload.number, notice=texts.PHOTO_SKIPPED)
    return Outcome(K.IGNORED)


# -- /my -----------------------------------------------------------------------------------------
async def my_tickets(
    desk: Desk, message: IncomingMessage, offset: int, *key: str | int
) -> Outcome:
    """Newest first, ``PAGE`` at a time, each with a button that opens its history."""
    async with desk.repo.transaction() as tx:
        tickets = list(reversed(await tx.tickets.of_citizen(message.channel, message.user_id)))
    if not tickets:
        await _say(desk, message, texts.MY_EMPTY, *key)
        return Outcome(K.COMMAND)
    page = tickets[offset : offset + PAGE]
    items = [_describe(desk, t) for t in page]
    header = texts.MY_HEADER.format(shown=offset + len(page), total=len(tickets))
    rows: list[tuple[Button, ...]] = [
        (
            Button(
                texts.MY_HISTORY_BUTTON.format(number=t.number),
                Payload(Action.HISTORY, t.number).pack(),
            ),
        )
        for t in page
    ]
    if offset + PAGE < len(tickets):
        more = Payload(Action.MY, "-", str(offset + PAGE)).pack()
        rows.append((Button(texts.MY_MORE_BUTTON, more),))
    text = "\n\n".join([header, *items])
    await _say(desk, message, text, *key, buttons=tuple(rows), transient=True)
    return Outcome(K.COMMAND)


def _describe(desk: Desk, ticket: TicketRecord) -> str:
    body = desk.body_of(ticket)
    short = " ".join(ticket.text.split())
    if len(short) > SHORT_TEXT:
        short = short[: SHORT_TEXT - 1].rstrip() + "…"
    return texts.MY_ITEM.format(
        number=ticket.number,
        state=texts.STATE_NAMES.get(ticket.state, ticket.state),
        text=short,
        body=body.name if body else texts.MY_NO_BODY,
        due=desk.show_due(ticket.due_at) if ticket.due_at else texts.MY_NO_DUE,
    )


async def history(desk: Desk, message: IncomingMessage, number: str) -> Outcome:
    """What happened to one ticket, messages and events in order, in Russian."""
    async with desk.repo.transaction() as tx:
        ticket = await tx.tickets.by_number(number)
        if ticket is None or (ticket.channel, ticket.user_id) != (
            message.channel,
            message.user_id,
        ):
            return Outcome(K.IGNORED, number, notice=texts.MY_UNKNOWN_TICKET)
        events = await tx.tickets.events(ticket.id)
        messages = await tx.tickets.messages(ticket.id)
    lines: list[tuple[datetime, int, str]] = []
    for order, event in enumerate(events):
        what = _event_text(desk, event)
        if what is not None:
            lines.append((_event_time(event["at"]), order, what))
    for order, m in enumerate(messages, start=len(events)):
        template = _HISTORY_AUTHORS.get(m.author)
        if template is None:
            continue  # not the citizen's and no answer to them (e.g. staff's internal words)
        text = m.text.strip() or f"[{texts.HISTORY_ATTACHMENT}]"
        lines.append((m.at, order, template.format(text=text)))
    tz = desk.calendar.timezone
    body = "\n".join(
        texts.HISTORY_LINE.format(at=at.astimezone(tz), what=what) for at, _, what in sorted(lines)
    )
    text = texts.HISTORY_HEADER.format(number=number) + "\n" + body
    key = ("history", number, message.message_id, _time.monotonic_ns())
    await _say(desk, message, text, *key, transient=True)
    return Outcome(K.HISTORY, number, ticket.state)


#: Whose messages the citizen's history shows, and how: an allowlist, so that a new kind of
#: thread message (staff's internal notes) never reaches a citizen by default.
_HISTORY_AUTHORS = {
    CITIZEN: texts.HISTORY_CITIZEN,
    HELD: texts.HISTORY_CITIZEN,
    BODY: texts.HISTORY_ANSWER,
    COORDINATOR: texts.HISTORY_ANSWER,
    "interim": texts.HISTORY_INTERIM,  # a body's interim answer (`bot.core.interim`)
}


def _event_text(desk: Desk, event: dict) -> str | None:
    kind, detail = event["kind"], event["detail"] or {}
    if kind == "answered" and event["to_state"] == "answered":
        kind = "answered_by_body"
    elif kind == "closed" and event["actor"] == CITIZEN and detail.get("solved"):
        kind = "closed_solved"
    template = texts.HISTORY_EVENTS.get(kind)
    if template is None:
        return None  # internal (classified, delivery_failed…)
    body = desk.table.body_by_id.get(detail.get("body") or "")
    return template.format(
        body=body.name if body else texts.COORDINATOR_NAME, rating=detail.get("rating", "")
    )


# -- /forget -------------------------------------------------------------------------------------
async def _ask_forget(desk: Desk, message: IncomingMessage, *key: str | int) -> None:
    """The confirmation carries who asked and when: a stranger's or an old press is refused."""
    minute = int(desk.clock.now().timestamp() // 60)
    yes = Payload(Action.FORGET, str(message.user_id), f"yes@{minute}").pack()
    no = Payload(Action.FORGET, str(message.user_id), "no").pack()
    buttons = ((Button(texts.FORGET_YES, yes), Button(texts.FORGET_NO, no)),)
    await _say(desk, message, texts.FORGET_CONFIRM, *key, buttons=buttons)


async def _confirm_forget(desk: Desk, message: IncomingMessage, payload: Payload) -> Outcome:
    if payload.number != str(message.user_id):
        return Outcome(K.IGNORED, notice=texts.NOT_YOUR_BUTTON)
    if payload.value == "no":
        await _say(desk, message, texts.FORGET_KEPT, "forget-no", message.message_id)
        return Outcome(K.COMMAND)
    answer, _, minute = payload.value.partition("@")
    now_minute = desk.clock.now().timestamp() // 60
    window = CONFIRM_WINDOW.total_seconds() // 60
    if answer != "yes" or not minute.isdigit() or now_minute - int(minute) > window:
        return Outcome(K.IGNORED, notice=texts.FORGET_STALE)
    count = await privacy.forget_citizen(
        desk, message.channel, message.user_id, chat_id=message.chat_id
    )
    return Outcome(K.FORGOTTEN, str(count))


# -- /cancel -------------------------------------------------------------------------------------
async def cancel(desk: Desk, message: IncomingMessage) -> Outcome:
    """Abandon the draft: the citizen's latest ticket while the bot is still asking."""
    now = desk.clock.now()
    async with desk.repo.transaction() as tx:
        ticket = await tx.tickets.latest_of_chat(message.channel, message.chat_id)
        if ticket is not None and ticket.state == TicketState.COLLECTING:
            await desk.move(tx, ticket, TicketState.CLOSED, now, "cancelled", actor=CITIZEN)
            await desk.to_citizen(
                tx,
                ticket,
                OutboxKey.to_citizen(ticket.number, "cancelled"),
                texts.CANCELLED.format(number=ticket.number),
            )
    if ticket is None or ticket.state != TicketState.COLLECTING:
        await _say(desk, message, texts.NOTHING_TO_CANCEL, "cmd", message.message_id)
        return Outcome(K.COMMAND)
    desk.wake()
    log.info("ticket %s cancelled by the citizen", ticket.number)
    return Outcome(K.CANCELLED, ticket.number, TicketState.CLOSED)


async def _say(
    desk: Desk,
    message: IncomingMessage,
    text: str,
    *key: str | int,
    buttons: tuple = (),
    transient: bool = False,
) -> None:
    """A reply outside any ticket, through the outbox; long texts are split (4096).
    ``transient``: a copy of stored data, blanked once delivered."""
    await desk.say(
        message.channel,
        message.chat_id,
        text,
        OutboxKey.about_no_ticket("direct", message.channel, message.chat_id, *key),
        purpose=Purpose.CITIZEN_TRANSIENT if transient else Purpose.CITIZEN,
        buttons=buttons,
        menu=True,
    )


def _event_time(value: datetime | str) -> datetime:
    """Events come back with their time as the database wrote it (ISO-8601 UTC text)."""
    if isinstance(value, datetime):
        return value
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)

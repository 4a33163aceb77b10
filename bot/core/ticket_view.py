"""``/ticket <номер>`` (or a bare number in a staff chat): a ticket and everything that happened
to it — state changes, answers, the citizen's words and the staff's internal notes, who did what
and when — for the people who may see it. Citizens quote their number on the phone; this is
how an administrator or a coordinator finds the ticket.

Who may see a ticket is judged by the chat the answer will appear in, since everybody there
reads it: a coordinator's own chat sees every ticket; a body's chat (or the private chat of a
body's administrator) sees the tickets that are or were with that body. Anyone else, a
citizen included, gets a refusal that says nothing about whether the number exists. A number
typed alone counts only in a staff chat: in a citizen's chat it stays what it always was.

The answer is a copy of stored data: queued as `Purpose.STAFF_TRANSIENT`, blanked once
delivered, and about no ticket, so that a reply to it is nobody's answer to the citizen.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from bot.core.desk import COORDINATOR, Desk
from bot.domain import texts
from bot.domain.messages import IncomingMessage
from bot.domain.phrases import bare_ticket_number, staff_command
from bot.domain.records import TicketRecord
from bot.domain.wire import OutboxKey, Outcome, OutcomeKind, Payload, Purpose

log = logging.getLogger("bot.core")

K = OutcomeKind

#: All tickets: a coordinator's own chat.
EVERY = "*"


def asked(desk: Desk, message: IncomingMessage, payload: Payload | None) -> bool:
    """``/ticket …`` anywhere (a stranger is refused), a bare number in a staff chat."""
    if message.payload:
        return False
    command = staff_command(message.text)
    if command is not None:
        return command[0] == "ticket"
    in_staff_chat = (message.channel, message.chat_id) in desk.staff_chats
    return in_staff_chat and bare_ticket_number(message.text) is not None


def viewer(desk: Desk, message: IncomingMessage) -> frozenset[str] | None:
    """What the chat of ``message`` may see: `EVERY` ticket, the tickets of these bodies, or
    nothing (``None``)."""
    key = (message.channel, message.chat_id)
    if desk.staff_chats.get(key) == COORDINATOR:
        return frozenset({EVERY})
    bodies = desk.staff.bodies_of_chat(*key)
    if bodies:
        return frozenset(bodies)
    private = message.chat_id == message.user_id
    mine = desk.staff.user_bodies.get((message.channel, message.user_id), frozenset())
    return frozenset(mine) if private and mine else None


def bodies_of(ticket: TicketRecord, events: list[dict[str, Any]]) -> set[str]:
    """Every body the ticket is or was with."""
    found = {ticket.body, *ticket.tried_bodies}
    for event in events:
        detail = event.get("detail") or {}
        found.update((detail.get("body"), detail.get("from")))
    return {b for b in found if isinstance(b, str)}


async def show(desk: Desk, message: IncomingMessage, payload: Payload | None) -> Outcome:
    command = staff_command(message.text)
    typed = command[1] if command is not None else message.text
    number = bare_ticket_number(typed)
    allowed = viewer(desk, message)
    if allowed is None:
        await _answer(desk, message, texts.TICKET_ONLY_STAFF, Purpose.CITIZEN)
        return Outcome(K.IGNORED)
    if number is None:
        await _answer(desk, message, texts.TICKET_USAGE, Purpose.COORDINATOR)
        return Outcome(K.IGNORED)
    async with desk.repo.transaction() as tx:
        ticket = await tx.tickets.by_number(number)
        events = await tx.tickets.events(ticket.id) if ticket is not None else []
        visible = ticket is not None and (
            EVERY in allowed or bool(allowed & bodies_of(ticket, events))
        )
        if ticket is None or not visible:
            log.info("ticket lookup refused")
            text = texts.TICKET_REFUSED.format(number=number)
            await _answer(desk, message, text, Purpose.COORDINATOR, tx=tx)
            desk.wake()
            return Outcome(K.IGNORED)
        thread = await tx.tickets.messages(ticket.id)
        notes = await tx.tickets.notes(ticket.id)
        appeal = await desk.appeal_text(tx, ticket)
        lines: list[tuple[datetime, int, str]] = []
        for order, event in enumerate(events):
            lines.append((_time(event["at"]), order, _event_line(desk, event)))
        for m in thread:
            template = (
                texts.TICKET_CITIZEN_SAID
                if m.author == "citizen"
                else texts.TICKET_AUTHORS.get(m.author, texts.TICKET_ANSWER)
            )
            what = template.format(who="", text=_quoted(m.text, len(m.attachments)))
            lines.append((m.at, len(lines), what))
        for n in notes:
            who = texts.TICKET_WHO.format(who=actor_name(desk, n.author))
            what = texts.TICKET_NOTE.format(who=who, text=_quoted(n.text, len(n.attachments)))
            lines.append((n.at, len(lines), what))
        await _answer(desk, message, _render(desk, ticket, appeal, lines),
                      Purpose.STAFF_TRANSIENT, tx=tx)
    desk.wake()
    log.info("ticket %s shown to staff", number)
    return Outcome(K.SHOWN, number, ticket.state)


def _render(
    desk: Desk, ticket: TicketRecord, appeal: str, lines: list[tuple[datetime, int, str]]
) -> str:
    tz = desk.calendar.timezone
    body = desk.body_of(ticket)
    topic = desk.table.topic_by_id.get(ticket.topic or "")
    place = desk.table.municipality_by_id.get(ticket.municipality or "")
    history = "\n".join(
        texts.TICKET_LINE.format(at=at.astimezone(tz), what=what) for at, _, what in sorted(lines)
    )
    return texts.TICKET_VIEW.format(
        number=ticket.number,
        state=texts.STATE_NAMES.get(ticket.state, ticket.state),
        body=body.name if body else texts.MY_NO_BODY,
        topic=topic.name if topic else texts.UNKNOWN_TOPIC,
        place=place.name if place else texts.UNKNOWN_PLACE,
        due=desk.show_due(ticket.due_at) if ticket.due_at else texts.TICKET_NO_DUE,
        text=appeal,
        history=history,
    )


def _event_line(desk: Desk, event: dict[str, Any]) -> str:
    detail = event.get("detail") or {}
    body = desk.table.body_by_id.get(detail.get("body") or "")
    template = texts.TICKET_EVENTS.get(event["kind"], event["kind"])
    what = template.format(
        body=body.name if body else texts.COORDINATOR_NAME, rating=detail.get("rating", "")
    )
    if detail.get("reason"):
        what += texts.TICKET_REASON.format(reason=detail["reason"])
    return what + texts.TICKET_WHO.format(who=actor_name(desk, event.get("actor") or "system"))


def actor_name(desk: Desk, actor: str) -> str:
    """``body:city:tg:2002`` → «Администрация города Саратова, tg 2002»; the audit log's other
    actors in words."""
    parts = actor.split(":")
    if parts[0] == "body" and len(parts) >= 4:
        body = desk.table.body_by_id.get(parts[1])
        name = body.name if body else parts[1]
        return texts.TICKET_BODY_ACTOR.format(body=name, channel=parts[2], user=parts[3])
    if parts[0] == COORDINATOR and len(parts) >= 3:
        return texts.TICKET_COORDINATOR_ACTOR.format(channel=parts[1], user=parts[2])
    if parts[0] == COORDINATOR:
        return texts.COORDINATOR_NAME
    if parts[0] == "citizen":
        return texts.TICKET_CITIZEN
    return texts.TICKET_SYSTEM


def _quoted(text: str, attachments: int) -> str:
    shown = " ".join(text.split())
    if attachments:
        shown = (shown + " " if shown else "") + f"[{texts.HISTORY_ATTACHMENT}: {attachments}]"
    return shown


def _time(value: datetime | str) -> datetime:
    if isinstance(value, datetime):
        return value
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


async def _answer(
    desk: Desk, message: IncomingMessage, text: str, purpose: Purpose, *, tx: Any = None
) -> None:
    key = OutboxKey.about_no_ticket("ticket", message.channel, message.chat_id, message.message_id)
    await desk.say(
        message.channel, message.chat_id, text, key, purpose=purpose, tx=tx,
        reply_to=message.message_id, thread_id=message.thread_id,
    )

"""What the web console's pages do, on the same use cases as the chats.

Every action a page offers calls the use case the chat action calls (`staff_actions`,
`interim.extend`, `notes`), on behalf of the signed-in account as the chat would act for it:
a coordinator as the coordinators, an administrator for the body that holds the ticket. So the
citizen is told exactly what a chat action tells them, the audit log names the same actor, and
every right is checked where it always is. An answer from the page is a message of that
account with an id no platform message has, so its outbox rows are its own.

Who sees what: a coordinator every ticket; an administrator the tickets that are or were with
their bodies (as ``/ticket`` in a chat, `ticket_view.bodies_of`). Anything else is
`Access.FORBIDDEN`, and nothing of the ticket leaves this module then.
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.core import interim, notes, staff_actions
from bot.core.console_access import Role
from bot.core.desk import COORDINATOR, Desk
from bot.core.ticket_view import _event_line, _quoted, _time, actor_name, bodies_of
from bot.domain import texts
from bot.domain.messages import Attachment, IncomingMessage
from bot.domain.records import TicketNote, TicketRecord
from bot.domain.states import ACTIVE, ANSWERABLE, REDIRECTABLE, TicketState, may_move
from bot.domain.wire import Outcome, OutcomeKind

log = logging.getLogger("bot.core")

S = TicketState
K = OutcomeKind
#: Most tickets one bulk action takes (a page's worth, four times over).
BULK_LIMIT = 100


class Access(StrEnum):
    OK = "ok"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class Row:
    """A ticket as a queue line shows it."""

    ticket: TicketRecord
    state: str
    body: str
    topic: str
    place: str
    due: str
    overdue: bool


@dataclass(frozen=True)
class HistoryLine:
    at: datetime
    kind: str  # event, citizen, answer, note
    text: str


@dataclass(frozen=True)
class TicketPage:
    row: Row
    appeal: str
    attachments: int
    history: list[HistoryLine]
    actions: frozenset[str]


@dataclass(frozen=True)
class Result:
    ok: bool
    notice: str


def shown(
    desk: Desk, state: str, body: str | None, topic: str | None, municipality: str | None,
    due_at: datetime | None, now: datetime,
) -> tuple[str, str, str, str, str, bool]:
    """What a queue line and a ticket page show of a ticket: its state, body, topic and place
    by name (from the table in force), its deadline in local time, and whether it is past."""
    table = desk.table
    found_body = table.body_by_id.get(body or "")
    found_topic = table.topic_by_id.get(topic or "")
    place = table.municipality_by_id.get(municipality or "")
    return (
        texts.STATE_NAMES.get(state, state),
        found_body.name if found_body else texts.MY_NO_BODY,
        found_topic.name if found_topic else texts.UNKNOWN_TOPIC,
        place.name if place else texts.UNKNOWN_PLACE,
        desk.show_due(due_at) if due_at else texts.TICKET_NO_DUE,
        due_at is not None and state in ACTIVE and due_at < now,
    )


def row_of(desk: Desk, ticket: TicketRecord, now: datetime) -> Row:
    t = ticket
    return Row(t, *shown(desk, t.state, t.body, t.topic, t.municipality, t.due_at, now))


async def ticket_page(desk: Desk, role: Role, number: str) -> tuple[Access, TicketPage | None]:
    async with desk.repo.transaction() as tx:
        ticket = await tx.tickets.by_number(number)
        if ticket is None:
            return (Access.NOT_FOUND if role.coordinator else Access.FORBIDDEN), None
        events = await tx.tickets.events(ticket.id)
        if not role.sees(bodies_of(ticket, events)):
            log.info("console: ticket %s refused to a body's administrator", ticket.number)
            return Access.FORBIDDEN, None
        thread = await tx.tickets.messages(ticket.id)
        kept = await tx.tickets.notes(ticket.id)
        appeal = await desk.appeal_text(tx, ticket)
    # The page titles this block «Текст обращения» itself; the chat card's heading would repeat it.
    appeal = appeal.removeprefix(texts.APPEAL_HEADING)
    lines = [HistoryLine(_time(e["at"]), "event", _event_line(desk, e)) for e in events]
    for m in thread:
        kind = "citizen" if m.author == "citizen" else "answer"
        lines.append(HistoryLine(m.at, kind, _quoted(m.text, len(m.attachments))))
    for n in kept:
        who = actor_name(desk, n.author)
        lines.append(HistoryLine(n.at, "note", f"{who}: {_quoted(n.text, len(n.attachments))}"))
    lines.sort(key=lambda line: line.at)
    page = TicketPage(
        row_of(desk, ticket, desk.clock.now()), appeal, len(ticket.attachments), lines,
        allowed_actions(ticket, role),
    )
    return Access.OK, page


async def attachment(
    desk: Desk, role: Role, number: str, index: int
) -> tuple[Access, Attachment | None]:
    """The ticket's ``index``-th file with the channel it came through, if ``role`` may see
    the ticket (``None``: no such file)."""
    access, page = await ticket_page(desk, role, number)
    if page is None:
        return access, None
    files = page.row.ticket.attachments
    if not 0 <= index < len(files):
        return access, None
    found = files[index]
    return access, found if found.channel else dataclasses.replace(
        found, channel=page.row.ticket.channel
    )


def allowed_actions(ticket: TicketRecord, role: Role) -> frozenset[str]:
    """The forms the ticket page shows ``role`` now (each use case checks again when used)."""
    by = role.acts_for(ticket.body)
    found = {"note"}
    if by is None:
        return frozenset(found)
    holding = by == COORDINATOR or ticket.body == by
    if ticket.state in (S.ROUTED, S.REOPENED) and staff_actions.may_act(ticket, by):
        found.add("take")
    if ticket.state in ANSWERABLE and holding:
        found.add("answer")
    if ticket.state in REDIRECTABLE and staff_actions.may_act(ticket, by):
        found.add("redirect")
    if ticket.state in ACTIVE and ticket.due_at and ticket.extended_at is None and holding:
        found.add("extend")
    if may_move(ticket.state, S.CLOSED) and (
        by == COORDINATOR or ticket.state in ACTIVE | {S.ANSWERED}
    ):
        found.add("close")
    return frozenset(found)


def _message(role: Role, text: str) -> IncomingMessage:
    """What the page's form is, to the use cases: a message of the signed-in account in its
    private chat, with an id no platform message has (above 2**50)."""
    return IncomingMessage(
        role.channel, role.user_id, role.user_id, 2**50 + secrets.randbits(48), text=text
    )


def _result(number: str, outcome: Outcome, done: str | None = None) -> Result:
    if outcome.kind == K.IGNORED:
        return Result(False, outcome.notice or texts.CONSOLE_ACTION_REFUSED.format(number=number))
    return Result(True, done or outcome.notice or "")


async def _current(desk: Desk, number: str) -> TicketRecord | None:
    async with desk.repo.transaction() as tx:
        return await tx.tickets.by_number(number)


async def act(desk: Desk, role: Role, number: str, action: str, text: str, body: str) -> Result:
    """One action of the ticket page; ``text``: the answer, note or reason; ``body``: the body
    a coordinator hands the ticket to. The caller checked the ticket is visible to ``role``."""
    ticket = await _current(desk, number)
    refused = Result(False, texts.CONSOLE_ACTION_REFUSED.format(number=number))
    if ticket is None:
        return refused
    message = _message(role, text)
    if action == "note":
        return await _note(desk, message, ticket)
    by = role.acts_for(ticket.body)
    if by is None:
        return refused
    actor = desk.actor(by, message)
    if action == "take":
        return _result(number, await staff_actions.take(desk, number, by=by, actor=actor))
    if action == "answer":
        outcome = await staff_actions.record_answer(
            desk, message, ticket, by=by, acknowledge=False
        )
        return _result(number, outcome, texts.CONSOLE_ANSWER_SENT.format(number=number))
    if action == "redirect":
        correct = body or None if by == COORDINATOR else None
        if correct is not None and correct not in desk.table.body_by_id:
            return refused
        outcome = await staff_actions.redirect(
            desk, number, by=by, correct_body=correct, reason=text or None, actor=actor
        )
        return _result(number, outcome)
    if action == "extend":
        outcome = await interim.extend(desk, number, by=by, actor=actor, reason=text)
        return _result(number, outcome)
    if action == "close":
        outcome = await staff_actions.close_by_staff(
            desk, number, by=by, actor=actor, reason=text or None
        )
        return _result(number, outcome)
    return refused


async def _note(desk: Desk, message: IncomingMessage, ticket: TicketRecord) -> Result:
    """As `notes.take_note` stores a note, without the chat's acknowledgement."""
    author = notes.note_author(desk, ticket, message)
    if author is None:
        return Result(False, texts.NOTE_REFUSED.format(number=ticket.number))
    async with desk.repo.transaction() as tx:
        await tx.tickets.add_note(ticket.id, TicketNote.of(message, author, desk.clock.now()))
    log.info("ticket %s: a note stored from the console", ticket.number)
    return Result(True, texts.CONSOLE_NOTE_SAVED.format(number=ticket.number))


async def bulk(
    desk: Desk, role: Role, numbers: list[str], action: str, body: str, reason: str
) -> tuple[int, list[str]]:
    """A coordinator's bulk reassign (``action`` "reassign" to ``body``) or close (with
    ``reason``): each ticket through the chat's use case; how many changed, and the numbers
    that did not."""
    assert role.coordinator
    message = _message(role, reason)
    actor = desk.actor(COORDINATOR, message)
    done, skipped = 0, []
    for number in numbers:
        if action == "reassign":
            outcome = await staff_actions.redirect(
                desk, number, by=COORDINATOR, correct_body=body, actor=actor
            )
        else:
            outcome = await staff_actions.close_by_staff(
                desk, number, by=COORDINATOR, actor=actor, reason=reason or None
            )
        if outcome.kind == K.IGNORED:
            skipped.append(number)
        else:
            done += 1
    log.info("console: bulk %s, %d of %d", action, done, len(numbers))
    return done, skipped

"""Deadlines: reminders to the body before the deadline; after it, a notice to the
coordinators and one to the citizen (that the deadline passed and the coordinators know).

Timers are not kept in memory: a periodic scan derives them from the stored deadline (and its
one extension) and a reminder log with a unique key (ticket, routing round, mark), so a restart
neither loses nor repeats a reminder, and a second process scanning at the same time queues
nothing twice. The citizen's overdue notice is queued in the same transaction as that log entry,
so they hear of it exactly once per ticket and routing round (a redirect or a reopening starts a
new round with a new deadline).
"""

from __future__ import annotations

import logging

from bot.core.desk import Desk
from bot.domain import texts
from bot.domain.records import TicketRecord
from bot.domain.states import ACTIVE
from bot.domain.wire import OutboxKey
from bot.storage.base import Tx

log = logging.getLogger("bot.core")

OVERDUE = "overdue"
#: The prefix of the marks of an extended deadline ("extended:overdue").
EXTENDED = "extended:"


async def scan_deadlines(desk: Desk) -> int:
    """Queue reminders and overdue escalations that are due; returns how many were queued.

    Marks are the reminder fractions of [routed_at, due_at] plus the deadline itself. If several
    passed since the last scan (the bot was down), only the latest is sent and the earlier ones
    are logged as skipped — one "overdue" beats three stale messages.
    """
    now = desk.clock.now()
    async with desk.repo.transaction() as tx:
        tickets = [t for state in ACTIVE for t in await tx.tickets.in_state(state)]
    queued = 0
    for ticket in tickets:
        if ticket.due_at is None or ticket.routed_at is None:
            continue
        # After the one extension (`interim.extend`) the reminders run anew, over the new
        # term and under names of their own: the first term's may all have been sent.
        start = ticket.extended_at or ticket.routed_at
        term = EXTENDED if ticket.extended_at is not None else ""
        span = ticket.due_at - start
        marks = [
            (f"{term}reminder:{f:g}", start + span * f) for f in desk.policy.reminder_fractions
        ]
        marks.append((term + OVERDUE, ticket.due_at))
        passed = [kind for kind, moment in marks if moment <= now]
        if not passed:
            continue
        async with desk.repo.transaction() as tx:
            fresh = await tx.tickets.by_id(ticket.id)
            moved = fresh is None or fresh.state not in ACTIVE
            if moved or fresh.route_round != ticket.route_round:
                continue
            for kind in passed:
                latest = kind == passed[-1]
                inserted = await tx.tickets.record_reminder(
                    ticket.id, ticket.route_round, kind, now, skipped=not latest
                )
                if inserted and latest:
                    await _remind(desk, tx, fresh, kind)
                    queued += 1
    if queued:
        desk.wake()
    return queued


async def _remind(desk: Desk, tx: Tx, ticket: TicketRecord, kind: str) -> None:
    body = desk.body_of(ticket)
    due = desk.show_due(ticket.due_at) if ticket.due_at else ""
    reminder = texts.REMINDER_TO_BODY.format(number=ticket.number, due=due)
    chats = await desk.to_staff(
        tx, ticket, kind, reminder, ticket.route_round, everyone_without_chat=False
    )
    overdue = kind.removeprefix(EXTENDED) == OVERDUE
    if overdue or not chats:
        text = texts.OVERDUE_TO_COORDINATOR if overdue else texts.REMINDER_TO_BODY
        text = text.format(number=ticket.number, due=due, body=body.name if body else ticket.body)
        await desk.to_each_coordinator(tx, ticket, kind, text, ticket.route_round)
    if overdue:  # the first term's or, after the one extension, the new one's
        await tell_citizen_overdue(desk, tx, ticket, due, extended=kind != OVERDUE)
    log.info("ticket %s: %s queued", ticket.number, kind)


async def tell_citizen_overdue(
    desk: Desk, tx: Tx, ticket: TicketRecord, due: str, *, extended: bool = False
) -> None:
    """The citizen hears that the deadline passed without an answer, and who now follows it
    up: silence after a promised date is what makes people write again (or give up). Once a
    round, and once more for the extended deadline of that round (its own outbox key)."""
    template = texts.OVERDUE_TO_CITIZEN if desk.coordinators else texts.OVERDUE_TO_CITIZEN_ALONE
    await desk.to_citizen(
        tx,
        ticket,
        OutboxKey.to_citizen(
            ticket.number, f"{OVERDUE}-extended" if extended else OVERDUE, ticket.route_round
        ),
        template.format(number=ticket.number, due=due),
    )

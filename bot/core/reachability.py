"""When a citizen cannot be reached (VK 901: they have not allowed the community's messages;
Telegram 403: they blocked the bot), and when they can again.

The ticket stays as it is — the answer is saved in it — and the people working on it are told
once per routing round, so that someone contacts the citizen another way. When VK reports
``message_allow`` (or Telegram a ``my_chat_member`` update: unblocked), what could not be
delivered is queued again in its original order. A body's chat is `chat_access`'s.
"""

from __future__ import annotations

import logging

from bot.core.desk import Desk
from bot.domain import texts
from bot.domain.comments import COMMENT
from bot.domain.records import OutboxRow
from bot.domain.states import OutboxState
from bot.domain.wire import Purpose

log = logging.getLogger("bot.core")


async def citizen_unreachable(desk: Desk, row: OutboxRow) -> None:
    """The outbox could not deliver ``row`` to the citizen: tell the body's chats (or, when the
    body has none, the coordinators)."""
    if row.purpose != Purpose.CITIZEN or row.ticket_id is None:
        return  # a staff chat that cannot be reached is a setup problem, not a ticket's
    now = desk.clock.now()
    async with desk.repo.transaction() as tx:
        ticket = await tx.tickets.by_id(row.ticket_id)
        if ticket is None:
            return
        await tx.tickets.add_event(ticket.id, "citizen_unreachable", now, detail={"outbox": row.id})
        template = (
            texts.COMMENT_CITIZEN_NO_PM_TO_STAFF  # answered under the comment all the same
            if ticket.origin == COMMENT
            else texts.CITIZEN_BLOCKED_BOT_TO_STAFF
            if row.channel == "tg"
            else texts.CITIZEN_UNREACHABLE_TO_STAFF
        )
        text = template.format(number=ticket.number)
        await desk.to_staff(tx, ticket, "unreachable", text, ticket.route_round)
    log.info("ticket %s: the citizen cannot be reached", ticket.number)
    desk.wake()


async def citizen_reachable(desk: Desk, channel: str, user_id: int) -> int:
    """The citizen allowed messages again (VK ``message_allow``, Telegram: unblocked the bot):
    returns how many messages were queued again."""
    now = desk.clock.now()
    requeued = 0
    async with desk.repo.transaction() as tx:
        for ticket in await tx.tickets.of_citizen(channel, user_id):
            for event in await tx.tickets.events(ticket.id):
                if event.get("kind") != "citizen_unreachable":
                    continue
                row_id = (event.get("detail") or {}).get("outbox")
                row = await tx.outbox.row(row_id) if row_id is not None else None
                if row is None or row.state != OutboxState.FAILED:
                    continue
                await tx.outbox.set_state(
                    row.id, OutboxState.PENDING, next_attempt_at=now, attempts=0, last_error=None
                )
                requeued += 1
    if requeued:
        desk.wake()
    return requeued

"""An incoming update the bot could not handle, however often it tried: the coordinators hear
of it, so that somebody answers the person the bot could not.

The inbox (`bot.delivery.inbox`) sets such an update aside (``dead``) with its raw copy and
calls `update_set_aside`, which tells every coordinator where it came from — the channel, the
chat, the number of the chat's latest appeal if it has one — and never what was written: that
stays in the database for whoever looks into it, and out of the logs.
"""

from __future__ import annotations

import logging

from bot.core.desk import COORDINATOR, Desk
from bot.domain import texts
from bot.domain.records import InboxRow
from bot.domain.wire import OutboxKey

log = logging.getLogger("bot.core")


async def update_set_aside(desk: Desk, row: InboxRow) -> None:
    """Queue the notice for every coordinator; asked again about the same row (a crash before
    the row was marked), it queues nothing new."""
    if not desk.coordinators:
        log.warning("inbox row %d set aside, and no coordinator to tell (COORDINATORS)", row.id)
        return
    async with desk.repo.transaction() as tx:
        ticket = None
        if row.chat_id is not None:
            ticket = await tx.tickets.latest_of_chat(row.channel, row.chat_id)
            where = texts.WHERE_CHAT.get(row.channel, row.channel + " {chat}")
        else:
            where = texts.WHERE_NO_CHAT.get(row.channel, row.channel)
        text = texts.UPDATE_SET_ASIDE.format(
            where=where.format(chat=row.chat_id),
            attempts=row.attempts,
            row=row.id,
            ticket=texts.UPDATE_SET_ASIDE_TICKET.format(number=ticket.number) if ticket else "",
        )
        for person in desk.coordinators:
            key = OutboxKey.about_no_ticket("inbox-dead", row.id, person.channel, person.user_id)
            await desk.say(person.channel, person.user_id, text, key, purpose=COORDINATOR, tx=tx)
    desk.wake()

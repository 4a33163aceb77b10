"""Internal notes: what a body's staff or a coordinator write about a ticket for each other.

A note is never an answer. It is stored in its own table (`TicketsTx.add_note`), which nothing
that shows a ticket to a citizen reads (/my, the history button, the reopened card, the
152-ФЗ export), and it is blanked with the citizen's own words by the privacy paths
(`TicketsTx.anonymise`). Staff see notes in ``/ticket`` (`bot.core.ticket_view`).

How a message becomes a note is decided in `bot.core.staff_actions` (``/note`` as a reply to
the card; in a forum topic, any message that is not a reply to the card or ``/answer``). Here
it is stored once per platform message, with what acknowledges it in the same transaction.
"""

from __future__ import annotations

import logging

from bot.core.desk import BODY, COORDINATOR, Desk
from bot.domain import texts
from bot.domain.messages import IncomingMessage
from bot.domain.records import TicketNote, TicketRecord
from bot.domain.wire import OutboxKey, Outcome, OutcomeKind

log = logging.getLogger("bot.core")

K = OutcomeKind


def note_author(desk: Desk, ticket: TicketRecord, message: IncomingMessage) -> str | None:
    """Who may leave a note on ``ticket``: a coordinator, or the staff of a body that holds it or
    held it (a colleague still talking in the topic after «Не наше»); as the audit log names
    them, or ``None``."""
    if desk.staff.is_coordinator(message.channel, message.user_id):
        return desk.actor(COORDINATOR, message)
    if desk.staff_chats.get((message.channel, message.chat_id)) == COORDINATOR:
        return desk.actor(COORDINATOR, message)
    for body in (ticket.body, *ticket.tried_bodies):
        if desk.staff.may_act_for(body, message.channel, message.chat_id, message.user_id):
            assert body is not None
            return desk.actor(body, message)
    return None


async def take_note(
    desk: Desk, message: IncomingMessage, ticket: TicketRecord, *, explicit: bool
) -> Outcome:
    """Store ``message`` as a note on ``ticket``. ``explicit``: written with /note, answered
    with a short acknowledgement; otherwise (a message in the ticket's forum topic) only the
    first note of a ticket in a chat gets a one-time hint, so that a discussion is not doubled
    by the bot's replies."""
    author = note_author(desk, ticket, message)
    if author is None:
        if explicit:
            text = texts.NOTE_REFUSED.format(number=ticket.number)
            await desk.reply_in_chat(message, text, "note-refused")
        return Outcome(K.IGNORED, ticket.number, ticket.state)
    if not message.text.strip() and not message.attachments:
        if explicit:
            text = texts.NOTE_EMPTY.format(command="/note")
            await desk.reply_in_chat(message, text, "note-empty")
        return Outcome(K.IGNORED, ticket.number, ticket.state)
    now = desk.clock.now()
    note = TicketNote.of(message, author, now)
    async with desk.repo.transaction() as tx:
        if not await tx.tickets.add_note(ticket.id, note):
            return Outcome(K.DUPLICATE, ticket.number, ticket.state)
        if explicit:
            text = texts.NOTE_SAVED.format(number=ticket.number)
            await desk.reply_in_chat(message, text, "note", tx=tx)
        else:
            await desk.enqueue(
                tx,
                ticket,
                OutboxKey.to_staff(ticket.number, BODY, "note-hint", message.channel,
                                   message.chat_id),
                message.channel,
                message.chat_id,
                texts.NOTE_FIRST_IN_TOPIC.format(number=ticket.number),
                BODY,
                reply_to=message.message_id,
            )
    desk.wake()
    log.info("ticket %s: a note stored", ticket.number)
    return Outcome(K.NOTE, ticket.number, ticket.state)

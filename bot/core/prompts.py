"""Asking staff before acting, and reading their reply as the answer to the question.

Two small pieces any staff use case can reuse: `ask` queues a question about a ticket in the
chat where a button was pressed (in reply to the card there, in the ticket's forum topic), and
`quoted` tells whether a staff message replies to one of those questions — found by the outbox
row whose sent message the reply quotes, its key naming what was asked
(`bot.domain.prompts.asked_in`). Such a reply is a reason or an interim answer, never the
answer to the citizen: the dispatcher hands it to `bot.core.safe_actions.answer_prompt` before
any other staff path reads it.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.desk import BODY, COORDINATOR, Desk
from bot.domain.messages import IncomingMessage
from bot.domain.prompts import Asked, asked_in, prompt_key
from bot.domain.records import TicketRecord
from bot.domain.wire import OutboxKey
from bot.storage.base import Tx


async def ask(
    desk: Desk,
    tx: Tx,
    ticket: TicketRecord,
    message: IncomingMessage,
    what: Asked,
    text: str,
    buttons: tuple = (),
) -> None:
    """The question in the chat of ``message`` (a press under the card there)."""
    channel, chat = message.channel, message.chat_id
    audience = BODY if desk.staff.bodies_of_chat(channel, chat) else COORDINATOR
    stamp = int(desk.clock.now().timestamp() * 1_000_000)
    key = prompt_key(ticket.number, audience, what, ticket.route_round, channel, chat, stamp)
    await desk.enqueue(
        tx, ticket, key, channel, chat, text, audience, buttons=buttons,
        reply_to=await desk.card_id(tx, ticket, channel, chat),
    )


@dataclass(frozen=True)
class Quoted:
    """A staff reply to one of the bot's questions: about ``ticket``, asking ``what``, in
    routing round ``round`` (the ticket as it is now may have moved on since)."""

    ticket: TicketRecord
    what: Asked
    round: int


async def quoted(desk: Desk, message: IncomingMessage) -> Quoted | None:
    """The question ``message`` replies to, if it replies to one of the bot's questions."""
    if message.reply_to is None:
        return None
    async with desk.repo.transaction() as tx:
        row = await tx.outbox.sent_as(message.channel, message.chat_id, message.reply_to)
        if row is None or row.ticket_id is None:
            return None
        asked = asked_in(OutboxKey.parse(row.key))
        if asked is None:
            return None
        ticket = await tx.tickets.by_id(row.ticket_id)
    if ticket is None:
        return None
    return Quoted(ticket, *asked)

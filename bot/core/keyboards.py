"""The citizen's keyboards around a question: the "share location" button, when to take it
away, and the invitation to add a photo.

Telegram shows one keyboard per message and cannot put a reply keyboard (the location button)
together with inline buttons, so these rules decide which message carries which; VK follows
the same rules. Plain functions over the transaction: the desk calls them.
"""

from __future__ import annotations

from datetime import datetime

from bot.domain import texts
from bot.domain.messages import Button, OutgoingMessage
from bot.domain.records import OutboxDraft, TicketRecord
from bot.domain.states import TicketState
from bot.domain.wire import Action, OutboxKey, Payload, Purpose
from bot.storage.base import Tx
from routing.model import RoutingTable


async def photo_offer(
table: RoutingTable, tx: Tx, ticket: TicketRecord, topic_id: str | None
) -> tuple[str, tuple]:
    """A line and a «Пропустить» button for the acceptance message when the topic wants a
    photo and none came. A photo helps, but an appeal never waits for one: the photo the
    citizen sends next reaches the body as a follow-up (`intake.follow_up`).

    Without the button when the location keyboard is up: Telegram takes one keyboard per
    message, and this message must take that one away."""
    topic = table.topic_by_id.get(topic_id or "")
    if topic is None or not topic.wants_photo or ticket.attachments:
        return "", ()
    if await keyboard_shown(tx, ticket):
        return texts.ASK_PHOTO_NO_BUTTON, ()
    skip = Button(texts.SKIP_BUTTON, Payload(Action.SKIP, ticket.number, "photo").pack())
    return texts.ASK_PHOTO, ((skip,),)

async def offer_location(
tx: Tx, ticket: TicketRecord, question: OutboxKey, now: datetime
) -> None:
    """The "share location" keyboard, as a message of its own (Telegram cannot put a reply
    keyboard and inline buttons under one message)."""
    if ticket.chat_id is None:
        return
    message = OutgoingMessage(
        ticket.channel,
        ticket.chat_id,
        texts.ASK_LOCATION_HINT,
        request_location=True,
    )
    key = OutboxKey(question.ticket, question.name, (*question.parts, "location"))
    await tx.outbox.queue(
        OutboxDraft(
            key=key.render(),
            channel=ticket.channel,
            chat_id=ticket.chat_id,
            payload=message.to_json(),
            purpose=Purpose.CITIZEN,
            ticket_id=ticket.id,
        ),
        now,
    )

async def keyboard_shown(tx: Tx, ticket: TicketRecord) -> bool:
    """Whether a message to the citizen should take the location keyboard away: it was
    offered for this ticket and the ticket no longer waits for the place."""
    if ticket.untouched:
        return False
    now = await tx.tickets.state_and_event(ticket.id, ("asked_place", "asked_address"))
    if now is None:
        return False
    state, asked = now
    return asked and state != TicketState.COLLECTING

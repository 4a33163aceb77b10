"""When the bot may no longer write to a body's chat, and when it may again.

An administrator removes the bot from the body's group, or blocks it in a private chat: the
platform says so either at once (Telegram ``my_chat_member`` with ``left``/``kicked``, VK
``message_deny``) or on the next send (Telegram 403, VK 901: the outbox reports the row to
`delivery_refused`). Until then a card sent there was only logged; now the chat is marked
(`StaffTx.mark_unreachable`, shown on each binding as ``unreachable_since``), the coordinators
are told at once which body and what kind of chat, and while no chat of the body is reachable
its cards go to the coordinators (`live_cards.send_cards`) — those of the tickets it holds now
included.

When the chat is back (``my_chat_member`` with ``member``/``administrator``, VK
``message_allow``, or simply a message from it: `dispatch.chat_is_back`), the mark is removed
and the cards of the body's open tickets that never reached the chat are sent there again.

The same platform signals about a citizen's private chat are `reachability`'s: a citizen who
allows messages again gets what could not be delivered. Logs name the body and the kind of chat,
never a chat id.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from bot.core import comments, live_cards, reachability
from bot.core.desk import COORDINATOR, Desk
from bot.domain import texts
from bot.domain.records import OutboxRow, TicketRecord
from bot.domain.staff import chat_kind
from bot.domain.states import ACTIVE, OutboxState, TicketState
from bot.domain.wire import OutboxKey, Purpose
from bot.storage.base import Tx
from routing.model import Body

log = logging.getLogger("bot.core")

#: Why a chat was marked (stored with the mark; for the operator, not shown to anyone).
REFUSED = "refused"  # a send was refused (Telegram 403, VK 901)
LEFT = "left"  # the platform said the bot is no longer there, or blocked (my_chat_member, VK)


async def delivery_refused(desk: Desk, row: OutboxRow) -> None:
    """The outbox could not deliver ``row`` because its recipient refuses the bot: a body's
    chat is marked unreachable; for a citizen the people on the ticket are told
    (`reachability.citizen_unreachable`)."""
    if row.purpose == Purpose.BODY and row.chat_id is not None:
        await access_changed(desk, row.channel, row.chat_id, allowed=False, reason=REFUSED)
        return
    if row.purpose == Purpose.CITIZEN_PUBLIC:  # a reply under a comment, not a chat
        await comments.public_reply_refused(desk, row)
        return
    await reachability.citizen_unreachable(desk, row)


async def access_changed(
    desk: Desk, channel: str, chat_id: int, *, allowed: bool, reason: str = LEFT
) -> int:
    """The platform says whether the bot may write to ``chat_id`` now. Returns how many
    cards were queued again (a body's chat back) or messages re-queued (a citizen's)."""
    if not desk.staff.bodies_of_chat(channel, chat_id):
        if allowed and chat_kind(channel, chat_id) == "private":
            return await reachability.citizen_reachable(desk, channel, chat_id)
        return 0  # a citizen who blocked the bot: the next refused send tells the staff
    if allowed:
        return await _chat_back(desk, channel, chat_id)
    await _chat_lost(desk, channel, chat_id, reason)
    return 0


async def _chat_lost(desk: Desk, channel: str, chat_id: int, reason: str) -> None:
    now = desk.clock.now()
    before = desk.unreachable
    since = None  # what the chat's bindings showed before (restored if the write fails)
    try:
        async with desk.repo.transaction() as tx:
            if not await tx.staff.mark_unreachable(channel, chat_id, reason, now):
                # Known already (told once), perhaps by another process: this one learns it.
                desk.replace_bindings(desk.bindings, before | {(channel, chat_id)})
                return
            # From here on the desk sends nothing there (cards included, below).
            _mark(desk, channel, chat_id, now, before | {(channel, chat_id)})
            kind = texts.CHAT_KIND[(channel, chat_kind(channel, chat_id))]
            for body in _bodies(desk, channel, chat_id):
                stranded = not desk.body_chats(body)
                template = (
                    texts.CHAT_UNREACHABLE_TO_COORDINATOR
                    if stranded
                    else texts.CHAT_UNREACHABLE_OTHERS_LEFT
                )
                await _tell_coordinators(
                    desk, tx, template.format(body=body.name, kind=kind),
                    "chat-lost", channel, chat_id, body.id, f"{now:%Y%m%dT%H%M%S%f}",
                )
                if stranded:  # the tickets it holds go to the coordinators
                    for ticket in await _open_tickets(tx, body):
                        await _card(desk, tx, ticket, body)
                log.warning("body %s: its %s %s chat cannot be reached", body.id, channel,
                            chat_kind(channel, chat_id))
    except BaseException:
        _mark(desk, channel, chat_id, since, before)
        raise
    desk.wake()


async def _chat_back(desk: Desk, channel: str, chat_id: int) -> int:
    now = desk.clock.now()
    before = desk.unreachable
    resent = 0
    since = await _marked_since(desk, channel, chat_id)
    try:
        async with desk.repo.transaction() as tx:
            if not await tx.staff.mark_reachable(channel, chat_id):
                desk.replace_bindings(desk.bindings, before - {(channel, chat_id)})
                return 0
            _mark(desk, channel, chat_id, None, before - {(channel, chat_id)})
            kind = texts.CHAT_KIND[(channel, chat_kind(channel, chat_id))]
            for body in _bodies(desk, channel, chat_id):
                count = 0
                for ticket in await _open_tickets(tx, body):
                    if await _card_again(desk, tx, ticket, body, channel, chat_id):
                        await tx.tickets.add_event(
                            ticket.id, "card_resent", now, detail={"body": body.id}
                        )
                        count += 1
                await _tell_coordinators(
                    desk, tx,
                    texts.CHAT_REACHABLE_TO_COORDINATOR.format(
                        body=body.name, kind=kind, count=count
                    ),
                    "chat-back", channel, chat_id, body.id, f"{now:%Y%m%dT%H%M%S%f}",
                )
                log.info("body %s: its %s %s chat is back, %d cards sent again", body.id,
                         channel, chat_kind(channel, chat_id), count)
                resent += count
    except BaseException:
        _mark(desk, channel, chat_id, since, before)
        raise
    desk.wake()
    return resent


async def _card_again(
    desk: Desk, tx: Tx, ticket: TicketRecord, body: Body, channel: str, chat_id: int
) -> bool:
    """The ticket's card in a chat that is back, unless it reached the chat before: a card
    refused there is queued again, a missing one is queued (`live_cards.send_cards`: chats that
    have the card get nothing twice). ``False`` when the chat has it already."""
    key = OutboxKey.card(ticket.number, ticket.route_round, channel, chat_id)
    rows = [row for k in _pieces(key) if (row := await tx.outbox.by_key(k)) is not None]
    if rows and all(row.state == OutboxState.SENT for row in rows):
        return False
    for row in rows:
        if row.state in (OutboxState.FAILED, OutboxState.UNCERTAIN):
            await tx.outbox.set_state(
                row.id, OutboxState.PENDING, next_attempt_at=desk.clock.now(), attempts=0,
                last_error=None,
            )
    if not rows:
        await _card(desk, tx, ticket, body)
    return True


def _pieces(key: OutboxKey, most: int = 4) -> Iterable[str]:
    """The key of a card and of its pieces (a long card is sent in several)."""
    yield key.render()
    for index in range(1, most + 1):
        yield key.piece_of(index).render()


async def _card(desk: Desk, tx: Tx, ticket: TicketRecord, body: Body) -> None:
    if ticket.due_at is None:
        return
    note = texts.REOPENED_NOTE if ticket.state == TicketState.REOPENED else ""
    await live_cards.send_cards(
        desk, tx, ticket, body, ticket.topic, ticket.municipality, ticket.due_at,
        ticket.route_round, note, state=ticket.state,
    )


async def _open_tickets(tx: Tx, body: Body) -> list[TicketRecord]:
    return [
        ticket
        for state in sorted(ACTIVE)
        for ticket in await tx.tickets.in_state(state)
        if ticket.body == body.id
    ]


def _mark(
    desk: Desk,
    channel: str,
    chat_id: int,
    since: datetime | None,
    unreachable: frozenset[tuple[str, int]],
) -> None:
    """The desk's view: which chats are cut off, and the mark on each binding in this one
    (what `/staff`-like listings read from `Desk.bindings`)."""
    bindings = [
        replace(b, unreachable_since=since) if (b.channel, b.chat_id) == (channel, chat_id) else b
        for b in desk.bindings
    ]
    desk.replace_bindings(bindings, unreachable)


async def _marked_since(desk: Desk, channel: str, chat_id: int) -> datetime | None:
    async with desk.repo.transaction() as tx:
        return (await tx.staff.unreachable_chats()).get((channel, chat_id))


def _bodies(desk: Desk, channel: str, chat_id: int) -> list[Body]:
    ids = desk.staff.bodies_of_chat(channel, chat_id)
    return [desk.table.body_by_id[b] for b in ids if b in desk.table.body_by_id]


async def _tell_coordinators(
    desk: Desk, tx: Tx, text: str, event: str, *parts: str | int
) -> None:
    for person in desk.coordinators:
        await desk.say(
            person.channel, person.user_id, text,
            OutboxKey.about_no_ticket(event, *parts, person.channel, person.user_id),
            purpose=COORDINATOR, tx=tx,
        )

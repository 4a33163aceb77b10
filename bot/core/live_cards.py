"""Live cards: every state change of a ticket edits its cards in the body chats.

A card is sent once per routing round to each chat of the body (`send_cards`), with a status
line under it and the buttons its state allows (`bot.domain.cards.CARD_BUTTONS`). When the
ticket moves (`Desk.move` calls `refresh`, in the same transaction), an edit row is queued for
every card of the round: the same card, the new status line, the new buttons; in a forum
group the ticket's topic is retitled with the state, closed when the ticket ends and reopened
when it comes back. When a move starts a new round (a redirect, a coordinator's choice, the
citizen's «не решена»), the cards of the round that ended lose their buttons and say where
the ticket went.

The outbox edits the message the card row sent (`bot.delivery.outbox.Outbox._edit`); if the
platform refuses (VK: too old) or the card never went out, it sends the compact status with
the buttons instead, so the change is never lost. Per chat the rows leave in order, so an edit
never overtakes its card.

This module knows the desk only through `CardDesk` (the desk imports it, not the other way).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any, Protocol

from bot.core.ports import Addressee
from bot.domain import cards, texts
from bot.domain.calendar import WorkingCalendar
from bot.domain.messages import MAX_TEXT, Attachment, Channel, IncomingMessage, OutgoingMessage
from bot.domain.records import OutboxDraft, TicketRecord
from bot.domain.staff import StaffDirectory
from bot.domain.states import ACTIVE, TicketState
from bot.domain.wire import OutboxKey, Purpose
from bot.storage.base import Tx
from routing.model import Body, RoutingTable

S = TicketState
#: Where a ticket's forum topic is closed.
ENDED = frozenset({S.CLOSED, S.REJECTED})


class CardDesk(Protocol):
    """What of `bot.core.desk.Desk` the live cards use."""

    table: RoutingTable
    calendar: WorkingCalendar
    coordinators: tuple[Addressee, ...]
    staff: StaffDirectory

    def body_of(self, ticket: TicketRecord) -> Body | None: ...
    def body_chats(self, body: Body) -> list[tuple[str, int]]: ...
    def forum_fields(self, ticket: TicketRecord, channel: str, chat_id: int) -> dict[str, Any]: ...
    def show_due(self, due: datetime) -> str: ...
    def portable(self, ticket: TicketRecord, channel: str) -> tuple[Attachment, ...]: ...
    async def appeal_text(self, tx: Tx, ticket: TicketRecord) -> str: ...
    async def enqueue(
        self, tx: Tx, ticket: TicketRecord | None, key: OutboxKey, channel: Channel,
        chat_id: int, text: str, purpose: Purpose, **options: Any,
    ) -> None: ...


def topic_closed(state: str) -> bool | None:
    """The forum topic's state a message about a ticket in ``state`` leaves behind: closed
    when the ticket ended, open while a body holds it, as it is otherwise."""
    if state in ENDED:
        return True
    if state in ACTIVE:
        return False
    return None


def status_line(
    desk: CardDesk, ticket: TicketRecord, detail: dict[str, Any], now: datetime
) -> str | None:
    """The status line of a card of the ticket's current round, right after a move (``detail``:
    the move's; ``by_name``: who made it, as the platform names them)."""
    when = texts.WHEN.format(date=now.astimezone(desk.calendar.timezone))
    name = str(detail.get("by_name") or "")
    who = texts.CARD_WHO.format(who=name) if name else ""
    due = desk.show_due(ticket.due_at) if ticket.due_at is not None else "—"
    state = ticket.state
    if "extended_to" in detail:  # not a move: the one extension (`interim.extend`)
        reason = detail.get("reason") or "—"
        return texts.CARD_STATUS_EXTENDED.format(when=when, who=who, due=due, reason=reason)
    if state in (S.ROUTED, S.REOPENED):
        return texts.CARD_STATUS_WAITING.format(due=due)
    if state == S.IN_WORK:
        if name:
            return texts.CARD_STATUS_TAKEN.format(who=name, when=when, due=due)
        return texts.CARD_STATUS_TAKEN_ANONYMOUS.format(when=when, due=due)
    if state == S.ANSWERED:
        return texts.CARD_STATUS_ANSWERED.format(when=when, who=who)
    if state == S.CLOSED:
        if detail.get("solved"):
            return texts.CARD_STATUS_SOLVED.format(when=when)
        return texts.CARD_STATUS_CLOSED.format(when=when, who=who)
    if state == S.REJECTED:
        return texts.CARD_STATUS_REJECTED.format(when=when, who=who)
    if state in (S.REDIRECTED, S.WITH_COORDINATOR):
        return texts.CARD_STATUS_TO_COORDINATORS.format(when=when)
    return None


async def _status_as_it_is(desk: CardDesk, tx: Tx, ticket: TicketRecord) -> str:
    """The status line of a card sent again later (its chat came back, a new administrator):
    as the move that put the ticket in its state showed it then (who took it, and when)."""
    for event in reversed(await tx.tickets.events(ticket.id)):
        if event["to_state"] == ticket.state:
            at = event["at"]
            moment = datetime.fromisoformat(at) if isinstance(at, str) else at
            return status_line(desk, ticket, event["detail"], moment) or ""
    return status_line(desk, ticket, {}, ticket.updated_at) or ""


async def refresh(
    desk: CardDesk,
    tx: Tx,
    before: TicketRecord,
    after: TicketRecord,
    detail: dict[str, Any],
    now: datetime,
) -> None:
    """Queue the edits that show a move (``before`` → ``after``) on the ticket's cards."""
    if before.untouched or before.route_round == 0:
        return  # no card was ever sent
    change = f"{after.state}-{now:%Y%m%dT%H%M%S%f}"
    if after.route_round != before.route_round:
        # A new round: the cards of the one that ended say where the ticket went.
        when = texts.WHEN.format(date=now.astimezone(desk.calendar.timezone))
        same_body = after.body == before.body
        if same_body:
            # Back from the citizen («не решена») or from a coordinator (a close undone).
            back = (
                texts.CARD_STATUS_RETURNED
                if after.state == S.REOPENED
                else texts.CARD_STATUS_BACK_FROM_COORDINATOR
            )
            status = back.format(when=when)
            title, closed = cards.forum_topic_title(desk.table, after), None
        else:
            new_body = desk.body_of(after)
            status = texts.CARD_STATUS_HANDED_ON.format(
                body=new_body.name if new_body else "—", when=when
            )
            title = cards.forum_topic_title(desk.table, before, texts.TOPIC_HANDED_ON_MARK)
            closed = True
        await _edit_cards(desk, tx, before, change, status, (), title, closed, now)
        return
    status = status_line(desk, after, detail, now)
    if status is None:
        return
    await _edit_cards(
        desk, tx, after, change, status,
        cards.card_buttons(
            after.number, after.state, templates=bool(desk.table.templates_for(after.body or "")),
            units=after.body in desk.table.subordinates,
        ),
        cards.forum_topic_title(desk.table, after), topic_closed(after.state), now,
    )


async def _edit_cards(
    desk: CardDesk,
    tx: Tx,
    ticket: TicketRecord,
    change: str,
    status: str,
    buttons: cards.Rows,
    title: str,
    closed: bool | None,
    now: datetime,
) -> None:
    """An edit row for each card of ``ticket``'s round in its body's chats; for a body without
    a chat, of the card its coordinators got instead (with their buttons while a body holds
    the ticket)."""
    body = desk.body_of(ticket)
    if body is None:
        return
    compact = texts.CARD_STATUS_MESSAGE.format(number=ticket.number, status=status)
    number, round_ = ticket.number, ticket.route_round
    where = [
        (OutboxKey.card(number, round_, channel, chat), channel, chat, buttons)
        for channel, chat in desk.body_chats(body)
    ]
    if not where:
        # The coordinators' buttons while the chatless body holds the ticket; none once the
        # round ended (``buttons`` empty: the ticket went elsewhere).
        held = (
            cards.card_buttons(
                number, ticket.state, for_body=False, units=body.id in desk.table.subordinates
            )
            if buttons and ticket.state in ACTIVE
            else ()
        )
        where = [
            (
                OutboxKey.to_staff(
                    number, Purpose.COORDINATOR, "no-chat", round_, person.channel,
                    person.user_id,
                ),
                person.channel,
                person.user_id,
                held,
            )
            for person in desk.coordinators
        ]
    for key, channel, chat, buttons in where:
        forum = desk.forum_fields(ticket, channel, chat)
        if forum:
            forum |= {"topic_title": title, "topic_closed": closed}
        row = await tx.outbox.by_key(key.render())
        target = row
        if row is not None:
            sent = OutgoingMessage.from_json(row.channel, chat, row.payload)
            card = sent.card or sent.text
            text = cards.with_status(card, status)
            if len(text) <= MAX_TEXT:
                message = OutgoingMessage(
                    row.channel, chat, text, buttons=buttons, attachments=sent.attachments,
                    edits=key.render(), status=compact, card=card, **forum,
                )
            else:  # nothing to edit it into: the status goes as a message of its own
                message = OutgoingMessage(
                    row.channel, chat, compact, buttons=buttons, reply_to=row.platform_message_id,
                    **forum,
                )
        else:
            # A card too long for one message went in pieces: the status goes under them.
            first = target = await tx.outbox.by_key(key.piece_of(1).render())
            if first is None:
                continue  # no card in this chat (bound after the card went out)
            message = OutgoingMessage(
                first.channel, chat, compact, buttons=buttons,
                reply_to=first.platform_message_id, **forum,
            )
        await tx.outbox.queue(
            OutboxDraft(
                key=OutboxKey.card_edit(number, round_, channel, chat, change).render(),
                channel=message.channel,
                chat_id=chat,
                payload=message.to_json(),
                purpose=target.purpose,  # a body's card, or the coordinators' instead
                ticket_id=ticket.id,
                resend_if_uncertain=True,  # an edit repeated changes nothing
            ),
            now,
        )


def delivered_ack(
    desk: CardDesk, ticket: TicketRecord, answer: IncomingMessage, audience: Purpose
) -> OutboxDraft:
    """«Ответ доставлен заявителю», in reply to a staff member's ``answer``: the outbox queues
    it once the answer to the citizen is recorded as delivered (``then``), so it never says so
    too early; in a forum group it goes to the ticket's topic."""
    where = (answer.channel, answer.chat_id)
    key = OutboxKey.to_staff(ticket.number, audience, "delivered", *where, answer.message_id)
    ack = OutgoingMessage(
        answer.channel, answer.chat_id, texts.ANSWER_DELIVERED.format(number=ticket.number),
        reply_to=answer.message_id, **desk.forum_fields(ticket, *where),
    )
    return OutboxDraft(
        key.render(), answer.channel, answer.chat_id, ack.to_json(), audience, ticket.id,
        resend_if_uncertain=True,
    )


async def send_cards(
    desk: CardDesk,
    tx: Tx,
    ticket: TicketRecord,
    body: Body,
    topic: str | None,
    municipality: str | None,
    due: datetime,
    round_: int,
    note: str = "",
    *,
    state: TicketState = S.ROUTED,
) -> None:
    """The ticket card for the body's chats (or, with no chat, for the coordinators), with
    its status line and the buttons of ``state`` (the ticket's state once it is sent)."""
    appeal = await desk.appeal_text(tx, ticket)
    due_shown = desk.show_due(due)
    chats = desk.body_chats(body)
    if not chats:
        # No chat at all, or none the bot can write to now (`chat_access`).
        template = (
            texts.TO_COORDINATOR_CHAT_UNREACHABLE
            if desk.staff.all_chats_of(body.id)
            else texts.TO_COORDINATOR_NO_CHAT
        )
        for person in desk.coordinators:
            await desk.enqueue(
                tx,
                ticket,
                OutboxKey.to_staff(
                    ticket.number, Purpose.COORDINATOR, "no-chat", round_, person.channel,
                    person.user_id,
                ),
                person.channel,
                person.user_id,
                note  # who refused it and why, as a body's card would say
                + template.format(
                    number=ticket.number, body=body.name, due=due_shown, text=appeal
                )
                + cards.answer_hint(person.channel, forum=False),
                Purpose.COORDINATOR,
                buttons=cards.card_buttons(
                    ticket.number, state, for_body=False,
                    units=body.id in desk.table.subordinates,
                ),
                attachments=desk.portable(ticket, person.channel),
            )
        return
    text = cards.card_text(
        desk.table, ticket.number, topic, municipality, due_shown, appeal, note
    )
    status = (
        texts.CARD_STATUS_WAITING.format(due=due_shown)
        if state in (S.ROUTED, S.REOPENED)
        else await _status_as_it_is(desk, tx, dataclasses.replace(ticket, state=state))
    )
    shown = dataclasses.replace(ticket, state=state)  # its topic's title and state
    for channel, chat in chats:
        attachments = desk.portable(ticket, channel)
        body_text = text
        if ticket.attachments and not attachments:
            body_text += texts.TO_BODY_ATTACHMENTS_ELSEWHERE.format(
                count=len(ticket.attachments)
            )
        body_text += cards.answer_hint(channel, desk.staff.is_forum(channel, chat))
        await desk.enqueue(
            tx,
            shown,
            OutboxKey.card(ticket.number, round_, channel, chat),
            channel,
            chat,
            cards.with_status(body_text, status),
            Purpose.BODY,
            buttons=cards.card_buttons(
                ticket.number, state, templates=bool(desk.table.templates_for(body.id)),
                units=body.id in desk.table.subordinates,
            ),
            attachments=attachments,
            card=body_text,
        )

"""Comments under posts: an appeal written in public becomes a ticket, answered in public.

A comment on the community's wall (VK) or in a channel's discussion group (Telegram) is read by
`routing.comments.classify_comment`. Thanks, chatter and replies between citizens change
nothing: no ticket, no reply. An appeal becomes a ticket (``origin`` `COMMENT`, the citizen's
private chat as its chat) routed by the classifier like any other, except that nobody can be
asked a question in a comment thread: what the classifier cannot route goes to the
coordinators. The citizen gets a public reply under the comment instead of the private
«принято»; the body's answer (`answer_publicly`, called by `staff_actions.record_answer`) is
published under the comment too, besides going privately as every answer does. Spam and
insults make a ticket closed as spam at once, and the coordinators (who run the page) get the
link that lets them hide the comment: a community token cannot delete it.

The author's answer under the community's reply joins their ticket (`_follow_up`), as a reply
to the bot's message does in a private chat. Edits and deletions of the comment are told to
whoever holds the ticket; after a deletion the answer goes privately only. A public reply VK
refuses (comments closed, post deleted) is told to the staff by `public_reply_refused`; the
ticket and the private answer are not affected.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from bot.core import intake
from bot.core.desk import Desk
from bot.domain import texts
from bot.domain.comments import COMMENT, CommentRef, IncomingComment
from bot.domain.messages import IncomingMessage
from bot.domain.phrases import small_talk
from bot.domain.records import NewTicket, OutboxRow, TicketRecord
from bot.domain.states import ACTIVE, FINAL, TicketState
from bot.domain.wire import OutboxKey, Outcome, OutcomeKind, Purpose
from bot.storage.base import Tx
from routing.comments import CommentKind, classify_comment

log = logging.getLogger("bot.core")

S = TicketState
K = OutcomeKind
PUBLIC = Purpose.CITIZEN_PUBLIC


async def comment_posted(desk: Desk, comment: IncomingComment) -> Outcome:
    """A new comment (or an edited one that had no ticket): see the module's opening. In a
    staff chat (a reply to a card in a body's group looks alike) it is `NOT_A_COMMENT`; over
    the citizen's flood limit it is dropped."""
    ref = comment.ref
    if (ref.channel, ref.place_id) in desk.staff_chats:
        return Outcome(K.NOT_A_COMMENT)
    if desk.flood is not None and not (
        await desk.flood.check_async(ref.channel, comment.author_id)
    ).allowed:
        return Outcome(K.FLOODED)
    async with desk.repo.transaction() as tx:
        seen = await tx.comments.ticket_of(comment.ref)
        ticket = await tx.tickets.by_id(seen) if seen is not None else None
    if ticket is not None:
        return Outcome(K.DUPLICATE, ticket.number)
    if comment.reply_to is not None:
        added = await _follow_up(desk, comment)
        if added is not None:
            return added
    kind = classify_comment(comment.text, reply_to_citizen=comment.reply_to_citizen)
    if kind == CommentKind.OTHER:
        return Outcome(K.IGNORED)
    result = None
    if kind == CommentKind.APPEAL:
        result = await intake.classify(desk, comment.text, None, None)
    now = desk.clock.now()
    year = now.astimezone(desk.calendar.timezone).year
    draft = NewTicket(
        ref.channel, comment.private_chat or comment.author_id, comment.author_id, None,
        comment.text,
        comment.attachments, origin=COMMENT,
    )
    async with desk.repo.transaction() as tx:
        number = intake.ticket_number(year, await tx.tickets.next_sequence(year))
        ticket_id = await tx.tickets.insert(number, draft, S.NEW, now)
        if not await tx.comments.add(ticket_id, ref, comment.author_id, now):
            raise RuntimeError("a comment made two tickets")  # rolled back; the inbox retries
        detail = {"channel": ref.channel, "origin": COMMENT, "place": ref.place_id}
        await tx.tickets.add_event(ticket_id, "created", now, None, None, detail)
        ticket = draft.stored(ticket_id, number, S.NEW, now)
        if result is None:
            state = await _abuse(desk, tx, ticket, comment, now)
        else:
            state = await _accept(desk, tx, ticket, ref, result, now)
    log.info("ticket %s from a %s comment: %s", number, ref.channel, state)
    desk.wake()
    return Outcome(K.CREATED, number, state)


async def _follow_up(desk: Desk, comment: IncomingComment) -> Outcome | None:
    """The author answers under the community's reply about their open ticket: their words
    join the ticket and reach the body under its card (thanks and the like: nothing). ``None``
    when the comment answers something else: it is read as a comment of its own."""
    ref = comment.ref
    assert comment.reply_to is not None
    async with desk.repo.transaction() as tx:
        ticket_id = await tx.tickets.id_by_sent_message(ref.channel, ref.place_id,
                                                        comment.reply_to)
        ticket = await tx.tickets.by_id(ticket_id) if ticket_id is not None else None
    if ticket is None or ticket.user_id != comment.author_id or ticket.state in FINAL:
        return None
    if small_talk(comment.text) is not None:
        return Outcome(K.SMALL_TALK, ticket.number)
    now = desk.clock.now()
    message = IncomingMessage(ref.channel, ref.place_id, comment.author_id, ref.comment_id,
                              comment.text)
    async with desk.repo.transaction() as tx:
        ticket = await tx.tickets.by_id(ticket.id)
        if ticket is None or ticket.state in FINAL:
            return None
        if not await tx.tickets.add_message(ticket.id, intake.from_citizen(message, now)):
            return Outcome(K.DUPLICATE, ticket.number)
        await tx.tickets.add_event(ticket.id, "follow_up", now, actor="citizen")
        body = desk.body_of(ticket)
        if ticket.state in ACTIVE and body is not None:
            for channel, chat in desk.body_chats(body):
                await intake.follow_up_to_chat(desk, tx, ticket, message, channel, chat)
    desk.wake()
    return Outcome(K.FOLLOW_UP, ticket.number, ticket.state)


async def _accept(
    desk: Desk, tx: Tx, ticket: TicketRecord, ref: CommentRef, result: Any, now: Any
) -> str:
    """Route as the classifier says, or hand to the coordinators when it would ask; then the
    public reply under the comment."""
    candidates = [
        {"topic": c.topic, "municipality": c.municipality, "body": c.body,
         "confidence": round(float(c.confidence), 4)}
        for c in result.candidates
    ]
    await tx.tickets.update(ticket.id, None, now, candidates=candidates, topic=result.topic,
                            municipality=result.municipality)
    decision = intake.decision_of(result)
    await tx.tickets.add_event(
        ticket.id, "classified", now, detail={"decision": decision, "body": result.body}
    )
    body = desk.table.body_by_id.get(result.body or "")
    note = texts.COMMENT_CARD_NOTE.format(link=ref.link)
    if decision == "route" and body is not None:
        await desk.route(tx, ticket, body, result.topic, result.municipality, now, note=note)
        routed = await tx.tickets.by_id(ticket.id)
        assert routed is not None and routed.due_at is not None
        reply = texts.COMMENT_ACCEPTED_ROUTED.format(
            number=ticket.number, body=body.name, due=desk.show_due(routed.due_at)
        )
        state = S.ROUTED
    else:
        await desk.to_coordinators(tx, ticket, f"{texts.REASON_COMMENT_UNCLEAR}; {ref.link}", now)
        reply = texts.COMMENT_ACCEPTED_TO_COORDINATOR.format(number=ticket.number)
        state = S.WITH_COORDINATOR
    await reply_under(desk, tx, ticket, ref, OutboxKey.to_citizen(ticket.number, "public"), reply)
    return state


async def _abuse(
    desk: Desk, tx: Tx, ticket: TicketRecord, comment: IncomingComment, now: Any
) -> str:
    await desk.move(tx, ticket, S.REJECTED, now, "spam_comment")
    text = texts.COMMENT_ABUSE_TO_STAFF.format(
        number=ticket.number, link=comment.ref.link, text=comment.text
    )
    await desk.to_each_coordinator(tx, ticket, "abuse", text)
    return S.REJECTED


async def reply_under(
    desk: Desk, tx: Tx, ticket: TicketRecord, ref: CommentRef, key: OutboxKey, text: str
) -> None:
    """A public reply from the community under the comment ``ref``."""
    await desk.enqueue(
        tx, ticket, key, ref.channel, ref.place_id, text, PUBLIC, reply_to=ref.comment_id,
        post_id=ref.post_id if ref.channel == "vk" else None,
    )


async def answer_publicly(
    desk: Desk, tx: Tx, ticket: TicketRecord, text: str, *key_parts: str | int
) -> None:
    """The body's answer under the comment a ticket was made from (not after a deletion)."""
    if ticket.origin != COMMENT:
        return
    ref = await tx.comments.of_ticket(ticket.id)
    if ref is None:
        return  # anonymised
    if any(e["kind"] == "comment_deleted" for e in await tx.tickets.events(ticket.id)):
        return
    key = OutboxKey.to_citizen(ticket.number, "public-answer", *key_parts)
    await reply_under(desk, tx, ticket, ref, key, text)


async def comment_edited(desk: Desk, comment: IncomingComment) -> Outcome:
    """The citizen edited a comment: the staff see the new text. A comment with no ticket is
    read again, as new: it may have become an appeal."""
    async with desk.repo.transaction() as tx:
        ticket_id = await tx.comments.ticket_of(comment.ref)
    if ticket_id is None:
        return await comment_posted(desk, comment)
    now = desk.clock.now()
    version = hashlib.sha1(comment.text.encode()).hexdigest()[:12]
    async with desk.repo.transaction() as tx:
        ticket = await tx.tickets.by_id(ticket_id)
        if ticket is None or ticket.state in FINAL or ticket.anonymised_at is not None:
            return Outcome(K.IGNORED)
        await tx.tickets.add_event(ticket.id, "comment_edited", now, actor="citizen")
        text = texts.COMMENT_EDITED_TO_STAFF.format(number=ticket.number, text=comment.text)
        await desk.to_staff(tx, ticket, "comment-edited", text, version)
    desk.wake()
    return Outcome(K.EDITED, ticket.number, ticket.state)


async def comment_deleted(desk: Desk, ref: CommentRef) -> Outcome:
    """The citizen (or the page) deleted a comment: the ticket stays, the staff are told, and
    the answer will go privately only."""
    now = desk.clock.now()
    async with desk.repo.transaction() as tx:
        ticket_id = await tx.comments.ticket_of(ref)
        ticket = await tx.tickets.by_id(ticket_id) if ticket_id is not None else None
        if ticket is None or ticket.state in FINAL:
            return Outcome(K.IGNORED)
        events = await tx.tickets.events(ticket.id)
        if any(e["kind"] == "comment_deleted" for e in events):
            return Outcome(K.DUPLICATE, ticket.number)
        await tx.tickets.add_event(ticket.id, "comment_deleted", now)
        text = texts.COMMENT_DELETED_TO_STAFF.format(number=ticket.number)
        await desk.to_staff(tx, ticket, "comment-deleted", text)
    desk.wake()
    return Outcome(K.DELETED, ticket.number, ticket.state)


async def public_reply_refused(desk: Desk, row: OutboxRow) -> None:
    """The platform refused a public reply (comments closed, post or comment deleted): the
    staff are told once per ticket; the private copy of the same message goes its own way."""
    if row.ticket_id is None:
        return
    now = desk.clock.now()
    async with desk.repo.transaction() as tx:
        ticket = await tx.tickets.by_id(row.ticket_id)
        ref = await tx.comments.of_ticket(row.ticket_id)
        if ticket is None or ref is None:
            return
        await tx.tickets.add_event(ticket.id, "public_reply_refused", now,
                                   detail={"outbox": row.id})
        text = texts.COMMENT_REPLY_REFUSED_TO_STAFF.format(number=ticket.number, link=ref.link)
        await desk.to_staff(tx, ticket, "public-refused", text, row.id)
    log.info("ticket %s: the public reply was refused", ticket.number)
    desk.wake()

"""Personal data: what is stored about a citizen, forgetting it on request and after the
retention period (152-ФЗ), and the labelled examples the classifier learns from.

Anonymising keeps numbers, routes, times and the audit trail (statistics and accountability
need them) and drops texts, files and ids. Logs name ticket numbers only.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from bot.core.desk import Desk
from bot.domain import texts
from bot.domain.states import TicketState
from bot.domain.wire import OutboxKey, Purpose

log = logging.getLogger("bot.core")


async def export_citizen(desk: Desk, channel: str, user_id: int) -> dict[str, Any]:
    """Everything stored about one citizen, as JSON-ready data (a 152-ФЗ access request).
    Staff's internal notes (`bot.core.notes`) are never shown to a citizen, here neither."""
    async with desk.repo.transaction() as tx:
        items = []
        for t in await tx.tickets.of_citizen(channel, user_id):
            messages = await tx.tickets.messages(t.id)
            items.append(
                {
                    "number": t.number,
                    "state": t.state,
                    "created_at": t.created_at.isoformat(),
                    "text": t.text,
                    "attachments": [[a.kind, a.ref] for a in t.attachments],
                    "location": [t.lat, t.lon] if t.lat is not None else None,
                    "topic": t.topic,
                    "municipality": t.municipality,
                    "body": t.body,
                    "due_at": t.due_at.isoformat() if t.due_at else None,
                    "solved": t.solved,
                    "rating": t.rating,
                    "messages": [
                        {
                            "author": m.author,
                            "at": m.at.isoformat(),
                            "text": m.text,
                            "attachments": [[a.kind, a.ref] for a in m.attachments],
                        }
                        for m in messages
                    ],
                    "events": await tx.tickets.events(t.id),
                }
            )
    return {"channel": channel, "user_id": user_id, "tickets": items}


async def forget_citizen(
    desk: Desk, channel: str, user_id: int, *, notify: bool = True, chat_id: int | None = None
) -> int:
    """Anonymise every ticket of a citizen; returns how many. With ``notify`` the citizen is
    told in ``chat_id``, the dialogue they asked in (by default their private chat, whose id is
    their user id on both platforms); that one message is the last thing queued for them, and
    the outbox blanks it once delivered. Every dialogue of theirs is scrubbed: the private chat
    and those with connected pages (`bot.domain.pages`), which their tickets name."""
    now = desk.clock.now()
    told = user_id if chat_id is None else chat_id
    async with desk.repo.transaction() as tx:
        tickets = await tx.tickets.of_citizen(channel, user_id)
        chats = {user_id, told} | {t.chat_id for t in tickets if t.chat_id is not None}
        for t in tickets:
            await tx.tickets.anonymise(t.id, texts.ANONYMISED, now)
            await tx.tickets.add_event(t.id, "anonymised", now)
        for chat in sorted(chats):
            # Updates from the private chat the bot gave up on keep their raw copy until now.
            await tx.inbox.scrub_chat(channel, chat)
            if notify:
                await tx.outbox.scrub_chat(channel, chat, texts.ANONYMISED)
        if notify:
            # Nothing about the person in the key.
            key = OutboxKey.about_no_ticket("forgotten", now.isoformat(), secrets.token_hex(8))
            await desk.say(
                channel, told, texts.DATA_DELETED, key, purpose=Purpose.CITIZEN_FORGOTTEN,
                tx=tx,
            )
    await desk.repo.erase_traces()
    if notify:
        desk.wake()
    log.info("anonymised %d tickets: %s", len(tickets), ", ".join(t.number for t in tickets))
    return len(tickets)


async def anonymise_expired(desk: Desk) -> int:
    """Anonymise closed and rejected tickets whose last change is older than the retention
    period (`Settings.retention_days`), the promise /privacy makes. Returns how many.

    Drafts the citizen walked away from (still ``collecting`` that long after the bot's last
    question) count as ended too: nobody works on them, so nothing justifies keeping them."""
    now = desk.clock.now()
    cutoff = now - desk.policy.retention
    done: list[str] = []
    async with desk.repo.transaction() as tx:
        for state in (TicketState.CLOSED, TicketState.REJECTED, TicketState.COLLECTING):
            for t in await tx.tickets.in_state(state):
                if t.anonymised_at is None and t.updated_at < cutoff:
                    await tx.tickets.anonymise(t.id, texts.ANONYMISED, now)
                    await tx.tickets.add_event(t.id, "anonymised", now, detail={"why": "retention"})
                    done.append(t.number)
    if done:
        await desk.repo.erase_traces()
        log.info("retention: anonymised %d tickets: %s", len(done), ", ".join(done))
    return len(done)


async def export_training_examples(desk: Desk, *, only_labelled: bool = True) -> list[dict]:
    """Rows ``{"text", "topic", "body", …}`` for ``routing train``; ``only_labelled`` drops the
    ones where only the wrong body is known."""
    async with desk.repo.transaction() as tx:
        examples = await tx.training.examples()
    return [
        {
            "text": e.text,
            "topic": e.topic,
            "body": e.body,
            "wrong_body": e.wrong_body,
            "ticket": e.ticket,
            "source": e.source,
            "reason": e.reason,
        }
        for e in examples
        if e.body is not None or not only_labelled
    ]

"""Administrators join a body by invite: a coordinator's ``/invite <body>`` makes a single-use
code, the administrator redeems it (Telegram ``/start <code>``, VK: the code sent to the
community), and the chat is bound to the body for good.

Bindings live in the database and are read into the desk's staff directory at start
(`load_staff`) and after each redeemed invite; a new chat gets the cards of the tickets its
body already holds, not only the next ones.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable

from bot.core import live_cards
from bot.core.desk import BODY, COORDINATOR, Desk
from bot.domain import texts
from bot.domain.messages import IncomingMessage
from bot.domain.records import StaffBinding, StaffInvite
from bot.domain.staff import INVITE_TTL, new_invite_token
from bot.domain.states import ACTIVE, TicketState
from bot.domain.wire import OutboxKey, Outcome, OutcomeKind
from routing.model import Body

log = logging.getLogger("bot.core")

K = OutcomeKind


async def load_staff(desk: Desk) -> None:
    """Read the bindings made by invites (on start, after migrations)."""
    async with desk.repo.transaction() as tx:
        desk.replace_bindings(await tx.staff.bindings(), await tx.staff.unreachable_chats())


def _invite_refusal(desk: Desk, message: IncomingMessage, query: str) -> tuple[str | None, list]:
    if not desk.staff.is_coordinator(message.channel, message.user_id):
        return texts.INVITE_NOT_COORDINATOR, []
    if not query.strip():
        return texts.INVITE_USAGE, []
    found = desk.find_bodies(query.strip())
    if not found:
        return texts.INVITE_UNKNOWN_BODY.format(query=query.strip()), found
    if len(found) > 1:
        names = "\n".join(f"• {b.name} ({b.id})" for b in found[:10])
        if len(found) > 10:
            names += f"\n… и ещё {len(found) - 10}"
        return texts.INVITE_AMBIGUOUS.format(query=query.strip(), names=names), found
    return None, found


async def invite(
    desk: Desk,
    message: IncomingMessage,
    query: str,
    *,
    links: Callable[[str], str] | None = None,
) -> Outcome:
    """A coordinator's ``/invite <body>``: a single-use code for that body, valid `INVITE_TTL`.
    ``links`` renders the channel's way to redeem it (Telegram deep links); the bare code is
    always included, for channels without links."""
    refusal, found = _invite_refusal(desk, message, query)
    if refusal is not None:
        await desk.reply_in_chat(message, refusal, "invite-refused")
        return Outcome(K.IGNORED, notice=refusal)
    _created, text = await create_invite(
        desk, found[0], message.channel, message.user_id, links=links
    )
    await desk.reply_in_chat(message, text, "invite")
    return Outcome(K.INVITED)


async def create_invite(
    desk: Desk,
    body: Body,
    channel: str,
    user_id: int,
    *,
    links: Callable[[str], str] | None = None,
) -> tuple[StaffInvite, str]:
    """A single-use code for ``body``, stored, and the text that hands it over (the chat's
    ``/invite`` and the console's «Пригласить» say the same). The coordinator who made it
    (``channel``, ``user_id``) is told in the bot when it is redeemed."""
    now = desk.clock.now()
    token = new_invite_token()
    created = StaffInvite(token, body.id, channel, user_id, now, now + INVITE_TTL)
    text = texts.INVITE_CREATED.format(
        body=body.name,
        body_id=body.id,
        until=desk.show_due(created.expires_at),
        links=links(token) if links is not None else "",
        token=token,
    )
    async with desk.repo.transaction() as tx:
        await tx.staff.add_invite(created)
    log.info("invite created for body %s", body.id)
    return created, text


async def redeem(
    desk: Desk,
    channel: str,
    chat_id: int,
    user_id: int,
    token: str,
    *,
    forum: bool,
    name: str = "",
    message_id: int | None = None,
) -> Outcome:
    """An administrator opened an invite: bind the chat and the person to the body at once and
    for good; tell them and the coordinator who invited. ``forum``: a supergroup with topics —
    one topic per ticket there. ``name`` is the platform display name, for the coordinator's
    message only."""
    now = desk.clock.now()
    binding: StaffBinding | None = None
    async with desk.repo.transaction() as tx:
        found = await tx.staff.invite(token)
        body = desk.table.body_by_id.get(found.body) if found is not None else None
        refusal = None
        if found is None:
            refusal = texts.INVITE_UNKNOWN
        elif found.used_at is not None:
            if any(
                (b.channel, b.chat_id, b.user_id, b.body) == (channel, chat_id, user_id, found.body)
                for b in desk.bindings
            ):
                return Outcome(K.DUPLICATE)  # the same /start delivered twice
            refusal = texts.INVITE_USED
        elif found.expires_at <= now:
            refusal = texts.INVITE_EXPIRED
        elif body is None:
            refusal = texts.INVITE_BODY_GONE
        elif not await tx.staff.use_invite(token, now):
            refusal = texts.INVITE_USED
        if refusal is None and found is not None and body is not None:
            binding = StaffBinding(channel, chat_id, user_id, body.id, forum)
            await tx.staff.add_binding(binding, now)
            bindings = await tx.staff.bindings()
            hint = texts.INVITE_BOUND_FORUM_HINT if forum else ""
            await desk.say(
                channel, chat_id, texts.INVITE_BOUND.format(body=body.name, forum_hint=hint),
                OutboxKey.about_no_ticket("invite", token, "bound"), purpose=BODY, tx=tx,
                reply_to=message_id,
            )
            where = (
                texts.INVITE_WHERE_FORUM
                if forum
                else texts.INVITE_WHERE_PRIVATE
                if chat_id == user_id
                else texts.INVITE_WHERE_GROUP
            )
            await desk.say(
                found.created_by_channel,
                found.created_by_user,
                texts.INVITE_JOINED.format(body=body.name, who=name or "—", where=where),
                OutboxKey.about_no_ticket("invite", token, "joined"),
                purpose=COORDINATOR,
                tx=tx,
            )
        else:
            # A repeated delivery of the same message says it once.
            key = OutboxKey.about_no_ticket(
                "invite-refused", channel, chat_id, message_id or secrets.token_hex(8)
            )
            await desk.say(
                channel, chat_id, refusal or texts.INVITE_UNKNOWN, key, purpose=BODY, tx=tx,
                reply_to=message_id,
            )
    desk.wake()
    if binding is None:
        log.info("invite refused")
        return Outcome(K.IGNORED, notice=refusal)
    desk.replace_bindings(bindings)
    log.info("invite redeemed: body %s, %s chat", binding.body, "forum" if forum else "plain")
    assert body is not None
    await _send_open_cards(desk, body)
    return Outcome(K.BOUND)


async def _send_open_cards(desk: Desk, body: Body) -> None:
    """A chat bound to a body gets the cards of the tickets the body holds now. Card keys are
    per chat, so chats that have them get nothing again."""
    async with desk.repo.transaction() as tx:
        for state in sorted(ACTIVE):
            for ticket in await tx.tickets.in_state(state):
                if ticket.body != body.id or ticket.due_at is None:
                    continue
                note = texts.REOPENED_NOTE if state == TicketState.REOPENED else ""
                await live_cards.send_cards(
                    desk, tx, ticket, body, ticket.topic, ticket.municipality, ticket.due_at,
                    ticket.route_round, note, state=ticket.state,
                )
    desk.wake()

"""``/staff``: who is bound to a body — each chat or account, how it is bound, who bound it
and since when — and a coordinator's «Отозвать» under each binding.

An administrator sees their own body's list (in the body's chat, or in their private chat with
the bot); a coordinator asks ``/staff <орган>`` (an id or a piece of the name) in their own
chat and may revoke. A revoked binding is deleted and audited (``staff_audit``) in one
transaction with the notice to the revoked chat; the desk's staff directory is rebuilt at once
(`Desk.replace_bindings`), so that chat stops receiving cards, photos and locations from the
next message on, and its pending cards are not sent after all. Chats written into the routing
table (``telegram_chat``, ``vk_peer``) are listed but can only be changed in the table.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime

from bot.core.desk import BODY, COORDINATOR, Desk
from bot.domain import texts
from bot.domain.messages import Button, IncomingMessage
from bot.domain.phrases import staff_command
from bot.domain.records import StaffBinding
from bot.domain.staff import StaffDirectory
from bot.domain.wire import Action, OutboxKey, Outcome, OutcomeKind, Payload, Purpose
from routing.model import Body

log = logging.getLogger("bot.core")

K = OutcomeKind

#: «Отозвать» buttons under one list: VK's inline keyboard takes at most 10 buttons.
MAX_BUTTONS = 10
ACTIONS = frozenset({Action.REVOKE, Action.REVOKE_YES, Action.REVOKE_NO})


def asked(desk: Desk, message: IncomingMessage, payload: Payload | None) -> bool:
    command = staff_command(message.text)
    return not message.payload and command is not None and command[0] == "staff"


def pressed(desk: Desk, message: IncomingMessage, payload: Payload | None) -> bool:
    return payload is not None and payload.action in ACTIONS


def token_of(binding: StaffBinding) -> str:
    """A short stable name of a binding for a button (ids and body together are too long)."""
    raw = f"{binding.channel}:{binding.chat_id}:{binding.user_id}:{binding.body}"
    return hashlib.sha256(raw.encode()).hexdigest()[:12]


async def show(desk: Desk, message: IncomingMessage, payload: Payload | None) -> Outcome:
    query = (staff_command(message.text) or ("staff", ""))[1]
    key = (message.channel, message.chat_id)
    if desk.staff_chats.get(key) == COORDINATOR:
        if not query:
            await desk.reply_in_chat(message, texts.STAFF_USAGE, "staff")
            return Outcome(K.IGNORED)
        found = desk.find_bodies(query)
        if len(found) != 1:
            names = "\n".join(f"• {b.name} ({b.id})" for b in found[:10])
            text = (texts.INVITE_AMBIGUOUS.format(query=query, names=names) if found
                    else texts.INVITE_UNKNOWN_BODY.format(query=query))
            await desk.reply_in_chat(message, text, "staff")
            return Outcome(K.IGNORED)
        bodies, revocable = found, True
    else:
        ids = desk.staff.bodies_of_chat(*key) or (
            desk.staff.user_bodies.get((message.channel, message.user_id), ())
            if message.chat_id == message.user_id else ()
        )
        bodies = [desk.table.body_by_id[b] for b in sorted(ids) if b in desk.table.body_by_id]
        revocable = False
        if not bodies:
            await desk.reply_in_chat(
                message, texts.STAFF_LIST_NOT_ALLOWED, "staff", purpose=Purpose.CITIZEN
            )
            return Outcome(K.IGNORED)
    for index, body in enumerate(bodies):
        text, buttons = _listing(desk, body, revocable)
        await desk.reply_in_chat(message, text, f"staff-{index}", buttons=buttons)
    return Outcome(K.SHOWN)


def _listing(desk: Desk, body: Body, revocable: bool) -> tuple[str, tuple]:
    lines: list[str] = []
    for channel, chat in (("tg", body.telegram_chat), ("vk", body.vk_peer)):
        if chat:
            lines.append(texts.STAFF_LINE_TABLE.format(
                where=texts.STAFF_CHANNEL[channel], chat=chat) + _cut_off(desk, channel, chat))
    bound = [b for b in desk.bindings if b.body == body.id]
    buttons: list[Button] = []
    for n, binding in enumerate(bound, start=1):
        lines.append(texts.STAFF_LINE.format(
            n=n, where=_where(binding), chat=binding.chat_id,
            who=f"{binding.channel} {binding.user_id}", since=_local(desk, binding),
        ) + _cut_off(desk, binding.channel, binding.chat_id, binding.unreachable_since))
        if revocable and n <= MAX_BUTTONS:
            data = Payload(Action.REVOKE, str(n), token_of(binding)).pack()
            buttons.append(Button(texts.STAFF_REVOKE_BUTTON.format(n=n), data))
    if not lines:
        return texts.STAFF_LIST_EMPTY.format(body=body.name, body_id=body.id), ()
    header = texts.STAFF_LIST_HEADER.format(body=body.name, body_id=body.id)
    rows = tuple(tuple(buttons[i : i + 3]) for i in range(0, len(buttons), 3))
    return "\n".join([header, *lines]), rows


def _where(binding: StaffBinding) -> str:
    kind = ("private" if binding.chat_id == binding.user_id
            else "forum" if binding.forum else "group")
    return f"{texts.STAFF_CHANNEL.get(binding.channel, binding.channel)}, {texts.STAFF_WHERE[kind]}"


def _cut_off(desk: Desk, channel: str, chat: int, since: datetime | None = None) -> str:
    """The mark of a chat the bot cannot write to (`chat_access`): its cards go to the
    coordinators until somebody brings the bot back."""
    if (channel, chat) not in desk.staff.unreachable:
        return ""
    if since is None:
        return texts.STAFF_CUT_OFF
    return texts.STAFF_CUT_OFF_SINCE.format(since=since.astimezone(desk.calendar.timezone))


def _local(desk: Desk, binding: StaffBinding):
    since = binding.since or desk.clock.now()
    return since.astimezone(desk.calendar.timezone)


# -- revoking ------------------------------------------------------------------------------------
async def press(desk: Desk, message: IncomingMessage, payload: Payload | None) -> Outcome:
    """«Отозвать N» asks to confirm; «Да, отозвать» revokes; coordinators only."""
    assert payload is not None
    if not desk.staff.is_coordinator(message.channel, message.user_id):
        return Outcome(K.IGNORED, notice=texts.ONLY_COORDINATORS)
    binding = next((b for b in desk.bindings if token_of(b) == payload.value), None)
    if payload.action == Action.REVOKE_NO:
        return Outcome(K.IGNORED, notice=texts.STAFF_REVOKE_KEPT)
    if binding is None:
        return Outcome(K.IGNORED, notice=texts.STAFF_REVOKE_GONE)
    body = desk.table.body_by_id.get(binding.body)
    name = body.name if body else binding.body
    if payload.action == Action.REVOKE:
        yes = Payload(Action.REVOKE_YES, payload.number, payload.value).pack()
        no = Payload(Action.REVOKE_NO, payload.number, payload.value).pack()
        text = texts.STAFF_REVOKE_CONFIRM.format(n=payload.number, body=name)
        buttons = ((Button(texts.STAFF_REVOKE_YES, yes), Button(texts.STAFF_REVOKE_NO, no)),)
        await _after_press(desk, message, text, f"revoke?{payload.value}", buttons=buttons)
        return Outcome(K.SHOWN)
    return await revoke(desk, binding, actor=desk.actor(COORDINATOR, message), message=message)


async def _after_press(
    desk: Desk, message: IncomingMessage, text: str, kind: str, *, tx=None, buttons: tuple = ()
) -> None:
    """In the chat of a press; not a reply (a VK press names its message by a number a reply
    cannot use)."""
    minute = int(desk.clock.now().timestamp() // 60)  # the same press again later: shown again
    key = OutboxKey.about_no_ticket(
        kind, message.channel, message.chat_id, message.message_id, minute
    )
    await desk.say(message.channel, message.chat_id, text, key, purpose=COORDINATOR, tx=tx,
                   buttons=buttons)


async def revoke(
    desk: Desk, binding: StaffBinding, *, actor: str, message: IncomingMessage | None = None
) -> Outcome:
    now = desk.clock.now()
    body = desk.table.body_by_id.get(binding.body)
    name = body.name if body else binding.body
    async with desk.repo.transaction() as tx:
        if not await tx.staff.remove_binding(binding, now, actor):
            return Outcome(K.IGNORED, notice=texts.STAFF_REVOKE_GONE)
        remaining = await tx.staff.bindings()
        after = StaffDirectory.build(desk.table, remaining, ())
        if not after.bodies_of_chat(binding.channel, binding.chat_id):
            # Cards queued before the revocation must not go out after it.
            await tx.outbox.cancel_pending(binding.channel, binding.chat_id, BODY)
        await desk.say(
            binding.channel, binding.chat_id, texts.STAFF_REVOKED_TO_CHAT.format(body=name),
            OutboxKey.about_no_ticket(
                "revoked", binding.channel, binding.chat_id, binding.user_id, binding.body,
                int(now.timestamp()),
            ),
            purpose=BODY, tx=tx,
        )
        if message is not None:
            where = f"{_where(binding)} {binding.chat_id}"
            text = texts.STAFF_REVOKED.format(body=name, where=where)
            await _after_press(desk, message, text, f"revoked{token_of(binding)}", tx=tx)
    desk.replace_bindings(remaining)
    desk.wake()
    log.info("binding to body %s revoked", binding.body)
    return Outcome(K.REVOKED, notice=texts.STAFF_REVOKED_NOTICE)

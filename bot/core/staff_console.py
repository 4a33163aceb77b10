"""Staff from the console: who is bound to each body, revoking a binding, making an invite.

The chat's ``/staff`` and ``/invite`` (`bot.core.staff_list`, `bot.core.invites`) seen from a
page: the same bindings, the same revocation (deleted and audited in one transaction with the
notice to the revoked chat, the directory rebuilt at once) and the same invite codes. What a
viewer may do follows from the staff directory in force (`bot.domain.viewer`): coordinators
see every body, revoke and invite; a body's administrators see only their own bodies' lists.
Chats written into the routing table are listed too, marked so: they change only in the table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from bot.core import invites, staff_list
from bot.core.desk import COORDINATOR, Desk
from bot.domain import texts
from bot.domain.records import StaffBinding, StaffInvite
from bot.domain.staff import chat_kind
from bot.domain.viewer import NotAllowed, Viewer
from bot.domain.wire import Outcome, OutcomeKind
from routing.model import Body


@dataclass(frozen=True)
class StaffEntry:
    """One chat where a body's tickets arrive. ``token`` names a binding for «Отозвать»
    (``None`` for a chat from the table); ``user_id`` is who bound it (``None``: the table)."""

    channel: str
    chat_id: int
    where: str  # «Telegram, группа»
    user_id: int | None
    since: datetime | None
    token: str | None
    unreachable: bool
    unreachable_since: datetime | None = None

    @property
    def from_table(self) -> bool:
        return self.token is None


@dataclass(frozen=True)
class BodyStaff:
    body_id: str
    body_name: str
    entries: tuple[StaffEntry, ...]


@dataclass(frozen=True)
class InviteMade:
    invite: StaffInvite
    text: str  # what to show: the body, the code, the links, until when (as in the chat)


def staff_of(desk: Desk, viewer: Viewer, body_id: str | None = None) -> tuple[BodyStaff, ...]:
    """Every body the viewer may see with its chats (or just ``body_id``), in table order."""
    staff = desk.staff
    coordinator = viewer.is_coordinator(staff)
    mine = viewer.bodies(staff)
    if not coordinator and not mine:
        raise NotAllowed(texts.CONSOLE_STAFF_NOT_ALLOWED)
    if body_id is not None and not viewer.may_see_body(staff, body_id):
        raise NotAllowed(texts.CONSOLE_STAFF_OTHER_BODY)
    bodies = [
        b for b in desk.table.bodies
        if (body_id is None or b.id == body_id) and (coordinator or b.id in mine)
    ]
    by_body: dict[str, list[StaffBinding]] = {}
    for binding in desk.bindings:  # once, not once per body: a region has hundreds of bodies
        by_body.setdefault(binding.body, []).append(binding)
    return tuple(_listing(desk, body, by_body.get(body.id, ())) for body in bodies)


def _listing(desk: Desk, body: Body, bindings: Iterable[StaffBinding]) -> BodyStaff:
    unreachable = desk.staff.unreachable
    entries: list[StaffEntry] = []
    for channel, chat in (("tg", body.telegram_chat), ("vk", body.vk_peer)):
        if chat and str(chat).lstrip("-").isdigit():
            chat_id = int(chat)
            entries.append(StaffEntry(
                channel, chat_id, _where(channel, chat_id, forum=False), None, None, None,
                (channel, chat_id) in unreachable,
            ))
    for binding in bindings:
        entries.append(StaffEntry(
            binding.channel, binding.chat_id,
            _where(binding.channel, binding.chat_id, binding.forum, binding.user_id),
            binding.user_id, binding.since, staff_list.token_of(binding),
            (binding.channel, binding.chat_id) in unreachable, binding.unreachable_since,
        ))
    return BodyStaff(body.id, body.name, tuple(entries))


def _where(channel: str, chat_id: int, forum: bool, user_id: int | None = None) -> str:
    if user_id is not None:
        private = chat_id == user_id
    else:
        private = chat_kind(channel, chat_id) == "private"
    kind = "private" if private else "forum" if forum else "group"
    return f"{texts.STAFF_CHANNEL.get(channel, channel)}, {texts.STAFF_WHERE[kind]}"


def _require_coordinator(desk: Desk, viewer: Viewer, reason: str) -> None:
    if not viewer.is_coordinator(desk.staff):
        raise NotAllowed(reason)


async def revoke(desk: Desk, viewer: Viewer, token: str) -> Outcome:
    """«Отозвать» on a page: the chat's revocation, by the binding's ``token``. The outcome's
    ``notice`` is what to show (revoked, or already gone)."""
    _require_coordinator(desk, viewer, texts.CONSOLE_REVOKE_ONLY_COORDINATORS)
    binding = next((b for b in desk.bindings if staff_list.token_of(b) == token), None)
    if binding is None:
        return Outcome(OutcomeKind.IGNORED, notice=texts.STAFF_REVOKE_GONE)
    actor = f"{COORDINATOR.value}:{viewer.channel}:{viewer.user_id}"
    return await staff_list.revoke(desk, binding, actor=actor)


async def invite(
    desk: Desk, viewer: Viewer, body_id: str, *, links: Callable[[str], str] | None = None
) -> InviteMade:
    """«Пригласить администратора» of ``body_id``: a single-use code, as ``/invite`` makes.
    ``links`` renders the channels' ways to redeem it (given by the composition root)."""
    _require_coordinator(desk, viewer, texts.INVITE_NOT_COORDINATOR)
    body = desk.table.body_by_id.get(body_id)
    if body is None:
        raise LookupError(texts.INVITE_UNKNOWN_BODY.format(query=body_id))
    made, text = await invites.create_invite(
        desk, body, viewer.channel, viewer.user_id, links=links
    )
    return InviteMade(made, text)

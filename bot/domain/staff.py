"""Who works on a body's tickets, and where: the staff directory and invite tokens.

Pure data, no I/O. Body chats come from two places: the routing table (``telegram_chat`` /
``vk_peer`` of a body — a chat the region configured by hand) and bindings made when an
administrator redeemed a coordinator's invite (``/invite``, then ``/start <code>``; stored in
the database, see `bot.storage.base.StaffBinding`). `StaffDirectory` merges both, plus the
coordinators, into the answers the core needs on every message: which bodies a chat serves,
which bodies a person administers, where a body's tickets go, and whether a chat is a forum
(one topic per ticket). It is immutable and rebuilt whole on every change
(`AppealCore._rebuild_staff`), so a table swap and a new binding cannot leave it half-updated.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from bot.domain.pages import peer_of
from bot.domain.records import StaffBinding
from routing.model import RoutingTable

#: How long an invite can be redeemed. A week: long enough to reach a busy official by mail.
INVITE_TTL = timedelta(days=7)

#: Telegram deep-link payloads allow ``A-Za-z0-9_-`` up to 64 characters; 16 characters of
#: ``token_urlsafe`` are 96 random bits — unguessable, and short enough to type by hand in VK.
_TOKEN_BYTES = 12


def new_invite_token() -> str:
    return secrets.token_urlsafe(_TOKEN_BYTES)


_TOKEN_LENGTH = 16  # base64 of 12 bytes


def looks_like_token(text: str) -> bool:
    """Shaped like a code `new_invite_token` makes: tells an invite from other ``/start``
    payloads (an advertising link ``?start=leaflet``) that should just greet."""
    return len(text) == _TOKEN_LENGTH and all(c.isalnum() or c in "-_" for c in text)


ChatKey = tuple[str, int]  # (channel, chat id) or (channel, user id)


@dataclass(frozen=True)
class StaffDirectory:
    chat_bodies: dict[ChatKey, tuple[str, ...]] = field(default_factory=dict)
    user_bodies: dict[ChatKey, frozenset[str]] = field(default_factory=dict)
    forums: frozenset[ChatKey] = frozenset()
    coordinators: frozenset[ChatKey] = frozenset()
    #: Body chats the bot cannot write to now (removed, blocked): still the body's chats (a
    #: message from one is the body's), but nothing is sent there until they are back.
    unreachable: frozenset[ChatKey] = frozenset()

    @classmethod
    def build(
        cls,
        table: RoutingTable,
        bindings: Iterable[StaffBinding],
        coordinators: Iterable[ChatKey],
        unreachable: Iterable[ChatKey] = (),
    ) -> StaffDirectory:
        """Table chats first (in table order), then bindings in the order they were made.
        Bindings to bodies no longer in the table are kept in the database but ignored here,
        so a table that brings the body back brings its administrators back too."""
        chat_bodies: dict[ChatKey, list[str]] = {}
        user_bodies: dict[ChatKey, set[str]] = {}
        forums: set[ChatKey] = set()
        for body in table.bodies:
            for channel, chat in (("tg", body.telegram_chat), ("vk", body.vk_peer)):
                if chat and str(chat).lstrip("-").isdigit():
                    chat_bodies.setdefault((channel, int(chat)), []).append(body.id)
        for b in bindings:
            if b.body not in table.body_by_id:
                continue
            bodies = chat_bodies.setdefault((b.channel, b.chat_id), [])
            if b.body not in bodies:
                bodies.append(b.body)
            user_bodies.setdefault((b.channel, b.user_id), set()).add(b.body)
            if b.forum:
                forums.add((b.channel, b.chat_id))
        return cls(
            {k: tuple(v) for k, v in chat_bodies.items()},
            {k: frozenset(v) for k, v in user_bodies.items()},
            frozenset(forums),
            frozenset(coordinators),
            frozenset(unreachable),
        )

    def bodies_of_chat(self, channel: str, chat_id: int) -> tuple[str, ...]:
        return self.chat_bodies.get((channel, chat_id), ())

    def chats_of(self, body_id: str) -> list[ChatKey]:
        """Where the body's tickets go: its chats the bot can write to."""
        return [k for k in self.all_chats_of(body_id) if k not in self.unreachable]

    def all_chats_of(self, body_id: str) -> list[ChatKey]:
        """The body's chats, reachable or not."""
        return [key for key, bodies in self.chat_bodies.items() if body_id in bodies]

    def is_forum(self, channel: str, chat_id: int) -> bool:
        return (channel, chat_id) in self.forums

    def is_coordinator(self, channel: str, user_id: int) -> bool:
        return (channel, user_id) in self.coordinators

    def may_act_for(self, body_id: str | None, channel: str, chat_id: int, user_id: int) -> bool:
        """An administrator of the body (wherever they press), or anyone in the body's chat."""
        if body_id is None:
            return False
        return body_id in self.bodies_of_chat(channel, chat_id) or body_id in self.user_bodies.get(
            (channel, user_id), ()
        )


def chat_kind(channel: str, chat_id: int) -> str:
    """``"private"`` or ``"group"``: Telegram groups have negative ids, VK conversations peer
    ids from 2·10⁹ (a private chat's id is the person's)."""
    if channel == "vk":
        # A connected page's dialogue carries the community above the peer (bot.domain.pages).
        return "group" if peer_of(chat_id) >= VK_CONVERSATION_BASE else "private"
    return "group" if chat_id < 0 else "private"


VK_CONVERSATION_BASE = 2_000_000_000

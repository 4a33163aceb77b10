"""State pages: the VK communities of bodies connected to this deployment besides its own community.

A region has hundreds of official pages, and citizens write to whichever they find. Each page
connected here (by a coordinator, or by a body's administrator for its own page) is a VK
community with its own access token; its messages are appeals like those to the bot's own
community, and the citizen is answered from the page they wrote to.

Why a page's dialogue is one number: the core, the outbox (its per-chat order), the inbox, the
flood guard and `/forget` all know a chat as ``(channel, chat_id)``. The same VK user writing to
two pages is two dialogues, from two communities, each with its own token and history. So a
dialogue with a connected page is the ``vk`` chat ``group_id · PAGE_CHAT_BASE + peer_id``
(`page_chat`): every VK peer id is below `PAGE_CHAT_BASE` (conversations are 2·10⁹ + n), and
VK's community ids (below 10⁹) times it stay within a signed 64-bit column. The VK adapter
translates in both directions (`page_of`, `peer_of`); the bot's own community keeps its plain
peer ids, so nothing stored before pages existed changes meaning.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

#: Above every VK peer id; a page dialogue is ``group_id * PAGE_CHAT_BASE + peer_id``.
PAGE_CHAT_BASE = 10**10
#: VK community ids must stay below this for a page dialogue to fit a signed 64-bit column.
MAX_PAGE_GROUP_ID = (2**63 - 1) // PAGE_CHAT_BASE - 1


def page_chat(group_id: int, peer_id: int) -> int:
    """The chat id of ``peer_id``'s dialogue with the connected page ``group_id``."""
    if not 0 < group_id <= MAX_PAGE_GROUP_ID or not 0 < peer_id < PAGE_CHAT_BASE:
        raise ValueError("a VK community id or peer id out of range")
    return group_id * PAGE_CHAT_BASE + peer_id


def page_of(channel: str, chat_id: int | None) -> int | None:
    """The connected page's community id for a page dialogue; ``None`` for any other chat
    (Telegram, the bot's own VK community)."""
    if channel != "vk" or chat_id is None or chat_id < PAGE_CHAT_BASE:
        return None
    return chat_id // PAGE_CHAT_BASE


def peer_of(chat_id: int) -> int:
    """The VK peer id of a chat, page dialogue or not."""
    return chat_id % PAGE_CHAT_BASE if chat_id >= PAGE_CHAT_BASE else chat_id


def is_private(channel: str, chat_id: int, user_id: int) -> bool:
    """Whether a message from ``user_id`` in ``chat_id`` is in their private dialogue: with
    the bot (the chat id is the person's) or with a connected page."""
    return (peer_of(chat_id) if channel == "vk" else chat_id) == user_id


def lane(channel: str, chat_id: int | None) -> str:
    """Whose rate budget a message to this chat draws on: the channel's own token (``"vk"``,
    ``"tg"``) or the page's (``"vk#<group id>"``); VK counts 20 calls a second per token."""
    group = page_of(channel, chat_id)
    return channel if group is None else f"{channel}#{group}"


def lane_channel(lane_name: str) -> str:
    """The channel of a lane (``"vk#42"`` → ``"vk"``)."""
    return lane_name.partition("#")[0]


@dataclass(frozen=True)
class ConnectedPage:
    """A connected VK community, as stored. The token and the Callback secret are sealed
    (`bot.core.sealing`): the row alone never gives them away."""

    group_id: int
    body: str  # the body whose page it is
    name: str  # the community's name as VK gave it when connected
    token_sealed: str
    confirmation: str | None  # the Callback API confirmation string (not a secret: VK shows it)
    secret_sealed: str | None  # the Callback API secret, sealed
    connected_by: str  # "<channel>:<user id>"
    connected_at: datetime
    enabled: bool = True


@dataclass(frozen=True)
class PageAppeal:
    """An appeal that came through a connected page: which body the page is, which body the
    router chose; ``misdirected`` when they differ (the figure regional centres report)."""

    ticket_id: int
    group_id: int
    page_body: str
    routed_body: str | None
    at: datetime

    @property
    def misdirected(self) -> bool:
        return self.routed_body is not None and self.routed_body != self.page_body

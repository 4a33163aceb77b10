"""The core's own small message types: what adapters translate platform updates into and out of.

The core never sees an aiogram ``Message`` or a vkbottle event. Adding a channel means writing a
translator for these types, not touching the dialog. Ids are kept as the platforms give them
(integers for chats, users and messages in both Telegram and VK); files are opaque platform
references the adapter of the same channel knows how to resend.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Literal, Protocol

Channel = Literal["tg", "vk"]
CHANNELS: tuple[Channel, ...] = ("tg", "vk")


class Clock(Protocol):
    """Where "now" comes from; injected so that deadlines and rate limits are testable."""

    def now(self) -> datetime: ...


class SystemClock:
    """Real time, always timezone-aware UTC (the database stores UTC only)."""

    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Location:
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file as the channel knows it: ``kind`` is photo/document/video/voice, ``ref`` the
    platform's file id (Telegram ``file_id``, VK ``photo123_456_key``)."""

    kind: str
    ref: str
    # The channel ``ref`` belongs to when it travels in a message of another channel (a
    # Telegram photo on its way to a VK administrator); ``None``: the message's own channel.
    # The receiving transport then fetches the file through `bot.delivery.files.FileBridge`.
    channel: str | None = None
    # A direct download address, when the platform gives one with the file (VK photo sizes);
    # VK gives no way to get it later from the reference alone with a community token.
    url: str | None = None

    def to_json(self) -> list:
        """``[kind, ref]`` as before, with ``channel`` and ``url`` only when set."""
        if self.channel is None and self.url is None:
            return [self.kind, self.ref]
        return [self.kind, self.ref, self.channel, self.url]

    @classmethod
    def from_json(cls, item: list) -> Attachment:
        return cls(*item)


def carried(
    attachments: tuple[Attachment, ...], origin: str, channel: str
) -> tuple[Attachment, ...]:
    """``attachments`` of a message from ``origin`` as they go into a message for ``channel``:
    unchanged in the same channel, marked with their origin in the other one."""
    if origin == channel:
        return attachments
    return tuple(
        a if a.channel is not None else Attachment(a.kind, a.ref, origin, a.url)
        for a in attachments
    )


@dataclass(frozen=True, slots=True)
class Button:
    """An inline button; ``payload`` comes back as ``IncomingMessage.payload`` when pressed."""

    text: str
    payload: str


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    channel: Channel
    chat_id: int
    user_id: int
    message_id: int  # platform message id; with channel and chat it identifies a delivery
    text: str = ""
    attachments: tuple[Attachment, ...] = ()
    location: Location | None = None
    reply_to: int | None = None  # platform message id this one answers
    payload: str | None = None  # data of a pressed button, if this is a button press
    thread_id: int | None = None  # Telegram forum topic the message was written in
    # A citizen's command, as the adapter recognised it: "my" for /my or «Мои обращения»,
    # "foo" for an unknown /foo (see `bot.domain.phrases.command_of`).
    command: str | None = None
    # The sender's display name as the platform gives it with the update (Telegram
    # ``from_user.full_name``), for a staff member's card status («взял(а) …»); "" when the
    # platform gives none. Never logged.
    user_name: str = ""


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    channel: Channel
    chat_id: int
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()  # rows of buttons
    attachments: tuple[Attachment, ...] = ()
    reply_to: int | None = None
    thread_id: int | None = None  # Telegram forum topic (message_thread_id)
    # Stable number for this delivery, the same on every retry: the VK adapter passes it as
    # ``random_id`` so VK drops a repeated send; Telegram has no equivalent.
    dedup_id: int = 0
    # A forum topic of its own for what this message is about (a ticket number): the Telegram
    # adapter finds or creates it (named ``topic_title``) and re-creates it if it was deleted.
    topic_key: str | None = None
    topic_title: str | None = None
    # Offer a "share location" button (Telegram: a one-time reply keyboard; VK: a location
    # button). Telegram cannot show it together with inline ``buttons``: the core sends it alone.
    request_location: bool = False
    # Take the "share location" keyboard away (the question it was for is answered).
    remove_keyboard: bool = False
    # The citizen's standing menu (VK: a «Мои обращения» button under the input field, which VK
    # keeps until another keyboard replaces it). Telegram shows its command menu instead.
    menu: bool = False
    # Live cards (`bot.core.live_cards`). ``edits``: the rendered `OutboxKey` of an earlier row
    # whose platform message this one edits instead of sending a new one; ``status``: the
    # compact text sent instead (in reply to that message) when it cannot be edited.
    edits: str | None = None
    status: str | None = None
    # A card's text without its status line, kept on the card row so that every later edit
    # shows the same card with a new status.
    card: str | None = None
    # The forum topic's state after this message: closed (True), open (False), as it is (None).
    topic_closed: bool | None = None
    # A public reply under a VK post (`bot.core.comments`): ``chat_id`` is the wall's owner
    # (-community id), ``reply_to`` the comment answered; sent by ``wall.createComment``.
    # Telegram needs none: a discussion group is a chat, and the reply is a plain reply.
    post_id: int | None = None

    def instead_of_edit(self, reply_to: int | None) -> OutgoingMessage:
        """What goes when the message named by ``edits`` cannot be edited: the compact status
        with the same buttons, as a new message replying to it (when it exists)."""
        return replace(
            self, text=self.status or self.text, attachments=(), reply_to=reply_to, edits=None,
            status=None, card=None,
        )

    def to_json(self) -> dict:
        data = {
            "text": self.text,
            "buttons": [[[b.text, b.payload] for b in row] for row in self.buttons],
            "attachments": [a.to_json() for a in self.attachments],
            "reply_to": self.reply_to,
            "thread_id": self.thread_id,
            **({"topic_key": self.topic_key, "topic_title": self.topic_title}
               if self.topic_key else {}),
        }
        # Only when set, so rows written before these flags existed read back the same.
        if self.request_location:
            data["request_location"] = True
        if self.remove_keyboard:
            data["remove_keyboard"] = True
        if self.menu:
            data["menu"] = True
        for name in ("edits", "status", "card", "topic_closed", "post_id"):
            if getattr(self, name) is not None:
                data[name] = getattr(self, name)
        return data

    @classmethod
    def from_json(
        cls, channel: Channel, chat_id: int, data: dict, dedup_id: int = 0
    ) -> OutgoingMessage:
        return cls(
            channel=channel,
            chat_id=chat_id,
            text=data.get("text", ""),
            buttons=tuple(tuple(Button(t, p) for t, p in row) for row in data.get("buttons", ())),
            attachments=tuple(Attachment.from_json(a) for a in data.get("attachments", ())),
            reply_to=data.get("reply_to"),
            thread_id=data.get("thread_id"),
            dedup_id=dedup_id,
            topic_key=data.get("topic_key"),
            topic_title=data.get("topic_title"),
            request_location=bool(data.get("request_location", False)),
            remove_keyboard=bool(data.get("remove_keyboard", False)),
            menu=bool(data.get("menu", False)),
            edits=data.get("edits"),
            status=data.get("status"),
            card=data.get("card"),
            topic_closed=data.get("topic_closed"),
            post_id=data.get("post_id"),
        )


@dataclass(frozen=True, slots=True)
class SentMessage:
    platform_message_id: int
    extra: dict = field(default_factory=dict)


#: Both platforms cut a message at 4096 characters (PLATFORMS.md); longer texts are split.
MAX_TEXT = 4096


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Pieces of at most ``limit`` characters, cut at a paragraph, line or word break when
    there is one in the second half of the piece (so a sentence is rarely cut in two)."""
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"), window.rfind(" "))
        if cut < limit // 2:
            cut = limit
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    parts.append(rest)
    return parts

"""How the outbox reaches a channel: one `Transport` per channel, written by its adapter.

The errors are the whole contract between the outbox and a channel: the adapter maps its
library's exceptions (``TelegramRetryAfter``, VK error 6/9, HTTP 5xx, timeouts, "bot was
blocked", VK 901) onto these three, and the outbox decides what to do without knowing the
platform.
"""

from __future__ import annotations

from typing import Protocol

from bot.domain.messages import Channel, OutgoingMessage, SentMessage


class DeliveryError(Exception):
    """Base of everything a transport may raise about one message."""


class RetryAfter(DeliveryError):
    """The platform asked to wait (Telegram 429 ``retry_after``, VK flood control)."""

    def __init__(self, seconds: float, message: str = ""):
        self.seconds = max(0.0, float(seconds))
        super().__init__(message or f"retry after {self.seconds:g} s")


class TransientError(DeliveryError):
    """Might work later: network error, timeout, 5xx."""


class PermanentError(DeliveryError):
    """Will never work: the user blocked the bot, the chat is gone (VK 901, Telegram 403)."""


class RecipientUnreachable(PermanentError):
    """The person has not allowed the bot to write (VK 901) or has forbidden it since: this
    message cannot go, but the next one may once they allow it. The core tells whoever
    wrote it (`AppealCore.delivery_refused`: the people on a citizen's ticket, or the
    coordinators about a body's chat) instead of failing silently."""


class NotEditable(PermanentError):
    """The platform refuses to edit that message (Telegram "message can't be edited" or not
    found, VK 909 too old / 920 / gone): the outbox sends the compact status instead."""


class Transport(Protocol):
    """Sends one `OutgoingMessage`. Expectations on an adapter:

    * ``reply_to`` is a wish, not a condition: if that message was deleted, send anyway
      (Telegram ``allow_sending_without_reply``);
    * ``dedup_id`` goes to VK as ``random_id``; Telegram ignores it;
    * attachments are platform file references of this same channel; a caption too long for
      the platform means sending the files and the text separately.
    """

    channel: Channel

    async def send(self, message: OutgoingMessage) -> SentMessage: ...

    async def edit(self, message: OutgoingMessage, message_id: int) -> SentMessage:
        """Replace the text and buttons of the bot's message ``message_id`` in
        ``message.chat_id`` (and, with ``topic_key``, retitle/close/reopen its forum topic).
        Content already equal counts as done; `NotEditable` when the platform refuses."""

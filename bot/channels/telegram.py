"""Telegram side of the outbox: `TelegramTransport` sends an `OutgoingMessage` through aiogram.

Why this module exists: the outbox must decide "wait", "retry later" or "give up" without knowing
aiogram, so every aiogram/aiohttp failure is mapped onto the three `bot.core.transport` errors:

* ``TelegramRetryAfter`` (429) → `RetryAfter` with Telegram's seconds; nothing retries for us;
* 5xx, network errors, timeouts, an undecodable reply → `TransientError`; so are 401/404/409,
  which are about the bot's setup, not this message: dropping the user's mail for them is worse;
* 403 (blocked, kicked) and other 400s ("chat not found"...) → `PermanentError`; a deleted forum
  topic → `ThreadGone`, so that the caller can create a new topic and resend there.

Error messages carry the API method and Telegram's description only, with the token scrubbed:
aiohttp errors may quote the request URL, which is ``/bot<token>/<method>``; the original
exception is not chained for the same reason.

Files (``Attachment.ref`` is a Telegram ``file_id``): consecutive photos/videos go as albums of up
to 10, documents likewise, voices one by one. Text goes as the caption of the first file if it
fits 1024 characters and does not have to be split from the buttons (albums cannot carry them);
otherwise files first, then the text with the buttons. The returned id is the last message's,
the one with the buttons; all ids are in ``extra["message_ids"]``. A failure halfway through a
multi-message send (a 429 on the text after the album went out, typical under load) must not
repeat the album on retry: the transport remembers, per delivery (``dedup_id``), which parts
already went out, and the retry sends only the rest. That memory is in the process only (bounded,
dropped on success); after a crash the delivered part is repeated: Telegram has no dedup key.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from aiogram import Bot
from aiogram.exceptions import (
    AiogramError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
)
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaDocument,
    InputMediaPhoto,
    InputMediaVideo,
    ReplyParameters,
)

from bot.core.transport import PermanentError, RetryAfter, TransientError
from bot.core.types import Attachment, Channel, OutgoingMessage, SentMessage

CAPTION_LIMIT = 1024
ALBUM_LIMIT = 10
BUTTONS_ONLY_TEXT = "⬆️"  # a text message cannot be empty; used for buttons under an album
_ALBUM_KIND = {"photo": "visual", "video": "visual", "document": "document", "voice": None}
_MEDIA = {"photo": InputMediaPhoto, "video": InputMediaVideo, "document": InputMediaDocument}
_THREAD_GONE = ("message thread not found", "topic_deleted", "topic_id_invalid")
#: Deliveries whose delivered parts are remembered while they wait for a retry.
PARTS_MEMORY = 1000


class ThreadGone(PermanentError):
    """The forum topic (``thread_id``) was deleted: create a new topic and send there."""


class TelegramTransport:
    channel: Channel = "tg"

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        # (chat, thread, dedup_id) → {part index: message ids} for multi-part sends not yet
        # complete. The thread is in the key: after a deleted topic everything goes again.
        self._delivered_parts: OrderedDict[tuple, dict[int, list[int]]] = OrderedDict()

    async def send(self, message: OutgoingMessage) -> SentMessage:
        try:
            ids = await self._send(message)
        except (AiogramError, aiohttp.ClientError, TimeoutError, ConnectionError) as e:
            error = self._map(e)
            if isinstance(error, PermanentError):  # no retry of this delivery will come
                self._delivered_parts.pop(_parts_key(message), None)
            raise error from None
        self._delivered_parts.pop(_parts_key(message), None)
        return SentMessage(platform_message_id=ids[-1], extra={"message_ids": ids})

    async def _send(self, m: OutgoingMessage) -> list[int]:
        markup = _keyboard(m)
        where = {"chat_id": m.chat_id, "message_thread_id": m.thread_id}
        reply = (ReplyParameters(message_id=m.reply_to, allow_sending_without_reply=True)
                 if m.reply_to is not None else None)
        if not m.attachments:
            sent = await self.bot.send_message(text=m.text, reply_markup=markup,
                                               reply_parameters=reply, **where)
            return [sent.message_id]
        chunks = _chunks(m.attachments)
        single = len(chunks) == 1 and len(chunks[0]) == 1
        caption = m.text if (m.text and len(m.text) <= CAPTION_LIMIT
                             and (single or markup is None)) else None
        tail = m.text if m.text and caption is None else None
        if tail is None and markup is not None and len(chunks[-1]) > 1:
            tail = BUTTONS_ONLY_TEXT
        ids: list[int] = []
        for i, chunk in enumerate(chunks):
            extra = {"reply_parameters": reply if i == 0 else None, **where}
            cap = caption if i == 0 else None
            if len(chunk) > 1:
                media = [_MEDIA[a.kind](media=a.ref, caption=cap if j == 0 else None)
                         for j, a in enumerate(chunk)]
                ids += await self._part(m, i, self.bot.send_media_group, media=media, **extra)
                continue
            a = chunk[0]
            last_markup = markup if i == len(chunks) - 1 and tail is None else None
            send = getattr(self.bot, f"send_{a.kind}")
            ids += await self._part(m, i, send, **{a.kind: a.ref}, caption=cap,
                                    reply_markup=last_markup, **extra)
        if tail is not None:
            ids += await self._part(m, len(chunks), self.bot.send_message, text=tail,
                                    reply_markup=markup, **where)
        return ids

    async def _part(
        self, m: OutgoingMessage, index: int, method: Callable[..., Awaitable[Any]], **params: Any
    ) -> list[int]:
        """Send part ``index`` of a multi-message delivery, unless an earlier attempt of the
        same delivery already did (then its message ids are returned again)."""
        key = _parts_key(m)
        done = self._delivered_parts.get(key, {})
        if index in done:
            return done[index]
        result = await method(**params)
        ids = [r.message_id for r in result] if isinstance(result, list) else [result.message_id]
        if m.dedup_id:
            self._delivered_parts.setdefault(key, {})[index] = ids
            while len(self._delivered_parts) > PARTS_MEMORY:
                self._delivered_parts.popitem(last=False)
        return ids

    def _map(self, e: BaseException) -> Exception:
        method = getattr(getattr(e, "method", None), "__api_method__", "?")
        text = getattr(e, "message", None) or type(e).__name__
        text = f"{method}: {text}".replace(self.bot.token, "<token>")
        if isinstance(e, TelegramRetryAfter):
            return RetryAfter(e.retry_after, text)
        if isinstance(e, TelegramBadRequest):
            gone = any(marker in text.lower() for marker in _THREAD_GONE)
            return (ThreadGone if gone else PermanentError)(text)
        if isinstance(e, TelegramForbiddenError):
            return PermanentError(text)
        # TelegramServerError, TelegramNetworkError, timeouts, aiohttp errors, a garbled reply
        # (ClientDecodeError) and 401/404/409: none of them says this message is undeliverable.
        return TransientError(text)


def _parts_key(m: OutgoingMessage) -> tuple:
    return (m.chat_id, m.thread_id, m.dedup_id)


def _keyboard(m: OutgoingMessage) -> InlineKeyboardMarkup | None:
    if not m.buttons:
        return None
    return InlineKeyboardMarkup(inline_keyboard=[
        [InlineKeyboardButton(text=b.text, callback_data=b.payload) for b in row]
        for row in m.buttons
    ])


def _chunks(attachments: tuple[Attachment, ...]) -> list[list[Attachment]]:
    """Split files into sends: runs of groupable kinds, at most 10 per album."""
    chunks: list[list[Attachment]] = []
    for a in attachments:
        if a.kind not in _ALBUM_KIND:
            raise PermanentError(f"unsupported attachment kind {a.kind!r}")
        key = _ALBUM_KIND[a.kind]
        last = chunks[-1] if chunks else None
        if (last and key is not None and _ALBUM_KIND[last[0].kind] == key
                and len(last) < ALBUM_LIMIT):
            last.append(a)
        else:
            chunks.append([a])
    return chunks

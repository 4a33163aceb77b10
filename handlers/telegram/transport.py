"""Telegram side of the outbox: `TelegramTransport` sends an `OutgoingMessage` through aiogram.

Why this module exists: the outbox must decide "wait", "retry later" or "give up" without knowing
aiogram, so every aiogram/aiohttp failure is mapped onto the three `bot.delivery.transport` errors:

* ``TelegramRetryAfter`` (429) → `RetryAfter` with Telegram's seconds; nothing retries for us;
* 5xx, network errors, timeouts, an undecodable reply → `TransientError`; so are 401/404/409,
  which are about the bot's setup, not this message: dropping the user's mail for them is worse;
* 403 (blocked, kicked) → `RecipientUnreachable` (the core tells the people concerned), other
  400s ("chat not found"...) → `PermanentError`; a deleted forum
  topic → `ThreadGone`, except for a message with a ``topic_key`` (a ticket's topic, see
  `TelegramTransport.topics`): that one is resent into a newly created topic.

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

Edits (`TelegramTransport.edit`, a live card): ``editMessageText``, or ``editMessageCaption``
for a card that went as a file's caption; "message is not modified" is success (an edit repeated
after a crash), a message Telegram will not edit is `NotEditable`. A ticket's forum topic is
retitled, reopened or closed with the edit; a message for a closed topic (TOPIC_CLOSED) reopens
it, goes, and closes it again unless the ticket is back with the body.

Files of the other channel (``Attachment.channel == "vk"``) are fetched through
`bot.delivery.files` and uploaded; `TelegramFiles` is the way back (``getFile`` + download) for a
VK chat.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any, Protocol

import aiohttp
from aiogram import Bot
from aiogram.exceptions import (
    AiogramError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
)
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    InputMediaDocument,
    InputMediaPhoto,
    InputMediaVideo,
    KeyboardButton,
    LinkPreviewOptions,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
)

from bot.delivery.files import FetchedFile, FileBridge, default_name
from bot.delivery.transport import (
    NotEditable,
    PermanentError,
    RecipientUnreachable,
    RetryAfter,
    TransientError,
)
from bot.domain.messages import Attachment, Channel, OutgoingMessage, SentMessage
from bot.domain.texts import ASK_LOCATION_BUTTON
from handlers.telegram.session import SendText

log = logging.getLogger("handlers.telegram.transport")

CAPTION_LIMIT = 1024
ALBUM_LIMIT = 10
BUTTONS_ONLY_TEXT = "⬆️"  # a text message cannot be empty; used for buttons under an album
_ALBUM_KIND = {"photo": "visual", "video": "visual", "document": "document", "voice": None}
_MEDIA = {"photo": InputMediaPhoto, "video": InputMediaVideo, "document": InputMediaDocument}
_THREAD_GONE = ("message thread not found", "topic_deleted", "topic_id_invalid")
#: No link previews: a card's map links (and a citizen's quoted URL) would each unfold into a
#: preview of somebody else's page under the card.
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
#: Deliveries whose delivered parts are remembered while they wait for a retry.
PARTS_MEMORY = 1000


class ThreadGone(PermanentError):
    """The forum topic (``thread_id``) was deleted: create a new topic and send there."""


class TopicDirectory(Protocol):
    """Where the forum topic of each ticket is remembered (`topics.ForumTopics`)."""

    async def thread(self, chat_id: int, key: str) -> int | None: ...
    async def remember(self, chat_id: int, key: str, thread_id: int) -> None: ...


class TelegramTransport:
    channel: Channel = "tg"

    def __init__(
        self, bot: Bot, topics: TopicDirectory | None = None, files: FileBridge | None = None
    ) -> None:
        self.bot = bot
        # The database's `topics.ForumTopics` (`bot.bootstrap`); without it ``topic_key`` is
        # ignored.
        self.topics = topics
        self.files = files  # where files of the other channel come from (see `bot.delivery.files`)
        # (chat, thread, dedup_id) → {part index: message ids} for multi-part sends not yet
        # complete. The thread is in the key: after a deleted topic everything goes again.
        self._delivered_parts: OrderedDict[tuple, dict[int, list[int]]] = OrderedDict()

    async def send(self, message: OutgoingMessage) -> SentMessage:
        message, uploads = await self._uploads(message)
        try:
            if message.topic_key and self.topics is not None:
                ids = await self._send_in_topic(message, uploads)
            else:
                ids = await self._send(message, uploads)
        except (AiogramError, aiohttp.ClientError, TimeoutError, ConnectionError) as e:
            error = delivery_error(e, self.bot.token)
            if isinstance(error, PermanentError):  # no retry of this delivery will come
                self._delivered_parts.pop(_parts_key(message), None)
            raise error from None
        self._delivered_parts.pop(_parts_key(message), None)
        return SentMessage(platform_message_id=ids[-1], extra={"message_ids": ids})

    async def edit(self, message: OutgoingMessage, message_id: int) -> SentMessage:
        """A live card's edit: its forum topic first (reopened, retitled), then the message's
        text (or caption, for a card that went as a file's caption) and buttons, then the topic
        closed if the ticket ended. Telegram's "message is not modified" is success, so a
        repeated edit changes nothing; a message Telegram will not edit raises `NotEditable`."""
        try:
            thread = await self._topic_of(message)
            if thread is not None and message.topic_closed is False:
                await self._topic_call(self.bot.reopen_forum_topic, message, thread)
            if thread is not None and message.topic_title:
                await self._topic_call(self.bot.edit_forum_topic, message, thread,
                                       name=message.topic_title[:128])
            await self._edit(message, message_id)
            if thread is not None and message.topic_closed:
                await self._topic_call(self.bot.close_forum_topic, message, thread)
        except NotEditable:
            raise
        except (AiogramError, aiohttp.ClientError, TimeoutError, ConnectionError) as e:
            raise delivery_error(e, self.bot.token) from None
        return SentMessage(platform_message_id=message_id)

    async def _edit(self, m: OutgoingMessage, message_id: int) -> None:
        markup = _keyboard(m)  # none: the buttons go
        where = {"chat_id": m.chat_id, "message_id": message_id, "reply_markup": markup}
        try:
            await self.bot.edit_message_text(
                text=m.text, link_preview_options=NO_PREVIEW, **where
            )
            return
        except TelegramBadRequest as e:
            if not _says(e, "there is no text in the message"):
                _raise_edit_refusal(e)
                return
        if len(m.text) > CAPTION_LIMIT:  # the card went as a caption: the status goes apart
            raise NotEditable("the new text does not fit a caption")
        try:
            await self.bot.edit_message_caption(caption=m.text, **where)
        except TelegramBadRequest as e:
            _raise_edit_refusal(e)

    async def _topic_of(self, m: OutgoingMessage) -> int | None:
        if not m.topic_key or self.topics is None:
            return None
        return await self.topics.thread(m.chat_id, m.topic_key)

    async def _topic_call(
        self, method: Callable[..., Awaitable[Any]], m: OutgoingMessage, thread: int,
        **params: Any,
    ) -> None:
        """Retitle, close or reopen a ticket's topic. It is how the list of topics reads, not
        the state change itself: a topic already so, deleted, or a bot without the right to
        manage topics is logged and the edit of the card goes on."""
        try:
            await method(chat_id=m.chat_id, message_thread_id=thread, **params)
        except TelegramBadRequest as e:
            if not _says(e, "topic_not_modified"):
                log.info("forum topic not changed: %s",
                         getattr(method, "__name__", "?"))

    async def _send(
        self, m: OutgoingMessage, uploads: dict[Attachment, InputFile] | None = None
    ) -> list[int]:
        uploads = uploads or {}
        markup = _keyboard(m) or _reply_keyboard(m)
        where = {"chat_id": m.chat_id, "message_thread_id": m.thread_id}
        reply = (ReplyParameters(message_id=m.reply_to, allow_sending_without_reply=True)
                 if m.reply_to is not None else None)
        if not m.attachments:
            sent = await self.bot(SendText(text=m.text, reply_markup=markup,
                                           reply_parameters=reply,
                                           link_preview_options=NO_PREVIEW, **where))
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
                media = [_MEDIA[a.kind](media=uploads.get(a, a.ref),
                                        caption=cap if j == 0 else None)
                         for j, a in enumerate(chunk)]
                ids += await self._part(m, i, self.bot.send_media_group, media=media, **extra)
                continue
            a = chunk[0]
            last_markup = markup if i == len(chunks) - 1 and tail is None else None
            send = getattr(self.bot, f"send_{a.kind}")
            ids += await self._part(m, i, send, **{a.kind: uploads.get(a, a.ref)}, caption=cap,
                                    reply_markup=last_markup, **extra)
        if tail is not None:
            ids += await self._part(m, len(chunks), self.bot.send_message, text=tail,
                                    link_preview_options=NO_PREVIEW,
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

    async def _send_in_topic(
        self, m: OutgoingMessage, uploads: dict[Attachment, InputFile]
    ) -> list[int]:
        """Into the ticket's forum topic, created on first use. If the administrators deleted
        it, a new one is created and the message goes there: better a fresh topic than a
        ticket nobody sees. A group that stopped being a forum gets the message unthreaded."""
        assert self.topics is not None and m.topic_key is not None
        thread = await self.topics.thread(m.chat_id, m.topic_key)
        if thread is not None:
            try:
                return await self._send(replace(m, thread_id=thread), uploads)
            except TelegramBadRequest as e:
                if _says(e, "topic_closed"):
                    return await self._send_in_closed_topic(m, thread, uploads)
                if not _thread_gone(e):
                    raise
            m = replace(m, reply_to=None)  # what it replied to went with the topic
        try:
            topic = await self.bot.create_forum_topic(
                chat_id=m.chat_id, name=(m.topic_title or m.topic_key)[:128]
            )
        except TelegramBadRequest as e:
            if "not a forum" not in (e.message or "").lower():
                raise
            return await self._send(m, uploads)
        await self.topics.remember(m.chat_id, m.topic_key, topic.message_thread_id)
        return await self._send(replace(m, thread_id=topic.message_thread_id), uploads)

    async def _send_in_closed_topic(
        self, m: OutgoingMessage, thread: int, uploads: dict[Attachment, InputFile]
    ) -> list[int]:
        """Telegram refuses messages to a closed topic (TOPIC_CLOSED): reopen it, send, and
        close it again unless the message is about a ticket a body holds again
        (``topic_closed`` False: a new card after the ticket came back)."""
        await self.bot.reopen_forum_topic(chat_id=m.chat_id, message_thread_id=thread)
        ids = await self._send(replace(m, thread_id=thread), uploads)
        if m.topic_closed is not False:
            await self._topic_call(self.bot.close_forum_topic, m, thread)
        return ids

    async def _uploads(
        self, m: OutgoingMessage
    ) -> tuple[OutgoingMessage, dict[Attachment, InputFile]]:
        """Files of the other channel, downloaded through the bridge, to go as uploads. A file
        its origin cannot give any more is left out: the message (a ticket card) still goes."""
        uploads: dict[Attachment, InputFile] = {}
        gone: set[Attachment] = set()
        for a in m.attachments:
            if a.channel in (None, self.channel) or a in uploads or a in gone:
                continue
            if self.files is None:
                raise PermanentError(f"a {a.kind} from {a.channel} and no file bridge")
            try:
                fetched = await self.files.fetch(a)
            except PermanentError as exc:
                log.warning("a %s file from %s dropped: %s", a.kind, a.channel,
                            type(exc).__name__)
                gone.add(a)
                continue
            uploads[a] = BufferedInputFile(fetched.data, fetched.name)
        if gone:
            kept = tuple(a for a in m.attachments if a not in gone)
            m = dataclasses.replace(m, attachments=kept)
        return m, uploads


class TelegramFiles:
    """Telegram's files for a chat in the other channel (a `bot.delivery.files.FileSource`)."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def fetch(self, attachment: Attachment) -> FetchedFile:
        """The bytes of a Telegram file (``getFile`` + download; bots get files up to 20 MB)."""
        try:
            file = await self.bot.get_file(attachment.ref)
            if file.file_path is None:
                raise PermanentError("Telegram gave no file_path")
            data = await self.bot.download_file(file.file_path)
        except (AiogramError, aiohttp.ClientError, TimeoutError, ConnectionError) as e:
            raise delivery_error(e, self.bot.token) from None
        assert data is not None
        name = file.file_path.rsplit("/", 1)[-1]
        return FetchedFile(data.getvalue(), name if "." in name else default_name(attachment))


def delivery_error(e: BaseException, token: str) -> Exception:
    """An aiogram/aiohttp failure as one of the outbox's errors, its text without ``token``."""
    method = getattr(getattr(e, "method", None), "__api_method__", "?")
    text = getattr(e, "message", None) or type(e).__name__
    text = f"{method}: {text}".replace(token, "<token>")
    if isinstance(e, TelegramRetryAfter):
        return RetryAfter(e.retry_after, text)
    if isinstance(e, TelegramBadRequest):
        gone = any(marker in text.lower() for marker in _THREAD_GONE)
        return (ThreadGone if gone else PermanentError)(text)
    if isinstance(e, TelegramForbiddenError):
        # Blocked by the user, kicked from the group, not a member any more: the chat refuses
        # the bot until someone lets it back (`AppealCore.delivery_refused` decides what then).
        return RecipientUnreachable(text)
    # TelegramServerError, TelegramNetworkError, timeouts, aiohttp errors, a garbled reply
    # (ClientDecodeError) and 401/404/409: none of them says this message is undeliverable.
    return TransientError(text)


#: Telegram's words for a message it will not edit: someone else's, one with a reply
#: keyboard, one deleted.
_NOT_EDITABLE = ("message can't be edited", "message to edit not found", "message_id_invalid")


def _says(e: TelegramBadRequest, marker: str) -> bool:
    return marker in (e.message or "").lower()


def _raise_edit_refusal(e: TelegramBadRequest) -> None:
    """After a failed edit: nothing if the content was already so, `NotEditable` if Telegram
    will not edit that message, else the error itself."""
    if _says(e, "message is not modified"):
        return
    if any(_says(e, marker) for marker in _NOT_EDITABLE):
        raise NotEditable(e.message or "message can't be edited") from None
    raise e


def _thread_gone(e: TelegramBadRequest) -> bool:
    return any(marker in (e.message or "").lower() for marker in _THREAD_GONE)


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


def _reply_keyboard(m: OutgoingMessage) -> ReplyKeyboardMarkup | ReplyKeyboardRemove | None:
    """The "share location" keyboard under the input field, or its removal. Only when the
    message has no inline buttons: Telegram takes one ``reply_markup`` per message."""
    if m.request_location:
        button = KeyboardButton(text=ASK_LOCATION_BUTTON, request_location=True)
        return ReplyKeyboardMarkup(keyboard=[[button]], resize_keyboard=True,
                                   one_time_keyboard=True)
    if m.remove_keyboard:
        return ReplyKeyboardRemove()
    return None

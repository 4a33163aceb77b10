"""The VK side of the outbox: `VKTransport` sends one `OutgoingMessage` through a vkbottle `API`.

Why ``api.messages.send`` by hand and not vkbottle's ``Message.answer``: ``answer`` sends with
``peer_ids`` and ``random_id=0``. With ``peer_ids`` VK reports a per-recipient failure (901, the
user forbade messages) inside the answer instead of as an error, so a refused message would look
delivered; and ``random_id=0`` switches off VK's de-duplication. Here every call carries
``peer_id`` and ``random_id=dedup_id`` (the outbox's stable number for the delivery), so a send
repeated after a crash or a timeout is dropped by VK and returns the first message id. That is
also why a timeout or a dropped connection may safely be reported as `TransientError` here,
unlike on Telegram: the retry cannot produce a second message.

Files of the other channel (``Attachment.channel == "tg"``) are fetched through
`bot.delivery.files` and uploaded for the dialogue (photos via
``photos.getMessagesUploadServer``/``saveMessagesPhoto``, anything else as a document); `VKFiles`
downloads a VK photo for a Telegram chat from its URL.

A dialogue with a connected page (`bot.domain.pages`: its chat id carries the community) is
sent with that page's own API (`handlers.vk.pages.VKPages`): the citizen is answered from the
page they wrote to, with the page's token, whose 20 calls a second are its own
(`bot.domain.pages.lane`). A page not connected (or not yet known to this process) is a
`TransientError`: tried again, and given up after the outbox's attempts.

Errors are mapped onto the three of `bot.delivery.transport`; their messages never contain the
access token (aiohttp errors carry the request URL, whose query string has it, so they are
reported by type only and not chained).
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any, Protocol

import aiohttp
from vkbottle import (
    API,
    Callback,
    DocMessagesUploader,
    Keyboard,
    Location,
    PhotoMessageUploader,
    VKAPIError,
)

from bot.delivery.files import FetchedFile, FileBridge, default_name
from bot.delivery.transport import (
    NotEditable,
    PermanentError,
    RecipientUnreachable,
    RetryAfter,
    TransientError,
)
from bot.domain import texts
from bot.domain.messages import Attachment, Button, Channel, OutgoingMessage, SentMessage
from bot.domain.pages import page_of, peer_of

log = logging.getLogger("handlers.vk.transport")

MAX_TEXT = 4096  # characters; splitting is the core's job, this only refuses
MAX_LABEL = 40  # VK refuses longer button labels
MAX_PAYLOAD = 255  # VK's limit on a button payload, as JSON
MAX_INLINE_ROWS, MAX_INLINE_BUTTONS = 6, 10  # an inline keyboard
MAX_ROWS, MAX_PER_ROW = 10, 5  # a keyboard under the input field; 5 per row in both

# VK error 6 ("too many requests per second") is the 20 calls/s per token limit: it clears
# within the second. Error 9 ("flood control") is VK's anti-spam limit on identical or too many
# messages to one peer; VK does not say for how long, and hammering it prolongs the block, so
# wait noticeably longer before the outbox tries that chat again.
RETRY_AFTER = {6: 1.0, 9: 10.0}
# 1: "unknown error" — also what vkbottle raises when the answer is not JSON, i.e. an HTTP 5xx
# page (after rescheduling once); 10: VK's internal error. Both may work on the next try.
# 5 (authorisation failed) and 27/28 (wrong kind of token) are the bot's own configuration,
# not the message: as with Telegram's 401 in the Telegram transport, the message waits in the
# outbox until an operator fixes the token instead of being dropped for good.
TRANSIENT_CODES = frozenset({1, 5, 10, 27, 28})
# messages.edit refused for this message: 909 too old, 920 this kind of message, 100 no such
# message (deleted, or not in this dialogue), 15 access denied. The outbox then sends the
# compact status instead of the edit.
NOT_EDITABLE_CODES = frozenset({15, 100, 909, 920})
# 7: no permission; 15: access denied; 902: the user's privacy settings; 914: text too long.
# Any other code is a request VK will refuse again (bad parameter, keyboard), so it is
# permanent too: better to fail loudly than to retry something that cannot work.


class MessagesDenied(RecipientUnreachable):
    """VK 901: the user has not allowed the community to write (or has forbidden it since).

    The core tells the administrator: the citizen can only be reached some other way.
    """

    def __init__(self, chat_id: int, message: str = ""):
        self.chat_id = chat_id
        super().__init__(message or f"VK user {chat_id} does not allow messages (901)")


class CommentRefused(RecipientUnreachable):
    """VK will not take a public reply under a comment (comments closed, post or comment
    deleted, links forbidden, too many replies): the core tells the staff
    (`bot.core.comments.public_reply_refused`); the private copy goes its own way."""


class VKTransport:
    """`Transport` for VK over a real vkbottle `API` (token, URL and HTTP client are the API's)."""

    channel: Channel = "vk"

    def __init__(
        self, api: API, files: FileBridge | None = None, pages: PageApis | None = None
    ) -> None:
        self.main_api = api
        self.files = files  # where files of the other channel come from (see `bot.delivery.files`)
        self.pages = pages  # the connected pages' APIs; None: the bot's own community only

    async def _for(self, chat_id: int) -> VKTransport:
        """The transport for this chat: this one, or the same over the page's own API. A
        negative chat is a wall (public replies under comments): a connected page's wall is
        written with that page's token, any other with the bot's."""
        group = page_of("vk", chat_id)
        if group is None and chat_id < 0 and self.pages is not None:
            link = self.pages.link(-chat_id)
            if link is not None and link.api is not None:
                return VKTransport(link.api, self.files)
        if group is None:
            return self
        link = await self.pages.find(group) if self.pages is not None else None
        api = link.api if link is not None else None
        if api is None:
            # Disconnected, or connected by another process since this one read the pages:
            # tried again later (`handlers.vk.pages.VKPages.find` reads them again), and
            # given up after the outbox's attempts if it stays disconnected.
            raise TransientError(f"VK community {page_of('vk', chat_id)} is not connected")
        return VKTransport(api, self.files)  # the same sends over the page's API

    @property
    def api(self) -> API:
        return self.main_api

    async def send(self, message: OutgoingMessage) -> SentMessage:
        on = await self._for(message.chat_id)
        return await on._send_message(replace(message, chat_id=peer_of(message.chat_id)))

    async def edit(self, message: OutgoingMessage, message_id: int) -> SentMessage:
        on = await self._for(message.chat_id)
        peer = peer_of(message.chat_id)
        return await on._edit_message(replace(message, chat_id=peer), message_id)

    async def _send_message(self, message: OutgoingMessage) -> SentMessage:
        if len(message.text) > MAX_TEXT:
            raise PermanentError(f"text of {len(message.text)} characters, VK allows {MAX_TEXT}")
        if message.post_id is not None:
            return await self._comment(message)
        params: dict = {
            "peer_id": message.chat_id,
            # VK only de-duplicates a non-zero random_id; with no dedup_id a fresh one at least
            # keeps the call valid (random_id is required).
            "random_id": message.dedup_id or secrets.randbelow(2**31 - 1) + 1,
            "message": message.text,
        }
        if message.request_location:
            params["keyboard"] = location_keyboard(message)
        elif message.buttons:
            params["keyboard"] = inline_keyboard(message)
        elif message.menu or message.remove_keyboard:
            # The citizen's standing «Мои обращения» button; it also takes the place of the
            # location keyboard once the question it was for is answered.
            params["keyboard"] = menu_keyboard() if message.menu else EMPTY_KEYBOARD
        if message.attachments:
            refs = [await self._vk_ref(a, message.chat_id) for a in message.attachments]
            params["attachment"] = ",".join(ref for ref in refs if ref)
        if message.reply_to is not None:
            try:
                return await self._send({**params, "reply_to": message.reply_to})
            except VKAPIError as exc:
                # VK answers 100 when the message to reply to is gone; reply_to is only a wish.
                if exc.code != 100:
                    raise self._map(exc, message.chat_id) from None
        try:
            return await self._send(params)
        except VKAPIError as exc:
            raise self._map(exc, message.chat_id) from None

    async def _edit_message(self, message: OutgoingMessage, message_id: int) -> SentMessage:
        """``messages.edit`` of the community's message ``message_id`` (the global id, which is
        what `send` records; our staff dialogues are private ones, where VK gives it). VK drops
        attachments not named again, so the card's own files are named again; a card with
        files of the other channel (uploaded for it, their VK ids unknown) is not edited.
        The keyboard is always given: an empty inline one takes the buttons away."""
        if len(message.text) > MAX_TEXT:
            raise NotEditable(f"text of {len(message.text)} characters")
        if any(a.channel not in (None, self.channel) for a in message.attachments):
            raise NotEditable("the card carries files of another channel")
        params: dict = {
            "peer_id": message.chat_id,
            "message_id": message_id,
            "message": message.text,
            "keyboard": inline_keyboard(message) if message.buttons else EMPTY_INLINE_KEYBOARD,
        }
        if message.attachments:
            params["attachment"] = ",".join(a.ref for a in message.attachments)
        try:
            async with _http_errors():
                await self.api.messages.edit(**params)
        except VKAPIError as exc:
            if exc.code in NOT_EDITABLE_CODES:
                raise NotEditable(self._scrub(f"VK error {exc.code}: {exc.error_msg}")) from None
            raise self._map(exc, message.chat_id) from None
        return SentMessage(platform_message_id=message_id)

    async def _comment(self, message: OutgoingMessage) -> SentMessage:
        """A public reply under a comment on the community's wall (``chat_id``: the wall's
        owner, -community id; ``reply_to``: the comment). ``guid`` is VK's guard against a
        repeated comment, as ``random_id`` is for messages."""
        params: dict = {
            "owner_id": message.chat_id,
            "post_id": message.post_id,
            "from_group": -message.chat_id,
            "message": message.text,
            "guid": str(message.dedup_id or secrets.randbelow(2**31 - 1) + 1),
        }
        if message.reply_to is not None:
            params["reply_to_comment"] = message.reply_to
        try:
            async with _http_errors():
                answer = await self.api.wall.create_comment(**params)
        except VKAPIError as exc:
            if exc.code in RETRY_AFTER or exc.code in TRANSIENT_CODES:
                raise self._map(exc, message.chat_id) from None
            # Comments closed (212), post or comment gone (100, 211), access (15), links
            # forbidden (222), too many replies (223)…: this reply will never go.
            raise CommentRefused(self._scrub(f"VK error {exc.code}: {exc.error_msg}")) from None
        return SentMessage(platform_message_id=int(answer.comment_id))

    async def _send(self, params: dict) -> SentMessage:
        async with _http_errors():
            message_id = await self.api.messages.send(**params)
        return SentMessage(platform_message_id=int(message_id))

    def _map(self, exc: VKAPIError, chat_id: int) -> Exception:
        text = self._scrub(f"VK error {exc.code}: {exc.error_msg}")[:300]
        if exc.code in RETRY_AFTER:
            return RetryAfter(RETRY_AFTER[exc.code], text)
        if exc.code in TRANSIENT_CODES:
            return TransientError(text)
        if exc.code == 901:
            return MessagesDenied(chat_id, text)
        error = PermanentError(text)
        error.code = exc.code  # type: ignore[attr-defined]
        return error

    async def _vk_ref(self, attachment: Attachment, peer_id: int) -> str | None:
        """The VK attachment string: as is for a VK file; a file of the other channel is
        downloaded through the bridge and uploaded to VK for this dialogue (photos as photos,
        everything else as a document). ``None`` drops it when no bridge is wired."""
        if attachment.channel in (None, self.channel):
            return attachment.ref
        if self.files is None:
            log.warning("a %s file from %s dropped: no file bridge", attachment.kind,
                        attachment.channel)
            return None
        try:
            fetched = await self.files.fetch(attachment)
        except PermanentError as exc:
            # The file is gone at its origin: the message (a ticket card, say) still goes.
            log.warning("a %s file from %s dropped: %s", attachment.kind, attachment.channel,
                        type(exc).__name__)
            return None
        try:
            if attachment.kind == "photo":
                return await PhotoMessageUploader(self.api).upload(
                    file_source=fetched.data, peer_id=peer_id
                )
            return await DocMessagesUploader(self.api).upload(
                file_source=fetched.data, peer_id=peer_id, title=fetched.name
            )
        except VKAPIError as exc:
            raise self._map(exc, peer_id) from None
        except (TimeoutError, aiohttp.ClientError, ValueError, LookupError) as exc:
            # ValueError/LookupError: the upload server answered something that is not the
            # expected JSON (an HTML error page): worth another try later.
            raise TransientError(f"VK upload failed: {type(exc).__name__}") from None

    def _scrub(self, text: str) -> str:
        token = getattr(self.api.token_generator, "token", None)
        return text.replace(token, "***") if isinstance(token, str) and token else text


class PageApis(Protocol):
    """`handlers.vk.pages.VKPages` as the transport sees it."""

    async def find(self, group_id: int) -> Any: ...
    def link(self, group_id: int) -> Any: ...


@asynccontextmanager
async def _http_errors() -> AsyncIterator[None]:
    """HTTP and network failures around one VK call, as the outbox's errors (VK's own API
    errors pass through: each caller maps them). A 5xx or no answer: not taken, try again;
    another HTTP status will not change on a retry. Only the type is kept: aiohttp's message
    carries the request URL, and with it the token."""
    try:
        yield
    except VKAPIError:
        raise
    except aiohttp.ClientResponseError as exc:
        if exc.status >= 500:
            raise TransientError(f"VK answered HTTP {exc.status}") from None
        raise PermanentError(f"VK answered HTTP {exc.status}") from None
    except (TimeoutError, aiohttp.ClientError) as exc:
        raise TransientError(f"VK unreachable: {type(exc).__name__}") from None


class VKFiles:
    """VK's files for a chat in the other channel (a `bot.delivery.files.FileSource`)."""

    def __init__(self, api: API) -> None:
        self.api = api

    async def fetch(self, attachment: Attachment) -> FetchedFile:
        """The bytes of a VK file, for a chat in the other channel: from the URL VK gave with it
        (a community token cannot look a photo up by its id later)."""
        if not attachment.url:
            raise PermanentError(f"VK {attachment.kind} without a download address")
        try:
            async with self.api.http_client.request(attachment.url) as response:  # type: ignore[attr-defined]
                if response.status >= 500:
                    raise TransientError(f"VK file server answered HTTP {response.status}")
                if response.status >= 400:
                    raise PermanentError(f"VK file server answered HTTP {response.status}")
                data = await response.read()
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise TransientError(f"VK file unreachable: {type(exc).__name__}") from None
        name = attachment.url.split("?", 1)[0].rsplit("/", 1)[-1]
        return FetchedFile(data, name if "." in name else default_name(attachment))


def inline_keyboard(message: OutgoingMessage) -> str:
    """Rows of `Button` as an inline VK keyboard of callback buttons (press → ``message_event``
    with ``payload == {"p": button.payload}``)."""
    keyboard = Keyboard(inline=True)
    _add_callback_rows(keyboard, fit_inline(message.buttons))
    return keyboard.get_json()


EMPTY_KEYBOARD = json.dumps({"one_time": True, "buttons": []})
EMPTY_INLINE_KEYBOARD = json.dumps({"inline": True, "buttons": []})


def menu_keyboard() -> str:
    """A keyboard under the input field with «Мои обращения»: a text button, so pressing it
    sends those words, which the VK handlers read as the /my command."""
    button = {"action": {"type": "text", "label": texts.MY_TICKETS_BUTTON}, "color": "secondary"}
    return json.dumps({"one_time": False, "buttons": [[button]]}, ensure_ascii=False)


def location_keyboard(message: OutgoingMessage) -> str:
    """A keyboard under the input field with «Отправить местоположение» (VK's location button
    is allowed only there, alone in its row, not in an inline keyboard), the message's own
    buttons below it as callback buttons; it disappears after one use."""
    keyboard = Keyboard(one_time=True)
    keyboard.add(Location())
    _add_callback_rows(keyboard, message.buttons[: MAX_ROWS - 1])
    return keyboard.get_json()


def fit_inline(rows: tuple[tuple[Button, ...], ...]) -> tuple[tuple[Button, ...], ...]:
    """The core's rows within VK's inline limits (6 rows, 5 per row, 10 buttons in all).

    The core lays out one option per row (up to six places plus «Другое»); past six rows the
    buttons go two to a row. Beyond ten the last button («Другое») is kept and the tail of the
    list dropped: the citizen can still type the answer."""
    flat = [b for row in rows for b in row]
    if len(rows) <= MAX_INLINE_ROWS and all(len(r) <= MAX_PER_ROW for r in rows) and len(
        flat
    ) <= MAX_INLINE_BUTTONS:
        return rows
    if len(flat) > MAX_INLINE_BUTTONS:
        log.warning("%d buttons cut to VK's %d", len(flat), MAX_INLINE_BUTTONS)
        flat = flat[: MAX_INLINE_BUTTONS - 1] + flat[-1:]
    per_row = -(-len(flat) // MAX_INLINE_ROWS)  # ceil: at most 2 for 10 buttons
    return tuple(tuple(flat[i : i + per_row]) for i in range(0, len(flat), per_row))


def _add_callback_rows(keyboard: Keyboard, rows: tuple[tuple[Button, ...], ...]) -> None:
    for row in rows:
        if keyboard.buttons and keyboard.buttons[-1]:
            keyboard.row()
        for button in row:
            label = button.text
            if len(label) > MAX_LABEL:
                label = label[: MAX_LABEL - 1].rstrip() + "…"
            payload = {"p": button.payload}
            if len(json.dumps(payload, ensure_ascii=False).encode()) > MAX_PAYLOAD:
                raise PermanentError(f"button payload over {MAX_PAYLOAD} bytes: {label!r}")
            keyboard.add(Callback(label, payload=payload))

"""Telegram albums: the parts of one album become ONE `IncomingMessage` for the core.

Telegram delivers an album as separate messages sharing a ``media_group_id``; only one of them
carries the caption, and nothing says how many parts will come or when the last one has
arrived. Handed over one by one, the first part would make a ticket and every other photo would
be a "follow-up" forwarded to the body separately. So the parts of an album are held for a
short quiet period (``quiet_seconds`` after the latest part) and then given to the core together:
the first part's message id, the caption, all files in message order. Ten parts (Telegram's
maximum) end the album at once.

Memory is bounded: at most ``max_albums`` albums wait at a time (the oldest is handed over early
when a new one would exceed that) and a repeated delivery of a part is kept once.

Nothing is lost while the parts wait: each part is an update stored in the inbox
(`bot.delivery.inbox`), and the collector defers it (`InboxEntry.defer`) instead of finishing
it, so the part's row stays pending until the album has been handled. A crash in that second
leaves the parts in the inbox; after the restart they are taken up in order and gathered again.
If handing the album over fails, every part is tried again (after the inbox's backoff, all at
once, so they gather again). With ``REDIS_URL`` the parts wait in Redis instead, see
`handlers.telegram.albums_redis`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from aiogram.types import Message

from bot.core.ports import Core
from bot.delivery.inbox import InboxEntry, Settle
from bot.domain.messages import IncomingMessage

log = logging.getLogger("bot.telegram")

#: Telegram's maximum number of parts in an album.
ALBUM_LIMIT = 10


def merge_album(parts: Iterable[IncomingMessage]) -> IncomingMessage:
    """One message standing for the album: the first part's ids, the caption (whichever part
    carries it), every part's files in message order."""
    ordered = sorted(parts, key=lambda p: p.message_id)
    first = ordered[0]
    return IncomingMessage(
        channel=first.channel,
        chat_id=first.chat_id,
        user_id=first.user_id,
        message_id=first.message_id,
        text=next((p.text for p in ordered if p.text), ""),
        attachments=tuple(a for p in ordered for a in p.attachments),
        location=next((p.location for p in ordered if p.location is not None), None),
        reply_to=next((p.reply_to for p in ordered if p.reply_to is not None), None),
    )


class Albums(Protocol):
    """What the router needs of a collector: `AlbumCollector` in one process, or
    `handlers.telegram.albums_redis.RedisAlbumCollector` when several share Redis."""

    async def on_part(
        self, message: Message, core: Core, inbox_entry: InboxEntry | None = None
    ) -> None: ...

    async def flush(self) -> None: ...


async def is_album_part(message: Message) -> bool:
    """Async on purpose: aiogram runs plain (sync) filters in a thread."""
    return message.media_group_id is not None


@dataclass
class _Waiting:
    core: Core
    due: float  # loop time after which the album is considered complete
    parts: dict[int, IncomingMessage] = field(default_factory=dict)
    timer: asyncio.Task | None = None
    stored: list[Settle] = field(default_factory=list)  # the parts' inbox rows, deferred


class AlbumCollector:
    def __init__(
        self,
        translate: Callable[[Message], IncomingMessage],
        *,
        quiet_seconds: float = 1.0,
        max_albums: int = 1000,
    ) -> None:
        self.translate = translate
        self.quiet_seconds = quiet_seconds
        self.max_albums = max_albums
        self._waiting: dict[tuple[int, str], _Waiting] = {}
        self._timers: set[asyncio.Task] = set()  # including those handing an album over now

    @property
    def waiting(self) -> int:
        """Albums held right now."""
        return len(self._waiting)

    async def on_part(
        self, message: Message, core: Core, inbox_entry: InboxEntry | None = None
    ) -> None:
        """aiogram handler for a message with a ``media_group_id``; ``inbox_entry`` is the
        part's stored update, finished when the album is."""
        key = (message.chat.id, str(message.media_group_id))
        due = asyncio.get_running_loop().time() + self.quiet_seconds
        album = self._waiting.get(key)
        if album is None:
            if len(self._waiting) >= self.max_albums:
                await self._hand_over(next(iter(self._waiting)))
            album = self._waiting[key] = _Waiting(core, due)
            album.timer = asyncio.create_task(self._when_quiet(key), name="telegram-album")
            self._timers.add(album.timer)
            album.timer.add_done_callback(self._timers.discard)
        part = self.translate(message)
        album.parts[part.message_id] = part
        if inbox_entry is not None:
            album.stored.append(inbox_entry.defer())
        album.due = due
        if len(album.parts) >= ALBUM_LIMIT:
            await self._hand_over(key)

    async def flush(self) -> None:
        """Hand every waiting album over now and let those being handed over finish (on
        shutdown, before the core stops)."""
        for key in list(self._waiting):
            await self._hand_over(key)
        await asyncio.gather(*self._timers, return_exceptions=True)

    async def _when_quiet(self, key: tuple[int, str]) -> None:
        loop = asyncio.get_running_loop()
        while (album := self._waiting.get(key)) is not None:
            left = album.due - loop.time()
            if left <= 0:
                await self._hand_over(key)
                return
            await asyncio.sleep(left)

    async def _hand_over(self, key: tuple[int, str]) -> None:
        album = self._waiting.pop(key, None)
        if album is None:
            return
        if album.timer is not None and album.timer is not asyncio.current_task():
            album.timer.cancel()
        try:
            await album.core.handle(merge_album(album.parts.values()))
        except Exception as exc:
            # Logged by type: the album's content stays out of the log. Its parts are tried
            # again from the inbox.
            log.warning("album of %d parts not handled: %s", len(album.parts), type(exc).__name__)
            for settle in album.stored:
                settle.failed(exc)
            return
        for settle in album.stored:
            settle.done()

"""Telegram albums gathered in Redis, for several webhook processes behind one proxy.

Telegram sends each part of an album as its own update, and with several processes the parts
land on different ones; `handlers.telegram.albums.AlbumCollector` (memory) would then make one
appeal per process. Here every part goes to Redis, under the album's chat and ``media_group_id``:

- ``album:<chat>:<group>:parts`` — a hash, message id → the part's update JSON (a re-sent part
  overwrites itself, so it is kept once);
- ``…:quiet`` — a key set again with every part and expiring after ``quiet_seconds``: while it
  exists, more parts may come;
- ``…:owner`` — taken (``SET NX``) by the process that saw the first part; that process waits for
  the quiet key to expire, then claims the parts and hands the album to the core.

Claiming reads and deletes all three keys in one transaction, so an album is handed over once;
ten parts (Telegram's maximum) are claimed at once by whichever process received the tenth. A part
that arrives after the claim starts a new album, as it would in memory.

The crash window: unlike the collector in memory, which keeps its parts' inbox rows pending
until the album is handled, a part here is done with once it is in Redis. If the owning process
dies before claiming, the parts expire from Redis after ``keep_seconds`` and that album is
lost. Stopping normally hands over every album this process owns.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from aiogram.types import Message
from redis.exceptions import RedisError

from bot.core.ports import Core
from bot.delivery.inbox import InboxEntry
from bot.domain.messages import IncomingMessage
from handlers.telegram.albums import ALBUM_LIMIT, merge_album

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger("bot.telegram")


class RedisAlbumCollector:
    """The same handler interface as `AlbumCollector` (``on_part``, ``flush``, ``waiting``)."""

    def __init__(
        self,
        translate: Callable[[Message], IncomingMessage],
        redis: Redis,
        *,
        quiet_seconds: float = 1.0,
        keep_seconds: float = 60.0,
        prefix: str = "album",
    ) -> None:
        self.translate = translate
        self.redis = redis
        self.quiet_seconds = quiet_seconds
        self.keep_seconds = keep_seconds  # parts of an album nobody claimed are dropped after
        self.prefix = prefix
        # Albums this process hands over; setting the event ends the wait early. (An event, not
        # ``Task.cancel``: a cancellation landing inside a Redis call may be absorbed there.)
        self._owned: dict[str, tuple[Core, asyncio.Event]] = {}
        self._timers: set[asyncio.Task] = set()

    @property
    def waiting(self) -> int:
        """Albums this process waits to hand over."""
        return len(self._owned)

    async def on_part(
        self, message: Message, core: Core, inbox_entry: InboxEntry | None = None
    ) -> None:
        """aiogram handler for a message with a ``media_group_id``. The part's inbox row is
        finished once the part is in Redis (``inbox_entry`` is not deferred): the album may be
        handed over by another process, which cannot finish this one's rows."""
        key = f"{self.prefix}:{message.chat.id}:{message.media_group_id}"
        keep = max(1, round(self.keep_seconds))
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.hset(f"{key}:parts", str(message.message_id), message.model_dump_json())
                pipe.expire(f"{key}:parts", keep)
                pipe.set(f"{key}:quiet", "1", px=max(1, round(self.quiet_seconds * 1000)))
                pipe.set(f"{key}:owner", "1", nx=True, ex=keep)
                *_, owner = await pipe.execute()
                parts = await self.redis.hlen(f"{key}:parts")
        except (RedisError, OSError) as exc:
            # Without Redis the part is taken on its own rather than lost.
            log.warning("album store unreachable (%s): part handled alone", type(exc).__name__)
            await core.handle(self.translate(message))
            return
        if parts >= ALBUM_LIMIT:
            await self._hand_over(key, core)
        elif owner:
            self._owned[key] = (core, asyncio.Event())
            timer = asyncio.create_task(self._when_quiet(key, core), name="telegram-album")
            self._timers.add(timer)
            timer.add_done_callback(self._timers.discard)

    async def flush(self) -> None:
        """Hand over every album this process owns now, and let those in hand finish."""
        for key, (core, _) in list(self._owned.items()):
            await self._hand_over(key, core)
        await asyncio.gather(*self._timers, return_exceptions=True)

    async def _when_quiet(self, key: str, core: Core) -> None:
        try:
            while (owned := self._owned.get(key)) is not None and not owned[1].is_set():
                left = await self.redis.pttl(f"{key}:quiet")
                if left <= 0:
                    break
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(owned[1].wait(), left / 1000)
        except (RedisError, OSError) as exc:
            log.warning("album store unreachable (%s) while waiting", type(exc).__name__)
        await self._hand_over(key, core)

    async def _hand_over(self, key: str, core: Core) -> None:
        owned = self._owned.pop(key, None)
        if owned is not None:
            owned[1].set()  # its waiting timer ends and finds the album claimed
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.hgetall(f"{key}:parts")
                pipe.delete(f"{key}:parts", f"{key}:quiet", f"{key}:owner")
                stored, _ = await pipe.execute()
        except (RedisError, OSError) as exc:
            log.warning("album store unreachable (%s): album not claimed", type(exc).__name__)
            return
        if not stored:
            return  # claimed by another process (its tenth part), or expired
        parts = [self.translate(Message.model_validate_json(raw)) for raw in stored.values()]
        try:
            await core.handle(merge_album(parts))
        except Exception:
            log.exception("album of %d parts could not be handled", len(parts))

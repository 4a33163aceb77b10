"""Albums with REDIS_URL: parts reaching different processes still make one appeal."""

from __future__ import annotations

import asyncio

from aiogram.types import Document
from redis.asyncio import Redis

from handlers.telegram.albums_redis import RedisAlbumCollector
from handlers.telegram.router import incoming_from_message
from tests.album_parts import CITIZEN, RecordingCore, part
from tests.emulators.aio import run_async
from tests.servers_redis import redis_server, redis_url  # noqa: F401 (fixtures)


@run_async
async def test_parts_split_between_two_processes_make_one_appeal(redis_url):  # noqa: F811
    core = RecordingCore()  # one database behind both processes: one core is enough to watch
    async with Redis.from_url(redis_url) as one, Redis.from_url(redis_url) as two:
        first = RedisAlbumCollector(incoming_from_message, one, quiet_seconds=0.2)
        second = RedisAlbumCollector(incoming_from_message, two, quiet_seconds=0.2)
        arriving = [
            (second, part(12, "g")),
            (first, part(11, "g", caption="Яма у дома 5")),
            (second, part(12, "g")),  # Telegram re-sent a part
            (first, part(13, "g")),
        ]
        for process, message in arriving:
            await process.on_part(message, core)
        await asyncio.wait_for(core.arrived.wait(), 5)
        await asyncio.gather(first.flush(), second.flush())
        (merged,) = core.handled
        assert (merged.message_id, merged.text) == (11, "Яма у дома 5")
        assert [a.ref for a in merged.attachments] == ["photo-11", "photo-12", "photo-13"]
        assert await one.keys("album:*") == []  # nothing left in Redis


@run_async
async def test_the_tenth_part_completes_the_album_in_whichever_process_gets_it(redis_url):  # noqa: F811
    core = RecordingCore()
    async with Redis.from_url(redis_url) as one, Redis.from_url(redis_url) as two:
        first = RedisAlbumCollector(incoming_from_message, one, quiet_seconds=60)
        second = RedisAlbumCollector(incoming_from_message, two, quiet_seconds=60)
        for n in range(10):
            await (first if n % 2 else second).on_part(part(100 + n, "full"), core)
        assert len(core.handled) == 1  # at once, without waiting a minute of quiet
        assert len(core.handled[0].attachments) == 10
        await asyncio.gather(first.flush(), second.flush())
        assert len(core.handled) == 1  # the owner found nothing left to hand over
        assert (first.waiting, second.waiting) == (0, 0)


@run_async
async def test_stopping_hands_over_the_albums_this_process_owns(redis_url):  # noqa: F811
    core = RecordingCore()
    async with Redis.from_url(redis_url) as client:
        collector = RedisAlbumCollector(incoming_from_message, client, quiet_seconds=60)
        await collector.on_part(part(1, "a"), core)
        document = part(2, "a").model_copy(update={"photo": None, "document": Document(
            file_id="doc-2", file_unique_id="d2")})
        await collector.on_part(document, core)
        await collector.on_part(part(3, "b", chat=CITIZEN + 1), core)
        assert collector.waiting == 2 and core.handled == []
        await collector.flush()
        assert sorted((m.chat_id, len(m.attachments)) for m in core.handled) == [
            (CITIZEN, 2),
            (CITIZEN + 1, 1),
        ]
        assert [a.kind for a in core.handled[0].attachments] == ["photo", "document"]

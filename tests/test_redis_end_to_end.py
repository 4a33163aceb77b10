"""The whole bot with REDIS_URL, in webhook mode, against the emulators: an album is one appeal,
also when its parts reach two bot processes; a VK appeal goes through; Redis holds only what the
processes share."""

from __future__ import annotations

import contextlib
from pathlib import Path

from redis.asyncio import Redis

from tests.app_world import (
    APPEAL,
    NUMBER,
    TG_ADMIN,
    VK_ADMIN,
    both_channels,
    free_port,
    running,
    saratov,
    saratov_built_outside_the_deadline,  # noqa: F401 (autouse)
    settings_for,
    with_city_chats,
)
from tests.emulators.aio import run_async
from tests.emulators.telegram import Limits, TelegramEmulator
from tests.servers_redis import redis_server, redis_url  # noqa: F401 (fixtures)
from tests.test_app_webhooks import VK_SECRET, webhook_settings

TG_CITIZEN = 1001
VK_CITIZEN = 100_500


@run_async
async def test_an_album_and_a_vk_appeal_through_webhooks_with_redis(
    tmp_path: Path,
    redis_url: str,  # noqa: F811
) -> None:
    port = free_port()
    via = f"http://127.0.0.1:{port}"
    async with both_channels(tmp_path, redis_url=redis_url, **webhook_settings(port)) as w:
        tg, vk = w.tg, w.vk
        parts = tg.user_sends_album(TG_CITIZEN, photos=3, caption=APPEAL)
        assert await tg.deliver_to_webhook(via) == [200, 200, 200]
        accepted = await tg.wait_for(lambda c: c.chat_id == TG_CITIZEN)
        number = NUMBER.search(accepted.text).group()
        assert accepted.reply_to == parts[0]["message_id"]
        await tg.wait_for(lambda c: c.chat_id == w.group and c.buttons)
        album = [c for c in tg.sent_to(w.group) if c.method == "sendMediaGroup"]
        assert len(album) == 3  # one appeal with three photos, not three appeals
        assert len(tg.sent_to(TG_CITIZEN)) == 1

        callback = vk.callback_server(f"{via}/vk/callback", VK_SECRET)
        await callback.confirm()
        await vk.user_sends_text(VK_CITIZEN, APPEAL)
        assert await callback.deliver() == [(200, "ok")]
        vk_accepted = await vk.wait_for_sent(lambda m: m.peer_id == VK_CITIZEN)
        vk_number = NUMBER.search(vk_accepted.text).group()
        await vk.wait_for_sent(lambda m: m.peer_id == VK_ADMIN and vk_number in m.text)
        assert vk_number != number

        async with Redis.from_url(redis_url) as redis:
            keys = {key.decode() for key in await redis.keys("*")}
        # The flood counters of both citizens; no album parts, no lock left behind.
        assert f"flood:tg:{TG_CITIZEN}:taken" in keys
        assert f"flood:vk:{VK_CITIZEN}:taken" in keys
        assert not [k for k in keys if k.startswith(("album:", "isolation:")) or "lock" in k]


@run_async
async def test_an_album_split_between_two_bot_processes_is_one_appeal(
    tmp_path: Path,
    redis_url: str,  # noqa: F811
) -> None:
    """Two bot processes (two `serve`s, one database, one Redis) behind one proxy, which hands
    the album's first photo to one and the rest to the other."""
    shipped, _ = saratov()
    async with TelegramEmulator(limits=Limits(enabled=False)) as tg:
        group = tg.create_forum_group(admin_user_id=TG_ADMIN, title="Администрация Саратова")
        table = with_city_chats(shipped, tg=group, vk=None)
        ports = free_port(), free_port()
        async with contextlib.AsyncExitStack() as processes:
            for port in ports:
                settings = settings_for(
                    tmp_path, tg, None, redis_url=redis_url, **webhook_settings(port)
                )
                await processes.enter_async_context(running(settings, table))
            first, second = (f"http://127.0.0.1:{port}" for port in ports)

            album = "13000000000000777"
            tg.user_sends_photo(TG_CITIZEN, caption=APPEAL, media_group_id=album)
            assert await tg.deliver_to_webhook(first) == [200]
            for _ in range(2):
                tg.user_sends_photo(TG_CITIZEN, media_group_id=album)
                assert await tg.deliver_to_webhook(second) == [200]

            accepted = await tg.wait_for(lambda c: c.chat_id == TG_CITIZEN)
            number = NUMBER.search(accepted.text).group()
            card = await tg.wait_for(lambda c: c.chat_id == group and c.buttons)
            assert number in card.body
            photos = [c for c in tg.sent_to(group) if c.method == "sendMediaGroup"]
            assert len(photos) == 3  # all three photos in one appeal
            assert len(tg.sent_to(TG_CITIZEN)) == 1  # one confirmation, no second appeal
            assert not [c for c in tg.sent if "Дополнение" in (c.body or "")]

"""The whole bot with REDIS_URL, in webhook mode on both channels, against both emulators: an
album is one appeal, a VK appeal goes through, and Redis holds only what processes share."""

from __future__ import annotations

from pathlib import Path

from redis.asyncio import Redis

from tests.app_world import APPEAL, NUMBER, VK_ADMIN, both_channels, free_port
from tests.emulators.aio import run_async
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

"""/web in VK: the whole bot on both emulators with the console on (long polling, so the
console's server is started without any webhook). A VK coordinator gets a link that signs in;
a VK citizen gets the Russian refusal and no link; a Telegram coordinator's link works alike."""

from __future__ import annotations

import re
from pathlib import Path

from aiohttp import ClientSession

from tests.app_world import both_channels, free_port
from tests.emulators.aio import run_async

VK_COORDINATOR = 600_600
VK_CITIZEN = 600_700
TG_COORDINATOR = 5005
LINK = re.compile(r"(http://\S+)(/console/login/[A-Za-z0-9_-]+)")


@run_async
async def test_web_in_vk_sends_a_coordinator_a_working_link_and_refuses_a_citizen(
    tmp_path: Path,
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    async with both_channels(
        tmp_path, coordinators=f"tg:{TG_COORDINATOR},vk:{VK_COORDINATOR}", console_enabled=True,
        public_url=base, webhook_host="127.0.0.1", webhook_port=port,
    ) as w:
        for user in (VK_COORDINATOR, VK_CITIZEN):
            await w.vk.user_allows_messages(user)
        await w.vk.user_sends_text(VK_CITIZEN, "/web")
        refused = await w.vk.wait_for_sent(lambda m: m.peer_id == VK_CITIZEN)
        assert refused.text == (
            "Веб-консоль доступна только координаторам и администраторам органов."
        )
        await w.vk.user_sends_text(VK_COORDINATOR, "/web")
        sent = await w.vk.wait_for_sent(lambda m: m.peer_id == VK_COORDINATOR)
        assert "действует 10 минут" in sent.text
        origin, path = LINK.search(sent.text).groups()
        assert origin == base
        async with ClientSession() as http:
            async with http.get(base + path) as page:
                assert page.status == 200 and "Войти" in await page.text()
            async with http.post(base + path, allow_redirects=False) as signed_in:
                assert signed_in.status == 303
                secret = signed_in.cookies["console_session"].value
            cookie = {"Cookie": f"console_session={secret}"}
            async with http.get(base + "/console/", headers=cookie) as queue:
                assert queue.status == 200 and "Координатор" in await queue.text()
            async with http.get(base + "/healthz") as health:
                assert health.status == 200  # served beside the console

"""Administrators join through VK with the same invites as in Telegram, and work across channels.

A coordinator's ``/invite`` gives a ``vk.me/club<id>?ref=<code>`` link when asked in VK; VK puts
the code into the first message the administrator writes through it (``ref``). A code made in
Telegram works in VK too, sent as a plain message.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.app_world import APPEAL, NUMBER, both_channels
from tests.emulators.aio import run_async

TG_COORDINATOR = 5005
VK_COORDINATOR = 600_600
NEW_VK_ADMIN = 300_777
SECOND_VK_ADMIN = 300_888
TG_CITIZEN = 1001
CODE = re.compile(r"Код приглашения: (\S+)")


@run_async
async def test_vk_administrators_join_by_link_or_code_and_answer_a_telegram_citizen(
    tmp_path: Path,
) -> None:
    coordinators = f"tg:{TG_COORDINATOR},vk:{VK_COORDINATOR}"
    async with both_channels(tmp_path, coordinators=coordinators) as w:
        tg, vk = w.tg, w.vk
        for user in (VK_COORDINATOR, NEW_VK_ADMIN, SECOND_VK_ADMIN):
            await vk.user_allows_messages(user)

        # In VK the coordinator gets a link that opens the community's dialogue with the code.
        await vk.user_sends_text(VK_COORDINATOR, "/invite adm-63701000")
        invite = await vk.wait_for_sent(lambda m: m.peer_id == VK_COORDINATOR)
        code = CODE.search(invite.text).group(1)
        assert f"https://vk.me/club{vk.group_id}?ref={code}" in invite.text

        await vk.user_sends_text(NEW_VK_ADMIN, "Здравствуйте", ref=code)
        bound = await vk.wait_for_sent(lambda m: m.peer_id == NEW_VK_ADMIN)
        assert "подключён к органу" in bound.text
        await vk.wait_for_sent(lambda m: m.peer_id == VK_COORDINATOR and "подключился" in m.text)

        # A code made in Telegram, pasted into VK as a message, binds as well.
        tg.user_sends_text(TG_COORDINATOR, "/invite adm-63701000")
        tg_invite = await tg.wait_for(lambda c: c.chat_id == TG_COORDINATOR and "Код" in c.body)
        await vk.user_sends_text(SECOND_VK_ADMIN, CODE.search(tg_invite.body).group(1))
        await vk.wait_for_sent(
            lambda m: m.peer_id == SECOND_VK_ADMIN and "подключён к органу" in m.text
        )

        # A used code is refused with a reason, and binds nobody.
        await vk.user_allows_messages(300_999)
        await vk.user_sends_text(300_999, code)
        refused = await vk.wait_for_sent(lambda m: m.peer_id == 300_999)
        assert "уже использовано" in refused.text

        # Both new VK administrators get the card of a Telegram citizen's appeal; a reply from
        # one of them reaches the citizen in Telegram.
        tg.user_sends_text(TG_CITIZEN, APPEAL)
        accepted = await tg.wait_for(lambda c: c.chat_id == TG_CITIZEN)
        number = NUMBER.search(accepted.body).group()
        card = await vk.wait_for_sent(lambda m: m.peer_id == NEW_VK_ADMIN and number in m.text)
        await vk.wait_for_sent(lambda m: m.peer_id == SECOND_VK_ADMIN and number in m.text)
        await vk.user_sends_text(
            NEW_VK_ADMIN, "Заменим фонарь в четверг.", reply_to=card.message_id
        )
        answer = await tg.wait_for(
            lambda c: c.chat_id == TG_CITIZEN and "Заменим фонарь" in (c.body or "")
        )
        assert number in answer.body

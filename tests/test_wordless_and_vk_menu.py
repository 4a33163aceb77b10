"""Appeals that start without words, the VK «Мои обращения» button, and a VK forward as answer.

The whole bot on both emulators (`tests.app_world`): the city administration of Saratov sits in a
Telegram forum group and in the VK dialogue of ``VK_ADMIN``.
"""

from __future__ import annotations

from pathlib import Path

from tests.app_world import APPEAL, NUMBER, VK_ADMIN, both_channels
from tests.emulators.aio import run_async

TG_CITIZEN = 1001
VK_CITIZEN = 100_500
SARATOV = (51.5331, 46.0342)  # the city centre


@run_async
async def test_a_location_alone_starts_an_appeal_that_asks_for_words(tmp_path: Path) -> None:
    async with both_channels(tmp_path) as w:
        tg = w.tg
        tg.user_sends_location(TG_CITIZEN, *SARATOV)
        asked = await tg.wait_for(lambda c: c.chat_id == TG_CITIZEN)
        assert "Опишите, пожалуйста, словами" in asked.body
        number = NUMBER.search(asked.body).group()

        seen = len(tg.sent)
        tg.user_sends_text(TG_CITIZEN, "Не горит фонарь на ул. Московской, 5")
        routed = await tg.wait_for(
            lambda c: c.chat_id == TG_CITIZEN and "передано" in (c.body or ""), since=seen
        )
        assert number in routed.body
        card = await tg.wait_for(lambda c: c.chat_id == w.group and number in (c.body or ""))
        # The body reads the words and where the citizen stood, not an empty appeal.
        assert "Не горит фонарь на ул. Московской, 5" in card.body
        assert "Геопозиция: 51.533100, 46.034200" in card.body


@run_async
async def test_vk_citizen_has_a_my_appeals_button_and_gets_a_forwarded_answer(
    tmp_path: Path,
) -> None:
    async with both_channels(tmp_path) as w:
        vk = w.vk
        await vk.user_allows_messages(VK_CITIZEN)
        # «Начать» is what VK shows a newcomer; the greeting brings a standing keyboard with
        # one text button, which stays under the input field.
        await vk.user_sends_text(VK_CITIZEN, "Начать")
        greeting = await vk.wait_for_sent(lambda m: m.peer_id == VK_CITIZEN)
        assert greeting.keyboard is not None and not greeting.keyboard.get("inline")
        labels = [b["action"]["label"] for row in greeting.keyboard["buttons"] for b in row]
        assert labels == ["Мои обращения"]

        await vk.user_sends_text(VK_CITIZEN, APPEAL)
        accepted = await vk.wait_for_sent(
            lambda m: m.peer_id == VK_CITIZEN and "принято" in m.text
        )
        number = NUMBER.search(accepted.text).group()

        await vk.user_sends_text(VK_CITIZEN, "Мои обращения")
        listing = await vk.wait_for_sent(
            lambda m: m.peer_id == VK_CITIZEN and "Ваши обращения" in m.text
        )
        assert f"№ {number}" in listing.text

        # The VK administrator answers by forwarding the card with the answer written over it.
        card = await vk.wait_for_sent(lambda m: m.peer_id == VK_ADMIN and number in m.text)
        await vk.user_sends_text(VK_ADMIN, "Фонарь заменим завтра.", forward=[card.message_id])
        answer = await vk.wait_for_sent(
            lambda m: m.peer_id == VK_CITIZEN and "Фонарь заменим завтра." in m.text
        )
        assert number in answer.text

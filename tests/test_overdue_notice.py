"""The citizen is told when the deadline passes, end to end on both emulators: a Telegram and a
VK citizen each appeal to the city administration (10 working days), the bot is stopped, a month
passes, and on the next start the deadline scan tells each citizen — once — that the deadline
passed and that the coordinators were alerted, while the coordinator gets the overdue notice.
(That a later scan says nothing again is shown in tests/core/test_overdue_citizen.py.)
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.app_world import (
    APPEAL,
    NUMBER,
    VK_ADMIN,
    running,
    saratov,
    saratov_built_outside_the_deadline,  # noqa: F401  (an autouse fixture)
    settings_for,
    with_city_chats,
)
from tests.emulators.aio import run_async
from tests.emulators.telegram import Limits, TelegramEmulator
from tests.emulators.vk import VKEmulator

TG_CITIZEN = 1001
VK_CITIZEN = 100_500
COORDINATOR = 500
TG_ADMIN = 2002


class ShiftedClock:
    """Real time plus a shift the test moves while the bot is stopped."""

    def __init__(self) -> None:
        self.shift = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.shift


def overdue_notices(tg: TelegramEmulator, vk: VKEmulator) -> list[str]:
    said = [c.body or "" for c in tg.sent_to(TG_CITIZEN)] + [m.text for m in vk.sent_to(VK_CITIZEN)]
    return [text for text in said if "истёк" in text]


@run_async
async def test_each_citizen_hears_once_that_the_deadline_passed(tmp_path: Path) -> None:
    shipped, _ = saratov()
    clock = ShiftedClock()
    async with TelegramEmulator(limits=Limits(enabled=False)) as tg, VKEmulator() as vk:
        group = tg.create_forum_group(admin_user_id=TG_ADMIN, title="Администрация Саратова")
        await vk.user_allows_messages(VK_ADMIN)
        tg.add_user(COORDINATOR)
        table = with_city_chats(shipped, tg=group, vk=VK_ADMIN)
        settings = settings_for(tmp_path, tg, vk, coordinators=f"tg:{COORDINATOR}")

        async with running(settings, table, clock):
            await vk.wait_for_listener()
            tg.user_sends_text(TG_CITIZEN, APPEAL)
            tg_ack = await tg.wait_for(lambda c: c.chat_id == TG_CITIZEN and "принято" in c.body)
            await vk.user_sends_text(VK_CITIZEN, APPEAL + ", дом 3")
            vk_ack = await vk.wait_for_sent(lambda m: m.peer_id == VK_CITIZEN)
            tg_number = NUMBER.search(tg_ack.body).group()
            vk_number = NUMBER.search(vk_ack.text).group()
            assert "Ответ ожидается до" in vk_ack.text
            await tg.wait_for(lambda c: c.chat_id == group and vk_number in (c.body or ""))
            assert overdue_notices(tg, vk) == []

        clock.shift = timedelta(days=31)  # ten working days are long gone
        async with running(settings, table, clock):
            await vk.wait_for_listener()
            tg_told = await tg.wait_for(
                lambda c: c.chat_id == TG_CITIZEN and "истёк" in (c.body or "")
            )
            vk_told = await vk.wait_for_sent(
                lambda m: m.peer_id == VK_CITIZEN and "истёк" in m.text
            )
            await tg.wait_for(
                lambda c: c.chat_id == COORDINATOR and f"Просрочено обращение № {vk_number}"
                in (c.body or "")
            )
        for told, number in ((tg_told.body, tg_number), (vk_told.text, vk_number)):
            assert f"Срок ответа по обращению № {number} (до " in told
            assert "Мы сообщили координаторам" in told

        assert len(overdue_notices(tg, vk)) == 2


class FixedStart(ShiftedClock):
    """Real time moved so that the bot starts at ``moment``."""

    def __init__(self, moment: datetime) -> None:
        super().__init__()
        self.shift = moment - datetime.now(UTC)


@run_async
async def test_routed_on_24_december_the_citizen_reads_18_january(tmp_path: Path) -> None:
    """The issue's example through both channels: 10 working days from 24.12.2026 end on
    18.01.2027 (the New Year holidays and 31.12.2026 are days off), not on 08.01.2027."""
    shipped, _ = saratov()
    clock = FixedStart(datetime(2026, 12, 24, 7, 0, tzinfo=UTC))  # 11:00 in Saratov
    async with TelegramEmulator(limits=Limits(enabled=False)) as tg, VKEmulator() as vk:
        group = tg.create_forum_group(admin_user_id=TG_ADMIN, title="Администрация Саратова")
        await vk.user_allows_messages(VK_ADMIN)
        table = with_city_chats(shipped, tg=group, vk=VK_ADMIN)
        async with running(settings_for(tmp_path, tg, vk), table, clock):
            await vk.wait_for_listener()
            tg.user_sends_text(TG_CITIZEN, APPEAL)
            tg_ack = await tg.wait_for(lambda c: c.chat_id == TG_CITIZEN and "принято" in c.body)
            await vk.user_sends_text(VK_CITIZEN, APPEAL + ", дом 3")
            vk_ack = await vk.wait_for_sent(lambda m: m.peer_id == VK_CITIZEN)
            number = NUMBER.search(tg_ack.body).group()
            card = await tg.wait_for(lambda c: c.chat_id == group and number in (c.body or ""))
        for text in (tg_ack.body, vk_ack.text):
            assert "Ответ ожидается до 18.01.2027 включительно." in text
        assert "Срок ответа: до 18.01.2027 включительно" in card.body

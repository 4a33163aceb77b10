"""A body's chat the bot cannot write to, end to end on the emulators (the whole bot, real
aiogram and vkbottle). What the people notice:

- Telegram: an administrator removes the bot from the body's group; the coordinator is told at
  once which body and what kind of chat; a new appeal's card comes to the coordinator instead;
  the bot is added back, the card appears in the group, the coordinator is
  told, and a reply to it reaches the citizen.
- Telegram, the update lost (the bot was down for over a day): the next card is refused (403),
  and the same follows from the refusal.
- VK: the administrator of the body's VK dialogue forbids the community's messages; the card
  still reaches the Telegram group, the coordinator hears that the VK dialogue is cut off; when
  the administrator allows messages again, the card arrives there too.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.app_world import (
    APPEAL,
    NUMBER,
    TG_ADMIN,
    VK_ADMIN,
    both_channels,
    running,
    saratov,
    saratov_built_outside_the_deadline,  # noqa: F401  (an autouse fixture)
    settings_for,
    telegram_only,
    with_city_chats,
)
from tests.emulators.aio import run_async
from tests.emulators.telegram import Limits, TelegramEmulator

CITIZEN = 1001
VK_CITIZEN = 100_500
COORDINATOR = 500
CITY_NAME = "Администрация муниципального образования «Город Саратов»"


def said_to(tg: TelegramEmulator, chat: int, needle: str, since: int = 0):
    return tg.wait_for(lambda c: c.chat_id == chat and needle in (c.body or ""), since=since)


@contextlib.asynccontextmanager
async def telegram_with_coordinator(tmp_path: Path) -> AsyncIterator[tuple[TelegramEmulator, int]]:
    async with telegram_only(tmp_path, coordinators=f"tg:{COORDINATOR}") as (tg, group):
        tg.add_user(COORDINATOR)
        yield tg, group


@run_async
async def test_bot_removed_from_the_group_then_added_back(tmp_path: Path) -> None:
    async with telegram_with_coordinator(tmp_path) as (tg, group):
        tg.user_removes_bot(TG_ADMIN, group)
        told = await said_to(tg, COORDINATOR, "Бот не может писать")
        assert told.body == (
            f"Бот не может писать в чат органа «{CITY_NAME}» (группа Telegram): бота удалили "
            "из чата или заблокировали. Пока у органа нет доступного чата, карточки его "
            "обращений приходят вам. Когда бота вернут в чат, открытые обращения будут "
            "отправлены туда снова."
        )

        tg.user_sends_text(CITIZEN, APPEAL)
        accepted = await said_to(tg, CITIZEN, "принято")
        number = NUMBER.search(accepted.body).group()
        card = await said_to(tg, COORDINATOR, f"Обращение № {number} направлено органу")
        assert "бот не может писать в его чат" in card.body and "фонарь" in card.body
        assert [b["text"] for b in card.buttons] == ["Не наше", "Спам"]  # a coordinator's card
        assert not any(number in (c.body or "") for c in tg.sent_to(group))

        since = len(tg.sent)
        tg.user_adds_bot(TG_ADMIN, group)
        back = await said_to(tg, group, f"Обращение № {number}\n", since)
        again = await said_to(tg, COORDINATOR, "снова доступен", since)
        assert again.body == (
            f"Чат органа «{CITY_NAME}» (группа Telegram) снова доступен. Карточки открытых "
            "обращений отправлены туда: 1."
        )

        tg.user_sends_text(TG_ADMIN, "Фонарь заменим до пятницы.", chat_id=group,
                           reply_to=back.message_id)
        answer = await said_to(tg, CITIZEN, "Фонарь заменим до пятницы.")
        assert number in answer.body


class ShiftedClock:
    def __init__(self) -> None:
        self.shift = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.shift


@run_async
async def test_a_refused_card_tells_the_coordinator_when_the_update_was_lost(
    tmp_path: Path,
) -> None:
    shipped, _ = saratov()
    async with TelegramEmulator(limits=Limits(enabled=False)) as tg:
        group = tg.create_forum_group(admin_user_id=TG_ADMIN, title="Администрация Саратова")
        tg.add_user(COORDINATOR)
        table = with_city_chats(shipped, tg=group, vk=None)
        settings = settings_for(tmp_path, tg, None, coordinators=f"tg:{COORDINATOR}")
        # Removed while the bot was not running, and Telegram's update is gone.
        tg.user_removes_bot(TG_ADMIN, group, update_lost=True)
        async with running(settings, table):
            tg.user_sends_text(CITIZEN, APPEAL)
            accepted = await said_to(tg, CITIZEN, "принято")
            number = NUMBER.search(accepted.body).group()
            told = await said_to(tg, COORDINATOR, "Бот не может писать")
            assert "(группа Telegram)" in told.body
            card = await said_to(tg, COORDINATOR, f"Обращение № {number} направлено органу")
            assert "фонарь" in card.body

            since = len(tg.sent)
            tg.user_adds_bot(TG_ADMIN, group)
            back = await said_to(tg, group, f"Обращение № {number}\n", since)
            assert "фонарь" in back.body
        notices = [c for c in tg.sent_to(COORDINATOR) if "Бот не может писать" in (c.body or "")]
        assert len(notices) == 1


@run_async
async def test_a_vk_administrator_forbids_messages_then_allows_them(tmp_path: Path) -> None:
    async with both_channels(tmp_path, coordinators=f"tg:{COORDINATOR}") as w:
        tg, vk = w.tg, w.vk
        tg.add_user(COORDINATOR)
        await vk.user_denies_messages(VK_ADMIN)
        told = await said_to(tg, COORDINATOR, "Бот не может писать")
        assert told.body == (
            f"Бот не может писать в чат органа «{CITY_NAME}» (личные сообщения ВКонтакте): "
            "бота удалили из чата или заблокировали. Карточки обращений органа по-прежнему "
            "приходят в другие его чаты."
        )

        await vk.user_sends_text(VK_CITIZEN, APPEAL)
        accepted = await vk.wait_for_sent(lambda m: m.peer_id == VK_CITIZEN)
        number = NUMBER.search(accepted.text).group()
        await said_to(tg, w.group, f"Обращение № {number}\n")  # the Telegram group has it
        assert not vk.sent_to(VK_ADMIN)

        await vk.user_allows_messages(VK_ADMIN)
        card = await vk.wait_for_sent(lambda m: m.peer_id == VK_ADMIN and number in m.text)
        assert "фонарь" in card.text
        again = await said_to(tg, COORDINATOR, "снова доступен")
        assert "(личные сообщения ВКонтакте)" in again.body and again.body.endswith(": 1.")


@run_async
async def test_a_refused_vk_card_901_marks_the_dialogue(tmp_path: Path) -> None:
    """No ``message_deny`` seen (it came while the bot was down): VK's 901 on the card."""
    async with both_channels(tmp_path, coordinators=f"tg:{COORDINATOR}") as w:
        tg, vk = w.tg, w.vk
        tg.add_user(COORDINATOR)
        vk._user(VK_ADMIN).allowed = False  # forbidden, and the event never reached the bot
        await vk.user_sends_text(VK_CITIZEN, APPEAL)
        accepted = await vk.wait_for_sent(lambda m: m.peer_id == VK_CITIZEN)
        number = NUMBER.search(accepted.text).group()
        told = await said_to(tg, COORDINATOR, "Бот не может писать")
        assert "(личные сообщения ВКонтакте)" in told.body
        assert vk.errors_given[901] >= 1

        # The administrator writes to the community: that is enough to be back.
        await vk.user_sends_text(VK_ADMIN, "Я снова на связи")
        card = await vk.wait_for_sent(lambda m: m.peer_id == VK_ADMIN and number in m.text)
        assert "фонарь" in card.text

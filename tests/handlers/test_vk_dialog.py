"""The citizen's dialog and the card's contents on VK end to end (issue 16): a real vkbottle bot
polling the VK emulator, the real core and classifier with the shipped Saratov table, the city
administration's administrator reading the community dialog. The same core as on Telegram
(tests/handlers/test_telegram_dialog.py), seen through VK's buttons and snackbars.
"""

from __future__ import annotations

from bot.domain import texts
from tests.emulators.aio import run_async
from tests.handlers import test_vk_citizen
from tests.handlers.test_vk_citizen import (
    ADMIN,
    APPEAL,
    CITIZEN,
    NUMBER,
    buttons,
    next_message,
    presses,
    running_bot,
    says,
)

saratov = test_vk_citizen.saratov  # the shipped table with the city on VK: a module fixture

PENDING = "Не горит фонарь во дворе"
ROAD = "На дороге огромная яма, машины не могут проехать уже месяц"


@run_async
async def test_small_talk_gets_a_hint_and_makes_no_ticket(tmp_path, saratov):
    async with running_bot(tmp_path, saratov) as vk:
        hello = await says(vk, "Здравствуйте")
        assert hello.text == texts.SMALL_TALK_GREETING + texts.SMALL_TALK_HINT
        assert (await says(vk, "😡😡😡🤬")).text == texts.SMALL_TALK_HINT
        assert (await says(vk, "Спасибо!")).text.startswith(texts.SMALL_TALK_THANKS)
        assert (await says(vk, "Мои обращения")).text == texts.MY_EMPTY
        assert vk.sent_to(ADMIN) == []


@run_async
async def test_start_and_help_say_this_is_no_formal_appeal(tmp_path, saratov):
    async with running_bot(tmp_path, saratov) as vk:
        for word in ("Начать", "Помощь"):
            text = (await says(vk, word)).text
            assert text.endswith(texts.NOT_A_FORMAL_APPEAL)
            assert "59-ФЗ" in text and "pos.gosuslugi.ru" in text


@run_async
async def test_a_new_problem_while_the_place_question_waits_is_asked_about(tmp_path, saratov):
    async with running_bot(tmp_path, saratov) as vk:
        question = await says(vk, PENDING, "Обращение")
        first = NUMBER.search(question.text).group()
        assert question.text.startswith(f"Обращение № {first}. В каком населённом пункте это?")
        asked = await says(vk, ROAD, texts.ASK_IF_NEW[:20])
        assert asked.text == texts.ASK_IF_NEW.format(number=first)
        assert list(buttons(asked)) == [texts.NEW_APPEAL_YES, texts.NEW_APPEAL_NO]

        seen = len(vk.sent)
        assert await presses(vk, asked, texts.NEW_APPEAL_YES) == texts.NEW_APPEAL_MADE
        new = await vk.wait_for(lambda: next(
            (m for m in vk.sent[seen:] if m.peer_id == CITIZEN
             and "В каком населённом пункте" in m.text and first not in m.text), None))
        assert NUMBER.search(new.text).group() != first
        moved_on = await next_message(vk, seen, f"Обращение № {first} принято")
        assert moved_on.text == texts.ACCEPTED_TO_COORDINATOR.format(number=first)
        # A second tap on the decided question changes nothing.
        assert await presses(vk, asked, texts.NEW_APPEAL_NO) == texts.BUTTON_INACTIVE
        assert vk.sent_to(ADMIN) == []


@run_async
async def test_not_solved_asks_no_rating_and_the_reason_reaches_the_body(tmp_path, saratov):
    async with running_bot(tmp_path, saratov) as vk:
        accepted = await says(vk, APPEAL)
        number = NUMBER.search(accepted.text).group()
        card = await vk.wait_for_sent(lambda m: m.peer_id == ADMIN and number in m.text)
        assert "Текст обращения (слова заявителя):\n│ " + APPEAL in card.text

        seen = len(vk.sent)
        await vk.user_sends_text(ADMIN, "Фонарь заменили.", reply_to=card.message_id)
        solved = await next_message(vk, seen, texts.ASK_SOLVED.format(number=number))
        seen = len(vk.sent)
        await presses(vk, solved, texts.SOLVED_NO)
        reopened = await next_message(vk, seen, f"Обращение № {number} снова")
        assert "что осталось не так" in reopened.text
        again = await vk.wait_for_sent(
            lambda m: m.peer_id == ADMIN and m.text.startswith(texts.REOPENED_NOTE)
        )
        assert "Прежний ответ органа:\nФонарь заменили." in again.text
        assert "«Нет, не решена»" in again.text

        seen = len(vk.sent)
        await vk.user_sends_text(CITIZEN, "Фонарь снова не горит с вечера")
        reason = await vk.wait_for(lambda: next(
            (m for m in vk.sent[seen:] if m.peer_id == ADMIN), None))
        assert reason.text == (
            texts.NOT_SOLVED_REASON_TO_BODY.format(number=number)
            + " (слова заявителя):\n│ Фонарь снова не горит с вечера"
        )

        seen = len(vk.sent)
        await vk.user_sends_text(ADMIN, "Заменили кабель.", reply_to=again.message_id)
        solved = await next_message(vk, seen, texts.ASK_SOLVED.format(number=number))
        seen = len(vk.sent)
        await presses(vk, solved, texts.SOLVED_YES)
        rating = await next_message(vk, seen, texts.ASK_RATING.format(number=number))
        assert list(buttons(rating)) == ["1", "2", "3", "4", "5"]
        asked = [m for m in vk.sent_to(CITIZEN) if m.text.startswith("Оцените")]
        assert len(asked) == 1  # once, after «Да, решена»


@run_async
async def test_the_card_links_a_shared_location_on_two_maps(tmp_path, saratov):
    async with running_bot(tmp_path, saratov) as vk:
        await says(vk, PENDING, "Обращение")
        seen = len(vk.sent)
        await vk.user_sends_geo(CITIZEN, 51.5331, 46.0342)
        card = await vk.wait_for(lambda: next(
            (m for m in vk.sent[seen:] if m.peer_id == ADMIN), None))
        assert "Текст обращения (слова заявителя):\n│ " + PENDING in card.text
        assert "https://www.openstreetmap.org/?mlat=51.533100&mlon=46.034200" in card.text
        assert "https://yandex.ru/maps/?pt=46.034200,51.533100&z=17&l=map" in card.text

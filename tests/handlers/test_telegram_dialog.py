"""The citizen's dialog and the card's contents on Telegram end to end (issue 16): real aiogram
polling the Bot API emulator, the real core and classifier with the shipped Saratov table.

Small talk makes no ticket and reaches nobody; a different problem written while the place
question waits is offered as a new appeal; the place question asks the settlement first;
«Нет, не решена» asks no rating, and the citizen's reason reaches the body next to a card
showing the previous answer; /start and /help say the bot is no formal 59-ФЗ appeal; the card
quotes the citizen without bidi controls and links the location on two maps.
"""

from __future__ import annotations

import json

from bot.domain import texts
from tests.app_world import (  # the autouse fixture builds the classifier
    APPEAL,
    NUMBER,
    saratov_built_outside_the_deadline,  # noqa: F401
    telegram_only,
)
from tests.app_world import TG_ADMIN as ADMIN
from tests.emulators.aio import run_async, run_async_paced
from tests.handlers.test_telegram_citizen import CITIZEN, labels, next_message, presses, says

COORDINATOR = 3003
PENDING = "Не горит фонарь во дворе"
ROAD = "На дороге огромная яма, машины не могут проехать уже месяц"


def numbers_told(tg, user: int = CITIZEN) -> set[str]:
    return {n for c in tg.sent_to(user) for n in NUMBER.findall(c.body or "")}


@run_async
async def test_small_talk_gets_a_hint_and_nobody_else_hears_of_it(tmp_path):
    async with telegram_only(tmp_path, coordinators=f"tg:{COORDINATOR}") as (tg, group):
        hello = await says(tg, "Здравствуйте")
        assert hello.text == texts.SMALL_TALK_GREETING + texts.SMALL_TALK_HINT
        assert "/my" in hello.text and not NUMBER.search(hello.text)
        angry = await says(tg, "😡😡😡🤬")
        assert angry.text == texts.SMALL_TALK_HINT
        assert (await says(tg, "Добрый день!")).text == hello.text
        assert (await says(tg, "/my")).text == texts.MY_EMPTY
        assert tg.sent_to(group) == [] and tg.sent_to(COORDINATOR) == []


@run_async
async def test_thanks_after_the_answer_opens_no_new_appeal(tmp_path):
    async with telegram_only(tmp_path) as (tg, group):
        accepted = await says(tg, APPEAL)
        number = NUMBER.search(accepted.text).group()
        card = await tg.wait_for(lambda c: c.chat_id == group and number in (c.body or ""))
        seen = len(tg.sent)
        tg.user_sends_text(ADMIN, "Фонарь заменили.", chat_id=group, reply_to=card.message_id)
        await tg.wait_for(lambda c: c.chat_id == CITIZEN and c.buttons, since=seen)
        thanks = await says(tg, "Спасибо!")
        assert thanks.text == texts.SMALL_TALK_THANKS + texts.SMALL_TALK_HINT
        assert numbers_told(tg) == {number}
        assert [c for c in tg.sent_to(group) if "Дополнение" in (c.body or "")] == []


@run_async
async def test_the_place_question_asks_the_settlement_first(tmp_path):
    async with telegram_only(tmp_path) as (tg, _group):
        question = await says(tg, PENDING, first="Обращение")
        number = NUMBER.search(question.text).group()
        assert question.text.startswith(
            f"Обращение № {number}. В каком населённом пункте это?"
        )
        assert "затем улицу и дом" in question.text


@run_async
async def test_a_new_problem_while_the_place_question_waits_is_asked_about_yes(tmp_path):
    async with telegram_only(tmp_path) as (tg, group):
        question = await says(tg, PENDING, first="Обращение")
        first = NUMBER.search(question.text).group()
        asked = await says(tg, ROAD, first=texts.ASK_IF_NEW[:20])
        assert asked.text == texts.ASK_IF_NEW.format(number=first)
        assert labels(asked) == [texts.NEW_APPEAL_YES, texts.NEW_APPEAL_NO]

        seen = len(tg.sent)
        toast = await presses(tg, asked, texts.NEW_APPEAL_YES)
        assert toast["text"] == texts.NEW_APPEAL_MADE
        # The road is an appeal of its own, asked for its place; the lamp goes to the
        # coordinators instead of waiting for an answer that will not come.
        new = await tg.wait_for(
            lambda c: c.chat_id == CITIZEN and "В каком населённом пункте" in (c.text or "")
            and first not in c.text, since=seen,
        )
        second = NUMBER.search(new.text).group()
        assert second != first
        moved_on = await next_message(tg, seen, first=f"Обращение № {first} принято")
        assert moved_on.text == texts.ACCEPTED_TO_COORDINATOR.format(number=first)
        assert tg.sent_to(group) == []

        # The second answer to the place question goes to the road, and the road is routed.
        accepted = await says(tg, "Саратов, ул. Московская, 5", first=f"Обращение № {second}")
        assert "принято и передано" in accepted.text
        card = await tg.wait_for(lambda c: c.chat_id == group and second in (c.body or ""))
        assert "│ " + ROAD in card.body and PENDING not in card.body


@run_async
async def test_no_it_is_a_clarification_merges_it(tmp_path):
    async with telegram_only(tmp_path) as (tg, _group):
        question = await says(tg, PENDING, first="Обращение")
        first = NUMBER.search(question.text).group()
        asked = await says(tg, ROAD, first=texts.ASK_IF_NEW[:20])
        toast = await presses(tg, asked, texts.NEW_APPEAL_NO)
        assert toast["text"] == texts.NEW_APPEAL_MERGED.format(number=first)
        again = await presses(tg, asked, texts.NEW_APPEAL_YES)  # decided: nothing happens
        assert again["text"] == texts.BUTTON_INACTIVE
        assert numbers_told(tg) == {first}


@run_async_paced
async def test_not_solved_asks_no_rating_and_the_reason_reaches_the_reopened_card(tmp_path):
    async with telegram_only(tmp_path) as (tg, group):
        accepted = await says(tg, APPEAL)
        number = NUMBER.search(accepted.text).group()
        card = await tg.wait_for(lambda c: c.chat_id == group and number in (c.body or ""))
        seen = len(tg.sent)
        tg.user_sends_text(ADMIN, "Фонарь заменили.", chat_id=group, reply_to=card.message_id)
        solved = await tg.wait_for(lambda c: c.chat_id == CITIZEN and c.buttons, since=seen)

        seen = len(tg.sent)
        await presses(tg, solved, texts.SOLVED_NO)
        reopened = await next_message(tg, seen, first=f"Обращение № {number} снова")
        assert "что осталось не так" in reopened.text
        again = await tg.wait_for(
            lambda c: c.chat_id == group and (c.body or "").startswith(texts.REOPENED_NOTE),
            since=seen,
        )
        assert "Прежний ответ органа:\nФонарь заменили." in again.body
        assert "Заявитель ответил: «Нет, не решена»." in again.body

        seen = len(tg.sent)
        tg.user_sends_text(CITIZEN, "Фонарь снова не горит с вечера")
        # The group's sixth message: past the burst of 3, one token every 3 s (20 a minute),
        # so it may wait a whole token's time after the card above; the default 3 s is a race.
        reason = await tg.wait_for(lambda c: c.chat_id == group, since=seen, timeout=8.0)
        assert reason.body == (
            texts.NOT_SOLVED_REASON_TO_BODY.format(number=number)
            + " (слова заявителя):\n│ Фонарь снова не горит с вечера"
        )
        assert reason.reply_to == again.message_id
        ack = await next_message(tg, seen)
        assert ack.text == texts.FOLLOW_UP_ACCEPTED.format(number=number)

        seen = len(tg.sent)
        tg.user_sends_text(ADMIN, "Заменили кабель.", chat_id=group, reply_to=again.message_id)
        solved = await tg.wait_for(lambda c: c.chat_id == CITIZEN and c.buttons, since=seen)
        seen = len(tg.sent)
        await presses(tg, solved, texts.SOLVED_YES)
        rating = await tg.wait_for(lambda c: c.chat_id == CITIZEN and c.buttons, since=seen)
        assert labels(rating) == ["1", "2", "3", "4", "5"]
        asked = [c for c in tg.sent_to(CITIZEN) if (c.text or "").startswith("Оцените")]
        assert len(asked) == 1  # once, after «Да, решена»


@run_async
async def test_start_and_help_say_this_is_no_formal_appeal(tmp_path):
    async with telegram_only(tmp_path) as (tg, _group):
        for command in ("/start", "/help"):
            text = (await says(tg, command)).text
            assert text.endswith(texts.NOT_A_FORMAL_APPEAL)
            assert "59-ФЗ" in text and "имя и почтовый адрес" in text
            assert "pos.gosuslugi.ru" in text


@run_async
async def test_the_card_quotes_the_citizen_and_links_the_location_on_two_maps(tmp_path):
    async with telegram_only(tmp_path) as (tg, group):
        seen = len(tg.sent)
        tg.user_sends_text(CITIZEN, "Не горит фонарь \u202eво дворе\u202c")
        await tg.wait_for(lambda c: "keyboard" in (c.reply_markup or {}), since=seen)
        seen = len(tg.sent)
        tg.user_sends_location(CITIZEN, 51.5331, 46.0342)
        card = await tg.wait_for(lambda c: c.chat_id == group, since=seen)
        assert "Текст обращения (слова заявителя):\n│ Не горит фонарь во дворе" in card.body
        assert "\u202e" not in card.body and "\u202c" not in card.body
        assert "https://www.openstreetmap.org/?mlat=51.533100&mlon=46.034200" in card.body
        assert "https://yandex.ru/maps/?pt=46.034200,51.533100&z=17&l=map" in card.body
        # Without a preview of somebody's map page unfolding under every card.
        preview = card.params.get("link_preview_options")
        preview = json.loads(preview) if isinstance(preview, str) else preview
        assert preview == {"is_disabled": True}

"""Safe actions in Telegram, end to end (the real aiogram bot polling the emulator): «Закрыть»,
«Спам», «Не наше» ask first; a reason typed in reply to the bot's question reaches the citizen
and never goes out as an answer; a coordinator returns a ticket closed by mistake; the interim
answer and the one extension of the deadline. The world is the administrators' one
(`test_telegram_staff`): bodies bound by invites, a coordinator in a private chat.
"""

from __future__ import annotations

import re

from bot.domain import texts
from tests.emulators.aio import run_async
from tests.emulators.telegram import SentCall
from tests.handlers.test_telegram_staff import ADMIN, ADMIN2, CITIZEN, COORDINATOR, World, world_at


def labels(call: SentCall) -> list[str]:
    return [b["text"] for b in call.buttons]


async def tap(w: World, user: int, message: SentCall, label: str) -> dict:
    """``user`` taps the button labelled ``label`` under ``message``; returns the answer."""
    (data,) = [b["callback_data"] for b in message.buttons if b["text"] == label]
    query = w.tg.user_presses_button(user, message.message_id, data, chat_id=message.chat_id)
    answer = await w.tg.wait_for(lambda c: c.method == "answerCallbackQuery"
                                 and c.params.get("callback_query_id") == query)
    return answer.params


async def question(w: World, chat: int, start: str, since: int) -> SentCall:
    return await w.tg.wait_for(
        lambda c: c.chat_id == chat and c.method == "sendMessage"
        and (c.body or "").startswith(start),
        since=since,
    )


@run_async
async def test_close_without_an_answer_asks_a_reason_and_a_coordinator_returns_the_ticket(
    tmp_path,
):
    async with world_at(tmp_path) as w:
        tg = w.tg
        await w.bind_private(ADMIN, "city")
        number, _ack = await w.appeal()
        card = await w.card(ADMIN, number)
        assert labels(card) == [
            "Взять в работу", "Не наше", "Закрыть", "Спам", "Промежуточный ответ", "Продлить срок"
        ]

        since = len(tg.sent)
        assert not (await tap(w, ADMIN, card, "Закрыть")).get("show_alert")
        asked = await question(w, ADMIN, f"Закрыть обращение № {number} без ответа?", since)
        assert asked.reply_to == card.message_id
        assert labels(asked) == [
            "Решено по телефону или лично", "Повторное обращение", "Не является обращением",
            "Отмена",
        ]
        cancelled = await tap(w, ADMIN, asked, "Отмена")
        assert cancelled["text"] == texts.DISMISSED.format(number=number)
        assert not any("закрыто" in (c.body or "") for c in tg.sent_to(CITIZEN))

        # The administrator writes the reason in reply to the question: the citizen gets it
        # as the reason of the close, not as an answer.
        since = len(tg.sent)
        tg.user_sends_text(
            ADMIN, "Вопрос решён с заявителем по телефону", reply_to=asked.message_id
        )
        closed = await w.said(CITIZEN, f"Обращение № {number} закрыто", since)
        assert closed.text.endswith("Причина: Вопрос решён с заявителем по телефону")
        await w.said(ADMIN, "закрыто, заявитель получил причину", since)
        assert not any("Ответ на обращение" in (c.body or "") for c in tg.sent_to(CITIZEN))

        notice = await w.said(COORDINATOR, "без ответа заявителю", since)
        assert labels(notice) == ["Вернуть в работу"]
        since = len(tg.sent)
        returned = await tap(w, COORDINATOR, notice, "Вернуть в работу")
        assert "возвращено в работу" in returned["text"]
        back = await w.said(CITIZEN, f"Обращение № {number} снова в работе", since)
        assert "Администрация города Саратова" in back.text
        again = await w.tg.wait_for(
            lambda c: c.chat_id == ADMIN and (c.body or "").startswith(texts.RETURNED_NOTE),
            since=since,
        )
        assert f"Обращение № {number}\n" in again.text and len(labels(again)) == 6

        # Pressed twice: nothing more happens, and the coordinator is told why.
        twice = await tap(w, COORDINATOR, notice, "Вернуть в работу")
        assert twice["show_alert"] is True and "не закрыто" in twice["text"]


@run_async
async def test_spam_and_not_ours_ask_first_and_an_old_question_is_refused(tmp_path):
    async with world_at(tmp_path) as w:
        tg = w.tg
        await w.bind_private(ADMIN, "city")
        await w.bind_private(ADMIN2, "transport")
        number, _ack = await w.appeal()
        card = await w.card(ADMIN, number)

        since = len(tg.sent)
        await tap(w, ADMIN, card, "Спам")
        spam = await question(w, ADMIN, f"Отметить обращение № {number} как спам?", since)
        assert "Гражданин больше не получит ответа" in spam.text
        assert labels(spam) == ["Да, спам", "Отмена"]

        await tap(w, ADMIN, card, "Не наше")
        why = await question(w, ADMIN, f"Почему обращение № {number} не ваше?", since)
        assert labels(why) == [
            "Другая территория", "Другая тема", "Вопрос к региональному органу", "Отмена"
        ]
        assert "передано дальше" in (await tap(w, ADMIN, why, "Вопрос к региональному органу"))[
            "text"
        ]
        await w.said(CITIZEN, "передано в другой орган: Министерство транспорта", since)
        their_card = await w.tg.wait_for(
            lambda c: c.chat_id == ADMIN2 and f"Обращение № {number}\n" in (c.body or ""),
            since=since,
        )
        assert their_card.text.startswith(
            "Орган «Администрация города Саратова» вернул обращение: не их вопрос. "
            "Причина: Вопрос к региональному органу\n\n"
        )

        # The spam question asked before the hand-over acts no more.
        stale = await tap(w, ADMIN, spam, "Да, спам")
        assert stale["show_alert"] is True
        assert stale["text"] == texts.STAFF_HANDED_OVER.format(number=number)
        assert not any("отклонено" in (c.body or "") for c in tg.sent_to(CITIZEN))


@run_async
async def test_an_interim_answer_and_one_extension_reach_the_citizen(tmp_path):
    async with world_at(tmp_path) as w:
        tg = w.tg
        await w.bind_private(ADMIN, "city")
        number, _ack = await w.appeal()
        card = await w.card(ADMIN, number)

        since = len(tg.sent)
        await tap(w, ADMIN, card, "Промежуточный ответ")
        asked = await question(w, ADMIN, "Напишите промежуточный ответ", since)
        tg.user_sends_text(ADMIN, "Заявка передана подрядчику.", reply_to=asked.message_id)
        interim = await w.said(CITIZEN, "Промежуточный ответ по обращению", since)
        assert interim.text.endswith("Заявка передана подрядчику.") and number in interim.text
        assert not any("Проблема решена?" in (c.body or "") for c in tg.sent_to(CITIZEN))

        since = len(tg.sent)
        await tap(w, ADMIN, card, "Продлить срок")
        extend = await question(w, ADMIN, f"Продлить срок ответа по обращению № {number}?", since)
        assert labels(extend)[-1] == "Отмена" and len(labels(extend)) == 4
        done = await tap(w, ADMIN, extend, "Нужна выездная проверка")
        assert "срок ответа продлён" in done["text"]
        told = await w.said(CITIZEN, "продлён до", since)
        assert told.text.endswith("Причина: Нужна выездная проверка")
        new_date = re.search(r"после продления — до (\d\d\.\d\d\.\d{4})", extend.text)
        assert f"продлён до {new_date.group(1)}" in told.text

        refused = await tap(w, ADMIN, card, "Продлить срок")
        assert refused["show_alert"] is True and "продлить можно один раз" in refused["text"]


@run_async
async def test_in_a_forum_topic_the_reason_replying_to_the_question_is_no_answer(tmp_path):
    """In a forum topic a reply to the bot's question is the reason, never an answer to the
    citizen."""
    async with world_at(tmp_path) as w:
        tg = w.tg
        group, _bound = await w.bind_forum("city")
        number, _ack = await w.appeal()
        card = await w.card(group, number)

        since = len(tg.sent)
        await tap(w, ADMIN2, card, "Не наше")
        why = await question(w, group, f"Почему обращение № {number} не ваше?", since)
        assert why.thread_id == card.thread_id and why.reply_to == card.message_id
        tg.user_sends_text(ADMIN2, "Это двор ТСЖ, не муниципальная дорога", chat_id=group,
                           thread_id=card.thread_id, reply_to=why.message_id)
        await w.said(CITIZEN, "передано в другой орган", since)
        assert not any("ТСЖ" in (c.body or "") for c in tg.sent_to(CITIZEN))
        done = await w.said(group, "передано дальше, причина сохранена", since)
        assert done.thread_id == card.thread_id

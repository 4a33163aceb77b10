"""Issue 16 in Telegram, end to end (real aiogram against the emulator): what staff write stays
among staff unless it is addressed to the citizen; /ticket, /staff with «Отозвать», reply
templates. The world is `test_telegram_staff`'s: bodies get their chats by invite."""

from __future__ import annotations

import asyncio
import dataclasses

from bot.domain import texts
from routing.model import ReplyTemplate
from tests.emulators.aio import run_async
from tests.handlers.test_telegram_staff import (
    ADMIN,
    ADMIN2,
    CITIZEN,
    COORDINATOR,
    STRANGER,
    TABLE,
    world_at,
)


def texts_to(tg, chat: int) -> list[str]:
    return [c.body or "" for c in tg.sent_to(chat)]


@run_async
async def test_a_colleagues_words_in_the_forum_topic_never_reach_the_citizen(tmp_path):
    async with world_at(tmp_path) as w:
        tg = w.tg
        group, bound = await w.bind_forum("city")
        assert "/answer" in bound.text
        number, _ack = await w.appeal()
        card = await w.card(group, number)
        assert "Заявителю уходит только ответ (reply) на эту карточку или /answer" in card.text
        topic = card.thread_id

        since = len(tg.sent)
        tg.user_sends_text(ADMIN2, "Вася, глянь", chat_id=group, thread_id=topic)
        hint = await w.said(group, "внутренние заметки к обращению", since, thread_id=topic)
        assert hint.text.startswith("📝")
        tg.user_sends_text(ADMIN, "Гляну после обеда", chat_id=group, thread_id=topic)
        tg.user_sends_text(ADMIN, "/note@obrashcheniya_test_bot звонил заявителю", chat_id=group,
                           thread_id=topic)
        saved = await w.said(group, texts.NOTE_SAVED.format(number=number), since)
        assert saved.thread_id == topic
        tg.user_sends_text(ADMIN, "/answer Бригада выехала.", chat_id=group, thread_id=topic)
        await w.said(CITIZEN, "Бригада выехала.", since)
        tg.user_sends_text(ADMIN2, "Яму заделали.", chat_id=group, thread_id=topic,
                           reply_to=card.message_id)
        await w.said(CITIZEN, "Яму заделали.", since)
        to_citizen = "\n".join(texts_to(tg, CITIZEN))
        for internal in ("глянь", "после обеда", "звонил", "/answer"):
            assert internal not in to_citizen
        # One hint per ticket, not one per message.
        assert sum(t.startswith("📝 Сообщения") for t in texts_to(tg, group)) == 1

        # The whole story, notes included, for the body by /ticket in the General topic.
        since = len(tg.sent)
        tg.user_sends_text(ADMIN, f"/ticket@obrashcheniya_test_bot {number}", chat_id=group)
        shown = await w.said(group, "История:", since)
        assert shown.thread_id is None  # where it was asked, not in the ticket's topic
        assert "📝 заметка (Администрация города Саратова, tg 2003): Вася, глянь" in shown.text
        assert "звонил заявителю" in shown.text and "ответ заявителю: Яму заделали." in shown.text


@run_async
async def test_note_in_a_private_chat_ticket_by_number_and_a_refused_stranger(tmp_path):
    async with world_at(tmp_path) as w:
        tg = w.tg
        await w.bind_private(ADMIN, "city")
        number, _ack = await w.appeal()
        card = await w.card(ADMIN, number)
        assert "Заметка для коллег — /note текст ответом на карточку" in card.text
        since = len(tg.sent)
        tg.user_sends_text(ADMIN, "/note проверить, чей участок", reply_to=card.message_id)
        await w.said(ADMIN, texts.NOTE_SAVED.format(number=number), since)
        tg.user_sends_text(ADMIN, number)  # a bare number: the ticket
        shown = await w.said(ADMIN, "История:", since)
        assert "проверить, чей участок" in shown.text
        tg.user_sends_text(COORDINATOR, number)
        assert "проверить, чей участок" in (await w.said(COORDINATOR, "История:", since)).text
        tg.user_sends_text(STRANGER, f"/ticket {number}")
        await w.said(STRANGER, texts.TICKET_ONLY_STAFF, since)
        await asyncio.sleep(0.3)  # room for a wrong delivery, if there were going to be one
        assert not any("участок" in t for t in texts_to(tg, CITIZEN))
        assert not any("История:" in t for t in texts_to(tg, STRANGER))


@run_async
async def test_a_coordinator_revokes_a_former_employee_who_then_gets_no_cards(tmp_path):
    async with world_at(tmp_path) as w:
        tg = w.tg
        await w.bind_private(ADMIN, "city")
        await w.bind_private(ADMIN2, "city")
        since = len(tg.sent)
        tg.user_sends_text(ADMIN, "/staff")
        own = await w.said(ADMIN, "Кто подключён к органу", since)
        assert not own.buttons and "2. Telegram, личный чат 2003" in own.text
        tg.user_sends_text(COORDINATOR, "/staff city")
        listing = await w.said(COORDINATOR, "Кто подключён к органу", since)
        assert [b["text"] for b in listing.buttons] == ["Отозвать 1", "Отозвать 2"]
        query = tg.user_presses_button(COORDINATOR, listing.message_id,
                                       listing.buttons[1]["callback_data"])
        confirm = await w.said(COORDINATOR, "Отозвать подключение 2", since)
        await tg.wait_for(lambda c: c.method == "answerCallbackQuery"
                          and c.params.get("callback_query_id") == query)
        query = tg.user_presses_button(COORDINATOR, confirm.message_id,
                                       confirm.buttons[0]["callback_data"])
        answer = await tg.wait_for(lambda c: c.method == "answerCallbackQuery"
                                   and c.params.get("callback_query_id") == query)
        assert answer.params["text"] == texts.STAFF_REVOKED_NOTICE
        await w.said(ADMIN2, "Координатор отключил этот чат", since)
        await w.said(COORDINATOR, "отозвано: Telegram, личный чат 2003", since)

        number, _ack = await w.appeal()
        await w.card(ADMIN, number)
        await asyncio.sleep(0.3)
        assert not any(number in t for t in texts_to(tg, ADMIN2))


@run_async
async def test_an_administrator_answers_with_a_reply_template(tmp_path):
    table = dataclasses.replace(TABLE, templates=(
        ReplyTemplate("done", "Яма заделана", "Яму заделали. Спасибо, что сообщили!", "city"),
        ReplyTemplate("wait", "Передано подрядчику", "Передали подрядчику, срок — неделя."),
    ))
    async with world_at(tmp_path, table) as w:
        tg = w.tg
        await w.bind_private(ADMIN, "city")
        number, _ack = await w.appeal()
        card = await w.card(ADMIN, number)
        assert card.buttons[-1]["text"] == "Шаблоны ответов"
        since = len(tg.sent)
        tg.user_presses_button(ADMIN, card.message_id, card.buttons[-1]["callback_data"])
        listing = await w.said(ADMIN, "Шаблоны ответов для обращения", since)
        assert [b["text"] for b in listing.buttons] == ["Яма заделана", "Передано подрядчику"]
        tg.user_presses_button(ADMIN, listing.message_id, listing.buttons[0]["callback_data"])
        preview = await w.said(ADMIN, "Яму заделали. Спасибо, что сообщили!", since)
        assert [b["text"] for b in preview.buttons] == ["Отправить гражданину", "Отмена"]
        query = tg.user_presses_button(ADMIN, preview.message_id,
                                       preview.buttons[0]["callback_data"])
        toast = await tg.wait_for(lambda c: c.method == "answerCallbackQuery"
                                  and c.params.get("callback_query_id") == query)
        assert toast.params["text"] == texts.TEMPLATE_SENT
        answer = await w.said(CITIZEN, "Яму заделали. Спасибо, что сообщили!", since)
        assert number in answer.text
        await w.said(CITIZEN, "Проблема решена?", since)
        # Pressed again: nothing goes twice.
        tg.user_presses_button(ADMIN, preview.message_id, preview.buttons[0]["callback_data"])
        await asyncio.sleep(0.3)
        assert sum("Яму заделали" in t for t in texts_to(tg, CITIZEN)) == 1

"""Live cards in Telegram, end to end (the real bot polling the emulator, see
`tests.handlers.test_telegram_staff`): what administrators see change on a card after each
press and each answer — the status line, the buttons, the toast, the «доставлено» under their
answer, the forum topic's title and whether it is closed. «Не наше» and «Закрыть» ask first
(`tests.handlers.test_telegram_safe_actions`): the cards change only once the question is answered.
"""

from __future__ import annotations

from bot.domain import texts
from tests.emulators.aio import run_async
from tests.emulators.telegram import SentCall
from tests.handlers.test_telegram_safe_actions import labels, question, tap
from tests.handlers.test_telegram_staff import ADMIN, ADMIN2, CITIZEN, world_at

EDITS = ("editMessageText", "editMessageCaption")
#: The buttons of a card nobody has taken yet, and of one in work (no «Взять» any more).
WAITING = ["Взять в работу", "Не наше", "Закрыть", "Спам", "Промежуточный ответ", "Продлить срок"]
IN_WORK = ["Не наше", "Закрыть", "Спам", "Промежуточный ответ", "Продлить срок"]


async def edited(w, card: SentCall, needle: str, since: int = 0) -> SentCall:
    """The bot's next edit of ``card`` whose text contains ``needle``."""
    return await w.tg.wait_for(
        lambda c: c.method in EDITS and c.chat_id == card.chat_id
        and c.params.get("message_id") == card.message_id and needle in (c.body or ""),
        since=since,
    )


def name_of(w, user: int) -> str:
    user = w.tg.users[user]
    return f"{user['first_name']} {user.get('last_name', '')}".strip()


@run_async
async def test_take_edits_the_card_of_every_administrator_and_toasts_the_presser(tmp_path):
    async with world_at(tmp_path) as w:
        await w.bind_private(ADMIN, "city")
        await w.bind_private(ADMIN2, "city")
        number, _ack = await w.appeal()
        mine, theirs = await w.card(ADMIN, number), await w.card(ADMIN2, number)
        assert "⏳ Ждёт: в работу ещё никто не взял" in mine.text
        assert labels(mine) == WAITING

        answer = await w.press(ADMIN, mine, "take")
        assert answer["text"] == texts.NOTICE_TAKEN and not answer.get("show_alert")
        for card in (mine, theirs):
            now = await edited(w, card, "🛠 В работе")
            assert name_of(w, ADMIN) in now.text  # who took it, as Telegram names them
            assert now.text.startswith(f"Обращение № {number}\n")  # the same card
            assert labels(now) == IN_WORK
        # The colleague's stale «Взять» is refused, and says why.
        late = await w.press(ADMIN2, theirs, "take")
        assert late["show_alert"] is True and "уже в работе" in late["text"]


@run_async
async def test_not_ours_marks_the_old_card_handed_on_and_the_next_body_gets_a_card(tmp_path):
    async with world_at(tmp_path) as w:
        await w.bind_private(ADMIN, "city")
        await w.bind_private(ADMIN2, "transport")
        number, _ack = await w.appeal()
        card = await w.card(ADMIN, number)
        since = len(w.tg.sent)
        pressed = await w.press(ADMIN, card, "redirect")
        # A toast, not an alert: nothing changed yet, the question below says what to do.
        assert not pressed.get("show_alert")
        assert pressed["text"] == texts.NOTICE_ASKED.format(number=number)
        why = await question(w, ADMIN, f"Почему обращение № {number} не ваше?", since)
        assert why.reply_to == card.message_id
        answer = await tap(w, ADMIN, why, "Другая тема")
        assert answer["text"] == texts.DONE_REDIRECTED.format(number=number)
        old = await edited(w, card, "↪️ Передано в «Министерство транспорта»", since)
        assert old.buttons == []  # nothing left to press there
        # Asking changed nothing on the card: its one edit is the hand-over.
        edits = [c for c in w.tg.sent[since:] if c.method in EDITS
                 and c.params.get("message_id") == card.message_id]
        assert edits == [old]
        theirs = await w.card(ADMIN2, number)
        assert labels(theirs) == WAITING


@run_async
async def test_an_answer_is_acknowledged_once_delivered_and_the_card_says_answered(tmp_path):
    async with world_at(tmp_path) as w:
        await w.bind_private(ADMIN, "city")
        number, _ack = await w.appeal()
        card = await w.card(ADMIN, number)
        answer = w.tg.user_sends_text(ADMIN, "Яму заделаем до пятницы.", reply_to=card.message_id)
        await w.said(CITIZEN, "Яму заделаем до пятницы.")
        ack = await w.said(ADMIN, "доставлен заявителю")
        assert ack.text == texts.ANSWER_DELIVERED.format(number=number)
        assert ack.reply_to == answer["message_id"]
        now = await edited(w, card, "✉️ Ответ отправлен заявителю")
        assert labels(now) == ["Закрыть"]


@run_async
async def test_a_closed_ticket_renames_and_closes_its_forum_topic(tmp_path):
    async with world_at(tmp_path) as w:
        tg = w.tg
        group, _bound = await w.bind_forum("city")
        number, _ack = await w.appeal()
        card = await w.card(group, number)
        thread = card.thread_id
        assert tg.topic_state(group, thread) == (f"№ {number} · Дороги", False)

        await w.press(ADMIN, card, "take", chat=group)
        await edited(w, card, "🛠 В работе")
        assert tg.topic_state(group, thread) == (f"🛠 № {number} · Дороги", False)

        since = len(tg.sent)
        await w.press(ADMIN, card, "close", chat=group)
        asked = await question(w, group, f"Закрыть обращение № {number} без ответа?", since)
        assert asked.reply_to == card.message_id and asked.thread_id == thread
        assert tg.topic_state(group, thread) == (f"🛠 № {number} · Дороги", False)  # not yet
        closed = await tap(w, ADMIN, asked, "Решено по телефону или лично")
        assert closed["text"] == texts.DONE_CLOSED_WITH_REASON.format(number=number)
        now = await edited(w, card, "✅ Закрыто", since)
        assert now.buttons == []
        await tg.wait_for(lambda c: c.method == "closeForumTopic")
        assert tg.topic_state(group, thread) == (f"✅ № {number} · Дороги", True)


@run_async
async def test_a_card_sent_as_a_photo_caption_is_edited_as_a_caption(tmp_path):
    async with world_at(tmp_path) as w:
        await w.bind_private(ADMIN, "city")
        w.tg.user_sends_photo(CITIZEN, caption="Яма на улице Московской, дом 5")
        card = await w.tg.wait_for(lambda c: c.chat_id == ADMIN and c.method == "sendPhoto"
                                   and "Обращение №" in (c.caption or ""))
        await w.press(ADMIN, card, "take")
        now = await edited(w, card, "🛠 В работе")
        assert now.method == "editMessageCaption" and labels(now) == IN_WORK


@run_async
async def test_a_card_that_cannot_be_edited_gets_a_status_message_with_the_buttons(tmp_path):
    async with world_at(tmp_path) as w:
        await w.bind_private(ADMIN, "city")
        number, _ack = await w.appeal()
        card = await w.card(ADMIN, number)
        w.tg.fail_next("editMessageText", error=400,
                       description="Bad Request: message can't be edited")
        since = len(w.tg.sent)
        await w.press(ADMIN, card, "take")
        status = await w.said(ADMIN, "🛠 В работе", since)
        assert status.text.startswith(f"Обращение № {number}\n") and len(status.text) < 200
        assert status.reply_to == card.message_id
        assert labels(status) == IN_WORK


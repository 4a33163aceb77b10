"""Live cards in VK, end to end (the whole bot on both emulators, `tests.app_world`): the city
administration has a Telegram group and a VK administrator (both from the routing table), so
every change shows on both cards — edited with ``messages.edit`` in VK, or, when VK refuses
(909: too old), as a compact status message with the buttons under the card. «Не наше» asks
first (`tests.handlers.test_vk_safe_actions`): the cards change once the question is answered.
"""

from __future__ import annotations

from pathlib import Path

from bot.domain import texts
from tests.app_world import APPEAL, NUMBER, TG_ADMIN, VK_ADMIN, both_channels
from tests.emulators.aio import run_async
from tests.emulators.vk import SentMessage, VKEmulator
from tests.handlers.test_vk_end_to_end import VK_CITIZEN, callback_buttons
from tests.handlers.test_vk_safe_actions import next_to, tap

#: The buttons of a card in work (no «Взять» any more).
IN_WORK = ["Не наше", "Закрыть", "Спам", "Промежуточный ответ", "Продлить срок"]


async def appeal_and_cards(w) -> tuple[str, SentMessage, object]:
    """A VK citizen's appeal; its number and the city's VK and Telegram cards."""
    await w.vk.user_sends_text(VK_CITIZEN, APPEAL)
    accepted = await w.vk.wait_for_sent(lambda m: m.peer_id == VK_CITIZEN)
    number = NUMBER.search(accepted.text).group()
    vk_card = await w.vk.wait_for_sent(lambda m: m.peer_id == VK_ADMIN and number in m.text)
    tg_card = await w.tg.wait_for(lambda c: c.chat_id == w.group and c.method == "sendMessage"
                                  and number in (c.body or ""))
    return number, vk_card, tg_card


async def press(vk: VKEmulator, card: SentMessage, label: str) -> dict:
    """``VK_ADMIN`` taps a card button; returns what the snackbar said."""
    payload = dict(callback_buttons(card))[label]
    seen = len(vk.event_answers)
    await vk.user_presses_callback_button(VK_ADMIN, card.conversation_message_id, {"p": payload})
    await vk.wait_for(lambda: len(vk.event_answers) > seen)
    return vk.event_answers[-1].event_data or {}


async def shows(vk: VKEmulator, card: SentMessage, needle: str) -> dict:
    """The VK card once an edit put ``needle`` into its text."""
    return await vk.wait_for(
        lambda: needle in vk.message(card.message_id)["text"] and vk.message(card.message_id)
    )


@run_async
async def test_take_in_vk_edits_both_cards_and_the_snackbar_says_what_happened(
    tmp_path: Path,
) -> None:
    async with both_channels(tmp_path) as w:
        vk, tg = w.vk, w.tg
        vk.add_user(VK_ADMIN, "Пётр", "Сидоров")
        number, vk_card, tg_card = await appeal_and_cards(w)
        assert "⏳ Ждёт" in vk_card.text
        assert [label for label, _ in callback_buttons(vk_card)] == ["Взять в работу", *IN_WORK]

        snackbar = await press(vk, vk_card, "Взять в работу")
        assert snackbar == {"type": "show_snackbar", "text": texts.NOTICE_TAKEN}
        now = await shows(vk, vk_card, "🛠 В работе: Пётр Сидоров")
        assert now["text"].startswith(f"Обращение № {number}\n")
        assert vk.buttons_of(vk_card.message_id) == IN_WORK
        # The colleague in Telegram sees it too.
        edit = await tg.wait_for(lambda c: c.method == "editMessageText"
                                 and c.params.get("message_id") == tg_card.message_id)
        assert "🛠 В работе: Пётр Сидоров" in edit.text
        assert [b["text"] for b in edit.buttons] == IN_WORK


@run_async
async def test_a_card_too_old_to_edit_gets_a_status_message_with_the_buttons(
    tmp_path: Path,
) -> None:
    async with both_channels(tmp_path) as w:
        vk, tg = w.vk, w.tg
        number, vk_card, tg_card = await appeal_and_cards(w)
        vk.age_message(vk_card.message_id, 3 * 24 * 3600)
        # Taken in Telegram: VK refuses the edit of its card (909), so a status comes instead.
        take = next(b["callback_data"] for b in tg_card.buttons if b["text"] == "Взять в работу")
        tg.user_presses_button(TG_ADMIN, tg_card.message_id, take, chat_id=w.group)
        status = await vk.wait_for_sent(lambda m: m.peer_id == VK_ADMIN and "🛠 В работе" in m.text)
        assert vk.errors_given[909] == 1
        assert status.text.startswith(f"Обращение № {number}\n") and len(status.text) < 200
        assert status.reply_to == vk_card.message_id
        assert [label for label, _ in callback_buttons(status)] == IN_WORK
        assert "⏳ Ждёт" in vk.message(vk_card.message_id)["text"]  # the card as it was


@run_async
async def test_a_vk_answer_is_acknowledged_in_reply_once_delivered(tmp_path: Path) -> None:
    async with both_channels(tmp_path) as w:
        vk = w.vk
        number, vk_card, _tg_card = await appeal_and_cards(w)
        answer = await vk.user_sends_text(VK_ADMIN, "Фонарь заменим до пятницы.",
                                          reply_to=vk_card.message_id)
        await vk.wait_for_sent(lambda m: m.peer_id == VK_CITIZEN and "Фонарь заменим" in m.text)
        ack = await vk.wait_for_sent(lambda m: m.peer_id == VK_ADMIN and "доставлен" in m.text)
        assert ack.text == texts.ANSWER_DELIVERED.format(number=number)
        assert ack.reply_to == answer["id"]
        await shows(vk, vk_card, "✉️ Ответ отправлен заявителю")
        assert vk.buttons_of(vk_card.message_id) == ["Закрыть"]


@run_async
async def test_not_ours_in_vk_leaves_both_cards_without_buttons(tmp_path: Path) -> None:
    async with both_channels(tmp_path) as w:
        vk, tg = w.vk, w.tg
        number, vk_card, tg_card = await appeal_and_cards(w)
        seen = len(vk.sent)
        asked = await press(vk, vk_card, "Не наше")  # the snackbar points at the question
        assert asked == {"type": "show_snackbar",
                         "text": texts.NOTICE_ASKED.format(number=number)}
        why = await next_to(vk, VK_ADMIN, f"Почему обращение № {number} не ваше?", seen)
        assert why.reply_to == vk_card.message_id
        assert "⏳ Ждёт" in vk.message(vk_card.message_id)["text"]  # nothing changed yet
        snackbar = await tap(vk, VK_ADMIN, why, "Другая тема")
        assert snackbar == {"type": "show_snackbar",
                            "text": texts.DONE_REDIRECTED.format(number=number)}
        await shows(vk, vk_card, "↪️ Передано")
        assert vk.buttons_of(vk_card.message_id) == []
        edit = await tg.wait_for(lambda c: c.method == "editMessageText"
                                 and c.params.get("message_id") == tg_card.message_id)
        assert "↪️ Передано" in edit.text and edit.buttons == []

"""Safe actions in VK, end to end: the whole bot on both emulators, the city administration's
administrator in a VK dialogue, a VK citizen and a VK coordinator. The same core as in Telegram
(tests/handlers/test_telegram_safe_actions.py): questions under the card with callback buttons,
a reason written as a VK reply to the question, ``/reopen``, the interim answer and the one
extension — and VK's snackbar for what is refused.
"""

from __future__ import annotations

from pathlib import Path

from bot.domain import texts
from tests.app_world import APPEAL, NUMBER, VK_ADMIN, both_channels
from tests.emulators.aio import run_async
from tests.emulators.vk import SentMessage, VKEmulator
from tests.handlers.test_vk_end_to_end import callback_buttons

VK_CITIZEN = 100_600
VK_COORDINATOR = 600_700


async def appeal(vk: VKEmulator) -> tuple[str, SentMessage]:
    await vk.user_sends_text(VK_CITIZEN, APPEAL)
    accepted = await vk.wait_for_sent(lambda m: m.peer_id == VK_CITIZEN)
    number = NUMBER.search(accepted.text).group()
    card = await vk.wait_for_sent(
        lambda m: m.peer_id == VK_ADMIN and f"Обращение № {number}\n" in m.text
    )
    return number, card


async def tap(vk: VKEmulator, user: int, message: SentMessage, label: str) -> dict | None:
    """``user`` taps ``label`` under ``message``; returns what the snackbar said (or None)."""
    payload = dict(callback_buttons(message))[label]
    answered = len(vk.event_answers)
    await vk.user_presses_callback_button(user, message.conversation_message_id, {"p": payload})
    answer = await vk.wait_for(lambda: vk.event_answers[answered:])
    return answer[0].event_data


async def next_to(vk: VKEmulator, peer: int, start: str, seen: int) -> SentMessage:
    return await vk.wait_for_sent(
        lambda m: m.peer_id == peer and m.text.startswith(start) and vk.sent.index(m) >= seen
    )


@run_async
async def test_vk_close_with_a_reply_as_the_reason_then_reopen_by_the_vk_coordinator(
    tmp_path: Path,
) -> None:
    async with both_channels(tmp_path, coordinators=f"vk:{VK_COORDINATOR}") as w:
        vk = w.vk
        await vk.user_allows_messages(VK_COORDINATOR)
        number, card = await appeal(vk)
        assert [label for label, _ in callback_buttons(card)] == [
            "Взять в работу", "Не наше", "Закрыть", "Спам", "Промежуточный ответ", "Продлить срок"
        ]

        seen = len(vk.sent)
        await tap(vk, VK_ADMIN, card, "Закрыть")
        asked = await next_to(vk, VK_ADMIN, f"Закрыть обращение № {number} без ответа?", seen)
        assert asked.reply_to == card.message_id
        assert [label for label, _ in callback_buttons(asked)][-1] == "Отмена"

        await vk.user_sends_text(VK_ADMIN, "Дубль обращения № 26-000001", reply_to=asked.message_id)
        closed = await next_to(vk, VK_CITIZEN, f"Обращение № {number} закрыто", seen)
        assert closed.text.endswith("Причина: Дубль обращения № 26-000001")
        assert not any(m.text.startswith("Ответ на обращение") for m in vk.sent_to(VK_CITIZEN))
        notice = await next_to(vk, VK_COORDINATOR, f"Обращение № {number} закрыто органом", seen)
        assert [label for label, _ in callback_buttons(notice)] == ["Вернуть в работу"]

        seen = len(vk.sent)
        await vk.user_sends_text(VK_COORDINATOR, f"/reopen {number}")
        done = await next_to(vk, VK_COORDINATOR, f"Обращение № {number} возвращено в работу", seen)
        assert "«Город Саратов», срок — до " in done.text
        await next_to(vk, VK_CITIZEN, f"Обращение № {number} снова в работе", seen)
        again = await next_to(vk, VK_ADMIN, texts.RETURNED_NOTE, seen)
        assert f"Обращение № {number}\n" in again.text


@run_async
async def test_vk_spam_confirmation_interim_answer_and_one_extension(tmp_path: Path) -> None:
    async with both_channels(tmp_path) as w:
        vk = w.vk
        number, card = await appeal(vk)

        seen = len(vk.sent)
        await tap(vk, VK_ADMIN, card, "Промежуточный ответ")
        asked = await next_to(vk, VK_ADMIN, "Напишите промежуточный ответ", seen)
        await vk.user_sends_text(VK_ADMIN, "Выезжаем на место завтра.", reply_to=asked.message_id)
        interim = await next_to(
            vk, VK_CITIZEN, f"Промежуточный ответ по обращению № {number}", seen
        )
        assert interim.text.endswith("Выезжаем на место завтра.")

        seen = len(vk.sent)
        await tap(vk, VK_ADMIN, card, "Продлить срок")
        extend = await next_to(vk, VK_ADMIN, f"Продлить срок ответа по обращению № {number}?", seen)
        await tap(vk, VK_ADMIN, extend, "Запрошены сведения в другом органе")
        told = await next_to(vk, VK_CITIZEN, f"Срок ответа по обращению № {number} продлён", seen)
        assert told.text.endswith("Причина: Запрошены сведения в другом органе")
        refused = await tap(vk, VK_ADMIN, card, "Продлить срок")
        assert refused["type"] == "show_snackbar" and "один раз" in refused["text"]

        seen = len(vk.sent)
        await tap(vk, VK_ADMIN, card, "Спам")
        spam = await next_to(vk, VK_ADMIN, f"Отметить обращение № {number} как спам?", seen)
        cancelled = await tap(vk, VK_ADMIN, spam, "Отмена")
        assert cancelled["text"] == texts.DISMISSED.format(number=number)
        assert (await tap(vk, VK_ADMIN, spam, "Да, спам"))["text"] == texts.DONE_REJECTED.format(
            number=number
        )
        rejected = await next_to(vk, VK_CITIZEN, f"Обращение № {number} отклонено", seen)
        assert rejected.text == texts.REJECTED_TO_CITIZEN.format(number=number)

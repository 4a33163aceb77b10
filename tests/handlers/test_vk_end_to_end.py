"""VK flows end to end: the whole bot on both emulators, citizens and administrators in VK.

What a VK citizen and a VK administrator notice: questions asked with VK callback buttons and
answered by a tap; the card's buttons acting on the ticket; a citizen who forbade messages from
the community (error 901) and the administrators told, then the answer delivered once the
citizen allows messages again; VK's "too many requests" answered by waiting, not by losing or
doubling the message.
"""

from __future__ import annotations

from pathlib import Path

from tests.app_world import APPEAL, NUMBER, TG_ADMIN, VK_ADMIN, both_channels
from tests.emulators.aio import run_async
from tests.emulators.vk import SentMessage

VK_CITIZEN = 100_500


def callback_buttons(message: SentMessage) -> list[tuple[str, str]]:
    """``(label, core payload)`` of every callback button of a sent message."""
    assert message.keyboard is not None
    return [
        (b["action"]["label"], b["action"]["payload"]["p"])
        for row in message.keyboard["buttons"]
        for b in row
        if b["action"]["type"] == "callback"
    ]


@run_async
async def test_a_question_is_answered_by_tapping_a_vk_callback_button(tmp_path: Path) -> None:
    async with both_channels(tmp_path) as w:
        vk = w.vk
        # Electricity, lighting, water or heating? The topic decides the body, so the bot asks.
        # (Water alone in Saratov is the city's whatever its topic: that is not asked any more.)
        await vk.user_sends_text(VK_CITIZEN, "Нет воды и света в Саратове")
        question = await vk.wait_for_sent(lambda m: m.peer_id == VK_CITIZEN and m.keyboard)
        assert question.keyboard["inline"] is True
        options = callback_buttons(question)
        assert options[-1][0] == "Другое" and len(options) >= 3
        first = options[0][1]

        seen = len(vk.sent)
        await vk.user_presses_callback_button(
            VK_CITIZEN, question.conversation_message_id, {"p": first}
        )
        # The button stops spinning, and the next step comes as a message.
        await vk.wait_for(lambda: vk.event_answers)
        after = await vk.wait_for_sent(
            lambda m: m.peer_id == VK_CITIZEN and vk.sent.index(m) >= seen
        )
        # The next step (with the ticket's number) and no question buttons any more: at most
        # the standing «Мои обращения» keyboard.
        assert NUMBER.search(after.text) and not (after.keyboard or {}).get("inline")


@run_async
async def test_vk_administrator_takes_the_ticket_with_the_card_button(tmp_path: Path) -> None:
    async with both_channels(tmp_path) as w:
        vk = w.vk
        await vk.user_sends_text(VK_CITIZEN, APPEAL)
        accepted = await vk.wait_for_sent(lambda m: m.peer_id == VK_CITIZEN)
        number = NUMBER.search(accepted.text).group()
        card = await vk.wait_for_sent(lambda m: m.peer_id == VK_ADMIN and number in m.text)
        labels = [label for label, _ in callback_buttons(card)]
        assert labels[:2] == ["Взять в работу", "Не наше"]

        take = dict((label, p) for label, p in callback_buttons(card))["Взять в работу"]
        seen = len(vk.sent)
        await vk.user_presses_callback_button(VK_ADMIN, card.conversation_message_id, {"p": take})
        await vk.wait_for(lambda: vk.event_answers)
        told = await vk.wait_for_sent(
            lambda m: m.peer_id == VK_CITIZEN and vk.sent.index(m) >= seen
        )
        assert number in told.text


@run_async
async def test_a_citizen_who_forbade_messages_keeps_the_ticket_and_admins_are_told(
    tmp_path: Path,
) -> None:
    async with both_channels(tmp_path) as w:
        tg, vk = w.tg, w.vk
        await vk.user_sends_text(VK_CITIZEN, APPEAL)
        accepted = await vk.wait_for_sent(lambda m: m.peer_id == VK_CITIZEN)
        number = NUMBER.search(accepted.text).group()
        card = await tg.wait_for(lambda c: c.chat_id == w.group and number in (c.body or ""))
        vk_card = await vk.wait_for_sent(lambda m: m.peer_id == VK_ADMIN and number in m.text)

        await vk.user_denies_messages(VK_CITIZEN)
        tg.user_sends_text(TG_ADMIN, "Фонарь заменим до пятницы.", chat_id=w.group,
                           reply_to=card.message_id)

        # Both administrators' chats hear it, under the card, instead of silence.
        notice = await tg.wait_for(
            lambda c: c.chat_id == w.group and "не разрешил сообщения" in (c.body or "")
        )
        assert number in notice.body and notice.reply_to == card.message_id
        vk_notice = await vk.wait_for_sent(
            lambda m: m.peer_id == VK_ADMIN and "не разрешил сообщения" in m.text
        )
        assert vk_notice.reply_to == vk_card.message_id
        assert vk.errors_given[901] >= 1
        assert vk.sent_to(VK_CITIZEN) == [accepted]

        # The citizen allows messages again: the saved answer goes out after all.
        await vk.user_allows_messages(VK_CITIZEN)
        answer = await vk.wait_for_sent(
            lambda m: m.peer_id == VK_CITIZEN and "Фонарь заменим до пятницы." in m.text
        )
        assert number in answer.text
        notices = [c for c in tg.sent_to(w.group) if "не разрешил" in (c.body or "")]
        assert len(notices) == 1  # told once, not for every message that failed


@run_async
async def test_too_many_requests_is_waited_out_and_the_message_goes_once(tmp_path: Path) -> None:
    async with both_channels(tmp_path) as w:
        vk = w.vk
        vk.fail_next("messages.send", times=2, code=6)
        await vk.user_sends_text(VK_CITIZEN, APPEAL)
        accepted = await vk.wait_for_sent(lambda m: m.peer_id == VK_CITIZEN)
        assert NUMBER.search(accepted.text)
        assert vk.errors_given[6] == 2
        assert len(vk.sent_to(VK_CITIZEN)) == 1

"""Comments in a Telegram channel's discussion group, end to end (real aiogram and vkbottle
clients on both emulators): the same promises as under VK posts, answers as replies in the
post's thread."""

from __future__ import annotations

from pathlib import Path

from tests.app_world import APPEAL, NUMBER, TG_ADMIN, VK_ADMIN, both_channels
from tests.emulators.aio import run_async

CITIZEN = 3003
NEIGHBOUR = 3004


@run_async
async def test_a_complaint_in_the_discussion_group_is_answered_in_the_thread(
    tmp_path: Path,
) -> None:
    async with both_channels(tmp_path) as w:
        tg, vk = w.tg, w.vk
        discussion = tg.create_discussion_group(TG_ADMIN, "Администрация Саратова")
        post = tg.channel_posts(discussion, "Отключения воды на неделе")
        comment = tg.user_comments(CITIZEN, discussion, post, APPEAL)

        reply = await tg.wait_for(lambda c: c.chat_id == discussion and "обращение №" in c.body)
        assert reply.reply_to == comment["message_id"] and "Спасибо" in reply.body
        number = NUMBER.search(reply.body).group()
        card = await vk.wait_for_sent(lambda m: m.peer_id == VK_ADMIN and number in m.text)
        assert APPEAL in card.text and "https://t.me/c/" in card.text

        await vk.user_sends_text(VK_ADMIN, "Фонарь заменим до пятницы.", reply_to=card.message_id)
        answer = await tg.wait_for(
            lambda c: c.chat_id == discussion and "Фонарь заменим" in (c.body or "")
        )
        assert answer.reply_to == comment["message_id"] and number in answer.body
        # The citizen never started the bot: the staff know the answer is public only.
        notice = await vk.wait_for_sent(
            lambda m: m.peer_id == VK_ADMIN and "не разрешил личные сообщения" in m.text
        )
        assert number in notice.text
        assert tg.sent_to(CITIZEN) == []


@run_async
async def test_thanks_a_reply_to_a_neighbour_and_the_post_itself_make_no_ticket(
    tmp_path: Path,
) -> None:
    async with both_channels(tmp_path) as w:
        tg = w.tg
        discussion = tg.create_discussion_group(TG_ADMIN, "Администрация Саратова")
        post = tg.channel_posts(discussion, "Когда уберут мусор? Отвечаем на вопросы жителей")
        neighbour = tg.user_comments(NEIGHBOUR, discussion, post, "У нас на Садовой тоже")
        tg.user_comments(CITIZEN, discussion, post, "Спасибо!")
        tg.user_comments(CITIZEN, discussion, post, "А у вас когда воду дали? Мусор вывезли?",
                         reply_to=neighbour["message_id"])
        complaint = tg.user_comments(CITIZEN, discussion, post, APPEAL)
        await tg.wait_for(lambda c: c.chat_id == discussion and "обращение №" in c.body)
        replies = [c for c in tg.sent_to(discussion)]
        assert [c.reply_to for c in replies] == [complaint["message_id"]]
        cards = [c for c in tg.sent_to(w.group) if NUMBER.search(c.body or "")]
        assert len({NUMBER.search(c.body).group() for c in cards}) == 1


@run_async
async def test_an_edited_comment_is_told_under_the_card(tmp_path: Path) -> None:
    async with both_channels(tmp_path) as w:
        tg, vk = w.tg, w.vk
        discussion = tg.create_discussion_group(TG_ADMIN, "Администрация Саратова")
        post = tg.channel_posts(discussion, "Новости")
        comment = tg.user_comments(CITIZEN, discussion, post, APPEAL)
        reply = await tg.wait_for(lambda c: c.chat_id == discussion and "обращение №" in c.body)
        number = NUMBER.search(reply.body).group()
        card = await vk.wait_for_sent(lambda m: m.peer_id == VK_ADMIN and number in m.text)
        tg.user_edits_comment(discussion, comment["message_id"], APPEAL + ", у дома 12")
        edited = await vk.wait_for_sent(
            lambda m: m.peer_id == VK_ADMIN and "изменил свой комментарий" in m.text
        )
        assert "у дома 12" in edited.text and edited.reply_to == card.message_id

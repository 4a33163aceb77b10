"""Comments under the community's posts, end to end: the whole bot (real vkbottle and aiogram
clients) on both emulators.

What people notice: a complaint under a post gets the community's public reply with the ticket
number, and the administrator's card; the administrator's answer appears under the comment (and
privately when the citizen allows messages); «Спасибо!» and a reply to another citizen get
nothing; an edited or deleted comment is told under the card; spam reaches the coordinators
with a link to hide it; comments closed — the answer still reaches the citizen privately.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bot.domain import texts
from tests.app_world import APPEAL, NUMBER, TG_ADMIN, VK_ADMIN, both_channels, free_port
from tests.emulators.aio import run_async
from tests.emulators.vk import VKEmulator

CITIZEN = 100_500
NEIGHBOUR = 100_600
COORDINATOR = 500


async def public_reply(vk: VKEmulator, comment_id: int, containing: str = "обращение №"):
    await vk.wait_for(lambda: any(containing in c.text for c in vk.replies_to(comment_id)))
    return next(c for c in vk.replies_to(comment_id) if containing in c.text)


async def appeal_under_a_post(vk: VKEmulator) -> tuple[Any, Any, str, Any]:
    """The citizen's complaint under a new post, once it is a ticket: the post, the comment,
    the ticket's number (from the public reply) and the card the VK administrator got."""
    post = vk.add_post()
    comment = await vk.user_comments(CITIZEN, post, APPEAL)
    number = NUMBER.search((await public_reply(vk, comment.id)).text).group()
    card = await vk.wait_for_sent(lambda m: m.peer_id == VK_ADMIN and number in m.text)
    return post, comment, number, card


@run_async
async def test_a_complaint_comment_gets_a_public_reply_a_ticket_and_the_answer_in_the_thread(
    tmp_path: Path,
) -> None:
    async with both_channels(tmp_path) as w:
        tg, vk = w.tg, w.vk
        post = vk.add_post("График вывоза мусора на декабрь")
        comment = await vk.user_comments(CITIZEN, post, APPEAL)

        reply = await public_reply(vk, comment.id)
        number = NUMBER.search(reply.text).group()
        assert "Спасибо" in reply.text and "Администрация" in reply.text
        assert "ответ на ваш комментарий" in reply.text

        link = f"https://vk.com/wall-{vk.group_id}_{post}?reply={comment.id}"
        card = await vk.wait_for_sent(lambda m: m.peer_id == VK_ADMIN and number in m.text)
        assert APPEAL in card.text and link in card.text
        tg_card = await tg.wait_for(lambda c: c.chat_id == w.group and number in (c.body or ""))
        # No private «принято» to someone who never wrote to the community.
        assert vk.sent_to(CITIZEN) == []

        await vk.user_sends_text(VK_ADMIN, "Фонарь заменим до пятницы.", reply_to=card.message_id)
        answer = await public_reply(vk, comment.id, "Фонарь заменим до пятницы.")
        assert number in answer.text
        # The citizen has not allowed messages: the staff learn the answer is public only.
        notice = await tg.wait_for(
            lambda c: c.chat_id == w.group and "не разрешил личные сообщения" in (c.body or "")
        )
        assert number in notice.body and notice.reply_to == tg_card.message_id
        assert len(vk.replies_to(comment.id)) == 2


@run_async
async def test_the_answer_goes_privately_too_when_the_citizen_allows_messages(
    tmp_path: Path,
) -> None:
    async with both_channels(tmp_path) as w:
        vk = w.vk
        await vk.user_allows_messages(CITIZEN)
        _post, comment, number, card = await appeal_under_a_post(vk)
        tg_card = await w.tg.wait_for(lambda c: c.chat_id == w.group and number in (c.body or ""))
        w.tg.user_sends_text(TG_ADMIN, "Заменим фонарь завтра.", chat_id=w.group,
                             reply_to=tg_card.message_id)
        private = await vk.wait_for_sent(
            lambda m: m.peer_id == CITIZEN and "Заменим фонарь завтра." in m.text
        )
        assert number in private.text
        await public_reply(vk, comment.id, "Заменим фонарь завтра.")
        assert card.message_id  # the VK administrator's card was sent as well


@run_async
async def test_thanks_and_a_reply_to_another_citizen_make_no_ticket_and_no_reply(
    tmp_path: Path,
) -> None:
    async with both_channels(tmp_path) as w:
        vk = w.vk
        post = vk.add_post()
        neighbour = await vk.user_comments(NEIGHBOUR, post, "Отличная новость!")
        thanks = await vk.user_comments(CITIZEN, post, "Спасибо!")
        answer = await vk.user_comments(
            CITIZEN, post, "[id100600|Марина], а у вас на Садовой тоже воды нет?",
            reply_to=neighbour.id,
        )
        # The same author's comments are handled in order: once the complaint is answered,
        # the two before it have been read.
        complaint = await vk.user_comments(CITIZEN, post, APPEAL)
        await public_reply(vk, complaint.id)
        assert [c.reply_to_comment for c in vk.community_comments()] == [complaint.id]
        assert not vk.replies_to(thanks.id) and not vk.replies_to(answer.id)
        cards = [m for m in vk.sent_to(VK_ADMIN) if NUMBER.search(m.text)]
        assert len(cards) == 1


@run_async
async def test_an_edited_and_a_deleted_comment_are_told_under_the_card(tmp_path: Path) -> None:
    async with both_channels(tmp_path) as w:
        vk = w.vk
        _post, comment, number, card = await appeal_under_a_post(vk)

        await vk.user_edits_comment(comment.id, APPEAL + ", у дома 12")
        edited = await vk.wait_for_sent(
            lambda m: m.peer_id == VK_ADMIN and "изменил свой комментарий" in m.text
        )
        assert number in edited.text and "у дома 12" in edited.text
        assert edited.reply_to == card.message_id

        await vk.user_deletes_comment(comment.id)
        deleted = await vk.wait_for_sent(
            lambda m: m.peer_id == VK_ADMIN and "удалил свой комментарий" in m.text
        )
        assert number in deleted.text and deleted.reply_to == card.message_id


@run_async
async def test_comments_closed_the_answer_still_reaches_the_citizen_privately(
    tmp_path: Path,
) -> None:
    async with both_channels(tmp_path) as w:
        vk = w.vk
        await vk.user_allows_messages(CITIZEN)
        post, comment, number, card = await appeal_under_a_post(vk)

        vk.close_comments(post)
        await vk.user_sends_text(VK_ADMIN, "Фонарь заменим до пятницы.", reply_to=card.message_id)
        private = await vk.wait_for_sent(
            lambda m: m.peer_id == CITIZEN and "Фонарь заменим до пятницы." in m.text
        )
        assert number in private.text
        refused = await vk.wait_for_sent(
            lambda m: m.peer_id == VK_ADMIN and "публичный ответ под записью не опубликован"
            in m.text
        )
        assert number in refused.text and refused.reply_to == card.message_id
        assert vk.errors_given[212] == 1
        assert len(vk.replies_to(comment.id)) == 1  # only the first reply, before the closing


@run_async
async def test_spam_reaches_the_coordinators_with_a_link_to_hide_it(tmp_path: Path) -> None:
    async with both_channels(tmp_path, coordinators=f"vk:{COORDINATOR}") as w:
        vk = w.vk
        await vk.user_allows_messages(COORDINATOR)
        post = vk.add_post()
        spam = await vk.user_comments(NEIGHBOUR, post, "Заработок от 5000 в день, пиши в лс")
        told = await vk.wait_for_sent(lambda m: m.peer_id == COORDINATOR and "спам" in m.text)
        assert f"https://vk.com/wall-{vk.group_id}_{post}?reply={spam.id}" in told.text
        assert NUMBER.search(told.text)
        assert not vk.replies_to(spam.id)


@run_async
async def test_comments_arrive_through_the_callback_api_too(tmp_path: Path) -> None:
    port = free_port()
    settings = {
        "vk_callback_confirmation": "c0nf1rm", "vk_callback_secret": "s3cret",
        "webhook_host": "127.0.0.1", "webhook_port": port,
    }
    async with both_channels(tmp_path, **settings) as w:
        vk = w.vk
        callback = vk.callback_server(f"http://127.0.0.1:{port}/vk/callback", "s3cret")
        post = vk.add_post()
        comment = await vk.user_comments(CITIZEN, post, APPEAL)
        assert await callback.deliver() == [(200, "ok")]
        reply = await public_reply(vk, comment.id)
        assert NUMBER.search(reply.text)
        # The community's own reply comes back as an event too, and is no appeal.
        assert await callback.deliver() == [(200, "ok")]
        assert len(vk.community_comments()) == 1


@run_async
async def test_forget_covers_the_tickets_made_from_comments(tmp_path: Path) -> None:
    async with both_channels(tmp_path) as w:
        vk = w.vk
        await vk.user_allows_messages(CITIZEN)
        _post, _comment, number, card = await appeal_under_a_post(vk)

        await vk.user_sends_text(CITIZEN, "Мои обращения")
        mine = await vk.wait_for_sent(lambda m: m.peer_id == CITIZEN and number in m.text)
        assert mine.text
        await vk.user_sends_text(CITIZEN, "/forget")
        question = await vk.wait_for_sent(lambda m: m.peer_id == CITIZEN and m.keyboard
                                          and texts.FORGET_YES in json.dumps(m.keyboard,
                                                                             ensure_ascii=False))
        yes = next(b["action"]["payload"] for row in question.keyboard["buttons"] for b in row
                   if b["action"]["label"] == texts.FORGET_YES)
        await vk.user_presses_callback_button(CITIZEN, question.conversation_message_id, yes)
        await vk.wait_for_sent(lambda m: m.peer_id == CITIZEN and m.text == texts.DATA_DELETED)

        # The body's answer after that is published nowhere: the ticket no longer knows where.
        seen = len(vk.comments)
        await vk.user_sends_text(VK_ADMIN, "Фонарь заменим до пятницы.", reply_to=card.message_id)
        await vk.wait_for(lambda: any(str(e["message_id"]) == str(card.message_id)
                                      and "Ответ отправлен" in e.get("message", "")
                                      for e in vk.edits))
        await vk.user_sends_text(CITIZEN, "Мои обращения")
        await vk.wait_for_sent(lambda m: m.peer_id == CITIZEN and m.text == texts.MY_EMPTY)
        assert len(vk.comments) == seen


@run_async
async def test_the_authors_answer_under_the_communitys_reply_joins_the_ticket(
    tmp_path: Path,
) -> None:
    async with both_channels(tmp_path) as w:
        vk = w.vk
        post = vk.add_post()
        comment = await vk.user_comments(CITIZEN, post, APPEAL)
        reply = await public_reply(vk, comment.id)
        number = NUMBER.search(reply.text).group()
        card = await vk.wait_for_sent(lambda m: m.peer_id == VK_ADMIN and number in m.text)

        await vk.user_comments(CITIZEN, post, "Это напротив аптеки, дом 14", reply_to=reply.id)
        added = await vk.wait_for_sent(
            lambda m: m.peer_id == VK_ADMIN and "напротив аптеки" in m.text
        )
        assert number in added.text and added.reply_to == card.message_id
        # Thanks under the same reply, and a neighbour's question there, start nothing.
        await vk.user_comments(CITIZEN, post, "Спасибо!", reply_to=reply.id)
        await vk.user_comments(NEIGHBOUR, post, "А когда у нас на Садовой фонари починят?",
                               reply_to=reply.id)
        neighbour = await public_reply(vk, vk.comments[max(vk.comments)].id)
        assert NUMBER.search(neighbour.text).group() != number  # the neighbour's own ticket
        assert len(vk.replies_to(comment.id)) == 1

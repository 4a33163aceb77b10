"""The Telegram emulator, checked through the real aiogram client over real HTTP.

If these pass, a bot end-to-end test can trust that what aiogram sees from the emulator is what
it would see from Telegram in the cases we model. Async tests run under ``asyncio.run`` (a fresh
loop each), as in ``tests/core``; here through a decorator, since this directory has no conftest.
"""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    Message,
    ReplyParameters,
)

from tests.emulators.aio import run_async
from tests.emulators.telegram import Faults, Limits, TelegramEmulator

USER = 1001
NO_LIMITS = Limits(enabled=False)


def updates_of(kind: str, updates):
    return [getattr(u, kind) for u in updates if getattr(u, kind) is not None]


@run_async
async def test_get_me_and_unknown_token():
    async with TelegramEmulator(bot_id=4242) as tg, tg.make_bot() as bot:
        me = await bot.get_me()
        assert (me.id, me.is_bot, me.username) == (4242, True, "obrashcheniya_test_bot")
        assert bot.id == 4242
        async with tg.make_bot(TelegramEmulator.make_token(4242, "WRONG")) as stranger:
            with pytest.raises(TelegramUnauthorizedError):
                await stranger.get_me()


@run_async
async def test_send_and_read_back():
    async with TelegramEmulator(limits=NO_LIMITS) as tg, tg.make_bot() as bot:
        question = tg.user_sends_text(USER, "Во дворе яма")
        keyboard = InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="Да", callback_data="yes")]]
        )
        first = await bot.send_message(
            USER, "Принято", reply_markup=keyboard,
            reply_parameters=ReplyParameters(message_id=question["message_id"]),
        )
        second = await bot.send_message(USER, "Ещё")
        assert first.message_id == question["message_id"] + 1
        assert second.message_id == first.message_id + 1
        assert first.reply_to_message.text == "Во дворе яма"
        assert first.reply_markup.inline_keyboard[0][0].callback_data == "yes"
        assert first.chat.first_name == tg.users[USER]["first_name"]

        call = tg.sent_to(USER)[0]
        assert (call.method, call.text, call.reply_to) == ("sendMessage", "Принято",
                                                           question["message_id"])
        assert call.buttons == [{"text": "Да", "callback_data": "yes"}]
        assert [c.text for c in tg.sent_to(USER)] == ["Принято", "Ещё"]

        with pytest.raises(TelegramBadRequest, match="chat not found"):
            await bot.send_message(999, "кому?")
        with pytest.raises(TelegramBadRequest, match="message text is empty"):
            await bot.send_message(USER, "   ")


@run_async
async def test_text_and_caption_limits():
    async with TelegramEmulator(limits=NO_LIMITS) as tg, tg.make_bot() as bot:
        tg.add_user(USER)
        await bot.send_message(USER, "я" * 4096)
        with pytest.raises(TelegramBadRequest, match="message is too long"):
            await bot.send_message(USER, "я" * 4097)
        photo = BufferedInputFile(b"jpeg", "p.jpg")
        await bot.send_photo(USER, photo, caption="я" * 1024)
        with pytest.raises(TelegramBadRequest, match="message caption is too long"):
            await bot.send_photo(USER, photo, caption="я" * 1025)
        with pytest.raises(TelegramBadRequest, match="message caption is too long"):
            await bot.send_media_group(USER, [InputMediaPhoto(media=photo, caption="я" * 1025),
                                              InputMediaPhoto(media=photo)])
        assert len(tg.sent_to(USER)) == 2


@run_async
async def test_flood_limits_answer_429_with_retry_after():
    limits = Limits(per_private_chat_per_second=1, private_chat_burst=2, per_group_per_minute=3)
    async with TelegramEmulator(limits=limits) as tg, tg.make_bot() as bot:
        tg.add_user(USER)
        await bot.send_message(USER, "1")
        await bot.send_message(USER, "2")
        with pytest.raises(TelegramRetryAfter) as caught:
            await bot.send_message(USER, "3")
        assert caught.value.retry_after == 1
        await bot.send_chat_action(USER, "typing")  # not a message: never limited

        group = tg.create_forum_group(admin_user_id=USER)
        for n in range(3):
            await bot.send_message(group, str(n))
        with pytest.raises(TelegramRetryAfter) as caught:
            await bot.send_message(group, "4")
        assert caught.value.retry_after == 20  # 20 s until one of 3/min frees up
        assert tg.responses_429 == 2
        assert [c.text for c in tg.sent_to(USER)] == ["1", "2"]


@run_async
async def test_blocked_user_is_forbidden():
    async with TelegramEmulator(limits=NO_LIMITS) as tg, tg.make_bot() as bot:
        tg.user_sends_text(USER, "/start")
        tg.user_blocks_bot(USER)
        with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
            await bot.send_message(USER, "Ответ на обращение")
        updates = await bot.get_updates(timeout=0)
        [change] = updates_of("my_chat_member", updates)
        assert change.new_chat_member.status == "kicked"
        tg.user_unblocks_bot(USER)
        await bot.send_message(USER, "Ответ на обращение")


@run_async
async def test_bot_removed_from_a_group_and_added_again():
    async with TelegramEmulator(limits=NO_LIMITS) as tg, tg.make_bot() as bot:
        group = tg.create_group(admin_user_id=USER)
        tg.user_removes_bot(USER, group)
        with pytest.raises(TelegramForbiddenError, match="bot was kicked from the supergroup"):
            await bot.send_message(group, "Карточка")
        tg.user_sends_text(USER, "без бота", chat_id=group)  # the bot does not see it
        first = await bot.get_updates(timeout=0)
        [removed] = updates_of("my_chat_member", first)
        assert removed.chat.id == group and removed.from_user.id == USER
        assert (removed.old_chat_member.status, removed.new_chat_member.status) == (
            "administrator", "kicked")

        tg.user_adds_bot(USER, group, admin=False)
        await bot.send_message(group, "Карточка")
        updates = await bot.get_updates(offset=first[-1].update_id + 1, timeout=0)
        [added] = updates_of("my_chat_member", updates)
        assert (added.old_chat_member.status, added.new_chat_member.status) == ("kicked", "member")
        assert updates_of("message", updates) == []

        tg.user_removes_bot(USER, group, ban=False)
        with pytest.raises(TelegramForbiddenError, match="bot is not a member"):
            await bot.send_message(group, "Карточка")


@run_async
async def test_deleted_forum_topic():
    async with TelegramEmulator(limits=NO_LIMITS) as tg, tg.make_bot() as bot:
        group = tg.create_forum_group(admin_user_id=USER)
        topic = await bot.create_forum_topic(group, "Обращение №1")
        sent = await bot.send_message(group, "Новое", message_thread_id=topic.message_thread_id)
        assert sent.message_thread_id == topic.message_thread_id and sent.is_topic_message
        assert tg.sent_to(group, thread_id=topic.message_thread_id)[0].text == "Новое"

        reply = tg.user_sends_text(USER, "Ответ оператора", chat_id=group,
                                   thread_id=topic.message_thread_id)
        [update] = await bot.get_updates(timeout=0)
        assert update.message.message_thread_id == topic.message_thread_id
        # Telegram quirk: a plain message in a topic "replies" to the topic's creation.
        assert update.message.reply_to_message.forum_topic_created.name == "Обращение №1"
        assert reply["chat"]["is_forum"] is True

        await bot.delete_forum_topic(group, topic.message_thread_id)
        with pytest.raises(TelegramBadRequest, match="message thread not found"):
            await bot.send_message(group, "Ещё", message_thread_id=topic.message_thread_id)
        with pytest.raises(TelegramBadRequest, match="not a forum"):
            await bot.create_forum_topic(USER, "личка")


@run_async
async def test_album_arrives_as_separate_updates_and_files_download():
    async with TelegramEmulator(limits=NO_LIMITS) as tg, tg.make_bot() as bot:
        tg.user_sends_album(USER, [b"first photo", b"second photo"], caption="Яма")
        tg.user_sends_document(USER, "акт.pdf", b"%PDF-1.4 test", mime_type="application/pdf")
        updates = await bot.get_updates(timeout=0)
        messages = updates_of("message", updates)
        assert len(messages) == 3
        first, second, document = messages
        assert first.media_group_id == second.media_group_id is not None
        assert (first.caption, second.caption) == ("Яма", None)

        downloaded = await bot.download(second.photo[-1].file_id)
        assert downloaded.read() == b"second photo"
        file = await bot.get_file(document.document.file_id)
        assert file.file_path.endswith(".pdf")
        assert (await bot.download_file(file.file_path)).read() == b"%PDF-1.4 test"
        assert document.document.file_name == "акт.pdf"

        # the bot can send the user's photo on by file_id, and an album of uploads
        await bot.send_photo(USER, first.photo[-1].file_id)
        album = await bot.send_media_group(USER, [
            InputMediaPhoto(media=BufferedInputFile(b"a", "a.jpg"), caption="1"),
            InputMediaPhoto(media=BufferedInputFile(b"b", "b.jpg")),
        ])
        assert len({m.media_group_id for m in album}) == 1
        assert (await bot.download(album[1].photo[-1].file_id)).read() == b"b"
        with pytest.raises(TelegramBadRequest):
            await bot.send_media_group(USER, [InputMediaPhoto(media=first.photo[-1].file_id)])


@run_async
async def test_dispatcher_polls_and_handlers_answer_callbacks():
    router = Router()

    @router.message(F.text)
    async def echo(message: Message) -> None:
        keyboard = InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="Ок", callback_data="ok")]]
        )
        await message.answer(f"Эхо: {message.text}", reply_markup=keyboard)

    @router.callback_query(F.data == "ok")
    async def pressed(query: CallbackQuery) -> None:
        await query.answer("Принято")
        await query.message.edit_text("Подтверждено")

    dp = Dispatcher()
    dp.include_router(router)
    async with TelegramEmulator(limits=NO_LIMITS) as tg, tg.make_bot() as bot:
        polling = asyncio.create_task(
            dp.start_polling(bot, polling_timeout=1, handle_signals=False,
                             close_bot_session=False)
        )
        try:
            tg.user_sends_text(USER, "привет")
            echoed = await tg.wait_for(lambda c: c.method == "sendMessage")
            assert echoed.text == "Эхо: привет"
            query_id = tg.user_presses_button(USER, echoed.message_id, "ok")
            edited = await tg.wait_for(lambda c: c.method == "editMessageText")
            assert (edited.message_id, edited.text) == (echoed.message_id, "Подтверждено")
            assert tg.callback_answers[0]["callback_query_id"] == query_id
            assert tg.callback_answers[0]["text"] == "Принято"
        finally:
            await dp.stop_polling()
            await polling


@run_async
async def test_second_get_updates_conflicts():
    async with TelegramEmulator() as tg, tg.make_bot() as first, tg.make_bot() as second:
        waiting = asyncio.create_task(first.get_updates(timeout=5))
        await asyncio.sleep(0.1)
        with pytest.raises(TelegramConflictError):
            await second.get_updates(timeout=0)
        tg.user_sends_text(USER, "ping")
        assert [u.message.text for u in await waiting] == ["ping"]


@run_async
async def test_offset_confirms_and_allowed_updates_filter():
    async with TelegramEmulator(limits=NO_LIMITS) as tg, tg.make_bot() as bot:
        tg.user_sends_text(USER, "один")
        tg.user_sends_text(USER, "два")
        [one, two] = await bot.get_updates(timeout=0)
        assert two.update_id == one.update_id + 1
        assert [u.message.text for u in await bot.get_updates(offset=two.update_id)] == ["два"]
        tg.user_blocks_bot(USER)
        rest = await bot.get_updates(offset=two.update_id + 1, allowed_updates=["message"])
        assert rest == []


@run_async
async def test_injected_faults():
    async with TelegramEmulator(limits=NO_LIMITS) as tg, tg.make_bot() as bot:
        tg.add_user(USER)
        tg.fail_next("sendMessage", error="drop")
        with pytest.raises(TelegramNetworkError):
            await bot.send_message(USER, "пропадёт")
        assert tg.sent_to(USER) == []

        tg.fail_next("sendMessage", error="drop_after")
        with pytest.raises(TelegramNetworkError):
            await bot.send_message(USER, "дойдёт, но ответа не будет")
        assert len(tg.sent_to(USER)) == 1

        tg.fail_next("sendMessage", error=429, retry_after=7)
        with pytest.raises(TelegramRetryAfter) as caught:
            await bot.send_message(USER, "x")
        assert caught.value.retry_after == 7
        tg.fail_next("sendMessage", error=502)
        with pytest.raises(TelegramServerError):
            await bot.send_message(USER, "x")
        await bot.send_message(USER, "теперь дойдёт")


@run_async
async def test_random_faults_are_reproducible():
    async def outcomes(seed: int) -> list[str]:
        faults = Faults(rate_429=0.2, rate_5xx=0.2, rate_drop=0.1, rate_slow=0.1,
                        slow_delay=0.01)
        async with TelegramEmulator(limits=NO_LIMITS, faults=faults, seed=seed) as tg, \
                tg.make_bot() as bot:
            tg.add_user(USER)
            seen = []
            for _ in range(20):
                try:
                    await bot.send_message(USER, "x")
                    seen.append("ok")
                except Exception as e:  # the kind of failure is the result
                    seen.append(type(e).__name__)
            return seen

    first = await outcomes(seed=3)
    assert first == await outcomes(seed=3)
    assert {"ok", "TelegramRetryAfter", "TelegramServerError", "TelegramNetworkError"} <= set(
        first)


def test_emulator_has_no_state_shared_between_instances():
    a, b = TelegramEmulator(), TelegramEmulator()
    a.add_user(USER)
    assert USER not in b.users
    assert isinstance(Bot(a.token).id, int)


@run_async
async def test_raw_http_shapes_json_bodies_webhook_and_bot_wide_limit():
    limits = Limits(per_bot_per_second=2, private_chat_burst=5)
    async with TelegramEmulator(limits=limits) as tg, aiohttp.ClientSession() as http:
        api = f"{tg.base_url}/bot{tg.token}"
        tg.add_user(USER)
        tg.add_user(USER + 1)
        async with http.post(f"{api}/SENDMESSAGE", json={"chat_id": USER, "text": "json"}) as r:
            assert r.status == 200 and (await r.json())["result"]["text"] == "json"
        async with http.post(f"{api}/sendMessage", data={"chat_id": str(USER + 1),
                                                           "text": "form"}) as r:
            assert r.status == 200
        async with http.post(f"{api}/sendMessage", data={"chat_id": USER, "text": "3"}) as r:
            body = await r.json()
            assert r.status == 429 and body["parameters"]["retry_after"] == 1
        async with http.post(f"{api}/noSuchMethod") as r:
            assert r.status == 404 and (await r.json())["error_code"] == 404
        async with http.get(f"{tg.base_url}/file/bot{tg.token}/photos/nothing.jpg") as r:
            assert r.status == 404

        async with http.post(f"{api}/setWebhook", data={"url": "https://example.org/h"}) as r:
            assert r.status == 200
        async with http.post(f"{api}/getUpdates") as r:
            assert r.status == 409
        async with http.post(f"{api}/deleteWebhook") as r:
            assert r.status == 200
        tg.user_sends_location(USER, 51.73, 36.19)
        async with http.get(f"{api}/getUpdates", params={"timeout": "0"}) as r:
            [update] = (await r.json())["result"]
            assert update["message"]["location"] == {"latitude": 51.73, "longitude": 36.19}

        with pytest.raises(TimeoutError, match="no matching call"):
            await tg.wait_for(lambda c: c.text == "never", timeout=0.1)


@run_async
async def test_sending_to_a_chat_before_its_retry_after_is_a_recorded_violation():
    limits = Limits(per_private_chat_per_second=1, private_chat_burst=1)
    async with TelegramEmulator(limits=limits) as tg, tg.make_bot() as bot:
        tg.add_user(USER)
        tg.add_user(USER + 1)
        await bot.send_message(USER, "1")
        with pytest.raises(TelegramRetryAfter):
            await bot.send_message(USER, "2")
        assert tg.limit_violations == []  # hitting the limit once is how a bot learns of it
        await bot.send_message(USER + 1, "другой чат")  # other chats are not held
        with pytest.raises(TelegramRetryAfter):
            await bot.send_message(USER, "2")  # not waiting as told
        assert [v["chat_id"] for v in tg.limit_violations] == [USER]
        assert [c.text for c in tg.sent_to(USER)] == ["1"]


@run_async
async def test_edits_follow_telegrams_rules():
    """Text and caption edits, "message is not modified", no edit of a message sent with a
    reply keyboard or of someone else's message, an omitted keyboard is removed."""
    from aiogram.types import KeyboardButton, ReplyKeyboardMarkup

    async with TelegramEmulator(limits=NO_LIMITS) as tg, tg.make_bot() as bot:
        tg.add_user(USER)
        keyboard = InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="Взять", callback_data="take:1:")]]
        )
        card = await bot.send_message(USER, "Карточка", reply_markup=keyboard)
        edited = await bot.edit_message_text(
            chat_id=USER, message_id=card.message_id, text="Карточка\n\nВ работе"
        )
        assert edited.text == "Карточка\n\nВ работе" and edited.reply_markup is None
        with pytest.raises(TelegramBadRequest, match="message is not modified"):
            await bot.edit_message_text(
                chat_id=USER, message_id=card.message_id, text="Карточка\n\nВ работе"
            )
        # The same text with a keyboard again is a change.
        await bot.edit_message_text(chat_id=USER, message_id=card.message_id,
                                    text="Карточка\n\nВ работе", reply_markup=keyboard)
        await bot.edit_message_reply_markup(chat_id=USER, message_id=card.message_id)
        assert tg.chats[USER].messages[card.message_id].get("reply_markup") is None

        photo = await bot.send_photo(USER, BufferedInputFile(b"\xff\xd8", "a.jpg"),
                                     caption="Фото")
        with pytest.raises(TelegramBadRequest, match="there is no text in the message"):
            await bot.edit_message_text(chat_id=USER, message_id=photo.message_id, text="x")
        recaptioned = await bot.edit_message_caption(
            chat_id=USER, message_id=photo.message_id, caption="Фото\n\nЗакрыто"
        )
        assert recaptioned.caption == "Фото\n\nЗакрыто"
        with pytest.raises(TelegramBadRequest, match="message caption is too long"):
            await bot.edit_message_caption(chat_id=USER, message_id=photo.message_id,
                                           caption="x" * 1025)
        with pytest.raises(TelegramBadRequest, match="there is no caption"):
            await bot.edit_message_caption(chat_id=USER, message_id=card.message_id, caption="x")

        asked = await bot.send_message(USER, "Где это?", reply_markup=ReplyKeyboardMarkup(
            keyboard=[[KeyboardButton(text="📍", request_location=True)]]))
        with pytest.raises(TelegramBadRequest, match="message can't be edited"):
            await bot.edit_message_text(chat_id=USER, message_id=asked.message_id, text="x")
        theirs = tg.user_sends_text(USER, "Моё")
        with pytest.raises(TelegramBadRequest, match="message can't be edited"):
            await bot.edit_message_text(chat_id=USER, message_id=theirs["message_id"], text="x")
        with pytest.raises(TelegramBadRequest, match="message to edit not found"):
            await bot.edit_message_text(chat_id=USER, message_id=9999, text="x")


@run_async
async def test_forum_topics_are_renamed_closed_and_reopened_with_rights():
    async with TelegramEmulator(limits=NO_LIMITS) as tg, tg.make_bot() as bot:
        group = tg.create_forum_group(admin_user_id=USER)
        topic = await bot.create_forum_topic(group, "№ 26-000001 · Дороги")
        thread = topic.message_thread_id
        await bot.edit_forum_topic(group, thread, name="✅ № 26-000001 · Дороги")
        with pytest.raises(TelegramBadRequest, match="TOPIC_NOT_MODIFIED"):
            await bot.edit_forum_topic(group, thread, name="✅ № 26-000001 · Дороги")
        await bot.close_forum_topic(group, thread)
        assert tg.topic_state(group, thread) == ("✅ № 26-000001 · Дороги", True)
        with pytest.raises(TelegramBadRequest, match="TOPIC_NOT_MODIFIED"):
            await bot.close_forum_topic(group, thread)
        with pytest.raises(TelegramBadRequest, match="TOPIC_CLOSED"):
            await bot.send_message(group, "Дополнение", message_thread_id=thread)
        await bot.reopen_forum_topic(group, thread)
        await bot.send_message(group, "Дополнение", message_thread_id=thread)
        with pytest.raises(TelegramBadRequest, match="TOPIC_NOT_MODIFIED"):
            await bot.reopen_forum_topic(group, thread)

        # A topic an administrator opened: only with can_manage_topics.
        theirs = tg.user_creates_topic(USER, group, "Общие вопросы")
        tg.chats[group].bot_manages_topics = False
        with pytest.raises(TelegramBadRequest, match="not enough rights"):
            await bot.close_forum_topic(group, theirs)
        await bot.close_forum_topic(group, thread)  # its own topic: allowed all the same
        with pytest.raises(TelegramBadRequest, match="TOPIC_ID_INVALID"):
            await bot.edit_forum_topic(group, 9999, name="x")

"""`TelegramTransport` against the Telegram emulator through a real aiogram ``Bot`` (no mocks).

What matters most is the error mapping: the outbox only understands `RetryAfter`,
`TransientError` and `PermanentError` (with `ThreadGone` for a deleted forum topic).
"""

from __future__ import annotations

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import SendMessage

from bot.delivery.transport import PermanentError, RetryAfter, TransientError
from bot.domain.messages import Attachment, Button, OutgoingMessage
from handlers.telegram.transport import TelegramTransport, ThreadGone, delivery_error
from tests.emulators.aio import run_async
from tests.emulators.telegram import Limits, TelegramEmulator

USER = 1001
NO_LIMITS = Limits(enabled=False)
BUTTONS = ((Button("Да", "yes"), Button("Нет", "no")), (Button("Отмена", "cancel"),))


def out(text: str = "", **kwargs) -> OutgoingMessage:
    return OutgoingMessage(channel="tg", chat_id=kwargs.pop("chat_id", USER), text=text, **kwargs)


def photo_ids(tg: TelegramEmulator, n: int) -> list[str]:
    return [tg.user_sends_photo(USER, bytes([i]) * 8)["photo"][-1]["file_id"] for i in range(n)]


def assert_clean(err: BaseException, tg: TelegramEmulator) -> None:
    secret = tg.token.split(":", 1)[1]
    assert secret not in str(err) and err.__cause__ is None


@run_async
async def test_text_with_buttons_thread_and_lost_reply_target():
    async with TelegramEmulator(limits=NO_LIMITS) as tg, tg.make_bot() as bot:
        transport = TelegramTransport(bot)
        assert transport.channel == "tg"
        asked = tg.user_sends_text(USER, "Во дворе яма")
        sent = await transport.send(out("Принято", buttons=BUTTONS, reply_to=asked["message_id"]))
        call = tg.sent_to(USER)[-1]
        assert (call.method, call.text, call.reply_to) == ("sendMessage", "Принято",
                                                           asked["message_id"])
        assert sent.platform_message_id == call.message_id
        assert call.reply_markup["inline_keyboard"] == [
            [{"text": "Да", "callback_data": "yes"}, {"text": "Нет", "callback_data": "no"}],
            [{"text": "Отмена", "callback_data": "cancel"}],
        ]
        # the message we answer was deleted (or never existed): send anyway
        sent = await transport.send(out("Ответ", reply_to=987654))
        assert tg.sent_to(USER)[-1].text == "Ответ"

        group = tg.create_forum_group(admin_user_id=USER)
        topic = await bot.create_forum_topic(group, "Обращение №1")
        await transport.send(out("в тему", chat_id=group, thread_id=topic.message_thread_id))
        assert tg.sent_to(group, topic.message_thread_id)[-1].text == "в тему"


@run_async
async def test_files_captions_and_albums():
    async with TelegramEmulator(limits=NO_LIMITS) as tg, tg.make_bot() as bot:
        transport = TelegramTransport(bot)
        one, *three = photo_ids(tg, 4)
        start = len(tg.sent)

        sent = await transport.send(out("Фото", attachments=(Attachment("photo", one),),
                                        buttons=BUTTONS))
        call = tg.sent[-1]
        assert (call.method, call.caption, len(call.buttons)) == ("sendPhoto", "Фото", 3)
        assert sent.platform_message_id == call.message_id

        long = "я" * 2000
        sent = await transport.send(out(long, attachments=(Attachment("photo", one),),
                                        buttons=BUTTONS))
        photo, text = tg.sent[-2:]
        assert (photo.method, photo.caption, photo.buttons) == ("sendPhoto", None, [])
        assert (text.method, text.text, len(text.buttons)) == ("sendMessage", long, 3)
        assert sent.platform_message_id == text.message_id
        assert sent.extra["message_ids"] == [photo.message_id, text.message_id]

        await transport.send(out("Альбом", attachments=tuple(Attachment("photo", p)
                                                             for p in three)))
        album = tg.sent[-3:]
        assert {c.method for c in album} == {"sendMediaGroup"}
        assert len({c.message["media_group_id"] for c in album}) == 1
        assert [c.caption for c in album] == ["Альбом", None, None]

        # no text, buttons under an album: a separate message carries them
        sent = await transport.send(out(attachments=tuple(Attachment("photo", p) for p in three),
                                        buttons=BUTTONS))
        assert tg.sent[-1].method == "sendMessage" and len(tg.sent[-1].buttons) == 3
        assert sent.platform_message_id == tg.sent[-1].message_id

        # 12 photos: albums of 10 and 2, then the text with the buttons
        mark = len(tg.sent)
        many = tuple(Attachment("photo", p) for p in (three * 4))
        await transport.send(out("Много", attachments=many, buttons=BUTTONS))
        calls = tg.sent[mark:]
        groups = [c.message["media_group_id"] for c in calls if c.method == "sendMediaGroup"]
        assert [groups.count(g) for g in dict.fromkeys(groups)] == [10, 2]
        assert (calls[-1].method, calls[-1].text) == ("sendMessage", "Много")
        assert all(c.chat_id == USER for c in tg.sent[start:])


@run_async
async def test_rate_limit_and_transient_errors():
    async with TelegramEmulator(limits=NO_LIMITS) as tg, tg.make_bot() as bot:
        transport = TelegramTransport(bot)
        tg.add_user(USER)

        tg.fail_next("sendMessage", error=429, retry_after=3)
        with pytest.raises(RetryAfter) as caught:
            await transport.send(out("x"))
        assert caught.value.seconds == 3
        assert_clean(caught.value, tg)

        for fault in (500, 502, "drop", "drop_after"):
            tg.fail_next("sendMessage", error=fault)
            with pytest.raises(TransientError) as caught:
                await transport.send(out("x"))
            assert "sendMessage" in str(caught.value)
            assert_clean(caught.value, tg)


        session = AiohttpSession(api=TelegramAPIServer.from_base(tg.base_url), timeout=0.2)
        async with Bot(tg.token, session=session) as impatient:
            tg.fail_next("sendMessage", error="slow", delay=1)
            with pytest.raises(TransientError, match="timeout"):
                await TelegramTransport(impatient).send(out("x"))


@run_async
async def test_permanent_errors_and_deleted_topic():
    async with TelegramEmulator(limits=NO_LIMITS) as tg, tg.make_bot() as bot:
        transport = TelegramTransport(bot)
        tg.user_blocks_bot(USER)
        with pytest.raises(PermanentError, match="blocked") as caught:
            await transport.send(out("x"))
        assert not isinstance(caught.value, ThreadGone)
        assert_clean(caught.value, tg)

        with pytest.raises(PermanentError, match="chat not found") as caught:
            await transport.send(out("x", chat_id=424242))
        assert not isinstance(caught.value, ThreadGone)

        group = tg.create_forum_group(admin_user_id=2002)
        topic = await bot.create_forum_topic(group, "Обращение №2")
        await bot.delete_forum_topic(group, topic.message_thread_id)
        with pytest.raises(ThreadGone, match="thread not found") as caught:
            await transport.send(out("x", chat_id=group, thread_id=topic.message_thread_id))
        assert isinstance(caught.value, PermanentError)
        photo = photo_ids(tg, 1)[0]
        with pytest.raises(ThreadGone):
            await transport.send(out("x", chat_id=group, thread_id=topic.message_thread_id,
                                     attachments=(Attachment("photo", photo),)))

        with pytest.raises(PermanentError, match="unsupported"):
            await transport.send(out("x", chat_id=group, attachments=(Attachment("gif", "a"),)))


@run_async
async def test_token_quoted_by_the_http_client_is_scrubbed():
    async with TelegramEmulator(limits=NO_LIMITS) as tg, tg.make_bot() as bot:
        method = SendMessage(chat_id=USER, text="x")
        quoted = TelegramNetworkError(method, f"InvalidURL: {tg.base_url}/bot{tg.token}/x")
        mapped = delivery_error(quoted, bot.token)
        assert isinstance(mapped, TransientError) and "<token>" in str(mapped)
        assert_clean(mapped, tg)


class Topics:
    """An in-memory `TopicDirectory`."""

    def __init__(self) -> None:
        self.threads: dict[tuple[int, str], int] = {}

    async def thread(self, chat_id: int, key: str) -> int | None:
        return self.threads.get((chat_id, key))

    async def remember(self, chat_id: int, key: str, thread_id: int) -> None:
        self.threads[(chat_id, key)] = thread_id


@run_async
async def test_a_message_for_a_closed_topic_reopens_it_and_closes_it_again():
    async with TelegramEmulator(limits=NO_LIMITS) as tg, tg.make_bot() as bot:
        topics = Topics()
        transport = TelegramTransport(bot, topics)
        group = tg.create_forum_group(admin_user_id=USER)
        ended = dict(topic_key="26-000001", topic_title="✅ № 26-000001 · Дороги")
        card = await transport.send(out("Карточка", chat_id=group, buttons=BUTTONS, **ended))
        thread = topics.threads[(group, "26-000001")]
        await transport.edit(out("Карточка\n\n✅ Закрыто", chat_id=group, topic_closed=True,
                                 **ended), card.platform_message_id)
        assert tg.topic_state(group, thread) == ("✅ № 26-000001 · Дороги", True)
        assert tg.chats[group].messages[card.platform_message_id].get("reply_markup") is None
        # A late message about the ended ticket still goes, and the topic stays closed.
        await transport.send(out("✅ Ответ доставлен", chat_id=group, topic_closed=True, **ended))
        assert tg.sent_to(group, thread)[-1].text == "✅ Ответ доставлен"
        assert tg.topic_state(group, thread)[1] is True
        # The ticket comes back to the body: its new card reopens the topic for good.
        await transport.send(out("Новая карточка", chat_id=group, topic_closed=False, **ended))
        assert tg.topic_state(group, thread)[1] is False
        # The same edit again: "message is not modified" is success.
        await transport.edit(out("Карточка\n\n✅ Закрыто", chat_id=group, **ended),
                             card.platform_message_id)


@run_async
async def test_an_edit_telegram_refuses_is_not_editable():
    from bot.delivery.transport import NotEditable

    async with TelegramEmulator(limits=NO_LIMITS) as tg, tg.make_bot() as bot:
        transport = TelegramTransport(bot)
        theirs = tg.user_sends_text(USER, "Моё сообщение")
        with pytest.raises(NotEditable):
            await transport.edit(out("x"), theirs["message_id"])
        with pytest.raises(NotEditable):
            await transport.edit(out("x"), 987654)
        photo = await transport.send(out("Подпись", attachments=(
            Attachment("photo", photo_ids(tg, 1)[0]),), buttons=BUTTONS))
        await transport.edit(out("Подпись, новая"), photo.platform_message_id)
        assert tg.calls("editMessageCaption")[-1].caption == "Подпись, новая"
        with pytest.raises(NotEditable):  # a caption this long: the status goes apart
            await transport.edit(out("x" * 1100), photo.platform_message_id)

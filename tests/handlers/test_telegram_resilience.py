"""Telegram resilience end to end: stopping cleanly, restarting mid-dialog, a 429 storm, and
messages at Telegram's size limits. The real aiogram bot polls the emulator; nothing of aiogram
is mocked.
"""

from __future__ import annotations

import asyncio
import logging

import pytest
from telegram_resilience_world import ADMIN, APPEAL, NUMBER, BotWorld, bot_world

from bot.bootstrap import CoreService
from bot.core.appeals import AppealCore
from bot.delivery.fake import FakeTransport
from bot.delivery.transport import RetryAfter
from bot.domain import texts
from bot.domain.messages import Attachment, Button, OutgoingMessage
from bot.storage import repository_from_url
from config import Settings
from handlers.telegram.transport import TelegramTransport
from routing.model import RoutingTable
from tests.app_world import saratov_built_outside_the_deadline  # noqa: F401 (autouse)
from tests.emulators.aio import run_async
from tests.emulators.telegram import CAPTION_LIMIT, TEXT_LIMIT, Limits, TelegramEmulator

CITIZEN = 1001
UNLIMITED = Limits(enabled=False)


class _NoClassifier:
    def classify(self, *args, **kwargs):
        raise AssertionError("not used")


@run_async
async def test_stopping_while_the_first_deadline_scan_runs_logs_no_error(monkeypatch, caplog):
    """The scan starts with the bot; stopping at that moment waits for it instead of cancelling
    it (a cancelled APScheduler job is logged as an ERROR with a traceback)."""
    scan_started = asyncio.Event()
    scans_finished: list[int] = []
    original = AppealCore.scan_deadlines

    async def slow_scan(self):
        scan_started.set()
        await asyncio.sleep(0.2)  # a scan over many tickets takes a while
        scans_finished.append(await original(self))
        return scans_finished[-1]

    monkeypatch.setattr(AppealCore, "scan_deadlines", slow_scan)
    service = CoreService.build(
        repo=repository_from_url("sqlite:///:memory:"),
        table=RoutingTable("Саратовская область", (), (), ()),
        classifier=_NoClassifier(),
        transports={"tg": FakeTransport("tg")},
        settings=Settings(_env_file=None),
    )
    caplog.set_level(logging.INFO)
    await service.start()
    await asyncio.wait_for(scan_started.wait(), 2)
    await service.stop()

    assert scans_finished == [0]
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


def long_appeal(length: int) -> str:
    """An appeal the classifier routes to the city, padded to exactly ``length`` characters."""
    filler = " Фонарь у дома не горит, во дворе темно и опасно ходить вечером."
    return (APPEAL + filler * (length // len(filler) + 1))[:length]


async def citizen_confirmation(world: BotWorld, since: int = 0) -> str:
    call = await world.tg.wait_for(lambda c: c.chat_id == CITIZEN, since=since)
    return NUMBER.search(call.text).group()


@run_async
async def test_a_maximal_appeal_makes_a_card_split_under_the_limit_buttons_last(tmp_path):
    text = long_appeal(TEXT_LIMIT)
    async with bot_world(tmp_path, limits=UNLIMITED) as world, world.bot():
        tg = world.tg
        tg.user_sends_text(CITIZEN, text)
        number = await citizen_confirmation(world)
        last = await world.tg.wait_for(lambda c: c.chat_id == world.group and c.buttons)

        card = tg.sent_to(world.group)
        assert len(card) >= 2 and card[-1] is last
        assert all(len(c.text) <= TEXT_LIMIT for c in card)
        assert number in card[0].text
        assert not any(c.buttons for c in card[:-1])
        joined = " ".join(c.text for c in card).split()
        assert " ".join(text.split()) in " ".join(joined)  # nothing of the appeal lost
        assert tg.status_counts[400] == 0


@run_async
async def test_a_photo_whose_card_exceeds_the_caption_limit_comes_with_the_text_apart(tmp_path):
    caption = long_appeal(CAPTION_LIMIT)  # as long as Telegram lets a citizen write it
    async with bot_world(tmp_path, limits=UNLIMITED) as world, world.bot():
        tg = world.tg
        tg.user_sends_photo(CITIZEN, caption=caption)
        number = await citizen_confirmation(world)
        text = await world.tg.wait_for(lambda c: c.chat_id == world.group and c.buttons)

        photo, card = tg.sent_to(world.group)
        assert photo.method == "sendPhoto" and photo.caption is None
        assert card is text and card.method == "sendMessage"
        assert number in card.text and caption in card.text
        assert tg.status_counts[400] == 0


@run_async
async def test_a_429_storm_loses_and_duplicates_nothing(tmp_path):
    """30 citizens write at once, ten of them with an album of two photos; the emulator's
    bot-wide limit (shrunk to 20/s) answers 429 to what goes over (some thirty times), and the
    bot, set to send as fast as it can, must wait as told and resend — without repeating an
    album whose text was refused. (30, not more: the test must stay well inside its 10 s.)"""
    citizens = range(3001, 3031)
    limits = Limits(per_bot_per_second=20, per_group_per_minute=100 * 60)
    async with bot_world(tmp_path, limits=limits) as world:
        world.settings = {
            "telegram_messages_per_second": 1000,
            "telegram_group_chat_per_minute": 1000 * 60,
            "telegram_private_chat_per_second": 100,
        }
        async with world.bot():
            tg = world.tg
            for citizen in citizens:
                if citizen % 3 == 0:
                    tg.user_sends_album(citizen, photos=2, caption=f"{APPEAL}, дом {citizen}")
                else:
                    tg.user_sends_text(citizen, f"{APPEAL}, дом {citizen}")

            def everyone_served(_call) -> bool:
                cards = [c for c in tg.sent_to(world.group) if c.buttons]
                return all(tg.sent_to(c) for c in citizens) and len(cards) >= 30

            await tg.wait_for(everyone_served, timeout=8)
            await asyncio.sleep(0.2)  # room for a duplicate, if there were going to be one

        assert tg.responses_429 > 0  # the storm did happen
        assert tg.limit_violations == []  # and every retry_after was respected
        numbers = set()
        for citizen in citizens:
            (confirmation,) = tg.sent_to(citizen)
            numbers.add(NUMBER.search(confirmation.text).group())
        cards = world.numbers_sent_to(world.group)
        assert len(numbers) == 30 and sorted(cards) == sorted(numbers)
        photos = [c for c in tg.sent_to(world.group) if c.method == "sendMediaGroup"]
        assert len(photos) == 10 * 2


@run_async
async def test_a_retry_after_429_sends_only_what_did_not_go_out():
    """The album went out, the text with the buttons got 429: the retry sends the text only."""
    async with TelegramEmulator(limits=UNLIMITED) as tg, tg.make_bot() as bot:
        photos = [tg.user_sends_photo(CITIZEN, bytes([i]) * 8)["photo"][-1]["file_id"]
                  for i in range(2)]
        seen = len(tg.sent)
        transport = TelegramTransport(bot)
        card = OutgoingMessage(
            "tg", CITIZEN, "Обращение № 26-000001\n\n" + "текст " * 200,
            buttons=((Button("Взять в работу", "take:26-000001:"),),),
            attachments=tuple(Attachment("photo", p) for p in photos),
            dedup_id=77,
        )
        tg.fail_next("sendMessage", error=429, retry_after=1)
        with pytest.raises(RetryAfter):
            await transport.send(card)
        sent = await transport.send(card)

        methods = [c.method for c in tg.sent[seen:]]
        assert methods == ["sendMediaGroup", "sendMediaGroup", "sendMessage"]
        assert sent.extra["message_ids"] == [c.message_id for c in tg.sent[seen:]]
        await transport.send(card)  # a new delivery of the same row (say, re-queued) goes whole
        assert len(tg.sent[seen:]) == 6


@run_async
async def test_a_dialog_continues_after_a_restart_and_a_redelivered_update_is_no_new_ticket(
    tmp_path,
):
    async with bot_world(tmp_path, limits=UNLIMITED) as world:
        tg = world.tg
        async with world.bot():
            first = tg.user_sends_text(CITIZEN, "Не горит фонарь")
            question = await tg.wait_for(lambda c: c.chat_id == CITIZEN)
            number = NUMBER.search(question.text).group()
            assert question.text.startswith(texts.ASK_PLACE_TEXT.format(number=number)[:30])
        # The first bot is gone. Telegram delivers the first message again (its update was not
        # confirmed, as after a crash), and the citizen answers the question.
        seen = len(tg.sent)
        tg._push("message", first)
        tg.user_sends_text(CITIZEN, "Саратов, улица Московская, 5")
        async with world.bot():
            routed = await tg.wait_for(
                lambda c: c.chat_id == CITIZEN and "передано" in c.text, since=seen
            )
            card = await tg.wait_for(lambda c: c.chat_id == world.group and c.buttons)
            await asyncio.sleep(0.2)  # room for a second ticket, if there were going to be one
        assert number in routed.text and number in card.text
        assert "Не горит фонарь" in card.text and "город Саратов" in card.text
        assert set(world.numbers_sent_to(CITIZEN)) == {number}
        assert set(world.numbers_sent_to(world.group)) == {number}


@run_async
async def test_a_message_sent_while_the_bot_is_stopped_waits_for_the_next_start(tmp_path):
    """A stopped bot polls no more: a message that arrives while it is down stays with Telegram,
    unconfirmed, and the next start answers it. (aiogram's polling loop used to outlive a
    cancelled ``start_polling``: it took such a message, failed on the closed database and
    confirmed it with its next poll, so the appeal was lost.)"""
    async with bot_world(tmp_path, limits=UNLIMITED) as world:
        tg = world.tg
        async with world.bot():
            tg.user_sends_text(CITIZEN, APPEAL)
            first = await tg.wait_for(lambda c: c.chat_id == CITIZEN)
        seen = len(tg.sent)
        tg.user_sends_text(CITIZEN + 1, APPEAL + ", дом 5")  # another citizen
        await asyncio.sleep(2.5)  # longer than a poll (1 s) and aiogram's pause after an error
        assert not tg.polling_now and tg.unconfirmed_updates == 1
        async with world.bot():
            accepted = await tg.wait_for(lambda c: c.chat_id == CITIZEN + 1, since=seen)
        assert NUMBER.search(accepted.text).group() != NUMBER.search(first.text).group()


@run_async
async def test_a_flooding_citizen_is_told_once_and_the_rest_is_not_taken(tmp_path):
    async with bot_world(tmp_path, limits=UNLIMITED) as world:
        # The bot's own 1 message/s per private chat would only make the test slower.
        world.settings = {"flood_messages_per_minute": 2, "telegram_private_chat_per_second": 100}
        async with world.bot():
            tg = world.tg
            for i in range(6):
                tg.user_sends_text(CITIZEN, f"{APPEAL}, сообщение {i}")
            warning = await tg.wait_for(
                lambda c: c.chat_id == CITIZEN and c.text.startswith("Слишком много")
            )
            await tg.wait_for(lambda _c: len(tg.sent_to(CITIZEN)) >= 3)
            # A button pressed meanwhile (here under the first confirmation) is still answered.
            confirmation = next(c for c in tg.sent_to(CITIZEN) if NUMBER.search(c.text))
            number = NUMBER.search(confirmation.text).group()
            query = tg.user_presses_button(CITIZEN, confirmation.message_id, f"rate:{number}:5")
            answered = await tg.wait_for(
                lambda c: c.method == "answerCallbackQuery"
                and c.params.get("callback_query_id") == query
            )
            await asyncio.sleep(0.2)  # room for a second warning, if there were going to be one
        assert answered.params.get("text") == texts.FLOOD_PRESS.format(minutes=1)
        assert answered.params.get("show_alert") is True
        assert warning.text == texts.FLOOD_WAIT.format(minutes=1)
        assert len(tg.sent_to(CITIZEN)) == 3  # two confirmations and one warning
        assert len(set(world.numbers_sent_to(world.group))) == 2


@run_async
async def test_a_topic_button_tapped_after_a_restart_routes_the_appeal(tmp_path):
    async with bot_world(tmp_path, limits=UNLIMITED) as world:
        tg = world.tg
        async with world.bot():
            # (Water alone in Saratov is the city's whatever its topic: no question any more.)
            tg.user_sends_text(CITIZEN, "Нет воды и света в Саратове")
            question = await tg.wait_for(lambda c: c.chat_id == CITIZEN and c.buttons)
            number = NUMBER.search(question.text).group()
        (water,) = [b for b in question.buttons if b["callback_data"].endswith(":water")]
        seen = len(tg.sent)
        query = tg.user_presses_button(CITIZEN, question.message_id, water["callback_data"])
        async with world.bot():
            # The new bot picks up where the old one stopped: water needs an address, so that
            # comes next; the typed address then routes the appeal.
            asked = await tg.wait_for(
                lambda c: c.chat_id == CITIZEN and "адрес" in (c.text or ""), since=seen
            )
            seen = len(tg.sent)
            tg.user_sends_text(CITIZEN, "ул. Московская, 5")
            routed = await tg.wait_for(
                lambda c: c.chat_id == CITIZEN and "передано" in (c.text or ""), since=seen
            )
            card = await tg.wait_for(lambda c: c.chat_id == world.group and c.buttons)
            answered = await tg.wait_for(
                lambda c: c.method == "answerCallbackQuery"
                and c.params.get("callback_query_id") == query
            )
        assert number in asked.text and number in routed.text and number in card.text
        # The body reads the address the citizen typed, not only the first message.
        assert "Нет воды и света в Саратове" in card.text and "ул. Московская, 5" in card.text
        assert not answered.params.get("show_alert")


@run_async
async def test_a_maximal_answer_with_a_photo_reaches_the_citizen_within_the_limits(tmp_path):
    """The administrator answers with a photo captioned up to Telegram's 1024 characters; the
    citizen's copy has a header too, so the text cannot ride as the caption any more."""
    answer = ("Фонарь заменили, фото прилагаем. " * 40)[:CAPTION_LIMIT]
    async with bot_world(tmp_path, limits=UNLIMITED) as world, world.bot():
        tg = world.tg
        tg.user_sends_text(CITIZEN, APPEAL)
        number = await citizen_confirmation(world)
        card = await tg.wait_for(lambda c: c.chat_id == world.group and c.buttons)

        seen = len(tg.sent)
        tg.user_sends_photo(ADMIN, caption=answer, chat_id=world.group,
                            reply_to=card.message_id)
        text = await tg.wait_for(
            lambda c: c.chat_id == CITIZEN and answer in (c.text or ""), since=seen
        )
        photo = next(c for c in tg.sent[seen:] if c.chat_id == CITIZEN)
        assert photo.method == "sendPhoto"
        assert number in text.text and len(text.text) > CAPTION_LIMIT
        assert tg.status_counts[400] == 0

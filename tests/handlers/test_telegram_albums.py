"""Albums end to end: a citizen's album is one appeal, and the body sees it as one album."""

from __future__ import annotations

import asyncio

from telegram_resilience_world import ADMIN, APPEAL, NUMBER, bot_world

from bot.domain import texts
from bot.domain.messages import IncomingMessage
from handlers.telegram.albums import AlbumCollector
from handlers.telegram.router import incoming_from_message
from tests.album_parts import CITIZEN, RecordingCore, part
from tests.app_world import saratov_built_outside_the_deadline  # noqa: F401 (autouse)
from tests.emulators.aio import run_async
from tests.emulators.telegram import Limits


@run_async
async def test_an_album_with_a_caption_is_one_appeal_and_reaches_the_body_as_an_album(tmp_path):
    async with bot_world(tmp_path, limits=Limits(enabled=False)) as world, world.bot():
        tg = world.tg
        parts = tg.user_sends_album(CITIZEN, photos=3, caption=APPEAL)

        accepted = await tg.wait_for(lambda c: c.chat_id == CITIZEN)
        number = NUMBER.search(accepted.text).group()
        assert accepted.reply_to == parts[0]["message_id"]
        card = await tg.wait_for(lambda c: c.chat_id == world.group and c.buttons)
        assert number in card.body and "фонарь" in card.body

        album = [c for c in tg.sent_to(world.group) if c.method == "sendMediaGroup"]
        assert len(album) == 3
        assert len({c.message["media_group_id"] for c in album}) == 1
        sent_photos = [c.message["photo"][-1]["file_size"] for c in album]
        assert sent_photos == [p["photo"][-1]["file_size"] for p in parts]
        # One ticket, no "дополнение" per photo, one confirmation.
        assert set(world.numbers_sent_to(CITIZEN)) == {number}
        assert not [c for c in tg.sent if "Дополнение" in (c.body or "")]
        assert len(tg.sent_to(CITIZEN)) == 1


@run_async
async def test_an_album_sent_as_a_reply_is_one_follow_up_with_all_photos(tmp_path):
    async with bot_world(tmp_path, limits=Limits(enabled=False)) as world, world.bot():
        tg = world.tg
        tg.user_sends_text(CITIZEN, APPEAL)
        accepted = await tg.wait_for(lambda c: c.chat_id == CITIZEN)
        number = NUMBER.search(accepted.text).group()
        card = await tg.wait_for(lambda c: c.chat_id == world.group and c.buttons)

        seen = len(tg.sent)
        tg.user_sends_album(CITIZEN, photos=2, caption="Вот ещё фото",
                            reply_to=accepted.message_id)
        confirmed = await tg.wait_for(lambda c: c.chat_id == CITIZEN, since=seen)
        assert confirmed.text == texts.FOLLOW_UP_ACCEPTED.format(number=number)
        album = await tg.wait_for(
            lambda c: c.chat_id == world.group and c.method == "sendMediaGroup", since=seen
        )
        assert album.reply_to == card.message_id
        assert number in album.caption and "Вот ещё фото" in album.caption
        group_calls = [c for c in tg.sent_to(world.group)[-2:] if c.method == "sendMediaGroup"]
        assert len(group_calls) == 2
        assert len(tg.sent_to(CITIZEN)) == 2  # the confirmation and one follow-up notice


@run_async
async def test_an_administrators_album_answer_reaches_the_citizen_as_one_answer(tmp_path):
    async with bot_world(tmp_path, limits=Limits(enabled=False)) as world, world.bot():
        tg = world.tg
        tg.user_sends_text(CITIZEN, APPEAL)
        accepted = await tg.wait_for(lambda c: c.chat_id == CITIZEN)
        number = NUMBER.search(accepted.text).group()
        card = await tg.wait_for(lambda c: c.chat_id == world.group and c.buttons)

        seen = len(tg.sent)
        tg.user_sends_album(ADMIN, photos=2, caption="Фонарь заменили, вот фото",
                            chat_id=world.group, reply_to=card.message_id)
        await tg.wait_for(lambda c: c.chat_id == CITIZEN and "решена" in (c.body or ""),
                          since=seen)
        to_citizen = [c for c in tg.sent[seen:] if c.chat_id == CITIZEN]
        album = [c for c in to_citizen if c.method == "sendMediaGroup"]
        answers = [c for c in to_citizen if "Фонарь заменили" in (c.body or "")]
        assert len(album) == 2 and len({c.message["media_group_id"] for c in album}) == 1
        assert len(answers) == 1 and number in answers[0].body


# -- the collector on its own: bounded, duplicates once, nothing left behind on stop -------------


@run_async
async def test_parts_in_any_order_and_repeated_make_one_message_after_the_quiet_period():
    core = RecordingCore()
    albums = AlbumCollector(incoming_from_message, quiet_seconds=0.05)
    for message in (part(12, "g"), part(11, "g", caption="Яма"), part(12, "g"), part(13, "g")):
        await albums.on_part(message, core)
    await asyncio.wait_for(core.arrived.wait(), 2)
    (merged,) = core.handled
    assert (merged.message_id, merged.text) == (11, "Яма")
    assert [a.ref for a in merged.attachments] == ["photo-11", "photo-12", "photo-13"]
    assert albums.waiting == 0


@run_async
async def test_memory_is_bounded_and_stopping_hands_every_waiting_album_over():
    core = RecordingCore()
    albums = AlbumCollector(incoming_from_message, quiet_seconds=60, max_albums=2)
    for n, group in enumerate(("a", "b", "c")):
        await albums.on_part(part(n + 1, group, chat=CITIZEN + n), core)
    assert albums.waiting == 2
    assert [m.chat_id for m in core.handled] == [CITIZEN]  # the oldest went early

    for n in range(10, 20):  # ten parts: Telegram's maximum, the album is complete
        await albums.on_part(part(n, "full"), core)
    assert len(core.handled[-1].attachments) == 10

    await albums.flush()
    assert albums.waiting == 0
    assert sorted(m.chat_id for m in core.handled) == [CITIZEN, CITIZEN, CITIZEN + 1, CITIZEN + 2]


@run_async
async def test_stopping_waits_for_an_album_being_handed_over():
    class SlowCore(RecordingCore):
        def __init__(self) -> None:
            super().__init__()
            self.gate = asyncio.Event()
            self.finished = 0

        async def handle(self, message: IncomingMessage) -> None:
            await super().handle(message)
            await self.gate.wait()
            for _ in range(5):  # a few more steps of work (database writes, say)
                await asyncio.sleep(0)
            self.finished += 1

    core = SlowCore()
    albums = AlbumCollector(incoming_from_message, quiet_seconds=0.01)
    await albums.on_part(part(1, "g"), core)
    await asyncio.wait_for(core.arrived.wait(), 2)  # the album is being handed over
    stopping = asyncio.create_task(albums.flush())
    core.gate.set()
    await asyncio.wait_for(stopping, 2)
    assert core.finished == 1

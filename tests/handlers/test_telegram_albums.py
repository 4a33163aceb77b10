"""Albums end to end: a citizen's album is one appeal, and the body sees it as one album."""

from __future__ import annotations

from telegram_resilience_world import APPEAL, NUMBER, bot_world

from bot.core import texts
from tests.emulators.aio import run_async
from tests.emulators.telegram import Limits

CITIZEN = 1001


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

"""Tickets across channels, with the whole bot running on both emulators at once.

The city administration has administrators in both channels (a Telegram group and a VK
dialogue). A citizen's photo reaches both: in the other channel it is downloaded and uploaded
again, so the administrator sees the same bytes. Either administrator's answer reaches the
citizen in the citizen's own channel.
"""

from __future__ import annotations

from pathlib import Path

from tests.app_world import APPEAL, NUMBER, TG_ADMIN, VK_ADMIN, both_channels
from tests.emulators.aio import run_async

TG_CITIZEN = 1001
VK_CITIZEN = 100_500
PHOTO_FROM_VK = b"\xff\xd8 vk pothole photo"
PHOTO_FROM_TG = b"\xff\xd8 tg lamp photo"


@run_async
async def test_vk_citizen_is_answered_from_telegram_and_tg_citizen_from_vk(tmp_path: Path):
    async with both_channels(tmp_path) as w:
        tg, vk = w.tg, w.vk

        # A VK citizen with a photo: the card goes to both administrators, photo included.
        await vk.user_sends_photo(VK_CITIZEN, PHOTO_FROM_VK, text=APPEAL)
        accepted = await vk.wait_for_sent(lambda m: m.peer_id == VK_CITIZEN)
        number = NUMBER.search(accepted.text).group()
        card = await tg.wait_for(lambda c: c.chat_id == w.group and number in (c.body or ""))
        assert card.method == "sendPhoto" and "фонарь" in card.body
        uploaded = card.message["photo"][-1]["file_id"]
        assert tg.files[uploaded]["data"] == PHOTO_FROM_VK
        vk_card = await vk.wait_for_sent(lambda m: m.peer_id == VK_ADMIN and number in m.text)
        assert vk.photo_bytes(vk_card.attachments[0]) == PHOTO_FROM_VK

        # The Telegram administrator answers with a reply to the card.
        seen = len(vk.sent)
        tg.user_sends_text(TG_ADMIN, "Фонарь заменим до пятницы.", chat_id=w.group,
                           reply_to=card.message_id)
        answer = await vk.wait_for_sent(
            lambda m: m.peer_id == VK_CITIZEN and "Фонарь заменим" in m.text
        )
        assert number in answer.text and vk.sent.index(answer) >= seen

        # A Telegram citizen with a photo: the VK administrator gets it uploaded to VK.
        tg.user_sends_photo(TG_CITIZEN, PHOTO_FROM_TG, caption=APPEAL)
        accepted = await tg.wait_for(lambda c: c.chat_id == TG_CITIZEN)
        tg_number = NUMBER.search(accepted.text).group()
        assert tg_number != number
        vk_card = await vk.wait_for_sent(lambda m: m.peer_id == VK_ADMIN and tg_number in m.text)
        (photo,) = vk_card.attachments
        assert photo.startswith(f"photo-{vk.group_id}_")  # uploaded by the community
        assert vk.photo_bytes(photo) == PHOTO_FROM_TG
        assert "Вложений" not in vk_card.text

        # The VK administrator answers with a VK reply to the card.
        await vk.user_sends_text(VK_ADMIN, "Приедем завтра.", reply_to=vk_card.message_id)
        answer = await tg.wait_for(
            lambda c: c.chat_id == TG_CITIZEN and "Приедем завтра." in (c.body or "")
        )
        assert tg_number in answer.body


@run_async
async def test_a_telegram_document_reaches_the_vk_administrator_as_a_vk_document(
    tmp_path: Path,
) -> None:
    async with both_channels(tmp_path) as w:
        tg, vk = w.tg, w.vk
        tg.user_sends_document(TG_CITIZEN, "акт.pdf", b"%PDF-1.4 act", caption=APPEAL)
        accepted = await tg.wait_for(lambda c: c.chat_id == TG_CITIZEN)
        number = NUMBER.search(accepted.text).group()
        vk_card = await vk.wait_for_sent(lambda m: m.peer_id == VK_ADMIN and number in m.text)
        (doc,) = vk_card.attachments
        assert doc.startswith(f"doc-{vk.group_id}_")
        assert vk.doc_bytes(doc) == b"%PDF-1.4 act"
        # In its own channel the file is not downloaded at all: the card reuses the file id.
        tg_card = await tg.wait_for(lambda c: c.chat_id == w.group and number in (c.body or ""))
        assert tg_card.method == "sendDocument"


@run_async
async def test_a_vk_photo_deleted_before_sending_leaves_the_telegram_card_without_it(
    tmp_path: Path,
) -> None:
    async with both_channels(tmp_path) as w:
        tg, vk = w.tg, w.vk
        sent = await vk.user_sends_photo(VK_CITIZEN, PHOTO_FROM_VK, text=APPEAL)
        photo = sent["attachments"][0]["photo"]
        vk.delete_photo(f"photo{VK_CITIZEN}_{photo['id']}")  # before the bot could fetch it
        accepted = await vk.wait_for_sent(lambda m: m.peer_id == VK_CITIZEN)
        number = NUMBER.search(accepted.text).group()
        card = await tg.wait_for(lambda c: c.chat_id == w.group and number in (c.body or ""))
        assert card.method == "sendMessage" and "фонарь" in card.body


@run_async
async def test_an_answer_to_a_card_the_moment_it_arrives_reaches_the_citizen(
    tmp_path: Path,
) -> None:
    """Telegram shows the card to the administrator as soon as it accepts it; the bot learns the
    card's message id only from the reply to its request, and a reply to the card names only that
    id. Here that reply to the bot is a second late, and the administrator answers at once."""
    async with both_channels(tmp_path) as w:
        tg, vk = w.tg, w.vk
        tg.fail_next("sendMessage", error="slow_after", delay=1.0)
        await vk.user_sends_text(VK_CITIZEN, APPEAL)
        accepted = await vk.wait_for_sent(lambda m: m.peer_id == VK_CITIZEN)
        number = NUMBER.search(accepted.text).group()
        card = await tg.wait_for(lambda c: c.chat_id == w.group and number in (c.body or ""))
        tg.user_sends_text(TG_ADMIN, "Фонарь заменим до пятницы.", chat_id=w.group,
                           reply_to=card.message_id)
        answer = await vk.wait_for_sent(
            lambda m: m.peer_id == VK_CITIZEN and "Фонарь заменим" in m.text
        )
        assert number in answer.text

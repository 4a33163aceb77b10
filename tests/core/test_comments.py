"""Comments under posts in the core (`bot.core.comments`): tickets, public replies, privacy."""

from __future__ import annotations

import pytest
from core_world import CITY_CHAT, COORDINATOR_ID
from test_states import answer

from bot.domain.comments import CommentRef, IncomingComment
from bot.domain.wire import Purpose

WALL = -229_000_001
AUTHOR = 100_500


def vk_comment(text: str, comment_id: int = 42, **extra) -> IncomingComment:
    return IncomingComment(CommentRef("vk", WALL, 7, comment_id), AUTHOR, text, **extra)


async def test_an_appeal_comment_is_routed_and_answered_under_the_comment(world):
    await world.start()
    outcome = await world.core.comment_posted(vk_comment("Яма у дома 5 на Московской, когда?"))
    assert (outcome.kind, outcome.state) == ("created", "routed")
    assert (await world.core.comment_posted(vk_comment("Яма у дома 5"))).kind == "duplicate"
    await world.flush()
    (public,) = world.vk.sent
    assert (public.chat_id, public.post_id, public.reply_to) == (WALL, 7, 42)
    assert outcome.number in public.text and "Администрация города Саратова" in public.text
    (card,) = [m for m in world.tg.sent if m.chat_id == CITY_CHAT]
    assert f"https://vk.com/wall{WALL}_7?reply=42" in card.text

    await answer(world, outcome.number, text="Заделаем в среду")
    await world.flush()
    published = [m for m in world.vk.sent if m.chat_id == WALL]
    assert len(published) == 2 and "Заделаем в среду" in published[1].text
    assert published[1].reply_to == 42
    # …and privately, as every answer: the citizen's chat is their user id.
    assert any(m.chat_id == AUTHOR and "Заделаем в среду" in m.text for m in world.vk.sent)
    rows = await world.outbox_rows()
    assert sum(r["purpose"] == Purpose.CITIZEN_PUBLIC for r in rows) == 2
    await world.stop()


async def test_an_unclear_comment_goes_to_the_coordinators_without_questions(world):
    await world.start()
    outcome = await world.core.comment_posted(vk_comment("Непонятно когда починят дорогу?"))
    assert outcome.state == "with_coordinator"
    await world.flush()
    (public,) = world.vk.sent
    assert "определим" in public.text and public.reply_to == 42
    told = [m for m in world.tg.sent if m.chat_id == COORDINATOR_ID]
    assert told and "комментарий под записью" in told[0].text
    await world.stop()


async def test_thanks_and_a_reply_to_a_citizen_make_nothing(world):
    await world.start()
    assert (await world.core.comment_posted(vk_comment("Спасибо!"))).kind == "ignored"
    reply = vk_comment("Яма у дома 5, когда?", 43, reply_to_citizen=True)
    assert (await world.core.comment_posted(reply)).kind == "ignored"
    assert await world.outbox_rows() == []
    await world.stop()


async def test_a_telegram_discussion_comment_is_answered_by_a_reply_in_the_group(world):
    await world.start()
    group = -1001234567890
    comment = IncomingComment(CommentRef("tg", group, 10, 15), 555, "Яма у дома 5, когда?")
    outcome = await world.core.comment_posted(comment)
    await world.flush()
    (public,) = [m for m in world.tg.sent if m.chat_id == group]
    assert public.reply_to == 15 and public.post_id is None and outcome.number in public.text
    (card,) = [m for m in world.tg.sent if m.chat_id == CITY_CHAT]
    assert "https://t.me/c/1234567890/15?thread=10" in card.text
    await world.stop()


async def test_forget_covers_comment_tickets(world):
    await world.start()
    outcome = await world.core.comment_posted(vk_comment("Яма у дома 5, когда?"))
    await world.flush()
    assert await world.core.forget_citizen("vk", AUTHOR) == 1
    ticket = await world.ticket(outcome.number)
    assert ticket.anonymised_at is not None and "Яма" not in ticket.text
    async with world.repo.transaction() as tx:
        assert await tx.comments.of_ticket(ticket.id) is None
    sent = len([m for m in world.vk.sent if m.chat_id == WALL])
    await answer(world, outcome.number, text="Заделаем")
    await world.flush()
    assert len([m for m in world.vk.sent if m.chat_id == WALL]) == sent  # nothing published
    await world.stop()


async def test_a_failure_before_the_public_reply_is_queued_leaves_nothing_half_done(
    world, monkeypatch
):
    """The ticket, its comment, its card and the public reply are one transaction: a failure
    while queueing the reply leaves no ticket, and the retry (the inbox's) makes exactly one."""
    from bot.storage.sql.outbox import OutboxSql

    queue, failures = OutboxSql.queue, [1]

    async def failing_queue(self, draft, now):
        if draft.purpose == Purpose.CITIZEN_PUBLIC and failures[0]:
            failures[0] -= 1
            raise RuntimeError("the database went away")
        return await queue(self, draft, now)

    monkeypatch.setattr(OutboxSql, "queue", failing_queue)
    await world.start()
    comment = vk_comment("Яма у дома 5, когда?")
    with pytest.raises(RuntimeError):
        await world.core.comment_posted(comment)
    async with world.repo.transaction() as tx:
        assert await tx.comments.ticket_of(comment.ref) is None
        assert await tx.sql.all("SELECT id FROM tickets") == []
    assert await world.outbox_rows() == []
    outcome = await world.core.comment_posted(comment)
    assert outcome.kind == "created"
    await world.flush()
    assert len([m for m in world.vk.sent if m.chat_id == WALL]) == 1
    await world.stop()

"""`VKTransport` posting public replies under comments (``wall.createComment``) on the emulator:
the reply, VK's guard against a repeat, and VK's refusals mapped onto the outbox's contract."""

from __future__ import annotations

import pytest

from bot.delivery.transport import RecipientUnreachable, RetryAfter
from bot.domain.messages import OutgoingMessage
from handlers.vk.transport import CommentRefused
from tests.emulators.aio import run_async
from tests.handlers.test_vk_transport import transport_on_emulator

CITIZEN = 100_500


def reply(vk, post: int, comment: int, text: str = "Спасибо, обращение № 26-000001"):
    return OutgoingMessage("vk", -vk.group_id, text, reply_to=comment, post_id=post, dedup_id=77)


@run_async
async def test_a_public_reply_goes_under_the_comment_once() -> None:
    async with transport_on_emulator() as (vk, transport):
        post = vk.add_post()
        comment = await vk.user_comments(CITIZEN, post, "Когда уберут мусор на Садовой?")
        sent = await transport.send(reply(vk, post, comment.id))
        again = await transport.send(reply(vk, post, comment.id))  # after a crash: same guid
        (ours,) = vk.replies_to(comment.id)
        assert sent.platform_message_id == again.platform_message_id == ours.id
        assert ours.from_id == -vk.group_id and "26-000001" in ours.text
        assert vk.sent == []  # no private message


@run_async
async def test_refusals_closed_comments_a_deleted_post_and_too_many_requests() -> None:
    async with transport_on_emulator() as (vk, transport):
        post = vk.add_post()
        comment = await vk.user_comments(CITIZEN, post, "Когда уберут мусор на Садовой?")
        vk.fail_next("wall.createComment", code=6)
        with pytest.raises(RetryAfter):
            await transport.send(reply(vk, post, comment.id))
        vk.close_comments(post)
        with pytest.raises(CommentRefused) as closed:
            await transport.send(reply(vk, post, comment.id))
        assert isinstance(closed.value, RecipientUnreachable) and "212" in str(closed.value)
        other = vk.add_post()
        vk.delete_post(other)
        with pytest.raises(CommentRefused):
            await transport.send(reply(vk, other, comment.id))
        assert vk.token not in str(closed.value)

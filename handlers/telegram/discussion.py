"""Telegram channel comments: messages in a channel's discussion group translated into the core's
`IncomingComment` (`bot.core.comments` decides what they are).

A comment is a supergroup message in a post's thread: it replies to the post's copy (the message
Telegram forwards from the channel, ``is_automatic_forward``) or to another comment of the
thread (``message_thread_id`` set, no forum topic). The post's copy itself is the channel
speaking, never an appeal, and is dropped. In a body's own group the same shape is an
administrator replying to a card: the core says so (``not_a_comment``) and the message goes the
usual way (`Core.handle`). Edits come as ``edited_message``; Telegram tells bots of no deletion.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiogram import Router
from aiogram.types import Message

from bot.core.ports import Core
from bot.domain.comments import CommentRef, IncomingComment
from bot.domain.wire import OutcomeKind

#: How the router handles a plain message (`handlers.telegram.router.on_message`).
Otherwise = Callable[[Message, Core], Awaitable[None]]


def comment_of(message: Message) -> IncomingComment | None:
    """The comment a message is, or ``None``."""
    if message.chat.type != "supergroup" or message.is_topic_message:
        return None
    author, reply = message.from_user, message.reply_to_message
    if author is None or author.is_bot or reply is None or message.sender_chat is not None:
        return None  # the channel itself, an anonymous admin, another bot; not in a thread
    if reply.is_automatic_forward:
        root = reply.message_id
    elif message.message_thread_id is not None:
        root = message.message_thread_id
    else:
        return None
    to_person = (
        not reply.is_automatic_forward
        and reply.from_user is not None
        and not reply.from_user.is_bot
        and reply.from_user.id != author.id
    )
    return IncomingComment(
        CommentRef("tg", message.chat.id, root, message.message_id),
        author_id=author.id,
        text=message.text or message.caption or "",
        reply_to_citizen=to_person,
        reply_to=None if reply.is_automatic_forward else reply.message_id,
    )


async def is_post_copy(message: Message) -> bool:
    return bool(message.is_automatic_forward)


async def is_comment(message: Message) -> bool:
    return comment_of(message) is not None


async def on_post_copy(message: Message) -> None:
    """The channel's post in its discussion group: nothing to do."""


async def on_comment_edit(message: Message, core: Core) -> None:
    comment = comment_of(message)
    assert comment is not None
    await core.comment_edited(comment)


def register(router: Router, otherwise: Otherwise) -> Router:
    """On ``router`` before its catch-all message handler, ``otherwise``: what a reply in a
    staff group that only looks like a comment gets."""

    async def on_comment(message: Message, core: Core) -> None:
        comment = comment_of(message)
        assert comment is not None
        outcome = await core.comment_posted(comment)
        if outcome.kind == OutcomeKind.NOT_A_COMMENT:
            await otherwise(message, core)

    router.message.register(on_post_copy, is_post_copy)
    router.message.register(on_comment, is_comment)
    router.edited_message.register(on_comment_edit, is_comment)
    return router

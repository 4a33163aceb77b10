"""The community's wall in the VK emulator: posts, comments, their events, ``wall.createComment``.

A mixin of `tests.emulators.vk.VKEmulator` (which it reads: ``group_id``, ``_push``). What VK does
and the emulator plays (PLATFORMS.md «VK: wall comments in communities»):

- a user's comment pushes ``wall_reply_new`` (object: the comment with ``post_id``, ``owner_id``,
  ``post_owner_id``, ``reply_to_user``/``reply_to_comment`` when it answers a comment);
  an edit ``wall_reply_edit``; a deletion ``wall_reply_delete`` (``owner_id``, ``id``,
  ``post_id``, ``deleter_id``);
- ``wall.createComment(owner_id, post_id, from_group, message, reply_to_comment, guid)`` posts
  the community's comment, answers ``{"comment_id"}`` and pushes ``wall_reply_new`` with the
  community's negative ``from_id`` (the bot sees its own replies); a repeated ``guid`` gives
  the first comment back; closed comments answer 212, an unknown post or comment 100 (a
  deleted post: 100 too).
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any


class _VKError(Exception):  # replaced by the emulator's own VKError at import (see vk.py)
    pass


@dataclasses.dataclass
class Post:
    id: int
    text: str
    comments_closed: bool = False
    deleted: bool = False


@dataclasses.dataclass
class Comment:
    id: int
    post_id: int
    from_id: int
    text: str
    reply_to_comment: int | None = None
    reply_to_user: int | None = None
    deleted: bool = False
    guid: str | None = None


class WallEmulation:
    """Posts and comments of the one community's wall."""

    group_id: int
    VKError: type[Exception] = _VKError

    def _wall_init(self) -> None:
        self.posts: dict[int, Post] = {}
        self.comments: dict[int, Comment] = {}
        self._next_post = 1
        self._next_comment = 1
        self._guids: dict[str, int] = {}

    async def _push(self, event_type: str, obj: dict[str, Any]) -> None:  # the emulator's
        raise NotImplementedError

    # -- the page and its readers

    def add_post(self, text: str = "Новости администрации") -> int:
        post = Post(self._next_post, text)
        self.posts[post.id] = post
        self._next_post += 1
        return post.id

    def close_comments(self, post_id: int) -> None:
        self.posts[post_id].comments_closed = True

    def delete_post(self, post_id: int) -> None:
        self.posts[post_id].deleted = True

    async def user_comments(
        self, user_id: int, post_id: int, text: str, reply_to: int | None = None
    ) -> Comment:
        """A user's comment under ``post_id`` (``reply_to``: the comment it answers)."""
        answered = self.comments[reply_to] if reply_to is not None else None
        comment = self._new_comment(post_id, user_id, text, answered)
        await self._push("wall_reply_new", self._comment_object(comment))
        return comment

    async def user_edits_comment(self, comment_id: int, text: str) -> None:
        comment = self.comments[comment_id]
        comment.text = text
        await self._push("wall_reply_edit", self._comment_object(comment))

    async def user_deletes_comment(self, comment_id: int) -> None:
        comment = self.comments[comment_id]
        comment.deleted = True
        await self._push(
            "wall_reply_delete",
            {"owner_id": -self.group_id, "id": comment.id, "post_id": comment.post_id,
             "deleter_id": comment.from_id},
        )

    def replies_to(self, comment_id: int) -> list[Comment]:
        """The community's comments answering ``comment_id``, oldest first."""
        return [
            c for c in self.comments.values()
            if c.reply_to_comment == comment_id and c.from_id == -self.group_id
        ]

    def community_comments(self) -> list[Comment]:
        return [c for c in self.comments.values() if c.from_id == -self.group_id]

    # -- API

    async def _m_wall_createComment(self, params: dict[str, str]) -> Any:
        owner = int(params.get("owner_id", 0))
        post = self.posts.get(int(params.get("post_id", 0)))
        if owner != -self.group_id or post is None or post.deleted:
            raise self.VKError(100, "post_id is undefined or invalid")
        if post.comments_closed:
            raise self.VKError(212)
        guid = params.get("guid")
        if guid and guid in self._guids:
            return {"comment_id": self._guids[guid], "parents_stack": []}
        answered = None
        if params.get("reply_to_comment"):
            answered = self.comments.get(int(params["reply_to_comment"]))
            if answered is None or answered.deleted or answered.post_id != post.id:
                raise self.VKError(100, "reply_to_comment is invalid")
        if int(params.get("from_group", 0)) != self.group_id:
            raise self.VKError(15)  # a community token writes only as the community
        text = params.get("message", "")
        if not text:
            raise self.VKError(100, "message is empty")
        comment = self._new_comment(post.id, -self.group_id, text, answered)
        comment.guid = guid
        if guid:
            self._guids[guid] = comment.id
        await self._push("wall_reply_new", self._comment_object(comment))
        return {"comment_id": comment.id, "parents_stack": []}

    # -- store

    def _new_comment(
        self, post_id: int, from_id: int, text: str, answered: Comment | None
    ) -> Comment:
        comment = Comment(
            self._next_comment, post_id, from_id, text,
            reply_to_comment=answered.id if answered else None,
            reply_to_user=answered.from_id if answered else None,
        )
        self.comments[comment.id] = comment
        self._next_comment += 1
        return comment

    def _comment_object(self, comment: Comment) -> dict[str, Any]:
        obj: dict[str, Any] = {
            "id": comment.id,
            "from_id": comment.from_id,
            "date": int(time.time()),
            "text": comment.text,
            "post_id": comment.post_id,
            "owner_id": -self.group_id,
            "post_owner_id": -self.group_id,
            "parents_stack": [comment.reply_to_comment] if comment.reply_to_comment else [],
            "thread": {"count": 0},
        }
        if comment.reply_to_comment is not None:
            obj["reply_to_comment"] = comment.reply_to_comment
            obj["reply_to_user"] = comment.reply_to_user
        return obj

"""VK wall comments: ``wall_reply_new``/``_edit``/``_restore``/``_delete`` on the community's
wall translated into the core's `IncomingComment` (`bot.core.comments` decides).

Thin like `handlers.vk.inbound`: a comment written by a community (negative ``from_id``: our own
public replies come back as events too) or on another wall is dropped here; everything else goes
to the core. A comment that answers another person (``reply_to_user`` > 0) is marked so, and
the core never takes it for an appeal. Attachments are not passed on: a photo under a post is
seen by following the link on the card.
"""

from __future__ import annotations

from vkbottle.bot import BotLabeler
from vkbottle_types.events import GroupEventType, GroupTypes
from vkbottle_types.events.objects.group_event_objects import WallReplyNewObject

from bot.core.ports import Core
from bot.domain.comments import CommentRef, IncomingComment
from bot.domain.pages import page_chat
from handlers.vk.pages import VKPages


class VKWall:
    """Registers the wall handlers for the community ``group_id`` and the connected pages."""

    def __init__(self, core: Core, group_id: int | None, pages: VKPages | None = None) -> None:
        self.core = core
        self.group_id = group_id
        self.pages = pages  # whose walls are ours too; their authors are answered from them

    def register(self, labeler: BotLabeler) -> BotLabeler:
        labeler.raw_event(GroupEventType.WALL_REPLY_NEW, dataclass=GroupTypes.WallReplyNew)(
            self.on_new
        )
        labeler.raw_event(GroupEventType.WALL_REPLY_EDIT, dataclass=GroupTypes.WallReplyEdit)(
            self.on_edit
        )
        # A comment restored after a deletion is a new comment for the page's staff.
        labeler.raw_event(
            GroupEventType.WALL_REPLY_RESTORE, dataclass=GroupTypes.WallReplyRestore
        )(self.on_new)
        labeler.raw_event(
            GroupEventType.WALL_REPLY_DELETE, dataclass=GroupTypes.WallReplyDelete
        )(self.on_delete)
        return labeler

    async def on_new(self, event: GroupTypes.WallReplyNew) -> None:
        comment = self.comment_of(event.object)
        if comment is not None:
            await self.core.comment_posted(comment)

    async def on_edit(self, event: GroupTypes.WallReplyEdit) -> None:
        comment = self.comment_of(event.object)
        if comment is not None:
            await self.core.comment_edited(comment)

    async def on_delete(self, event: GroupTypes.WallReplyDelete) -> None:
        obj = event.object
        if obj.owner_id is None or obj.id is None or obj.post_id is None:
            return
        if not self._our_wall(obj.owner_id):
            return
        await self.core.comment_deleted(CommentRef("vk", obj.owner_id, obj.post_id, obj.id))

    def comment_of(self, obj: WallReplyNewObject) -> IncomingComment | None:
        owner = obj.post_owner_id or obj.owner_id
        if obj.from_id is None or obj.from_id <= 0 or owner is None or obj.post_id is None:
            return None  # a community's comment (ours included), or an incomplete event
        if not self._our_wall(owner):
            return None
        reply_to_user = obj.reply_to_user or 0
        return IncomingComment(
            CommentRef("vk", owner, obj.post_id, obj.id),
            author_id=obj.from_id,
            text=obj.text or "",
            reply_to_citizen=reply_to_user > 0 and reply_to_user != obj.from_id,
            reply_to=obj.reply_to_comment,
            private_chat=self._private_chat(owner, obj.from_id),
        )

    def _our_wall(self, owner_id: int) -> bool:
        return self.group_id is None or owner_id == -self.group_id or self._page(owner_id)

    def _page(self, owner_id: int) -> bool:
        return self.pages is not None and self.pages.link(-owner_id) is not None

    def _private_chat(self, owner_id: int, author_id: int) -> int | None:
        """A page's commenter is answered privately from that page, as its messages are."""
        return page_chat(-owner_id, author_id) if self._page(owner_id) else None

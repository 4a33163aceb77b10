"""A comment under a post, as the core sees it: where it was written and by whom.

Comments are public: the place of one (`CommentRef`) is what a public reply needs, on VK a
community wall (``place_id`` = -community id, the post, the comment) and on Telegram a
channel's discussion group (``place_id`` = the group, ``post_id`` = the thread's root message,
the channel post's automatic forward; ``comment_id`` = the comment's message). The author's
private chat is their user id on both platforms, which is where the bot writes privately.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.messages import Attachment, Channel

#: `TicketRecord.origin` of a ticket made from a comment.
COMMENT = "comment"

#: What a comment's author is not sent privately (`Desk.to_citizen`), by outbox key name: the
#: «принято» of routing and of a hand-over to the coordinators. The public reply under the
#: comment says it; a private message to someone who never wrote to the bot would be refused
#: by VK (901) or Telegram (403) anyway, and would alarm the staff for nothing.
ANNOUNCED_PUBLICLY = frozenset({"citizen-routed", "citizen-to-coordinator"})

#: Telegram's private supergroup ids are -100<internal id>; t.me/c/ links use the internal one.
_TG_SUPERGROUP = 1_000_000_000_000


@dataclass(frozen=True, slots=True)
class CommentRef:
    channel: Channel
    place_id: int
    post_id: int
    comment_id: int

    @property
    def link(self) -> str:
        """Where an administrator sees (and may hide) the comment."""
        if self.channel == "vk":
            return f"https://vk.com/wall{self.place_id}_{self.post_id}?reply={self.comment_id}"
        internal = -self.place_id - _TG_SUPERGROUP
        return f"https://t.me/c/{internal}/{self.comment_id}?thread={self.post_id}"


@dataclass(frozen=True, slots=True)
class IncomingComment:
    """A new or edited comment. ``reply_to_citizen``: the platform says it answers another
    citizen (VK ``reply_to_user`` of a person, a Telegram reply to a person's comment).
    ``text`` is the citizen's; like any appeal it is never logged."""

    ref: CommentRef
    author_id: int
    text: str
    attachments: tuple[Attachment, ...] = ()
    reply_to_citizen: bool = False
    #: The comment (VK) or group message (Telegram) this one answers, if any: an answer under
    #: the community's own reply is the author adding to their ticket.
    reply_to: int | None = None
    #: The author's private dialogue the answer is also sent to: with the bot (``None``: the
    #: author's own id) or with the connected page whose wall it is (`bot.domain.pages`).
    private_chat: int | None = None

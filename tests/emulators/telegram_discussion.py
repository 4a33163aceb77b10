"""A channel with its linked discussion group, in the Telegram emulator (a mixin of
`tests.emulators.telegram.TelegramEmulator`).

What Telegram does (PLATFORMS.md «Telegram: channel comments»): each channel post appears in the
group as a message with ``is_automatic_forward``, ``sender_chat`` (the channel), ``forward_origin``
and ``from`` = Telegram's service user 777000; a comment is a group message whose
``message_thread_id`` is that message's id and whose ``reply_to_message`` is the message it
answers (the post's copy or another comment); ``is_topic_message`` is not set. An edit comes as
``edited_message``; a deletion is never told to bots. A bot cannot write first to a person who
never started it: "Forbidden: bot can't initiate conversation with a user" (403), played for the
users who only commented (`strangers`).
"""

from __future__ import annotations

import time
from typing import Any

SERVICE_USER = {"id": 777000, "is_bot": False, "first_name": "Telegram"}


class DiscussionEmulation:
    chats: dict[int, Any]
    users: dict[int, dict]

    def _discussion_init(self) -> None:
        #: people who never started the bot: it may not write to them first
        self.strangers: set[int] = set()
        self._started: set[int] = set()  # people who started the bot
        self._channels: dict[int, dict] = {}  # discussion group id → the channel's Chat

    # the emulator's own (`TelegramEmulator`)
    def create_group(self, admin_user_id: int, title: str = "") -> int:
        raise NotImplementedError

    def add_user(self, user_id: int, *args: Any, **kwargs: Any) -> dict:
        raise NotImplementedError

    def _push(self, kind: str, payload: dict) -> dict:
        raise NotImplementedError

    def create_discussion_group(self, admin_user_id: int, channel_title: str) -> int:
        """A channel and its discussion group (the bot a member there); returns the group."""
        group = self.create_group(admin_user_id, f"{channel_title}: обсуждение")
        channel_id = group - 1_000_000  # another -100… id
        self._channels[group] = {"id": channel_id, "type": "channel", "title": channel_title}
        return group

    def channel_posts(self, group: int, text: str) -> int:
        """The channel publishes a post: its copy appears in the group; returns its id there."""
        channel = self._channels[group]
        content = {
            "text": text,
            "is_automatic_forward": True,
            "sender_chat": channel,
            "forward_origin": {"type": "channel", "chat": channel, "message_id": 1,
                               "date": int(time.time())},
        }
        return self._group_message(group, SERVICE_USER, content, None, None)["message_id"]

    def user_comments(
        self, user_id: int, group: int, post: int, text: str, reply_to: int | None = None
    ) -> dict:
        """A comment under ``post`` (the id of its copy in the group), answering ``reply_to``
        (another comment) or the post itself. Returns the Message."""
        user = self.add_user(user_id)
        if user_id not in self._started:
            self.strangers.add(user_id)
        return self._group_message(group, user, {"text": text}, post, reply_to or post)

    def user_edits_comment(self, group: int, message_id: int, text: str) -> dict:
        message = self.chats[group].messages[message_id]
        message |= {"text": text, "edit_date": int(time.time())}
        self._push("edited_message", dict(message))
        return message

    def user_starts_bot(self, user_id: int) -> None:
        """The person opened the bot and pressed Start: it may write to them from now on."""
        self._started.add(user_id)
        self.strangers.discard(user_id)

    def _group_message(
        self, group: int, sender: dict, content: dict, thread: int | None, reply_to: int | None
    ) -> dict:
        chat = self.chats[group]
        chat.last_message_id += 1
        msg: dict = {"message_id": chat.last_message_id, "from": sender, "chat": chat.as_json(),
                     "date": int(time.time())}
        if thread is not None:
            msg["message_thread_id"] = thread
        if reply_to is not None:
            target = chat.messages[reply_to]
            msg["reply_to_message"] = {k: v for k, v in target.items() if k != "reply_to_message"}
        msg |= content
        chat.messages[msg["message_id"]] = msg
        self._push("message", msg)
        return msg

"""VK's side of the durable inbox (`bot.delivery.inbox`): what a stored event is called and whose
conversation it is, the long poll that stores before it moves on, and how a stored event is
handled.

- `event_draft`: the key is ``vk:<group id>:<event_id>`` (VK sends the same ``event_id`` with
  every re-delivery, by long poll and Callback API alike; a message without one is named by its
  peer and ``conversation_message_id``), the chat is the peer, the payload the event's JSON.
- `poll_into_inbox`: vkbottle's Bots Long Poll, every response stored before the next request.
  Bots Long Poll has no acknowledgement; what stands for one is the ``ts`` vkbottle saves after
  a response has been dealt with (`handlers.vk.inbound.VKPollingState`), and the restart
  resumes from it. Stored first, the events of a response survive a crash after the save.
- `VKUpdates.process`: the stored event, parsed again after a restart, through the vkbottle bot
  (``Bot.process_event``). vkbottle logs a handler's error and carries on; with
  `HandlerErrorsRaised` as the bot's error handler the error reaches the inbox, which tries the
  event again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

from vkbottle import API, ABCPolling, ErrorHandler
from vkbottle.bot import Bot

from bot.delivery.inbox import InboxEntry
from bot.domain.records import InboxDraft


class PageLinks(Protocol):
    """`handlers.vk.pages.VKPages` as the processor sees it."""

    def link(self, group_id: int) -> Any: ...


#: `bot.delivery.inbox.Inbox.accept` (or ``accept_patiently``).
Store = Callable[[Sequence[InboxDraft]], Awaitable[int]]


def peer_of(event: dict[str, Any]) -> int | None:
    obj = event.get("object")
    if not isinstance(obj, dict):
        return None
    message = obj.get("message")
    if isinstance(message, dict) and isinstance(message.get("peer_id"), int):
        return message["peer_id"]  # message_new, message_reply, message_edit
    # message_event; message_allow, message_deny; wall_reply_*: one author's comments in order
    # (a deletion: whoever deleted it).
    for name in ("peer_id", "user_id", "from_id", "deleter_id"):
        if isinstance(obj.get(name), int):
            return obj[name]
    return None


def event_key(group_id: int, event: dict[str, Any]) -> str:
    event_id = event.get("event_id")
    if isinstance(event_id, str) and event_id:
        return f"vk:{group_id}:{event_id}"
    message = (event.get("object") or {}).get("message")
    if isinstance(message, dict) and message.get("conversation_message_id"):
        return f"vk:{group_id}:{message.get('peer_id')}:{message['conversation_message_id']}"
    canonical = json.dumps(event, sort_keys=True, ensure_ascii=False).encode()
    return f"vk:{group_id}:sha1:{hashlib.sha1(canonical).hexdigest()}"


def event_draft(group_id: int, event: dict[str, Any]) -> InboxDraft:
    return InboxDraft(
        key=event_key(group_id, event),
        channel="vk",
        chat_id=peer_of(event),
        payload=json.dumps(event, ensure_ascii=False),
        parsed=event,
    )


class HandlerFailed(Exception):
    """A handler's error on its way out of vkbottle's views and router (`HandlerErrorsRaised`)."""


class HandlerErrorsRaised(ErrorHandler):
    """The bot's error handler: a handler's error is raised out of ``Bot.process_event``
    (vkbottle's views report it with the event, the router without: it is marked on the first
    report and let through the second); every other error — the long poll's — is logged, as
    vkbottle's own handler does."""

    async def handle(self, error: Exception, *args: Any, **kwargs: Any) -> Any:
        if isinstance(error, HandlerFailed):
            raise error
        if args:
            raise HandlerFailed(type(error).__name__) from error
        return await super().handle(error, *args, **kwargs)


class VKUpdates:
    """The inbox's processor for VK rows (the bot built with `HandlerErrorsRaised`). A
    connected page's event is handled with that page's API (``pages``), so what the handlers
    answer directly (a button's snackbar) goes from the page the citizen pressed it in."""

    def __init__(self, bot: Bot, api: API, pages: PageLinks | None = None) -> None:
        self.bot = bot
        self.api = api
        self.pages = pages

    def _api_for(self, event: dict[str, Any]) -> API:
        group_id = event.get("group_id")
        link = self.pages.link(group_id) if self.pages and isinstance(group_id, int) else None
        return link.api if link is not None else self.api

    async def process(self, entry: InboxEntry) -> None:
        event = entry.parsed
        if not isinstance(event, dict):
            event = json.loads(entry.row.payload or "{}")
        try:
            await self.bot.process_event(event, self._api_for(event))
        except HandlerFailed as failed:
            cause = failed.__cause__
            raise cause if isinstance(cause, Exception) else failed from None


async def poll_into_inbox(bot: Bot, group_id: int, store: Store) -> None:
    """Bots Long Poll until cancelled; each response's events are stored (``store``: the
    inbox's ``accept_patiently``) before vkbottle saves the ``ts`` past them and asks again."""
    await listen_into_inbox(bot.polling, group_id, store)


async def listen_into_inbox(polling: ABCPolling, group_id: int, store: Store) -> None:
    """`poll_into_inbox` on any community's polling (a connected page's has its own token)."""
    async for response in polling.listen():
        events = [e for e in response.get("updates", ()) if isinstance(e, dict)]
        if events:
            await store([event_draft(group_id, event) for event in events])

"""VK handlers for coordinators: the same tools as in Telegram (`handlers.telegram.coordinator`),
translated. What each means, who may and what to answer is `bot.core.coordinator_tools`.

- A table arrives as a ``doc`` attachment of a coordinator's message in the community's
  dialogue: its ``title`` is the file name, ``size`` the declared size, ``url`` the download
  address (VK gives it with the message; a community token cannot look a document up later).
  The bytes are read from that address with a cap, so a file bigger than the core takes is never
  read whole.
- Commands are plain text in VK: ``/stats`` or the words of the coordinator's menu
  («Статистика»), a keyboard under the input field sent with every answer of these tools.
- «Применить» / «Отмена» are callback buttons (``message_event``); once a press decides, the
  proposal is edited without its buttons (``messages.edit``), as in Telegram.
- The chart of ``/stats`` is uploaded as a photo (``photos.getMessagesUploadServer``), the table
  of ``/table`` as a document (``docs.getMessagesUploadServer``).

As in Telegram, these answers are sent directly, not through the outbox: the coordinator is
looking at the chat and repeats the command if one is lost; what must survive a crash (the
proposal, the versions) is in the database. An error of a send is raised, so the durable inbox
tries the event again.
"""

from __future__ import annotations

import json
import logging
import secrets
from typing import Any

import aiohttp
from vkbottle import API, DocMessagesUploader, PhotoMessageUploader, VKAPIError
from vkbottle.bot import Message

from bot.core.coordination import Reply
from bot.core.coordinator_tools import CoordinatorTools, DownloadFailed
from bot.domain import texts
from bot.domain.messages import OutgoingMessage
from handlers.vk.transport import inline_keyboard

log = logging.getLogger("handlers.vk.coordinator")

#: Read a document in pieces of this size, so the cap is checked as it comes.
CHUNK = 64 * 1024
#: An inline keyboard with no buttons: what a decided proposal is edited to.
NO_BUTTONS = json.dumps({"inline": True, "buttons": []})


def coordinator_menu() -> str:
    """The coordinator's keyboard under the input field: text buttons whose words are the
    commands (`bot.domain.phrases.COORDINATOR_WORDS`). VK keeps it until another replaces it."""
    rows = [
        [{"action": {"type": "text", "label": label}, "color": "secondary"} for label in row]
        for row in texts.COORDINATOR_MENU
    ]
    return json.dumps({"one_time": False, "buttons": rows}, ensure_ascii=False)


class VKCoordinator:
    """A coordinator's messages and presses in the community's dialogue."""

    def __init__(self, tools: CoordinatorTools, api: API) -> None:
        self.tools = tools
        self.api = api

    async def on_message(self, message: Message) -> bool:
        """Handle a tool's command or a coordinator's table; ``False``: not ours, pass it on."""
        peer, user = message.peer_id, message.from_id
        reply_to = message.reply_message is not None or bool(message.fwd_messages)
        name = self.tools.command_of("vk", user, message.text, reply=reply_to)
        if name is not None:
            await self.send(peer, await self.tools.command("vk", user, name))
            return True
        doc = _first_doc(message)
        if doc is None or peer != user or not self.tools.is_coordinator("vk", user):
            return False  # anyone else's document is an appeal; so is one in a group chat
        url = doc.url or ""

        async def fetch(limit: int) -> bytes:
            return await self.download(url, limit)

        reply = await self.tools.upload("vk", user, _file_name(doc), doc.size, fetch)
        await self.send(peer, reply)
        return True

    def owns(self, payload: str | None) -> bool:
        return self.tools.owns(payload)

    async def on_press(
        self, peer_id: int, user_id: int, cmid: int | None, payload: str
    ) -> str | None:
        """«Применить» / «Отмена»: the core decides; returns the notice for the snackbar."""
        reply = await self.tools.press("vk", user_id, payload)
        if reply.settles_proposal and cmid:
            await self._drop_buttons(peer_id, cmid)
        await self.send(peer_id, reply)
        return reply.notice

    async def download(self, url: str, limit: int) -> bytes:
        """At most ``limit`` bytes of the document at ``url`` (VK's address for it)."""
        if not url:
            raise DownloadFailed("no address")
        data = bytearray()
        client: Any = self.api.http_client  # vkbottle's AiohttpClient: aiohttp's responses
        try:
            async with client.request(url) as response:
                if response.status >= 400:
                    raise DownloadFailed(f"HTTP {response.status}")
                while len(data) < limit:
                    piece = await response.content.read(min(CHUNK, limit - len(data)))
                    if not piece:
                        break
                    data += piece
        except (TimeoutError, aiohttp.ClientError) as exc:
            # By type only: the address carries VK's access hash.
            raise DownloadFailed(type(exc).__name__) from None
        return bytes(data)

    async def send(self, peer_id: int, reply: Reply) -> None:
        """The reply in order: the table file (with its caption), then the messages, the chart
        attached to the first; the buttons under the last, else the coordinator's menu."""
        if reply.document is not None:
            doc = await DocMessagesUploader(self.api).upload(
                file_source=reply.document.data, peer_id=peer_id, title=reply.document.filename
            )
            await self._send(peer_id, reply.document.caption, attachment=doc,
                             keyboard=coordinator_menu())
        photo = None
        if reply.photo is not None:
            photo = await PhotoMessageUploader(self.api).upload(
                file_source=reply.photo, peer_id=peer_id
            )
        for index, text in enumerate(reply.messages):
            last = index == len(reply.messages) - 1
            keyboard = None
            if last:
                keyboard = (
                    inline_keyboard(OutgoingMessage("vk", peer_id, text, reply.buttons))
                    if reply.buttons
                    else coordinator_menu()
                )
            await self._send(peer_id, text, attachment=photo if index == 0 else None,
                             keyboard=keyboard)

    async def _send(self, peer_id: int, text: str, *, attachment: str | None = None,
                    keyboard: str | None = None) -> None:
        params: dict[str, Any] = {
            "peer_id": peer_id,
            "random_id": secrets.randbelow(2**31 - 1) + 1,
            "message": text,
        }
        if attachment:
            params["attachment"] = attachment
        if keyboard:
            params["keyboard"] = keyboard
        await self.api.messages.send(**params)

    async def _drop_buttons(self, peer_id: int, cmid: int) -> None:
        """Edit the proposal to the same text without «Применить» / «Отмена». Only a nicety:
        if VK refuses (too old, say), the core refuses a second press anyway."""
        try:
            # Raw: vkbottle's response model insists on keyboard fields VK does not always give.
            found = await self.api.request(
                "messages.getByConversationMessageId",
                {"peer_id": peer_id, "conversation_message_ids": cmid},
            )
            items = found["response"]["items"]
            if not items:
                return
            await self.api.messages.edit(
                peer_id=peer_id,
                conversation_message_id=cmid,
                message=items[0].get("text", ""),
                keyboard=NO_BUTTONS,
                keep_forward_messages=True,
                keep_snippets=True,
            )
        except VKAPIError as exc:
            log.info("proposal buttons not removed: VK error %s", exc.code)
        except (LookupError, TypeError, AttributeError):
            log.info("proposal buttons not removed: VK's answer was not understood")


def _first_doc(message: Message) -> Any:
    for item in message.attachments or ():
        if item.doc is not None:
            return item.doc
    return None


def _file_name(doc: Any) -> str:
    """VK's ``title`` is the name the user gave, usually with the extension; ``ext`` is the
    file's own, added when the title lost it."""
    title = (doc.title or "").strip() or "file"
    ext = (doc.ext or "").strip().lower()
    if ext and not title.lower().endswith("." + ext):
        return f"{title}.{ext}"
    return title

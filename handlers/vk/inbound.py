"""VK inbound: vkbottle events translated into the core's `IncomingMessage`, and the bot that polls.

Thin on purpose: the labeler only translates ``message_new`` and ``message_event`` (a callback
button) and hands the result to the injected core; what a message means is the core's business.
``message_allow`` and ``message_deny`` (may the community write to this person?) go to
``Core.access_changed``.

Which message id: VK gives every message two numbers, the global ``id`` and the per-dialogue
``conversation_message_id``. We use ``id``, because that is the number the rest of the VK side
speaks: `transport.VKTransport` sends ``reply_to`` as an ``id`` and records the ``id`` that
``messages.send`` returns, and the ``reply_message`` of a citizen's reply carries the ``id`` of
the bot's message. So a reply arrives with ``reply_to`` equal to what the outbox stored. Only in
multi-user chats does VK hide ``id`` from communities (it is 0 there); there we fall back to
``conversation_message_id`` so that the core's duplicate check still has a distinct number.

Connected pages (`bot.domain.pages`): their events come through the same bot, each with its
``group_id``. A page's dialogue becomes the chat ``page_chat(group_id, peer)``, so the core
answers the citizen from that page and keeps its dialogue apart from the same person's with the
bot's own community. A page is for citizens: invites, ``/page`` and the coordinator's tools are
the bot's own community's business, so a page's messages go straight to the core.

A button press has no message of its own: its ``message_id`` is the ``conversation_message_id`` of
the message that carries the button (all VK gives), and the core reads only its ``payload``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from pathlib import Path
from typing import Any

import aiohttp
from vkbottle import API, ABCErrorHandler, VKAPIError
from vkbottle.bot import Bot, BotLabeler, Message, MessageEvent
from vkbottle.polling import BotPolling
from vkbottle_types.events import GroupEventType, GroupTypes

from bot.core.pages import PageTools, page_command_of
from bot.core.ports import Core
from bot.domain import texts
from bot.domain.messages import Attachment, IncomingMessage, Location
from bot.domain.pages import page_chat
from bot.domain.phrases import command_of
from bot.domain.staff import looks_like_token
from bot.domain.wire import Payload
from handlers.vk.coordinator import VKCoordinator
from handlers.vk.isolation import Isolation, LocalIsolation, isolated

log = logging.getLogger("handlers.vk")
#: VK's "too many requests per second"; a press's answer is tried this often, pausing longer
#: each time (seconds), well within the minute an event lives.
TOO_MANY_REQUESTS = 6
ANSWER_ATTEMPTS = 4
ANSWER_PAUSE = 0.4
#: Staff members whose names are remembered (`VKInbound.name_of`).
NAMES_CACHED = 1000


class VKInbound:
    """Registers the VK handlers on a labeler; the core is passed in, never looked up."""

    def __init__(
        self,
        core: Core,
        group_id: int | None = None,
        isolation: Isolation | None = None,
        *,
        coordinator: VKCoordinator | None = None,
        pages: PageTools | None = None,
    ) -> None:
        self.core = core
        self.group_id = group_id  # for invite links (vk.me/club<id>?ref=<code>)
        self.pages = pages  # /page, /pages, /unpage (`bot.core.pages.PageTools`)
        # The coordinator's tools (a table as a document, /stats…); none: VK has no such tools.
        self.coordinator = coordinator
        # One peer's events one at a time (across processes with Redis): see `isolation`.
        self.isolation = isolation or LocalIsolation()
        self.on_message = isolated(
            self.on_message, self.isolation, lambda m: f"vk:{self.chat_of(m.group_id, m.peer_id)}"
        )
        self.on_button = isolated(
            self.on_button, self.isolation, lambda e: f"vk:{self.chat_of(e.group_id, e.peer_id)}"
        )
        self._names: dict[int, str] = {}  # staff members' display names (`name_of`)

    def register(self, labeler: BotLabeler) -> BotLabeler:
        labeler.message()(self.on_message)
        labeler.raw_event(GroupEventType.MESSAGE_EVENT, dataclass=MessageEvent)(self.on_button)
        labeler.raw_event(GroupEventType.MESSAGE_ALLOW, dataclass=GroupTypes.MessageAllow)(
            self.on_allow
        )
        labeler.raw_event(GroupEventType.MESSAGE_DENY, dataclass=GroupTypes.MessageDeny)(
            self.on_deny
        )
        return labeler

    def chat_of(self, group_id: int | None, peer_id: int) -> int:
        """The core's chat id: the peer in the bot's own community, the page dialogue's id
        (`bot.domain.pages.page_chat`) in a connected page."""
        if group_id is None or self.group_id is None or group_id == self.group_id:
            return peer_id
        return page_chat(group_id, peer_id)

    def _on_page(self, group_id: int | None) -> bool:
        return self.chat_of(group_id, 1) != 1

    async def on_allow(self, event: GroupTypes.MessageAllow) -> None:
        """The user allowed the community to write: what VK refused earlier (901) goes now —
        to a citizen, or the cards to an administrator's dialogue (the core knows which)."""
        chat = self.chat_of(event.group_id, event.object.user_id)
        await self.core.access_changed("vk", chat, allowed=True)

    async def on_deny(self, event: GroupTypes.MessageDeny) -> None:
        """The user forbade the community to write: for an administrator's dialogue the
        coordinators are told at once (for a citizen, the next refused send tells the staff)."""
        chat = self.chat_of(event.group_id, event.object.user_id)
        await self.core.access_changed("vk", chat, allowed=False)

    async def on_message(self, message: Message) -> None:
        incoming = incoming_message(message)
        if self._on_page(message.group_id):  # a citizen writing to a connected page
            chat = self.chat_of(message.group_id, message.peer_id)
            incoming = dataclasses.replace(incoming, chat_id=chat)
            command = command_of(incoming.text)
            if command is not None:
                incoming = dataclasses.replace(incoming, command=command)
            await self.core.handle(incoming)
            return
        if self.pages is not None and page_command_of(incoming.text) is not None:
            reply = await self.pages.command("vk", message.from_id, incoming.text)
            if self.coordinator is not None:
                await self.coordinator.send(message.peer_id, reply)
            return
        code = invite_code(message)
        if code is not None:  # an administrator came by an invite link, or sent its code
            await self.core.redeem(
                "vk",
                message.peer_id,
                message.from_id,
                code,
                forum=False,
                message_id=incoming.message_id,
            )
            return
        if incoming.text.strip().casefold().startswith("/invite"):
            # A coordinator's /invite <body>: the core checks who asks; the link opens the
            # community's dialog with the code as ``ref``.
            query = incoming.text.strip()[len("/invite") :]
            await self.core.invite(incoming, query.strip(), links=self._invite_links)
            return
        if self.coordinator is not None and await self.coordinator.on_message(message):
            return  # a coordinator's tool (/stats, «Таблица», a table file…) or its refusal
        # "/my", «Мои обращения», «Помощь»… (VK has no command entities: the text is the command)
        command = command_of(incoming.text)
        if command is not None:
            incoming = dataclasses.replace(incoming, command=command)
        await self.core.handle(incoming)

    async def on_button(self, event: MessageEvent) -> None:
        """Hand the press to the core, then always answer it: an unanswered callback button keeps
        spinning on the citizen's screen. The answer is empty unless the core has a notice (a
        refusal, say) for a snackbar; what follows (a question, a confirmation) comes as a
        message from the outbox."""
        notice = None
        try:
            incoming = incoming_button(event)
            on_page = self._on_page(event.group_id)
            if on_page:
                chat = self.chat_of(event.group_id, event.peer_id)
                incoming = dataclasses.replace(incoming, chat_id=chat)
            elif self.pages is not None and self.pages.owns(incoming.payload):
                reply = await self.pages.press("vk", event.user_id, incoming.payload or "")
                if self.coordinator is not None and reply.messages:
                    await self.coordinator.send(event.peer_id, reply)
                notice = reply.notice
                return
            if not on_page and self.coordinator is not None and self.coordinator.owns(
                incoming.payload
            ):
                notice = await self.coordinator.on_press(
                    event.peer_id, event.user_id, event.conversation_message_id,
                    incoming.payload or "",
                )
            else:
                payload = Payload.unpack(incoming.payload)
                if payload is not None and payload.action.by_staff:
                    incoming = dataclasses.replace(incoming, user_name=await self.name_of(event))
                notice = (await self.core.handle(incoming)).notice
        finally:
            await self._answer_press(event, notice)

    async def _answer_press(self, event: MessageEvent, notice: str | None) -> None:
        """The snackbar (or the empty answer) for a press. It shares the token's 20 calls a
        second with the outbox, which may be using all of them: "too many requests" (error 6)
        is retried after a pause, within the minute VK keeps the event."""
        for attempt in range(1, ANSWER_ATTEMPTS + 1):
            try:
                if notice:
                    await event.show_snackbar(notice)
                else:
                    await event.send_empty_answer()
                return
            except VKAPIError as exc:  # expired (VK keeps it about a minute), or too many calls
                if exc.code == TOO_MANY_REQUESTS and attempt < ANSWER_ATTEMPTS:
                    await asyncio.sleep(ANSWER_PAUSE * attempt)
                    continue
                log.warning("VK did not take the button answer: error %s", exc.code)
                return
            except (TimeoutError, aiohttp.ClientError) as exc:
                # By type only: aiohttp errors carry the request URL, and with it the token.
                log.warning("VK unreachable for the button answer: %s", type(exc).__name__)
                return


    async def name_of(self, event: MessageEvent) -> str:
        """The name of a staff member who pressed a card button, for the card's status line
        («В работе: Иван Петров»). VK sends no name with an event: one ``users.get`` per person
        per process (cached); "" if VK does not answer — the status line then names nobody."""
        user_id = event.user_id
        if user_id not in self._names:
            try:
                users = await event.ctx_api.users.get(user_ids=[user_id])
            except (VKAPIError, TimeoutError, aiohttp.ClientError) as exc:
                log.info("VK gave no name for a button press: %s", type(exc).__name__)
                return ""
            name = f"{users[0].first_name} {users[0].last_name}".strip() if users else ""
            if len(self._names) >= NAMES_CACHED:
                self._names.pop(next(iter(self._names)))
            self._names[user_id] = name
        return self._names[user_id]

    def _invite_links(self, token: str) -> str:
        if self.group_id is None:
            return ""
        return texts.INVITE_VK_LINK.format(link=f"https://vk.me/club{self.group_id}?ref={token}")


def invite_code(message: Message) -> str | None:
    """The invite code of an administrator: VK puts the ``ref`` of a vk.me link into the first
    message written through it; a code typed (or pasted) alone works too."""
    for candidate in (message.ref or "", (message.text or "").strip()):
        if looks_like_token(candidate):
            return candidate
    return None


def incoming_message(message: Message) -> IncomingMessage:
    # An administrator answers a card by a VK reply, or by forwarding the card with the answer:
    # both point at the bot's message the way a Telegram reply does.
    reply = message.reply_message
    if reply is None and message.fwd_messages and len(message.fwd_messages) == 1:
        reply = message.fwd_messages[0]
    return IncomingMessage(
        channel="vk",
        chat_id=message.peer_id,
        user_id=message.from_id,
        message_id=message.id or message.conversation_message_id or 0,
        text=message.text or "",
        attachments=attachments_of(message),
        location=location_of(message),
        reply_to=(reply.id or reply.conversation_message_id) if reply is not None else None,
    )


def incoming_button(event: MessageEvent) -> IncomingMessage:
    payload = event.payload
    # Our buttons carry {"p": "<core payload>"} (see `transport.inline_keyboard`). Anything
    # else is a button of some older keyboard: it is passed on as JSON, never as "", because the
    # core takes an empty payload for a plain message (an empty appeal) and ignores unknown ones.
    if isinstance(payload, dict) and isinstance(payload.get("p"), str):
        value = payload["p"]
    else:
        value = json.dumps(payload, ensure_ascii=False, sort_keys=True)
    return IncomingMessage(
        channel="vk",
        chat_id=event.peer_id,
        user_id=event.user_id,
        message_id=event.conversation_message_id or 0,
        payload=value,
    )


def attachments_of(message: Message) -> tuple[Attachment, ...]:
    """Photos and documents as VK attachment strings, which `VKTransport` can send again.

    The access key is kept: without it VK refuses to resend a private user's photo. Other kinds
    (stickers, audio, video) are not passed on.
    """
    found: list[Attachment] = []
    for item in message.attachments or ():
        if item.photo is not None:
            p = item.photo
            ref = _ref("photo", p.owner_id, p.id, p.access_key)
            found.append(Attachment("photo", ref, url=_largest(p.sizes)))
        elif item.doc is not None:
            d = item.doc
            ref = _ref("doc", d.owner_id, d.id, d.access_key)
            found.append(Attachment("document", ref, url=d.url or None))
    return tuple(found)


def _largest(sizes: Any) -> str | None:
    """The URL of the biggest size of a photo: what the other channel downloads and re-sends
    (a community token cannot ask VK for it later by the photo's id)."""
    best = max(sizes or (), key=lambda s: (s.width or 0) * (s.height or 0), default=None)
    return best.url if best is not None and best.url else None


def _ref(kind: str, owner_id: int, item_id: int, access_key: str | None) -> str:
    ref = f"{kind}{owner_id}_{item_id}"
    return f"{ref}_{access_key}" if access_key else ref


def location_of(message: Message) -> Location | None:
    geo = message.geo
    if geo is None or geo.coordinates is None:
        return None
    return Location(lat=geo.coordinates.latitude, lon=geo.coordinates.longitude)


class VKPollingState(BotPolling):
    """vkbottle's long poll with its ``ts`` file in our data directory.

    vkbottle keeps ``Path.cwd()/.vkbottle/bot-polling/<group_id>.json``: in production that is
    the repository checkout (or wherever the service happens to start). Here the same file lives
    under ``data_dir``, next to the bot's other state.
    """

    def __init__(self, data_dir: Path, **options: Any) -> None:
        super().__init__(**options)
        self.data_dir = Path(data_dir)

    @property
    def ts_state_path(self) -> Path:
        if self.group_id is None:
            raise RuntimeError("Bot polling state path is unavailable before group_id is resolved")
        return self.data_dir / "vk-polling" / f"{self.group_id}.json"


def make_vk_bot(
    api: API,
    labeler: BotLabeler,
    data_dir: Path,
    *,
    skip_old_events: bool = False,
    error_handler: ABCErrorHandler | None = None,
) -> Bot:
    """A vkbottle `Bot` on ``api`` and ``labeler`` that keeps its polling state in ``data_dir``.

    ``skip_old_events`` is off by default: after a restart the bot resumes from the saved ``ts``,
    so what citizens wrote while it was down is not lost; the inbox and the core drop anything
    seen twice. ``error_handler``: vkbottle's (handlers' errors logged) unless given — the bot
    fed by the inbox raises them (`handlers.vk.inbox.HandlerErrorsRaised`).
    """
    polling = VKPollingState(data_dir, api=api, skip_old_events=skip_old_events)
    return Bot(
        api=api, labeler=labeler, polling=polling, skip_old_events=skip_old_events,
        error_handler=error_handler,
    )

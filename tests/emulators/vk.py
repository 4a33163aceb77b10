"""A local stand-in for the VK API and Bots Long Poll, for end-to-end tests of the VK channel.

The real vkbottle bot talks to it through vkbottle's real HTTP client, so everything the bot can
observe must look like VK: method calls are ``POST {base}/method/{name}?access_token=…&v=…`` with a
form body and are answered with HTTP 200 and either ``{"response": …}`` or
``{"error": {"error_code", "error_msg", "request_params"}}``; the long-poll server is whatever URL
``groups.getLongPollServer`` returned, and speaks ``act=a_check&key&ts&wait``.

Usage::

    async with VKEmulator() as vk:
        api = API(vk.token, http_client=AiohttpClient())
        api.API_URL = vk.api_url
        ...
        await vk.user_sends_text(100, "Привет")
        reply = await vk.wait_for_sent(lambda m: m.peer_id == 100)

What is modelled, and why:

* **Permission to write.** VK lets a community write to a user only after the user wrote to it
  (or allowed messages); otherwise ``messages.send`` fails with 901. Users become "allowed" when
  they send something through the emulator or via :meth:`VKEmulator.user_allows_messages`.
* **De-duplication by ``random_id``.** A repeated non-zero ``random_id`` from the community within
  :attr:`VKEmulator.dedup_window` returns the first answer and sends nothing: that is what makes a
  retried send safe, so the bot's outbox can be tested against it.
* **``peer_id`` vs ``peer_ids``.** With ``peer_id`` the answer is a message id and errors are
  top-level; with ``peer_ids`` (what vkbottle's ``Message.answer`` uses) the answer is a list of
  ``{peer_id, message_id, conversation_message_id}`` and a per-recipient failure such as 901 is
  reported *inside* the item as ``{"error": {"code", "description"}}`` — no exception is raised.
* **Rate limit and faults.** 20 calls/s per token (error 6), injectable flood control (9), HTTP
  5xx, dropped connections and slow answers, drawn from a seeded RNG so a failing run repeats.

* **Files.** A user's photo or document arrives as an attachment whose URLs serve its bytes
  from the emulator (`downloads` lists what the bot fetched); the bot's own go through
  ``photos.getMessagesUploadServer``/``saveMessagesPhoto`` and ``docs.getMessagesUploadServer``/
  ``docs.save``, and read back with `photo_bytes`/`doc_bytes`.

Callback API: `VKEmulator.callback_server` POSTs the same events to a bot's server.

Several communities (`VKEmulator.add_community`): each is a `VKEmulator` of its own — its own
token, users' permissions, messages, events, long poll and 20 calls a second — answering on the
first one's address; a call goes to the community its token belongs to. ``groups.getById``
without a ``group_id`` names the token's community; with one, any community of the emulator (by
id, ``club<id>`` or short name). `VKEmulator.user_token` makes a user's token: it has no
community, so ``groups.getById`` without ``group_id`` answers error 100, as VK does. Files are
the first community's only.

Not modelled: chats beyond the bare peer id, ``message_reply`` events, ``execute``.
Error codes without a well-known VK text (an unknown ``event_id``, a missing message to edit) use
error 100 "One of the parameters specified was missing or invalid", which is what VK answers for
most bad parameters.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import hashlib
import json
import random
import secrets
import time
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp import web

from tests.emulators.broken import broken_answer
from tests.emulators.vk_wall import WallEmulation

API_VERSION = "5.199"
MAX_MESSAGE_LENGTH = 4096
CHAT_PEER_OFFSET = 2_000_000_000

ERROR_TEXTS = {
    1: "Unknown error occurred",
    3: "Unknown method passed",
    5: "User authorization failed: invalid access_token (4).",
    6: "Too many requests per second",
    9: "Flood control",
    10: "Internal server error",
    100: "One of the parameters specified was missing or invalid",
    15: "Access denied",
    901: "Can't send messages for users without permission",
    909: "Can't edit this message, because it's too old",
    911: "Keyboard format is invalid",
    914: "Message is too long",
    920: "Can't edit this kind of message",
    212: "Access to post comments denied",
}


class VKError(Exception):
    """Raised inside a method handler; becomes a VK ``{"error": …}`` body with HTTP 200."""

    def __init__(self, code: int, detail: str | None = None) -> None:
        text = ERROR_TEXTS.get(code, "Unknown error occurred")
        super().__init__(f"{text}: {detail}" if detail else text)
        self.code = code


@dataclasses.dataclass
class SentMessage:
    """One message the community delivered through ``messages.send`` (one per recipient)."""

    message_id: int
    conversation_message_id: int
    peer_id: int
    text: str
    keyboard: dict[str, Any] | None
    attachments: list[str]
    random_id: int
    reply_to: int | None
    forward: dict[str, Any] | None
    forward_messages: list[int]
    payload: str | None
    params: dict[str, str]


@dataclasses.dataclass
class EventAnswer:
    """A ``messages.sendMessageEventAnswer`` call: what the user saw when the button stopped."""

    event_id: str
    user_id: int
    peer_id: int
    event_data: dict[str, Any] | None


@dataclasses.dataclass
class Faults:
    """Probabilities (0..1) of faults on each ``/method/`` call; changed freely while running.

    ``drop`` closes the connection without an answer, ``http_5xx`` answers 502 with an HTML page
    (as VK's frontends do), ``slow`` delays the answer by ``slow_seconds``. The long-poll endpoint
    and file uploads are not affected: those are other VK servers.
    """

    error_6: float = 0.0
    error_9: float = 0.0
    http_5xx: float = 0.0
    drop: float = 0.0
    slow: float = 0.0
    slow_seconds: float = 0.5


@dataclasses.dataclass
class _User:
    first_name: str
    last_name: str
    allowed: bool = False


class VKEmulator(WallEmulation):
    """VK API + Bots Long Poll for one community, on ``127.0.0.1`` and a free port; its wall
    (posts, comments) is `tests.emulators.vk_wall`.

    Everything runs in the test's event loop; no threads.
    """

    VKError = VKError

    def __init__(
        self,
        *,
        group_id: int = 229_000_001,
        group_name: str = "Обращения граждан",
        token: str | None = None,
        rate_limit: int = 20,
        seed: int = 0,
        dedup_window: float = 3600.0,
        max_long_poll_wait: float = 1.0,
        event_ttl: float = 60.0,
        edit_age_limit: float = 24 * 3600.0,
    ) -> None:
        self.group_id = group_id
        self.group_name = group_name
        self.token = token or "vk1.a." + secrets.token_hex(32)
        #: calls per second per token before error 6; tighten it in tests.
        self.rate_limit = rate_limit
        self.dedup_window = dedup_window
        #: the long poll honours ``wait`` but never holds a request longer than this, so a test
        #: that stops the bot does not wait 25 s for the last poll to come back.
        self.max_long_poll_wait = max_long_poll_wait
        self.event_ttl = event_ttl
        #: messages older than this (seconds) answer ``messages.edit`` with 909; the old
        #: vk.com/dev page said 24 hours (dev.vk.com gives no number). See `age_message`.
        self.edit_age_limit = edit_age_limit
        self.faults = Faults()
        self.rng = random.Random(seed)

        self.sent: list[SentMessage] = []
        self.edits: list[dict[str, Any]] = []
        self.event_answers: list[EventAnswer] = []
        #: every error code given to the bot, counted: ``errors_given[6]``.
        self.errors_given: collections.Counter[int] = collections.Counter()
        self.calls: list[tuple[str, dict[str, str]]] = []
        #: names of the files the bot downloaded (photos' sizes, documents), in order.
        self.downloads: list[str] = []
        self.http_5xx_given = 0
        self.connections_dropped = 0
        #: long-poll requests seen so far; a bot is listening once this is above zero.
        self.long_polls = 0

        self._users: dict[int, _User] = {}
        self._messages: dict[int, dict[str, Any]] = {}
        self._next_message_id = 1
        self._cmid: collections.Counter[int] = collections.Counter()
        self._updates: list[dict[str, Any]] = []  # update number = index + 1
        self._lp_key = secrets.token_hex(20)
        self._pending_events: dict[str, tuple[int, int, float]] = {}
        self._dedup: dict[int, tuple[float, Any]] = {}
        self._call_times: dict[str, collections.deque[float]] = {}
        self._fail_next: dict[str, list[int | str]] = {}
        self._files: dict[str, bytes] = {}
        self._uploads: dict[str, tuple[str, bytes]] = {}
        self._photos: dict[str, str] = {}  # "photo{owner}_{id}" -> file name
        self._next_photo_id = 457_239_017
        self._changed = asyncio.Condition()
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.base_url = ""
        self._wall_init()
        #: Every community answering on this address, by token and by id (itself included).
        self._by_token: dict[str, VKEmulator] = {self.token: self}
        self._by_group: dict[int, VKEmulator] = {self.group_id: self}
        self._user_tokens: set[str] = set()
        self.screen_name = f"club{group_id}"
        self._host: VKEmulator | None = None  # the community whose address this one answers on

    # ------------------------------------------------------------------ lifecycle

    async def __aenter__(self) -> VKEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/method/{name}", self._handle_method)
        app.router.add_route("*", "/longpoll/{group_id}", self._handle_long_poll)
        app.router.add_post("/upload/{token}", self._handle_upload)
        app.router.add_get("/files/{name}", self._handle_file)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.base_url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def stop(self) -> None:
        for other in list(self._by_group.values()):
            if other._host is self:
                await other.stop()
        self._closing.set()
        async with self._changed:
            self._changed.notify_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def api_url(self) -> str:
        """What to put in ``API.API_URL``."""
        return f"{self.base_url}/method/"

    @property
    def long_poll_server(self) -> str:
        return f"{self.base_url}/longpoll/{self.group_id}"

    # ------------------------------------------------------------------ several communities

    def add_community(
        self, group_id: int, name: str, *, token: str | None = None, screen_name: str | None = None
    ) -> VKEmulator:
        """Another community on this emulator's address, with its own token and limits (the
        same `rate_limit`); call after `start`. Returns it: its `user_sends_text`,
        `sent`, `callback_server`… are its own."""
        other = VKEmulator(
            group_id=group_id, group_name=name, token=token, rate_limit=self.rate_limit,
            max_long_poll_wait=self.max_long_poll_wait, event_ttl=self.event_ttl,
        )
        other.base_url = self.base_url
        other._host = self
        other.screen_name = screen_name or f"club{group_id}"
        self._by_token[other.token] = other
        self._by_group[group_id] = other
        other._by_group = self._by_group  # every community can look every other up
        return other

    def user_token(self) -> str:
        """A user's access token: valid, but no community's."""
        token = "vk1.a.user-" + secrets.token_hex(16)
        self._user_tokens.add(token)
        return token

    @property
    def communities(self) -> list[VKEmulator]:
        return list(self._by_group.values())

    def errors_everywhere(self, code: int) -> int:
        """How often error ``code`` was given, to every community together."""
        return sum(c.errors_given[code] for c in self.communities)

    # ------------------------------------------------------------------ the user's side

    def _user(self, user_id: int) -> _User:
        if user_id not in self._users:
            self._users[user_id] = _User(f"Имя{user_id}", f"Фамилия{user_id}")
        return self._users[user_id]

    def add_user(self, user_id: int, first_name: str, last_name: str) -> None:
        """Give a user a name for ``users.get`` (otherwise "Имя<id> Фамилия<id>")."""
        user = self._user(user_id)
        user.first_name, user.last_name = first_name, last_name

    async def user_allows_messages(self, user_id: int) -> None:
        self._user(user_id).allowed = True
        await self._push("message_allow", {"user_id": user_id, "key": ""})

    async def user_denies_messages(self, user_id: int) -> None:
        """The user forbade messages from the community: further sends to them get 901."""
        self._user(user_id).allowed = False
        await self._push("message_deny", {"user_id": user_id})

    async def user_sends_text(
        self,
        user_id: int,
        text: str,
        reply_to: int | None = None,
        forward: list[int] | None = None,
        payload: dict[str, Any] | None = None,
        ref: str | None = None,
    ) -> dict[str, Any]:
        """A ``message_new`` as VK sends it; ``reply_to``/``forward`` are message ids.

        ``payload`` is what a text keyboard button carries; ``ref`` is what VK adds to the first
        message written after opening a ``vk.me/club<id>?ref=…`` link. Returns the message object.
        """
        extra: dict[str, Any] = {}
        if reply_to is not None:
            extra["reply_message"] = self._foreign(self._stored(reply_to))
        if forward:
            extra["fwd_messages"] = [self._foreign(self._stored(m)) for m in forward]
        if payload is not None:
            extra["payload"] = json.dumps(payload, ensure_ascii=False)
        if ref is not None:
            extra["ref"] = ref
        return await self._incoming(user_id, text, [], extra)

    async def user_sends_photo(self, user_id: int, data: bytes, text: str = "") -> dict[str, Any]:
        """A photo message; the attachment's size URLs serve ``data`` from the emulator."""
        photo_id = self._new_photo_id()
        access_key = secrets.token_hex(9)
        name = f"photo{user_id}_{photo_id}.jpg"
        self._files[name] = data
        self._photos[f"photo{user_id}_{photo_id}"] = name
        photo = self._photo_object(user_id, photo_id, access_key, name, album_id=-3)
        return await self._incoming(user_id, text, [{"type": "photo", "photo": photo}], {})

    async def user_sends_document(
        self, user_id: int, title: str, data: bytes, text: str = "", *, deleted: bool = False
    ) -> dict[str, Any]:
        """A message with a document, as VK gives it: a ``doc`` attachment with the ``title``
        the user's file had, its ``ext``, ``size`` and a ``url`` that serves ``data`` (VK's
        address carries a hash and ``dl``; a community token cannot ask for it later).
        ``deleted``: the user deleted the document at once, so its address answers 404."""
        doc_id = self._new_photo_id()
        name = f"doc{user_id}_{doc_id}"
        if not deleted:
            self._files[name] = data
        ext = title.rsplit(".", 1)[-1].lower() if "." in title else ""
        doc = {
            "id": doc_id,
            "owner_id": user_id,
            "title": title,
            "size": len(data),
            "ext": ext,
            "date": int(time.time()),
            "type": _DOC_TYPES.get(ext, 8),
            "url": f"{self.base_url}/files/{name}?hash={secrets.token_hex(9)}&dl="
            f"{secrets.token_hex(12)}&api=1&no_preview=1",
            "access_key": secrets.token_hex(9),
        }
        return await self._incoming(user_id, text, [{"type": "doc", "doc": doc}], {})

    async def user_sends_geo(self, user_id: int, lat: float, lon: float) -> dict[str, Any]:
        """A location message: VK puts it in the ``geo`` field, not in ``attachments``."""
        geo = {"type": "point", "coordinates": {"latitude": lat, "longitude": lon}}
        return await self._incoming(user_id, "", [], {"geo": geo})

    async def user_presses_callback_button(
        self, user_id: int, conversation_message_id: int, payload: dict[str, Any] | None
    ) -> str:
        """A ``message_event``; returns its ``event_id``, valid for ``event_ttl`` seconds."""
        event_id = secrets.token_hex(6)
        self._pending_events[event_id] = (user_id, user_id, time.monotonic())
        obj = {
            "user_id": user_id,
            "peer_id": user_id,
            "event_id": event_id,
            "payload": payload,
            "conversation_message_id": conversation_message_id,
        }
        await self._push("message_event", obj)
        return event_id

    async def _incoming(
        self, user_id: int, text: str, attachments: list[dict[str, Any]], extra: dict[str, Any]
    ) -> dict[str, Any]:
        self._user(user_id).allowed = True  # writing to a community lets it answer
        message = self._store(from_id=user_id, peer_id=user_id, text=text, out=0)
        message.update(attachments=attachments, **extra)
        client_info = {
            "button_actions": [
                "text",
                "vkpay",
                "open_app",
                "location",
                "open_link",
                "callback",
                "intent_subscribe",
                "intent_unsubscribe",
            ],
            "keyboard": True,
            "inline_keyboard": True,
            "carousel": True,
            "lang_id": 0,
        }
        await self._push("message_new", {"message": message, "client_info": client_info})
        return message

    # ------------------------------------------------------------------ inspection

    def sent_to(self, peer_id: int) -> list[SentMessage]:
        return [m for m in self.sent if m.peer_id == peer_id]

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        """Wait until ``predicate()`` is truthy (re-checked on every change); return its value."""

        async def until() -> Any:
            async with self._changed:
                while not (result := predicate()):
                    await self._changed.wait()
                return result

        return await asyncio.wait_for(until(), timeout)

    async def wait_for_sent(
        self, predicate: Callable[[SentMessage], bool] = lambda m: True, timeout: float = 5.0
    ) -> SentMessage:
        """The first sent message (already sent or yet to come) that matches ``predicate``."""
        return await self.wait_for(
            lambda: next((m for m in self.sent if predicate(m)), None), timeout
        )

    async def wait_for_listener(self, timeout: float = 5.0) -> None:
        """Wait until a bot has made its first long-poll request.

        Events pushed before the bot asked ``groups.getLongPollServer`` are older than the ``ts``
        it gets, and vkbottle (``skip_old_events=True``) never sees them — as with real VK.
        """
        await self.wait_for(lambda: self.long_polls > 0, timeout)

    def photo_bytes(self, attachment: str) -> bytes:
        """The bytes behind ``photo{owner}_{id}[_{access_key}]``, to check what the bot sent."""
        key = "_".join(attachment.split("_")[:2])
        return self._files[self._photos[key]]

    def delete_photo(self, attachment: str) -> None:
        """The owner deleted the photo: its size URLs answer 404 from now on."""
        key = "_".join(attachment.split("_")[:2])
        self._files.pop(self._photos[key], None)

    def doc_bytes(self, attachment: str) -> bytes:
        """The bytes behind ``doc{owner}_{id}[_{access_key}]`` uploaded through docs.save."""
        return self._files["_".join(attachment.split("_")[:2])]

    def message(self, message_id: int) -> dict[str, Any]:
        return self._stored(message_id)

    def age_message(self, message_id: int, seconds: float) -> None:
        """Make a message ``seconds`` older (a test hook for 909 "too old to edit")."""
        self._stored(message_id)["date"] -= int(seconds)

    def buttons_of(self, message_id: int) -> list[str]:
        """The labels of a message's keyboard as it is now (after any edits)."""
        keyboard = self._stored(message_id).get("keyboard") or {}
        return [b["action"].get("label", "") for row in keyboard.get("buttons", []) for b in row]

    # ------------------------------------------------------------------ fault injection

    def fail_next(self, method: str, times: int = 1, code: int | str = 10) -> None:
        """The next ``times`` calls of ``method`` answer error ``code`` (checked before limits),
        or, for a kind of `tests.emulators.broken.KINDS` (``"html"``, ``"redirect"``…), what a
        wrong address or a broken proxy answers instead of VK (checked before the token)."""
        self._fail_next.setdefault(method, []).extend([code] * times)

    def callback_server(self, url: str, secret: str | None = None) -> CallbackDelivery:
        """Send this community's events to a Callback API server at ``url`` from now on."""
        return CallbackDelivery(self, url, secret)

    def expire_long_poll_key(self) -> None:
        """VK rotates keys; the next poll with the old key gets ``failed: 2``."""
        self._lp_key = secrets.token_hex(20)

    # ------------------------------------------------------------------ HTTP: /method/

    async def _handle_method(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        params: dict[str, str] = dict(request.query)
        if request.can_read_body:
            form = await request.post()
            params.update({k: v for k, v in form.items() if isinstance(v, str)})
        token = params.pop("access_token", "")
        if token in self._user_tokens:
            return web.json_response(self._as_user(name, params))
        owner = self._by_token.get(token)
        if owner is not None and owner is not self:
            return await owner._answer(name, params, token, request)
        return await self._answer(name, params, token, request)

    def _as_user(self, name: str, params: dict[str, str]) -> dict[str, Any]:
        """A user's token: ``groups.getById`` needs a ``group_id`` (no community of its own)."""
        wanted = params.get("group_id") or params.get("group_ids")
        if name == "groups.getById" and wanted:
            found = self._lookup(wanted)
            if found is not None:
                return {"response": {"groups": [found._community()], "profiles": []}}
        code = 100
        return {"error": {"error_code": code, "error_msg": ERROR_TEXTS.get(code, ""),
                          "request_params": []}}

    def _lookup(self, wanted: str) -> VKEmulator | None:
        for community in self._by_group.values():
            if wanted in (str(community.group_id), f"club{community.group_id}",
                          community.screen_name):
                return community
        return None

    async def _answer(
        self, name: str, params: dict[str, str], token: str, request: web.Request
    ) -> web.StreamResponse:
        self.calls.append((name, dict(params)))
        if self._fail_next.get(name) and isinstance(self._fail_next[name][0], str):
            return broken_answer(str(self._fail_next[name].pop(0)), request)

        if self.faults.slow and self.rng.random() < self.faults.slow:
            await asyncio.sleep(self.faults.slow_seconds)
        if self.faults.drop and self.rng.random() < self.faults.drop:
            self.connections_dropped += 1
            assert request.transport is not None
            request.transport.abort()
            return web.Response()  # never reaches the client
        if self.faults.http_5xx and self.rng.random() < self.faults.http_5xx:
            self.http_5xx_given += 1
            return web.Response(
                status=502,
                text="<html><body><h1>502 Bad Gateway</h1></body></html>",
                content_type="text/html",
            )

        try:
            if token != self.token:
                raise VKError(5)
            if self._fail_next.get(name):
                raise VKError(int(self._fail_next[name].pop(0)))
            self._check_rate(token)
            if self.faults.error_6 and self.rng.random() < self.faults.error_6:
                raise VKError(6)
            if self.faults.error_9 and self.rng.random() < self.faults.error_9:
                raise VKError(9)
            handler = getattr(self, "_m_" + name.replace(".", "_"), None)
            if handler is None:
                raise VKError(3)
            response = await handler(params)
        except VKError as e:
            self.errors_given[e.code] += 1
            request_params = [{"key": "method", "value": name}, {"key": "oauth", "value": "1"}]
            request_params += [{"key": k, "value": v} for k, v in params.items()]
            body = {
                "error": {
                    "error_code": e.code,
                    "error_msg": str(e),
                    "request_params": request_params,
                }
            }
            return web.json_response(body)
        await self._notify()
        return web.json_response({"response": response})

    def _check_rate(self, token: str) -> None:
        now = time.monotonic()
        times = self._call_times.setdefault(token, collections.deque())
        while times and now - times[0] >= 1.0:
            times.popleft()
        if len(times) >= self.rate_limit:
            raise VKError(6)
        times.append(now)

    # ------------------------------------------------------------------ methods

    def _community(self) -> dict[str, Any]:
        return {
            "id": self.group_id,
            "name": self.group_name,
            "screen_name": self.screen_name,
            "is_closed": 0,
            "type": "group",
            "photo_50": f"{self.base_url}/files/group_50.jpg",
            "photo_100": f"{self.base_url}/files/group_100.jpg",
            "photo_200": f"{self.base_url}/files/group_200.jpg",
        }

    async def _m_groups_getById(self, params: dict[str, str]) -> Any:
        # v5.199 shape: an object with "groups" (vkbottle's BotPolling.get_server reads it).
        wanted = params.get("group_id") or params.get("group_ids")
        community = self._lookup(wanted) if wanted else self
        if community is None:
            raise VKError(100, "group_id is invalid")
        return {"groups": [community._community()], "profiles": []}

    async def _m_groups_getLongPollServer(self, params: dict[str, str]) -> Any:
        if int(params.get("group_id", 0)) != self.group_id:
            raise VKError(100, "group_id is undefined or invalid")
        return {
            "key": self._lp_key,
            "server": self.long_poll_server,
            "ts": str(len(self._updates) + 1),
        }

    async def _m_users_get(self, params: dict[str, str]) -> Any:
        ids = [int(i) for i in params.get("user_ids", params.get("user_id", "")).split(",") if i]
        return [
            {
                "id": i,
                "first_name": self._user(i).first_name,
                "last_name": self._user(i).last_name,
                "can_access_closed": True,
                "is_closed": False,
            }
            for i in ids
        ]

    async def _m_messages_send(self, params: dict[str, str]) -> Any:
        if "random_id" not in params:
            raise VKError(100, "random_id is a required parameter")
        random_id = int(params["random_id"])
        text = params.get("message", "")
        attachments = [a for a in params.get("attachment", "").split(",") if a]
        if len(text) > MAX_MESSAGE_LENGTH:
            raise VKError(914)
        if not text and not attachments and "sticker_id" not in params:
            raise VKError(100, "message is empty or invalid")
        keyboard = None
        if params.get("keyboard"):
            try:
                keyboard = json.loads(params["keyboard"])
            except ValueError:
                raise VKError(911) from None
            if not isinstance(keyboard, dict) or not isinstance(keyboard.get("buttons"), list):
                raise VKError(911)
            _check_keyboard(keyboard)

        now = time.monotonic()
        if random_id and random_id in self._dedup:
            first_at, first_answer = self._dedup[random_id]
            if now - first_at < self.dedup_window:
                return first_answer

        many = "peer_ids" in params
        if many:
            peers = [int(p) for p in params["peer_ids"].split(",") if p]
        elif "peer_id" in params or "user_id" in params:
            peers = [int(params.get("peer_id") or params["user_id"])]
        else:
            raise VKError(100, "peer_id is undefined")

        items = []
        for peer in peers:
            if not self._may_write(peer):
                if not many:
                    raise VKError(901)
                # message_id 0 and no conversation_message_id: the shape vkbottle_types'
                # hand-written MessagesSendUserIdsResponseItem accepts (message_id is required).
                error = {"code": 901, "description": ERROR_TEXTS[901]}
                items.append({"peer_id": peer, "message_id": 0, "error": error})
                continue
            stored = self._store(from_id=-self.group_id, peer_id=peer, text=text, out=1)
            stored["random_id"] = random_id
            stored["attachments"] = self._attachment_objects(attachments)
            if keyboard is not None:
                stored["keyboard"] = keyboard
            self.sent.append(
                SentMessage(
                    message_id=stored["id"],
                    conversation_message_id=stored["conversation_message_id"],
                    peer_id=peer,
                    text=text,
                    keyboard=keyboard,
                    attachments=attachments,
                    random_id=random_id,
                    reply_to=int(params["reply_to"]) if params.get("reply_to") else None,
                    forward=json.loads(params["forward"]) if params.get("forward") else None,
                    forward_messages=[
                        int(m) for m in params.get("forward_messages", "").split(",") if m
                    ],
                    payload=params.get("payload"),
                    params=dict(params),
                )
            )
            items.append(
                {
                    "peer_id": peer,
                    "message_id": stored["id"],
                    "conversation_message_id": stored["conversation_message_id"],
                }
            )
        answer: Any = items if many else items[0]["message_id"]
        if random_id:
            self._dedup[random_id] = (now, answer)
        return answer

    def _may_write(self, peer_id: int) -> bool:
        if peer_id >= CHAT_PEER_OFFSET:
            return True
        return peer_id in self._users and self._users[peer_id].allowed

    async def _m_messages_sendMessageEventAnswer(self, params: dict[str, str]) -> Any:
        event_id = params.get("event_id", "")
        pending = self._pending_events.pop(event_id, None)
        if pending is None or time.monotonic() - pending[2] > self.event_ttl:
            raise VKError(100, "event_id is undefined or expired")
        user_id, peer_id, _ = pending
        if int(params.get("user_id", 0)) != user_id or int(params.get("peer_id", 0)) != peer_id:
            raise VKError(100, "user_id or peer_id does not match the event")
        data = json.loads(params["event_data"]) if params.get("event_data") else None
        self.event_answers.append(EventAnswer(event_id, user_id, peer_id, data))
        return 1

    async def _m_messages_edit(self, params: dict[str, str]) -> Any:
        """VK's rules as far as they are known: the message must be in ``peer_id`` (100
        otherwise) and the community's own (920, "this kind of message", for someone else's);
        older than `edit_age_limit` → 909. The text and the attachments are replaced: those
        not named again are gone; the keyboard is replaced when given (an empty one takes the
        buttons away) and kept otherwise."""
        peer_id = int(params.get("peer_id", 0))
        if params.get("message_id"):
            message = self._messages.get(int(params["message_id"]))
        else:
            cmid = int(params.get("conversation_message_id") or params.get("cmid") or 0)
            message = next(
                (
                    m
                    for m in self._messages.values()
                    if m["peer_id"] == peer_id and m["conversation_message_id"] == cmid
                ),
                None,
            )
        if message is None or message["peer_id"] != peer_id:
            raise VKError(100, "message_id is undefined")
        if message["out"] != 1:
            raise VKError(920)
        if time.time() - message["date"] > self.edit_age_limit:
            raise VKError(909)
        text = params.get("message", "")
        attachments = [a for a in params.get("attachment", "").split(",") if a]
        if len(text) > MAX_MESSAGE_LENGTH:
            raise VKError(914)
        if not text and not attachments:
            raise VKError(100, "message is empty or invalid")
        if params.get("keyboard"):
            try:
                keyboard = json.loads(params["keyboard"])
            except ValueError:
                raise VKError(911) from None
            if not isinstance(keyboard, dict) or not isinstance(keyboard.get("buttons"), list):
                raise VKError(911)
            _check_keyboard(keyboard)
            message["keyboard"] = keyboard
        message["text"] = text
        message["attachments"] = self._attachment_objects(attachments)
        message["update_time"] = int(time.time())
        self.edits.append({"message_id": message["id"], **params})
        return 1

    async def _m_messages_getById(self, params: dict[str, str]) -> Any:
        ids = [int(i) for i in params.get("message_ids", "").split(",") if i]
        items = [self._messages[i] for i in ids if i in self._messages]
        return {"count": len(items), "items": items}

    async def _m_messages_getByConversationMessageId(self, params: dict[str, str]) -> Any:
        peer_id = int(params.get("peer_id", 0))
        cmids = {int(i) for i in params.get("conversation_message_ids", "").split(",") if i}
        items = [
            m
            for m in self._messages.values()
            if m["peer_id"] == peer_id and m["conversation_message_id"] in cmids
        ]
        return {"count": len(items), "items": items}

    async def _m_photos_getMessagesUploadServer(self, params: dict[str, str]) -> Any:
        return {
            "album_id": -3,
            "upload_url": self._new_upload_url("photo"),
            "user_id": 0,
            "group_id": self.group_id,
        }

    async def _m_photos_saveMessagesPhoto(self, params: dict[str, str]) -> Any:
        upload = self._take_upload(params.get("photo", ""), params.get("hash", ""), "photo")
        owner_id = -self.group_id
        photo_id = self._new_photo_id()
        name = f"photo{owner_id}_{photo_id}.jpg"
        self._files[name] = upload
        self._photos[f"photo{owner_id}_{photo_id}"] = name
        return [self._photo_object(owner_id, photo_id, secrets.token_hex(9), name, -64)]

    async def _m_docs_getMessagesUploadServer(self, params: dict[str, str]) -> Any:
        return {"upload_url": self._new_upload_url("doc")}

    async def _m_docs_save(self, params: dict[str, str]) -> Any:
        upload = self._take_upload(params.get("file", ""), None, "doc")
        owner_id, doc_id = -self.group_id, self._new_photo_id()
        title = params.get("title") or "document"
        name = f"doc{owner_id}_{doc_id}"
        self._files[name] = upload
        doc = {
            "id": doc_id,
            "owner_id": owner_id,
            "title": title,
            "size": len(upload),
            "ext": title.rsplit(".", 1)[-1] if "." in title else "",
            "url": f"{self.base_url}/files/{name}",
            "date": int(time.time()),
            "type": 8,
            "access_key": secrets.token_hex(9),
        }
        return {"type": "doc", "doc": doc}

    # ------------------------------------------------------------------ uploads and files

    def _new_upload_url(self, kind: str) -> str:
        token = secrets.token_hex(8)
        self._uploads[token] = (kind, b"")
        return f"{self.base_url}/upload/{token}"

    async def _handle_upload(self, request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        if token not in self._uploads:
            return web.json_response({"error": "upload_url expired"})
        kind, _ = self._uploads[token]
        form = await request.post()
        field = form.get("photo" if kind == "photo" else "file")
        if field is None or isinstance(field, str):
            return web.json_response({"error": "no file"})
        data = field.file.read()
        self._uploads[token] = (kind, data)
        if kind == "doc":
            return web.json_response({"file": token})
        server = self.rng.randint(800_000, 899_999)
        photo = json.dumps([{"photo": token, "sizes": [], "kid": secrets.token_hex(4)}])
        return web.json_response({"server": server, "photo": photo, "hash": _hash(token)})

    def _take_upload(self, raw: str, hash_: str | None, kind: str) -> bytes:
        token = raw
        if kind == "photo":
            try:
                token = json.loads(raw)[0]["photo"]
            except (ValueError, LookupError, TypeError):
                raise VKError(100, "photo is undefined") from None
            if hash_ != _hash(token):
                raise VKError(100, "hash is invalid")
        entry = self._uploads.pop(token, None)
        if entry is None or entry[0] != kind or not entry[1]:
            raise VKError(100, f"{kind} is undefined")
        return entry[1]

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        self.downloads.append(name)
        data = self._files.get(name)
        if data is None:
            raise web.HTTPNotFound()
        kind = "application/octet-stream" if name.startswith("doc") else "image/jpeg"
        return web.Response(body=data, content_type=kind)

    def _attachment_objects(self, strings: list[str]) -> list[dict[str, Any]]:
        """Objects for the photos among ``strings`` (the ones the emulator knows), so a message
        the bot sent reads back through ``messages.getById`` as VK would show it."""
        objects = []
        for string in strings:
            key = "_".join(string.split("_")[:2])
            if key in self._photos:
                owner, photo_id = key.removeprefix("photo").split("_")
                access_key = string.split("_")[2] if string.count("_") >= 2 else ""
                photo = self._photo_object(
                    int(owner), int(photo_id), access_key, self._photos[key], album_id=-3
                )
                objects.append({"type": "photo", "photo": photo})
        return objects

    def _new_photo_id(self) -> int:
        self._next_photo_id += 1
        return self._next_photo_id

    def _photo_object(
        self, owner_id: int, photo_id: int, access_key: str, name: str, album_id: int
    ) -> dict[str, Any]:
        url = f"{self.base_url}/files/{name}"
        sizes = [
            {"type": t, "width": w, "height": h, "url": url}
            for t, w, h in (("s", 75, 56), ("m", 130, 97), ("x", 604, 453), ("y", 807, 605))
        ]
        return {
            "album_id": album_id,
            "date": int(time.time()),
            "id": photo_id,
            "owner_id": owner_id,
            "access_key": access_key,
            "sizes": sizes,
            "text": "",
            "has_tags": False,
        }

    # ------------------------------------------------------------------ long poll

    async def _handle_long_poll(self, request: web.Request) -> web.StreamResponse:
        group = request.match_info.get("group_id", "")
        owner = self._by_group.get(int(group)) if group.isdigit() else None
        if owner is not None and owner is not self:
            return await owner._handle_long_poll(request)
        params: dict[str, str] = dict(request.query)
        if request.can_read_body:
            form = await request.post()
            params.update({k: v for k, v in form.items() if isinstance(v, str)})
        if params.get("act") != "a_check" or params.get("key") != self._lp_key:
            return web.json_response({"failed": 2})
        current = len(self._updates) + 1
        try:
            ts = int(params.get("ts", ""))
        except ValueError:
            ts = -1
        if not 1 <= ts <= current:
            return web.json_response({"failed": 1, "ts": str(current)})
        wait = min(float(params.get("wait", 25) or 0), 90.0, self.max_long_poll_wait)
        self.long_polls += 1
        await self._notify()

        def fresh() -> bool:
            return len(self._updates) + 1 > ts or self._closing.is_set()

        with contextlib.suppress(TimeoutError):
            await self.wait_for(fresh, timeout=wait)
        updates = self._updates[ts - 1 :]
        return web.json_response({"ts": str(ts + len(updates)), "updates": updates})

    async def _push(self, event_type: str, obj: dict[str, Any]) -> None:
        self._updates.append(
            {
                "group_id": self.group_id,
                "type": event_type,
                "event_id": secrets.token_hex(20),
                "v": API_VERSION,
                "object": obj,
            }
        )
        await self._notify()

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # ------------------------------------------------------------------ message store

    def _store(self, *, from_id: int, peer_id: int, text: str, out: int) -> dict[str, Any]:
        self._cmid[peer_id] += 1
        message = {
            "id": self._next_message_id,
            "date": int(time.time()),
            "from_id": from_id,
            "peer_id": peer_id,
            "out": out,
            "version": self._next_message_id,
            "conversation_message_id": self._cmid[peer_id],
            "text": text,
            "attachments": [],
            "fwd_messages": [],
            "important": False,
            "is_hidden": False,
            "random_id": 0,
        }
        self._messages[message["id"]] = message
        self._next_message_id += 1
        return message

    def _stored(self, message_id: int) -> dict[str, Any]:
        if message_id not in self._messages:
            raise KeyError(f"no message {message_id} in the emulator")
        return self._messages[message_id]

    @staticmethod
    def _foreign(message: dict[str, Any]) -> dict[str, Any]:
        keys = ("id", "date", "from_id", "peer_id", "text", "conversation_message_id")
        foreign = {k: message[k] for k in keys}
        foreign["attachments"] = message["attachments"]
        return foreign


class CallbackDelivery:
    """VK's side of the Callback API for one community: events POSTed to the server's URL.

    Events are the same objects the long poll gives (``_push``), with ``secret`` added. VK counts
    an event delivered only when the answer is HTTP 200 with the body ``ok``; otherwise it sends
    it again later (in order), which `resend_last` plays out.
    """

    def __init__(self, vk: VKEmulator, url: str, secret: str | None) -> None:
        self.vk, self.url, self.secret = vk, url, secret
        self.next = len(vk._updates)  # events from now on go to the server
        self.answers: list[tuple[int, str]] = []
        self.last: dict[str, Any] | None = None

    async def confirm(self) -> str:
        """The confirmation request VK makes when the address is saved; returns the answer."""
        status, text = await self._post({"type": "confirmation", "group_id": self.vk.group_id})
        return text if status == 200 else f"HTTP {status}"

    async def deliver(self, secret: str | None = None) -> list[tuple[int, str]]:
        """POST every pending event (with ``secret`` instead of the real one, to play a
        forger); stops at the first one not answered ``ok``, which stays pending."""
        results = []
        while self.next < len(self.vk._updates):
            event = dict(self.vk._updates[self.next])
            if (secret or self.secret) is not None:
                event["secret"] = secret if secret is not None else self.secret
            result = await self._post(event)
            results.append(result)
            if result != (200, "ok"):
                break
            self.last = event
            self.next += 1
        return results

    async def resend_last(self) -> tuple[int, str]:
        """The last delivered event once more, as VK does when the ``ok`` came too late."""
        if self.last is None:
            raise RuntimeError("nothing delivered yet")
        return await self._post(self.last)

    async def _post(self, event: dict[str, Any]) -> tuple[int, str]:
        async with aiohttp.ClientSession() as http, http.post(self.url, json=event) as r:
            result = (r.status, await r.text())
        self.answers.append(result)
        return result


def _check_keyboard(keyboard: dict[str, Any]) -> None:
    """VK's keyboard limits (error 911): inline — 6 rows, 10 buttons; under the input field —
    10 rows, 40 buttons; 5 buttons a row in both; labels up to 40 characters; payloads up to
    255 bytes of JSON; a location button only outside inline keyboards and alone in its row."""
    rows = keyboard["buttons"]
    inline = bool(keyboard.get("inline"))
    max_rows, max_total = (6, 10) if inline else (10, 40)
    if len(rows) > max_rows:
        raise VKError(911, f"too many rows: {len(rows)} > {max_rows}")
    if sum(len(row) for row in rows) > max_total:
        raise VKError(911, f"too many buttons: more than {max_total}")
    for row in rows:
        if not isinstance(row, list) or not 1 <= len(row) <= 5:
            raise VKError(911, "a row must have 1 to 5 buttons")
        for button in row:
            action = button.get("action") if isinstance(button, dict) else None
            if not isinstance(action, dict):
                raise VKError(911, "button without action")
            if len(str(action.get("label", ""))) > 40:
                raise VKError(911, "label is longer than 40 characters")
            payload = action.get("payload")
            if payload is not None:
                raw = payload if isinstance(payload, str) else json.dumps(payload)
                if len(raw.encode()) > 255:
                    raise VKError(911, "payload is longer than 255 bytes")
            if action.get("type") == "location" and (inline or len(row) != 1):
                raise VKError(911, "location button must be alone in a row, not inline")


#: VK's document types by extension: 1 text, 2 archive, 3 gif, 4 image, 5 audio, 6 video,
#: 7 e-book, 8 anything else.
_DOC_TYPES = {"txt": 1, "pdf": 1, "doc": 1, "docx": 1, "xlsx": 1, "csv": 1, "zip": 2, "gif": 3,
              "jpg": 4, "png": 4, "mp3": 5, "mp4": 6, "epub": 7}


def _hash(token: str) -> str:
    return hashlib.sha1(f"vk-emulator:{token}".encode()).hexdigest()


"""A local Telegram Bot API server for end-to-end tests of the real aiogram bot.

Why not mock aiogram? Because the failures we care about live in the seam between the bot and
Telegram: 429 with ``retry_after``, a user who blocked the bot, a topic deleted under our feet,
an album that arrives as several updates, a connection dropped after the message went out. The
emulator speaks the Bot API over real HTTP, so the bot runs unchanged through aiogram's own
``AiohttpSession``::

    async with TelegramEmulator() as tg, tg.make_bot() as bot:
        tg.user_sends_text(1001, "/start")
        ...  # run the dispatcher, then inspect tg.sent / await tg.wait_for(...)

It keeps one bot (``tg.token``) and one world of users, chats, messages and files. Test helpers
(``user_sends_*``, ``user_presses_button``...) are synchronous and must be called from the event
loop the server runs in. Only what a bot can notice is modelled; entity parsing, inline mode,
payments and the like are not.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from tests.emulators.broken import KINDS as BROKEN_KINDS
from tests.emulators.broken import broken_answer
from tests.emulators.telegram_discussion import DiscussionEmulation

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
DOWNLOAD_LIMIT = 20 * 1024 * 1024
UPLOAD_LIMIT = 50 * 1024 * 1024

# Updates Telegram delivers when ``allowed_updates`` was never set or set to [].
DEFAULT_UPDATE_TYPES = frozenset(
    {"message", "edited_message", "channel_post", "edited_channel_post", "callback_query",
     "inline_query", "chosen_inline_result", "my_chat_member", "chat_join_request",
     "shipping_query", "pre_checkout_query", "poll", "poll_answer"}
)
SENDING_METHODS = frozenset(
    {"sendMessage", "sendPhoto", "sendDocument", "sendMediaGroup", "copyMessage",
     "forwardMessage", "sendLocation"}
)
# Form fields that are plain strings; everything else arrives JSON-encoded (numbers, booleans,
# objects), which is how aiogram and most clients serialise multipart/urlencoded bodies.
RAW_FIELDS = frozenset(
    {"text", "caption", "callback_query_id", "name", "url", "parse_mode", "action", "file_id",
     "photo", "document", "video", "audio", "voice", "animation", "sticker", "secret_token",
     "icon_custom_emoji_id", "inline_message_id", "business_connection_id", "language_code"}
)
CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance "
    "is running"
)
FIRST_NAMES = ["Иван", "Мария", "Алексей", "Ольга", "Дмитрий", "Анна", "Сергей", "Елена"]
TINY_JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9")


class ApiError(Exception):
    """A Bot API error reply: HTTP status, description and optional ``retry_after``."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(f"{status} {description}")
        self.status, self.description, self.retry_after = status, description, retry_after


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


@dataclass
class Limits:
    """Telegram's documented flood limits. Tests shrink them to hit 429 in milliseconds."""

    per_bot_per_second: float = 30
    per_private_chat_per_second: float = 1
    private_chat_burst: int = 3
    per_group_per_minute: float = 20
    enabled: bool = True


@dataclass
class Faults:
    """Random failures, drawn from a seeded RNG so that a failing run can be replayed.

    Rates are probabilities per request. ``methods=None`` means every method except
    getUpdates (a flaky poll only slows the dispatcher's backoff; name it to test that).
    """

    rate_429: float = 0.0
    retry_after: int = 1
    rate_5xx: float = 0.0
    rate_drop: float = 0.0
    rate_slow: float = 0.0
    slow_delay: float = 0.3
    methods: frozenset[str] | None = None


@dataclass
class _Fault:
    # "error", "drop" (request lost), "drop_after" (reply lost), "slow", "slow_after", or a
    # kind of `broken_answer`
    kind: str
    status: int = 0
    description: str = ""
    retry_after: int | None = None
    delay: float = 0.0


@dataclass(frozen=True)
class SentCall:
    """One successful call the bot made; ``message`` is the Message Telegram returned."""

    method: str
    chat_id: int | str | None
    thread_id: int | None
    text: str | None
    caption: str | None
    reply_markup: dict | None
    reply_to: int | None
    message_id: int | None
    params: dict
    message: dict | None = None

    @property
    def body(self) -> str | None:
        """Text or caption, whichever the message has."""
        return self.text if self.text is not None else self.caption

    @property
    def buttons(self) -> list[dict]:
        """All buttons of the inline or reply keyboard, flattened."""
        markup = self.reply_markup or {}
        rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
        return [b if isinstance(b, dict) else {"text": b} for row in rows for b in row]


class _Bucket:
    """Token bucket; may go into debt so that an album larger than the burst still goes out."""

    def __init__(self, rate: float, capacity: float) -> None:
        self.rate, self.capacity = rate, capacity
        self.tokens, self.stamp = capacity, time.monotonic()

    def wait(self) -> float:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


@dataclass
class _Chat:
    id: int
    type: str
    title: str | None = None
    user: dict | None = None
    is_forum: bool = False
    admins: list[int] = field(default_factory=list)
    messages: dict[int, dict] = field(default_factory=dict)
    topics: dict[int, str] = field(default_factory=dict)
    deleted_topics: set[int] = field(default_factory=set)
    closed_topics: set[int] = field(default_factory=set)
    topic_creators: dict[int, int] = field(default_factory=dict)
    # The bot is an admin with can_manage_topics (needed for topics it did not create).
    bot_manages_topics: bool = True
    # Messages the bot sent with a reply (custom) keyboard: Telegram will not edit them.
    reply_keyboard_messages: set[int] = field(default_factory=set)
    last_message_id: int = 0
    bot_admin: bool = True  # groups: the bot is an administrator (else a plain member)
    bot_status: str | None = None  # groups: "kicked" or "left" once removed; None: it is there

    def as_json(self) -> dict:
        if self.type == "private":
            keys = ("first_name", "last_name", "username")
            return {"id": self.id, "type": "private"} | {
                k: self.user[k] for k in keys if self.user.get(k)
            }
        chat = {"id": self.id, "type": self.type, "title": self.title}
        return chat | ({"is_forum": True} if self.is_forum else {})


class TelegramEmulator(DiscussionEmulation):
    """The server plus the world it serves; see the module docstring for how tests use it.
    Channels' discussion groups: `tests.emulators.telegram_discussion`."""

    def __init__(
        self,
        bot_id: int = 7000000001,
        bot_username: str = "obrashcheniya_test_bot",
        limits: Limits | None = None,
        faults: Faults | None = None,
        seed: int = 0,
    ) -> None:
        self.bot_id = bot_id
        self.token = self.make_token(bot_id)
        self.bot_user = {
            "id": bot_id, "is_bot": True, "first_name": "Обращения (тест)",
            "username": bot_username, "can_join_groups": True,
            "can_read_all_group_messages": False, "supports_inline_queries": False,
        }
        self.limits = limits or Limits()
        self.set_faults(faults or Faults(), seed=seed)
        self.users: dict[int, dict] = {}
        self.chats: dict[int, _Chat] = {}
        self.blocked_by: set[int] = set()
        self.files: dict[str, dict] = {}
        self.commands: list = []
        self.webhook_url = ""
        self.webhook_secret = ""
        self.sent: list[SentCall] = []
        self.callback_answers: list[dict] = []
        self.status_counts: Counter[int] = Counter()
        self._updates: list[dict] = []
        self._next_update_id = 500000001 + seed
        self._allowed: frozenset[str] = DEFAULT_UPDATE_TYPES
        self._polling = False
        self._closing = False
        self._update_added = asyncio.Event()
        self._sent_added = asyncio.Event()
        self._open_queries: dict[str, int] = {}
        self._scripted: dict[str, list[_Fault]] = {}
        self._buckets: dict[Any, _Bucket] = {}
        # After a 429 Telegram expects silence in that chat for retry_after seconds; a send
        # before that is a violation (recorded, and answered with 429 again, as Telegram does).
        self.limit_violations: list[dict] = []
        self._retry_until: dict[int, float] = {}
        self._ids = itertools.count(1)
        self._group_ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.base_url = ""
        self._discussion_init()
        self._handlers: dict[str, Callable] = {
            name[len("_m_"):].lower(): getattr(self, name)
            for name in dir(self) if name.startswith("_m_")
        }

    # ---------------------------------------------------------------- lifecycle

    @staticmethod
    def make_token(bot_id: int = 7000000001, secret: str = "TEST") -> str:
        """A token in Telegram's ``<bot id>:<secret>`` shape; aiogram takes the id from it."""
        return f"{bot_id}:{secret}-{'x' * 30}"

    async def start(self) -> None:
        app = web.Application(client_max_size=UPLOAD_LIMIT + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        # handler_cancellation: a poll whose client went away must release the 409 lock.
        self._runner = web.AppRunner(
            app, handler_cancellation=True, access_log=None, shutdown_timeout=0.5
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"

    async def stop(self) -> None:
        self._closing = True
        self._update_added.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> TelegramEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def make_bot(self, token: str | None = None, **kwargs: Any):
        """A real aiogram ``Bot`` pointed at this server; use it as ``async with``."""
        from aiogram import Bot
        from aiogram.client.session.aiohttp import AiohttpSession
        from aiogram.client.telegram import TelegramAPIServer

        session = AiohttpSession(api=TelegramAPIServer.from_base(self.base_url))
        return Bot(token or self.token, session=session, **kwargs)

    # ---------------------------------------------------------------- faults and limits

    def set_faults(self, faults: Faults, seed: int = 0) -> None:
        self.faults = faults
        self._rng = random.Random(seed)

    def fail_next(
        self,
        method: str,
        times: int = 1,
        error: int | str = 500,
        description: str | None = None,
        retry_after: int | None = None,
        delay: float = 0.5,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail.

        ``error`` is an HTTP status (429, 500, 502, 400...), ``"drop"`` (connection closed before
        Telegram acted), ``"drop_after"`` (Telegram acted, the reply is lost: the case that
        duplicates messages on retry), ``"slow"`` (answer normally after ``delay`` seconds) or
        ``"slow_after"`` (Telegram acted at once, so users see the message, and the reply to the
        bot takes ``delay`` seconds), or one of `tests.emulators.broken.KINDS` (``"html"``,
        ``"redirect"``…: what a wrong address or a broken proxy answers instead of Telegram).
        """
        if isinstance(error, str):
            fault = _Fault(error, delay=delay)
        else:
            default = {429: "Too Many Requests: retry after", 500: "Internal Server Error",
                       502: "Bad Gateway"}.get(error, "Bad Request: injected")
            text = description or default
            if error == 429:
                retry_after = retry_after or 1
                text = description or f"{default} {retry_after}"
            fault = _Fault("error", error, text, retry_after)
        self._scripted.setdefault(method.lower(), []).extend([fault] * times)

    def _pick_fault(self, method: str) -> _Fault | None:
        scripted = self._scripted.get(method.lower())
        if scripted:
            return scripted.pop(0)
        f = self.faults
        if f.methods is None and method == "getUpdates":
            return None
        if f.methods is not None and method not in f.methods:
            return None
        slow, roll = self._rng.random(), self._rng.random()
        if roll < f.rate_drop:
            return _Fault("drop")
        if roll < f.rate_drop + f.rate_429:
            ra = f.retry_after
            return _Fault("error", 429, f"Too Many Requests: retry after {ra}", ra)
        if roll < f.rate_drop + f.rate_429 + f.rate_5xx:
            status = self._rng.choice((500, 502))
            return _Fault("error", status, "Internal Server Error" if status == 500 else
                          "Bad Gateway")
        if slow < f.rate_slow:
            return _Fault("slow", delay=f.slow_delay)
        return None

    def _bucket(self, key: Any, rate: float, capacity: float) -> _Bucket:
        if key not in self._buckets:
            self._buckets[key] = _Bucket(rate, capacity)
        return self._buckets[key]

    def _spend(self, chat: _Chat, cost: int) -> None:
        """Charge the flood limits or raise 429; a refused message costs nothing."""
        lim = self.limits
        if not lim.enabled or cost == 0:
            return
        until = self._retry_until.get(chat.id, 0.0)
        if time.monotonic() < until:
            early = until - time.monotonic()
            self.limit_violations.append({"chat_id": chat.id, "early_by": early})
            raise ApiError(429, f"Too Many Requests: retry after {math.ceil(early)}",
                           math.ceil(early))
        buckets = [self._bucket("bot", lim.per_bot_per_second, lim.per_bot_per_second)]
        if chat.type == "private":
            buckets.append(self._bucket(chat.id, lim.per_private_chat_per_second,
                                        lim.private_chat_burst))
        else:
            buckets.append(self._bucket(chat.id, lim.per_group_per_minute / 60,
                                        lim.per_group_per_minute))
        wait = max(b.wait() for b in buckets)
        if wait > 0:
            retry_after = max(1, math.ceil(wait))
            self._retry_until[chat.id] = time.monotonic() + retry_after
            raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)
        for b in buckets:
            b.tokens -= cost

    @property
    def responses_429(self) -> int:
        return self.status_counts[429]

    # ---------------------------------------------------------------- HTTP layer

    def _reply(self, status: int, payload: dict) -> web.Response:
        self.status_counts[status] += 1
        return web.json_response(payload, status=status)

    def _error(self, err: ApiError) -> web.Response:
        payload = {"ok": False, "error_code": err.status, "description": err.description}
        if err.retry_after is not None:
            payload["parameters"] = {"retry_after": err.retry_after}
        return self._reply(err.status, payload)

    async def _read_params(self, request: web.Request) -> tuple[dict, dict]:
        files: dict[str, dict] = {}
        if request.method == "GET":
            raw: dict = dict(request.query)
        elif request.content_type == "application/json":
            raw = await request.json() if request.can_read_body else {}
        else:
            raw = {}
            for key, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    files[key] = {"data": value.file.read(), "name": value.filename,
                                  "mime": value.content_type}
                else:
                    raw[key] = value
        params = {}
        for key, value in raw.items():
            if isinstance(value, str) and key not in RAW_FIELDS:
                with contextlib.suppress(ValueError):
                    value = json.loads(value)
            params[key] = value
        return params, files

    async def _handle_method(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return self._error(ApiError(401, "Unauthorized"))
        handler = self._handlers.get(request.match_info["method"].lower())
        if handler is None:
            return self._error(ApiError(404, "Not Found"))
        method = handler.__name__[len("_m_"):]
        params, files = await self._read_params(request)
        fault = self._pick_fault(method)
        if fault and fault.kind == "slow":
            await asyncio.sleep(fault.delay)
        elif fault and fault.kind == "drop":
            return self._drop(request)
        elif fault and fault.kind == "error":
            return self._error(ApiError(fault.status, fault.description, fault.retry_after))
        elif fault and fault.kind in BROKEN_KINDS:
            return broken_answer(fault.kind, request)
        try:
            result = handler(params, files)
            if asyncio.iscoroutine(result):
                result = await result
        except ApiError as err:
            return self._error(err)
        if fault and fault.kind == "drop_after":
            return self._drop(request)
        if fault and fault.kind == "slow_after":
            await asyncio.sleep(fault.delay)
        return self._reply(200, {"ok": True, "result": result})

    def _drop(self, request: web.Request) -> web.StreamResponse:
        """Close the socket without a reply, as a dying proxy or NAT does."""
        self.status_counts[0] += 1
        if request.transport is not None:
            request.transport.abort()
        return web.Response()

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return self._error(ApiError(401, "Unauthorized"))
        path = request.match_info["path"]
        for f in self.files.values():
            if f["file_path"] == path and f["data"] is not None:
                return web.Response(body=f["data"], content_type="application/octet-stream")
        return self._error(ApiError(404, "Not Found"))

    # ---------------------------------------------------------------- the world

    def add_user(self, user_id: int, first_name: str | None = None, last_name: str | None = None,
                 username: str | None = None, language_code: str = "ru") -> dict:
        """Register a user (and the private chat with the bot); idempotent."""
        if user_id not in self.users:
            user = {"id": user_id, "is_bot": False,
                    "first_name": first_name or FIRST_NAMES[user_id % len(FIRST_NAMES)],
                    "language_code": language_code}
            if last_name:
                user["last_name"] = last_name
            user["username"] = username or f"user{user_id}"
            self.users[user_id] = user
            self.chats[user_id] = _Chat(user_id, "private", user=user)
        return self.users[user_id]

    def create_forum_group(self, admin_user_id: int, title: str = "Обращения: операторы") -> int:
        """A supergroup with topics where the bot is an admin; returns its (negative) id."""
        self.add_user(admin_user_id)
        chat_id = -(1000000000000 + next(self._group_ids))
        # message 1 is the "group created" service message; thread 1 is the General topic
        self.chats[chat_id] = _Chat(chat_id, "supergroup", title=title, is_forum=True,
                                    admins=[admin_user_id], last_message_id=1)
        return chat_id

    def create_group(self, admin_user_id: int, title: str = "Обращения: рабочая группа") -> int:
        """A supergroup without topics where the bot is an admin; returns its (negative) id."""
        self.add_user(admin_user_id)
        chat_id = -(1000000000000 + next(self._group_ids))
        self.chats[chat_id] = _Chat(chat_id, "supergroup", title=title,
                                    admins=[admin_user_id], last_message_id=1)
        return chat_id

    def user_deletes_topic(self, user_id: int, chat_id: int, thread_id: int) -> None:
        """An administrator deletes a forum topic with everything in it (Telegram sends the bot
        no update about it); from now on sends to the thread fail with "message thread not
        found"."""
        chat = self.chats[chat_id]
        if user_id not in chat.admins:
            raise PermissionError(f"user {user_id} is not an admin of chat {chat_id}")
        if thread_id not in chat.topics or thread_id in chat.deleted_topics:
            raise LookupError(f"no topic {thread_id} in chat {chat_id}")
        chat.deleted_topics.add(thread_id)
        for mid in [m for m, msg in chat.messages.items()
                    if msg.get("message_thread_id") == thread_id]:
            del chat.messages[mid]

    def user_creates_topic(self, user_id: int, chat_id: int, name: str) -> int:
        """An administrator opens a topic by hand; returns its thread id."""
        chat = self.chats[chat_id]
        service = self._new_message(chat, self.add_user(user_id),
                                    {"forum_topic_created": {"name": name}}, None, None)
        thread_id = service["message_id"]
        chat.topics[thread_id] = name
        chat.topic_creators[thread_id] = user_id
        return thread_id

    def topic_state(self, chat_id: int, thread_id: int) -> tuple[str, bool]:
        """A topic's name as it is now, and whether it is closed."""
        chat = self.chats[chat_id]
        return chat.topics[thread_id], thread_id in chat.closed_topics

    def user_blocks_bot(self, user_id: int) -> None:
        """From now on sends to this user fail with 403; the bot gets a my_chat_member update."""
        self.add_user(user_id)
        self.blocked_by.add(user_id)
        self._member_update(user_id, user_id, "member", "kicked")

    def user_unblocks_bot(self, user_id: int) -> None:
        self.blocked_by.discard(user_id)
        self._member_update(user_id, user_id, "kicked", "member")

    def user_removes_bot(self, user_id: int, chat_id: int, *, ban: bool = True,
                         update_lost: bool = False) -> None:
        """An admin removes the bot from a group (``ban``: kicked, else it just left). From now
        on sends there fail with 403, nothing written there reaches the bot, and the bot gets a
        my_chat_member update, as from Telegram — unless ``update_lost`` (Telegram keeps
        updates 24 hours: a bot down longer never hears of it)."""
        chat = self.chats[chat_id]
        if user_id not in chat.admins:
            raise PermissionError(f"user {user_id} is not an admin of chat {chat_id}")
        old = "administrator" if chat.bot_admin else "member"
        chat.bot_status = "kicked" if ban else "left"
        if not update_lost:
            self._member_update(chat_id, user_id, old, chat.bot_status)

    def user_adds_bot(self, user_id: int, chat_id: int, *, admin: bool = True) -> None:
        """An admin adds the bot to a group again (as an administrator, or a plain member)."""
        chat = self.chats[chat_id]
        if user_id not in chat.admins:
            raise PermissionError(f"user {user_id} is not an admin of chat {chat_id}")
        old, chat.bot_status, chat.bot_admin = chat.bot_status, None, admin
        self._member_update(chat_id, user_id, old or "left", "administrator" if admin else "member")

    def _member_update(self, chat_id: int, user_id: int, old: str, new: str) -> None:
        def member(status: str) -> dict:
            rights = {"can_be_edited": False, "is_anonymous": False, "can_manage_chat": True,
                      "can_delete_messages": True, "can_manage_video_chats": True,
                      "can_restrict_members": True, "can_promote_members": False,
                      "can_change_info": True, "can_invite_users": True,
                      "can_post_stories": False, "can_edit_stories": False,
                      "can_delete_stories": False, "can_manage_topics": True,
                      "can_send_welcome_messages": False}
            extra = ({"until_date": 0} if status == "kicked" else
                     rights if status == "administrator" else {})
            return {"status": status, "user": self.bot_user} | extra
        self._push("my_chat_member", {
            "chat": self.chats[chat_id].as_json(), "from": self.users[user_id],
            "date": int(time.time()), "old_chat_member": member(old),
            "new_chat_member": member(new)})

    def _new_message(self, chat: _Chat, sender: dict, content: dict, thread_id: int | None,
                     reply_to: dict | None) -> dict:
        chat.last_message_id += 1
        msg = {"message_id": chat.last_message_id, "from": sender, "chat": chat.as_json(),
               "date": int(time.time())}
        if thread_id is not None and chat.is_forum:
            msg |= {"message_thread_id": thread_id, "is_topic_message": True}
            # Telegram quirk: inside a topic, a message that replies to nothing "replies" to
            # the topic's creation service message.
            if reply_to is None:
                reply_to = chat.messages.get(thread_id)
        if reply_to is not None:
            msg["reply_to_message"] = {k: v for k, v in reply_to.items()
                                       if k != "reply_to_message"}
        msg |= content
        chat.messages[msg["message_id"]] = msg
        return msg

    def _push(self, kind: str, payload: dict) -> dict:
        update = {"update_id": self._next_update_id, kind: payload}
        self._next_update_id += 1
        self._updates.append(update)
        self._update_added.set()
        return update

    # ---------------------------------------------------------------- a user's actions

    def user_sends(self, user_id: int, content: dict, chat_id: int | None = None,
                   reply_to: int | None = None, thread_id: int | None = None) -> dict:
        """A user posts a message with the given content fields; returns the Message dict."""
        user = self.add_user(user_id)
        chat = self.chats[chat_id if chat_id is not None else user_id]
        if thread_id is not None and (thread_id in chat.deleted_topics or
                                      thread_id not in chat.topics):
            raise LookupError(f"no topic {thread_id} in chat {chat.id}")
        target = chat.messages[reply_to] if reply_to is not None else None
        msg = self._new_message(chat, user, content, thread_id, target)
        if chat.bot_status is None:  # a group the bot was removed from tells it nothing
            self._push("message", msg)
        return msg

    def user_sends_text(self, user_id: int, text: str, chat_id: int | None = None,
                        reply_to: int | None = None, thread_id: int | None = None) -> dict:
        content: dict = {"text": text}
        if text.startswith("/"):
            command = text.split()[0]
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return self.user_sends(user_id, content, chat_id, reply_to, thread_id)

    def user_sends_photo(self, user_id: int, data: bytes = TINY_JPEG, caption: str | None = None,
                         media_group_id: str | None = None, **where: Any) -> dict:
        """A photo whose file can be fetched with getFile and downloaded (same bytes back)."""
        content: dict = {"photo": self._photo_sizes(data)}
        if caption is not None:
            content["caption"] = caption
        if media_group_id is not None:
            content["media_group_id"] = media_group_id
        return self.user_sends(user_id, content, **where)

    def user_sends_album(self, user_id: int, photos: list[bytes] | int = 2,
                         caption: str | None = None, **where: Any) -> list[dict]:
        """An album: one update per photo, all with one ``media_group_id``, caption on the first."""
        if isinstance(photos, int):
            photos = [TINY_JPEG + bytes([i]) for i in range(photos)]
        group = str(13000000000000000 + next(self._ids))
        return [self.user_sends_photo(user_id, data, caption if i == 0 else None,
                                      media_group_id=group, **where)
                for i, data in enumerate(photos)]

    def user_sends_document(self, user_id: int, file_name: str, data: bytes,
                            mime_type: str = "application/octet-stream",
                            caption: str | None = None, **where: Any) -> dict:
        content: dict = {"document": self._register_file(data, "documents", file_name, mime_type)}
        if caption is not None:
            content["caption"] = caption
        return self.user_sends(user_id, content, **where)

    def user_sends_location(self, user_id: int, lat: float, lon: float, **where: Any) -> dict:
        return self.user_sends(user_id, {"location": {"latitude": lat, "longitude": lon}},
                               **where)

    def user_presses_button(self, user_id: int, message_id: int, callback_data: str,
                            chat_id: int | None = None) -> str:
        """A callback_query about the bot's message; returns the query id to match answers."""
        user = self.add_user(user_id)
        chat = self.chats[chat_id if chat_id is not None else user_id]
        query_id = str(4000000000000000000 + next(self._ids))
        self._open_queries[query_id] = user_id
        self._push("callback_query", {
            "id": query_id, "from": user, "message": chat.messages[message_id],
            "chat_instance": str(abs(chat.id) * 7919), "data": callback_data})
        return query_id

    # ---------------------------------------------------------------- what the bot did

    def sent_to(self, chat_id: int, thread_id: int | None = None) -> list[SentCall]:
        """Messages the bot delivered to a chat (edits, answers and actions excluded)."""
        return [c for c in self.sent if c.chat_id == chat_id and c.method in SENDING_METHODS
                and (thread_id is None or c.thread_id == thread_id)]

    def calls(self, method: str) -> list[SentCall]:
        return [c for c in self.sent if c.method == method]

    def sent_file(self, call: SentCall) -> bytes:
        """The bytes of the document or photo (largest size) the bot uploaded in ``call``."""
        message = call.message or {}
        if "document" in message:
            meta = message["document"]
        elif "photo" in message:
            meta = message["photo"][-1]
        else:
            raise ValueError(f"{call.method} carried no file")
        data = self.files[meta["file_id"]]["data"]
        if data is None:
            raise ValueError("the file was sent by URL, the emulator has no bytes for it")
        return data

    async def wait_for(self, predicate: Callable[[SentCall], bool] | None = None,
                       timeout: float = 3.0, since: int = 0) -> SentCall:
        """First call in ``sent[since:]`` matching ``predicate``; waits for it if need be."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for call in self.sent[since:]:
                if predicate is None or predicate(call):
                    return call
            remaining = deadline - loop.time()
            if remaining <= 0:
                recent = "\n".join(f"  {c.method} {c.chat_id}: {c.body!r}" for c in self.sent[-10:])
                raise TimeoutError(f"no matching call in {timeout}s; last calls:\n{recent}")
            self._sent_added.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._sent_added.wait(), min(remaining, 0.05))

    def _record(self, method: str, params: dict, message: dict | None = None,
                chat_id: Any = None, message_id: int | None = None) -> None:
        message = message or {}
        reply = params.get("reply_parameters") or {}
        self.sent.append(SentCall(
            method=method,
            chat_id=chat_id if chat_id is not None else params.get("chat_id"),
            thread_id=message.get("message_thread_id", params.get("message_thread_id")),
            text=message.get("text", params.get("text")),
            caption=message.get("caption", params.get("caption")),
            reply_markup=params.get("reply_markup"),
            reply_to=reply.get("message_id", params.get("reply_to_message_id")),
            message_id=message.get("message_id", message_id),
            params=params, message=message or None))
        self._sent_added.set()

    # ---------------------------------------------------------------- files

    def _register_file(self, data: bytes | None, folder: str, name: str | None = None,
                       mime: str | None = None) -> dict:
        n = next(self._ids)
        if data is not None and len(data) > UPLOAD_LIMIT:
            raise _bad("Request Entity Too Large")
        ext = (name or "").rpartition(".")[2] if name and "." in name else "jpg"
        meta = {"file_id": f"BQACAgIAAxk{n:08d}{folder[:3]}", "file_unique_id": f"AgAD{n:06d}",
                "file_size": len(data or b"")}
        self.files[meta["file_id"]] = meta | {"data": data, "file_path": f"{folder}/file_{n}.{ext}"}
        if folder == "documents":
            meta |= {"file_name": name or f"file_{n}.{ext}",
                     "mime_type": mime or "application/octet-stream"}
        return meta

    def _photo_sizes(self, data: bytes | None) -> list[dict]:
        small = self._register_file(data, "photos") | {"width": 90, "height": 67}
        large = self._register_file(data, "photos") | {"width": 1280, "height": 960}
        return [small, large]

    def _input_file(self, ref: Any, files: dict, folder: str) -> tuple[bytes | None, dict]:
        """Resolve ``attach://x``, an upload in the field itself, a known file_id or a URL."""
        if isinstance(ref, str) and ref.startswith("attach://"):
            upload = files.get(ref[len("attach://"):])
            if upload is None:
                raise _bad("wrong file identifier/HTTP URL specified")
            return upload["data"], upload
        if isinstance(ref, str) and ref in self.files:
            return self.files[ref]["data"], {"name": self.files[ref]["file_path"]}
        if isinstance(ref, str) and ref.startswith(("http://", "https://")):
            return None, {"name": ref.rsplit("/", 1)[-1]}
        raise _bad("wrong file identifier/HTTP URL specified")

    def _media_content(self, kind: str, ref: Any, files: dict) -> dict:
        if kind == "photo":
            data, _ = self._input_file(ref, files, "photos")
            return {"photo": self._photo_sizes(data)}
        data, upload = self._input_file(ref, files, "documents")
        return {kind: self._register_file(data, "documents", upload.get("name"),
                                          upload.get("mime"))}

    # ---------------------------------------------------------------- shared checks

    def _chat(self, chat_id: Any, sending: bool = True) -> _Chat:
        if isinstance(chat_id, str):
            try:
                chat_id = int(chat_id)
            except ValueError:
                raise _bad("chat not found") from None
        chat = self.chats.get(chat_id)
        if chat is None:
            raise _bad("chat not found")
        if sending and chat.id in self.blocked_by:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if sending and chat.id in self.strangers:
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        if sending and chat.bot_status == "kicked":
            raise ApiError(403, f"Forbidden: bot was kicked from the {chat.type} chat")
        if sending and chat.bot_status == "left":
            raise ApiError(403, f"Forbidden: bot is not a member of the {chat.type} chat")
        return chat

    def _thread(self, chat: _Chat, params: dict) -> int | None:
        thread_id = params.get("message_thread_id")
        if thread_id is None or not chat.is_forum or thread_id == 1:
            return thread_id
        if thread_id not in chat.topics or thread_id in chat.deleted_topics:
            raise _bad("message thread not found")
        if thread_id in chat.closed_topics:
            raise _bad("TOPIC_CLOSED")
        return thread_id

    def _reply_target(self, chat: _Chat, params: dict) -> dict | None:
        reply = params.get("reply_parameters") or {}
        target_id = reply.get("message_id", params.get("reply_to_message_id"))
        if target_id is None:
            return None
        target_chat = self._chat(reply.get("chat_id", chat.id), sending=False)
        target = target_chat.messages.get(target_id)
        if target is None and not reply.get("allow_sending_without_reply"):
            raise _bad("message to be replied not found")
        return target

    @staticmethod
    def _markup(params: dict) -> dict | None:
        markup = params.get("reply_markup")
        for row in (markup or {}).get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode()) <= CALLBACK_DATA_LIMIT:
                    raise _bad("BUTTON_DATA_INVALID")
        return markup

    @staticmethod
    def _check_caption(caption: Any) -> None:
        if caption is not None and len(caption) > CAPTION_LIMIT:
            raise _bad("message caption is too long")

    def _bot_sends(self, method: str, params: dict, content: dict, cost: int = 1) -> dict:
        """The common path of every sending method: checks, flood limit, message, record."""
        chat = self._chat(params.get("chat_id"))
        thread_id = self._thread(chat, params)
        markup = self._markup(params)
        target = self._reply_target(chat, params)
        self._spend(chat, cost)
        if markup and "inline_keyboard" in markup:
            content = content | {"reply_markup": markup}  # only inline keyboards come back
        msg = self._new_message(chat, self.bot_user, content, thread_id, target)
        if markup and "keyboard" in markup:
            chat.reply_keyboard_messages.add(msg["message_id"])
        self._record(method, params, msg, chat_id=chat.id)
        return msg

    # ---------------------------------------------------------------- Bot API methods

    def _m_getMe(self, p: dict, f: dict) -> dict:
        return self.bot_user

    async def _m_getUpdates(self, p: dict, f: dict) -> list[dict]:
        if self.webhook_url:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                "use deleteWebhook to delete the webhook first")
        if self._polling:
            raise ApiError(409, CONFLICT)
        if p.get("allowed_updates") is not None:
            self._allowed = frozenset(p["allowed_updates"]) or DEFAULT_UPDATE_TYPES
        offset, limit = p.get("offset"), max(1, min(int(p.get("limit") or 100), 100))
        if offset is not None and offset < 0:
            self._updates = self._updates[offset:]
        elif offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        self._polling = True
        try:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + min(float(p.get("timeout") or 0), 50)
            while True:
                # updates of types the bot didn't ask for are dropped, as Telegram does
                self._updates = [u for u in self._updates
                                 if next(k for k in u if k != "update_id") in self._allowed]
                remaining = deadline - loop.time()
                if self._updates or remaining <= 0 or self._closing:
                    return self._updates[:limit]
                self._update_added.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._update_added.wait(), remaining)
        finally:
            self._polling = False

    def _m_setWebhook(self, p: dict, f: dict) -> bool:
        self._check_webhook_url(p.get("url") or "")
        self.webhook_secret = p.get("secret_token") or ""
        self.webhook_url = p.get("url") or ""
        if p.get("allowed_updates") is not None:  # omitted: the previous setting is kept
            self._allowed = frozenset(p["allowed_updates"]) or DEFAULT_UPDATE_TYPES
        self._record("setWebhook", p)
        return True

    def _m_deleteWebhook(self, p: dict, f: dict) -> bool:
        self.webhook_url = ""
        if p.get("drop_pending_updates"):
            self._updates.clear()
        self._record("deleteWebhook", p)
        return True

    def _m_getWebhookInfo(self, p: dict, f: dict) -> dict:
        return {"url": self.webhook_url, "has_custom_certificate": False,
                "pending_update_count": len(self._updates)}

    def _m_sendMessage(self, p: dict, f: dict) -> dict:
        text = p.get("text")
        if not isinstance(text, str) or not text.strip():
            raise _bad("message text is empty")
        if len(text) > TEXT_LIMIT:
            raise _bad("message is too long")
        return self._bot_sends("sendMessage", p, {"text": text})

    def _m_sendPhoto(self, p: dict, f: dict) -> dict:
        self._check_caption(p.get("caption"))
        self._chat(p.get("chat_id"))
        content = self._media_content("photo", p.get("photo") or "attach://photo", f)
        return self._bot_sends("sendPhoto", p, content | self._caption(p))

    def _m_sendDocument(self, p: dict, f: dict) -> dict:
        self._check_caption(p.get("caption"))
        self._chat(p.get("chat_id"))
        content = self._media_content("document", p.get("document") or "attach://document", f)
        return self._bot_sends("sendDocument", p, content | self._caption(p))

    def _m_sendLocation(self, p: dict, f: dict) -> dict:
        location = {"latitude": p.get("latitude"), "longitude": p.get("longitude")}
        return self._bot_sends("sendLocation", p, {"location": location})

    @staticmethod
    def _caption(p: dict) -> dict:
        return {"caption": p["caption"]} if p.get("caption") else {}

    def _m_sendMediaGroup(self, p: dict, f: dict) -> list[dict]:
        media = p.get("media") or []
        if not 2 <= len(media) <= 10:
            raise _bad("wrong number of media in the group: must include 2-10 items")
        for item in media:
            self._check_caption(item.get("caption"))
        chat = self._chat(p.get("chat_id"))
        self._thread(chat, p)
        self._reply_target(chat, p)
        self._spend(chat, len(media))
        group = str(13000000000000000 + next(self._ids))
        messages = []
        for item in media:
            content = self._media_content(item["type"], item.get("media"), f)
            content |= self._caption(item) | {"media_group_id": group}
            messages.append(self._bot_sends("sendMediaGroup", p, content, cost=0))
        return messages

    def _source(self, p: dict, action: str) -> dict:
        source = self._chat(p.get("from_chat_id"), sending=False).messages.get(p.get("message_id"))
        if source is None:
            raise _bad(f"message to {action} not found")
        return source

    def _m_copyMessage(self, p: dict, f: dict) -> dict:
        source = self._source(p, "copy")
        self._check_caption(p.get("caption"))
        keep = ("text", "entities", "photo", "document", "location", "caption")
        content = {k: v for k, v in source.items() if k in keep} | self._caption(p)
        msg = self._bot_sends("copyMessage", p, content)
        return {"message_id": msg["message_id"]}

    def _m_forwardMessage(self, p: dict, f: dict) -> dict:
        source = self._source(p, "forward")
        skip = ("message_id", "from", "chat", "date", "reply_to_message", "message_thread_id",
                "is_topic_message", "reply_markup")
        content = {k: v for k, v in source.items() if k not in skip}
        origin = {"type": "user", "sender_user": source["from"], "date": source["date"]}
        return self._bot_sends("forwardMessage", p, content | {"forward_origin": origin})

    def _editable(self, p: dict) -> dict:
        """The bot's own message, without a reply keyboard ("it is currently only possible to
        edit messages without reply_markup or with inline keyboards"). No time limit: the
        Bot API documents none for the bot's own messages in groups and private chats."""
        chat = self._chat(p.get("chat_id"))
        msg = chat.messages.get(p.get("message_id"))
        if msg is None:
            raise _bad("message to edit not found")
        if msg["from"]["id"] != self.bot_id or msg["message_id"] in chat.reply_keyboard_messages:
            raise _bad("message can't be edited")
        return msg

    def _apply_edit(self, method: str, p: dict, msg: dict, changes: dict,
                    original: dict | None = None) -> dict:
        """Replace content and inline keyboard (one not given is removed); the same content
        and keyboard again is "message is not modified"."""
        markup = self._markup(p)
        if markup and "inline_keyboard" not in markup:
            raise _bad("reply markup must be an inline keyboard")
        new = {k: v for k, v in msg.items() if k != "reply_markup"} | changes
        if markup and markup.get("inline_keyboard"):
            new["reply_markup"] = markup
        msg = original if original is not None else msg
        if {k: v for k, v in new.items() if k != "edit_date"} == {
                k: v for k, v in msg.items() if k != "edit_date"}:
            raise _bad("message is not modified: specified new message content and reply "
                       "markup are exactly the same as a content and reply markup of the "
                       "current message")
        new["edit_date"] = int(time.time())
        msg.clear()
        msg.update(new)
        self._record(method, p, msg, chat_id=msg["chat"]["id"])
        return msg

    def _m_editMessageText(self, p: dict, f: dict) -> dict:
        msg = self._editable(p)
        text = p.get("text")
        if not isinstance(text, str) or not text.strip():
            raise _bad("message text is empty")
        if len(text) > TEXT_LIMIT:
            raise _bad("message is too long")
        if "text" not in msg:
            raise _bad("there is no text in the message to edit")
        return self._apply_edit("editMessageText", p, msg, {"text": text})

    def _m_editMessageCaption(self, p: dict, f: dict) -> dict:
        msg = self._editable(p)
        self._check_caption(p.get("caption"))
        if "text" in msg or not any(k in msg for k in ("photo", "document", "video", "voice")):
            raise _bad("there is no caption in the message to edit")
        caption = {"caption": p["caption"]} if p.get("caption") else {}
        current = {k: v for k, v in msg.items() if k != "caption"}
        return self._apply_edit("editMessageCaption", p, current, caption, original=msg)

    def _m_editMessageReplyMarkup(self, p: dict, f: dict) -> dict:
        return self._apply_edit("editMessageReplyMarkup", p, self._editable(p), {})

    def _m_deleteMessage(self, p: dict, f: dict) -> bool:
        chat = self._chat(p.get("chat_id"))
        if chat.messages.pop(p.get("message_id"), None) is None:
            raise _bad("message to delete not found")
        self._record("deleteMessage", p, chat_id=chat.id, message_id=p.get("message_id"))
        return True

    def _m_answerCallbackQuery(self, p: dict, f: dict) -> bool:
        user_id = self._open_queries.pop(str(p.get("callback_query_id")), None)
        if user_id is None:
            raise _bad("query is too old and response timeout expired or query ID is invalid")
        answer = {"callback_query_id": str(p["callback_query_id"]), "user_id": user_id,
                  "text": p.get("text"), "show_alert": bool(p.get("show_alert")),
                  "url": p.get("url"), "cache_time": p.get("cache_time")}
        self.callback_answers.append(answer)
        self._record("answerCallbackQuery", p, chat_id=user_id)
        return True

    def _m_sendChatAction(self, p: dict, f: dict) -> bool:
        chat = self._chat(p.get("chat_id"))
        self._thread(chat, p)
        self._record("sendChatAction", p, chat_id=chat.id)
        return True

    def _m_createForumTopic(self, p: dict, f: dict) -> dict:
        chat = self._chat(p.get("chat_id"))
        if not chat.is_forum:
            raise _bad("the chat is not a forum")
        name = p.get("name") or ""
        if not 1 <= len(name) <= 128:
            raise _bad("TOPIC_NAME_INVALID" if name else "topic name is empty")
        topic = {"name": name, "icon_color": int(p.get("icon_color") or 7322096)}
        service = self._new_message(chat, self.bot_user, {"forum_topic_created": topic}, None,
                                    None)
        thread_id = service["message_id"]
        service |= {"message_thread_id": thread_id, "is_topic_message": True}
        chat.topics[thread_id] = name
        chat.topic_creators[thread_id] = self.bot_id
        self._record("createForumTopic", p, service, chat_id=chat.id)
        return topic | {"message_thread_id": thread_id}

    def _topic(self, p: dict) -> tuple[_Chat, int]:
        """A topic the bot may manage: its own, or any with can_manage_topics."""
        chat = self._chat(p.get("chat_id"))
        if not chat.is_forum:
            raise _bad("the chat is not a forum")
        thread_id = p.get("message_thread_id")
        if thread_id not in chat.topics or thread_id in chat.deleted_topics:
            raise _bad("TOPIC_ID_INVALID")
        if chat.topic_creators.get(thread_id) != self.bot_id and not chat.bot_manages_topics:
            raise _bad("not enough rights to manage topics")
        return chat, thread_id

    def _m_editForumTopic(self, p: dict, f: dict) -> bool:
        chat, thread_id = self._topic(p)
        name = p.get("name")
        if name is not None and not 1 <= len(name) <= 128:
            raise _bad("TOPIC_NAME_INVALID")
        if name is None or name == chat.topics[thread_id]:
            raise _bad("TOPIC_NOT_MODIFIED")
        chat.topics[thread_id] = name
        self._record("editForumTopic", p, chat_id=chat.id)
        return True

    def _m_closeForumTopic(self, p: dict, f: dict) -> bool:
        chat, thread_id = self._topic(p)
        if thread_id in chat.closed_topics:
            raise _bad("TOPIC_NOT_MODIFIED")
        chat.closed_topics.add(thread_id)
        self._record("closeForumTopic", p, chat_id=chat.id)
        return True

    def _m_reopenForumTopic(self, p: dict, f: dict) -> bool:
        chat, thread_id = self._topic(p)
        if thread_id not in chat.closed_topics:
            raise _bad("TOPIC_NOT_MODIFIED")
        chat.closed_topics.discard(thread_id)
        self._record("reopenForumTopic", p, chat_id=chat.id)
        return True

    def _m_deleteForumTopic(self, p: dict, f: dict) -> bool:
        chat = self._chat(p.get("chat_id"))
        thread_id = p.get("message_thread_id")
        if thread_id not in chat.topics or thread_id in chat.deleted_topics:
            raise _bad("TOPIC_ID_INVALID")
        chat.deleted_topics.add(thread_id)
        for mid in [m for m, msg in chat.messages.items()
                    if msg.get("message_thread_id") == thread_id]:
            del chat.messages[mid]
        self._record("deleteForumTopic", p, chat_id=chat.id)
        return True

    def _m_getFile(self, p: dict, f: dict) -> dict:
        meta = self.files.get(p.get("file_id"))
        if meta is None:
            raise _bad("invalid file_id")
        if meta["file_size"] > DOWNLOAD_LIMIT:
            raise _bad("file is too big")
        return {k: meta[k] for k in ("file_id", "file_unique_id", "file_size", "file_path")}

    def _m_setMyCommands(self, p: dict, f: dict) -> bool:
        self.commands = p.get("commands") or []
        self._record("setMyCommands", p)
        return True

    def _m_getMyCommands(self, p: dict, f: dict) -> list:
        return self.commands

    # ---------------------------------------------------------------- webhook delivery

    @staticmethod
    def _check_webhook_url(url: str) -> None:
        """What setWebhook refuses: no HTTPS, or a port other than 443, 80, 88, 8443."""
        if not url:
            return  # an empty url removes the webhook
        parts = urlsplit(url)
        if parts.scheme != "https":
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        if (parts.port or 443) not in (80, 88, 443, 8443):
            raise _bad("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")

    async def deliver_to_webhook(self, via: str, secret: str | None = None) -> list[int]:
        """Telegram's side of a webhook: POST each pending update, oldest first, to the path of
        the URL given to setWebhook, at ``via`` (the local address a reverse proxy would forward
        to), with ``X-Telegram-Bot-Api-Secret-Token`` = the ``secret_token`` of setWebhook (or
        ``secret``, to play a forger). An update answered 200 is done; any other answer keeps
        it, and delivery stops there, as Telegram retries in order. Updates of a type outside
        setWebhook's ``allowed_updates`` are dropped unsent. Returns the statuses."""
        if not self.webhook_url:
            raise RuntimeError("no webhook set")
        target = via.rstrip("/") + urlsplit(self.webhook_url).path
        token = self.webhook_secret if secret is None else secret
        headers = {"X-Telegram-Bot-Api-Secret-Token": token} if token else {}
        statuses: list[int] = []
        async with aiohttp.ClientSession() as http:
            while self._updates:
                kind = next(k for k in self._updates[0] if k != "update_id")
                if kind not in self._allowed:  # allowed_updates of setWebhook: never sent
                    self._updates.pop(0)
                    continue
                async with http.post(target, json=self._updates[0], headers=headers) as r:
                    statuses.append(r.status)
                    if r.status != 200:
                        break
                self._updates.pop(0)
        return statuses

    # ---------------------------------------------------------------- fault suites

    @property
    def polling_now(self) -> bool:
        """A getUpdates long poll is open right now: a (re)started bot is receiving."""
        return self._polling

    @property
    def unconfirmed_updates(self) -> int:
        """Updates not yet confirmed by an offset; Telegram re-delivers them to the next poll."""
        return len(self._updates)

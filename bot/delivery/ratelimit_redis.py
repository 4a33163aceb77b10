"""Platform limits shared by every bot process on one token, through Redis (``REDIS_URL``).

Telegram and VK count messages per bot token, not per process: two processes, each pacing
itself at 30 a second, send 60, and the platform answers 429 (Telegram, with a growing
``retry_after``) or error 6 (VK, which then holds the whole token for a second);
`bench.delivery_shared` measures both. Here the buckets of `bot.delivery.ratelimit` (the same
rates, bursts and windows) live in Redis: per bucket a hash (tokens, last refill, paused until)
and a sorted set (the window's reservations), under keys named by a hash of the token, never
the token itself.

One Lua script claims everything a worker pass is about to send, in the pass's order, in one
round trip: a message goes when its channel's bucket and its chat's both have a token, and it
takes from both atomically, so two processes never both take the last one. The outbox asks
inside the pass's transaction, before the rows are claimed (`RateLimiter.claim`): a message the
shared budget refuses stays pending where it was, without a write and with its place in the
queue (citizens first, per-chat order) kept. The commit then lies between counting and
sending, which the in-process limiter avoids by counting after it: Telegram's bucket forgives
that by almost a second, but VK's strict window only by its 50 ms margin (`VK_WINDOW`). So the
windows count a message from the moment its send starts, stamped by a second round trip after
the commit (`departing`); until then it counts as later than it can be.

What the script answers also tells this process when to come back: each bucket's wait after the
claim holds it here (`wait`, `available`, `overall_wait`), so a worker does not ask Redis again
before the budget has room. The in-process buckets still count this process's own sends and the
platform's pauses, and they are what remains when Redis cannot be reached: each process then
keeps its own limits (logged once; delivery never stops for a counter) and tries Redis again
after `LOCAL_FOR` seconds.

Times come from the limiter's clock, as everywhere in delivery, not from Redis: processes on one
host share it, and hosts kept in step by NTP differ by milliseconds, which only lets a bucket
refill that much early.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from redis.exceptions import RedisError

from bot.delivery.ratelimit import ChannelLimits, Rate, RateLimiter
from bot.domain.messages import Clock
from bot.domain.pages import lane, lane_channel

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.commands.core import AsyncScript

log = logging.getLogger("bot.outbox")

#: The longest a pass waits for Redis before it sends under its own limits alone.
CLAIM_TIMEOUT = 0.5
#: After Redis failed, how long this process keeps to its own limits before asking again.
LOCAL_FOR = 10.0
#: A claimed message counts in a shared window as sent this much later than its claim until
#: `SharedRateLimiter.departing` says when it left (a commit later); a process that dies in
#: between holds its places no longer than that.
UNSTAMPED_FOR = 1.0

#: KEYS: per bucket j, KEYS[2j-1] its state (hash: tokens, updated, blocked, seq) and KEYS[2j]
#: its window (sorted set of send times; members made unique by ``seq``).
#: ARGV: now (s), m buckets, n messages, `UNSTAMPED_FOR`; m × (per second, burst, window in s
#: or 0, window limit); n × (number of the channel's bucket, of the chat's bucket or 0).
#: Returns {n waits, m waits, n lists}: each message's wait (µs, 0: it may go), each bucket's
#: after the claim, and for each message taken its window entries (bucket number, member), to
#: be stamped by ``_STAMP``. The arithmetic is `TokenBucket`'s.
_CLAIM = """
local now, m, n = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local unstamped = tonumber(ARGV[4])
local buckets = {}
for j = 1, m do
  local at = 4 + 4 * (j - 1)
  local b = {state = KEYS[2 * j - 1], window_key = KEYS[2 * j],
             rate = tonumber(ARGV[at + 1]), burst = tonumber(ARGV[at + 2]),
             window = tonumber(ARGV[at + 3]), limit = tonumber(ARGV[at + 4]),
             count = 0, oldest = 0}
  local saved = redis.call('HMGET', b.state, 'tokens', 'updated', 'blocked', 'seq')
  b.tokens = tonumber(saved[1]) or b.burst
  b.updated = tonumber(saved[2]) or now
  b.blocked = tonumber(saved[3]) or 0
  b.seq = tonumber(saved[4]) or 0
  if now > b.updated then
    b.tokens = math.min(b.burst, b.tokens + (now - b.updated) * b.rate)
    b.updated = now
  end
  if b.window > 0 then
    redis.call('ZREMRANGEBYSCORE', b.window_key, '-inf', now - b.window)
    b.count = redis.call('ZCARD', b.window_key)
    if b.count > 0 then
      b.oldest = tonumber(redis.call('ZRANGE', b.window_key, 0, 0, 'WITHSCORES')[2])
    end
  end
  buckets[j] = b
end

local function wait(b)
  local w = math.max(0, b.blocked - now)
  if b.tokens < 1 then w = math.max(w, (1 - b.tokens) / b.rate) end
  if b.window > 0 and b.count >= b.limit then w = math.max(w, b.oldest + b.window - now) end
  return w
end

local function take(j, entries)
  local b = buckets[j]
  b.tokens = b.tokens - 1
  if b.window > 0 then
    b.seq = b.seq + 1
    local member = tostring(now) .. ':' .. b.seq
    redis.call('ZADD', b.window_key, now + unstamped, member)
    if b.count == 0 then b.oldest = now + unstamped end
    b.count = b.count + 1
    table.insert(entries, j)
    table.insert(entries, member)
  end
end

local waits, taken = {}, {}
for i = 1, n do
  local at = 4 + 4 * m + 2 * (i - 1)
  local overall, chat = tonumber(ARGV[at + 1]), tonumber(ARGV[at + 2])
  local w = wait(buckets[overall])
  if chat > 0 then w = math.max(w, wait(buckets[chat])) end
  local entries = {}
  if w <= 0 then
    take(overall, entries)
    if chat > 0 then take(chat, entries) end
  end
  waits[i] = math.ceil(w * 1000000)
  taken[i] = entries
end
local after = {}
for j = 1, m do
  local b = buckets[j]
  redis.call('HSET', b.state, 'tokens', b.tokens, 'updated', b.updated, 'seq', b.seq)
  local life = math.max(b.window, b.burst / b.rate, b.blocked - now) + unstamped + 1
  redis.call('PEXPIRE', b.state, math.ceil(life * 1000))
  if b.window > 0 then redis.call('PEXPIRE', b.window_key, math.ceil(life * 1000)) end
  after[j] = math.ceil(wait(b) * 1000000)
end
return {waits, after, taken}
"""

#: KEYS: windows; ARGV: now (s), then per window the member whose send starts now.
_STAMP = """
for i = 1, #KEYS do
  redis.call('ZADD', KEYS[i], 'XX', ARGV[1], ARGV[i + 1])
end
return 0
"""

#: KEYS[1]: a bucket's state. ARGV: paused until (s), how long to keep the key at least (ms).
_PAUSE = """
local blocked = tonumber(redis.call('HGET', KEYS[1], 'blocked')) or 0
if tonumber(ARGV[1]) > blocked then redis.call('HSET', KEYS[1], 'blocked', ARGV[1]) end
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""

#: A bucket: (channel, chat id), the chat ``None`` for the channel's own.
Bucket = tuple[str, int | None]


def token_namespace(token: str) -> str:
    """What names a token's buckets in Redis: a hash, so that no token is ever stored there."""
    digest = hashlib.blake2b(token.encode("utf-8"), digest_size=8, person=b"platform-limits")
    return digest.hexdigest()


class SharedRateLimiter(RateLimiter):
    """`RateLimiter` whose budget is shared, through Redis, by every process on the same tokens
    (``tokens``: channel → its token; a channel without one keeps in-process limits)."""

    def __init__(
        self,
        clock: Clock,
        limits: Mapping[str, ChannelLimits],
        redis: Redis,
        tokens: Mapping[str, str],
        *,
        prefix: str = "ratelimit",
        claim_timeout: float = CLAIM_TIMEOUT,
        local_for: float = LOCAL_FOR,
    ) -> None:
        super().__init__(clock, dict(limits))
        self.prefix = prefix
        self.claim_timeout = claim_timeout
        self.local_for = local_for
        self._namespaces = {channel: token_namespace(token) for channel, token in tokens.items()}
        self._claim = redis.register_script(_CLAIM)
        self._pause = redis.register_script(_PAUSE)
        self._stamp = redis.register_script(_STAMP)
        #: Until when (clock seconds) the shared budget said a bucket has no room.
        self._held: dict[Bucket, float] = {}
        #: The last claim's messages taken: their window entries (key, member) to stamp.
        self._unstamped: dict[tuple[str, int], list[tuple[str, bytes]]] = {}
        #: Redis failed: this process keeps to its own limits until then.
        self._local_until = 0.0
        self._unreachable = False

    def _namespace(self, channel: str) -> str | None:
        """A channel's token's, or a connected page's lane (``vk#<group>``): a page is named by
        its community id, which every process knows and which is no secret."""
        if channel in self._namespaces:
            return self._namespaces[channel]
        base = lane_channel(channel)
        if base != channel and base in self._namespaces:
            return token_namespace(channel)
        return None

    def _key(self, bucket: Bucket) -> str:
        channel, chat_id = bucket
        chat = "all" if chat_id is None else str(chat_id)
        return f"{self.prefix}:{channel}:{self._namespace(channel)}:{chat}"

    def _shared(self, channel: str, now: float) -> bool:
        return (
            self._namespace(channel) is not None
            and self.rate(channel, None) is not None
            and now >= self._local_until
        )

    def _held_for(self, bucket: Bucket, now: float) -> float:
        return max(0.0, self._held.get(bucket, 0.0) - now)

    def wait(self, channel: str, chat_id: int) -> float:
        now = self._now()
        overall_bucket = (lane(channel, chat_id), None)
        held = max(self._held_for(overall_bucket, now), self._held_for((channel, chat_id), now))
        return max(super().wait(channel, chat_id), held)

    def available(self, channel: str) -> int | None:
        left = super().available(channel)
        if left and self._held_for((channel, None), self._now()) > 0:
            return 0
        return left

    def overall_wait(self, channel: str) -> float:
        return max(super().overall_wait(channel), self._held_for((channel, None), self._now()))

    async def claim(self, wanted: Sequence[tuple[str, int]]) -> list[float]:
        waits = [0.0] * len(wanted)
        now = self._now()
        asked = [i for i, (channel, chat) in enumerate(wanted)
                 if self._shared(lane(channel, chat), now)]
        if not asked:
            return waits
        numbers: dict[Bucket, int] = {}  # bucket → its number in the script, from 1
        keys: list[str] = []
        rates: list[float] = []
        messages: list[int] = []  # per message: its channel's bucket, its chat's (or 0)
        for i in asked:
            channel, chat_id = wanted[i]
            for bucket in ((lane(channel, chat_id), None), (channel, chat_id)):
                rate = self.rate(*bucket)
                if rate is None:
                    messages.append(0)
                    continue
                if bucket not in numbers:
                    numbers[bucket] = len(numbers) + 1
                    keys += [self._key(bucket), self._key(bucket) + ":window"]
                    rates += _described(rate)
                messages.append(numbers[bucket])
        self._unstamped = {}
        args = [now, len(numbers), len(asked), UNSTAMPED_FOR, *rates, *messages]
        reply = await self._ask(self._claim, keys, args)
        if reply is None:
            return waits
        message_waits, bucket_waits, taken = reply
        for i, micros, entries in zip(asked, message_waits, taken, strict=True):
            waits[i] = micros / 1e6
            pairs = zip(entries[::2], entries[1::2], strict=True)
            # keys[2j - 1] is bucket j's window (the script numbers from 1)
            self._unstamped[wanted[i]] = [(keys[2 * j - 1], member) for j, member in pairs]
        for bucket, micros in zip(numbers, bucket_waits, strict=True):
            if micros > 0:
                self._held[bucket] = now + micros / 1e6
            else:
                self._held.pop(bucket, None)
        if len(self._held) > self.max_chat_buckets:
            self._held = {b: until for b, until in self._held.items() if until > now}
        return waits

    async def departing(self, claimed: Sequence[tuple[str, int]]) -> None:
        """Count the claimed messages in the shared windows from now, not from their claim.

        Between the two lies the commit of the rows' claim, of varying length; VK counts calls
        in a strict sliding second, with 50 ms of margin (`VK_WINDOW`), and two processes
        whose commits differed by more made it answer error 6 (`bench.delivery_shared`). Until
        stamped, an entry counts as `UNSTAMPED_FOR` after its claim: later, never earlier,
        than its send."""
        entries = [entry for message in claimed for entry in self._unstamped.get(message, ())]
        self._unstamped = {}
        if entries:
            keys = [key for key, _ in entries]
            await self._ask(self._stamp, keys, [self._now(), *(m for _, m in entries)])

    async def pause(self, channel: str, chat_id: int | None, seconds: float) -> None:
        """Hold the chat (or the channel) here and for every other process on the token."""
        await super().pause(channel, chat_id, seconds)
        now = self._now()
        bucket: Bucket = (channel, chat_id)
        if chat_id is None or self.rate(*bucket) is None:
            bucket = (lane(channel, chat_id), None)
        rate = self.rate(*bucket)
        if rate is None or not self._shared(bucket[0] if bucket[1] is None else channel, now):
            return
        keep = math.ceil(
            (seconds + max(rate.window or 0.0, rate.burst / rate.per_second) + 1) * 1000
        )
        await self._ask(self._pause, [self._key(bucket)], [now + seconds, keep])

    async def _ask(self, script: AsyncScript, keys: list[str], args: list[Any]) -> Any:
        """The script's answer, or ``None`` when Redis did not give one in time: this process
        then keeps to its own limits for `LOCAL_FOR` seconds."""
        try:
            async with asyncio.timeout(self.claim_timeout):
                answer = await script(keys=keys, args=args)
        except (RedisError, OSError, TimeoutError) as exc:
            self._lost(exc)
            return None
        self._reached()
        return answer

    def _lost(self, exc: BaseException) -> None:
        self._local_until = self._now() + self.local_for
        if not self._unreachable:
            self._unreachable = True
            log.warning(
                "shared platform limits unreachable (%s): each process keeps its own until "
                "Redis answers",
                type(exc).__name__,
            )

    def _reached(self) -> None:
        if self._unreachable:
            self._unreachable = False
            log.info("shared platform limits reachable again")


def _described(rate: Rate) -> list[float]:
    """A bucket's rate as the script reads it: per second, burst, window (0: none), limit."""
    if rate.window is None:
        return [rate.per_second, rate.burst, 0, 0]
    return [rate.per_second, rate.burst, rate.window, rate.window_limit]


def rate_limiter(
    clock: Clock,
    limits: Mapping[str, ChannelLimits],
    redis: Redis | None = None,
    tokens: Mapping[str, str] | None = None,
) -> RateLimiter:
    """The limiter for this deployment: shared through Redis when there is one, else in
    memory."""
    if redis is None:
        return RateLimiter(clock, dict(limits))
    return SharedRateLimiter(clock, limits, redis, tokens or {})

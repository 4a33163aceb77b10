"""Token buckets per channel and per chat, so the outbox stays under the platforms' limits.

Going over costs more than waiting: Telegram answers 429 with a growing ``retry_after`` and VK
raises flood errors. Defaults follow the documented limits (Telegram: ~30 messages/s per bot,
1/s per private chat, 20/min per group; VK: 20 requests/s per community token) and are
settings, because a deployment with a paid Telegram broadcast limit or a shared VK token needs
other numbers. Time comes from the injected clock, never from ``time.monotonic``.

Why a small burst and a window. We count a message when we reserve it, the platform when the
request arrives, a few milliseconds later and not always in the same order. A bucket that may
hold a whole second's worth (30) lets 30 go at once right after 30 went in the previous second,
and a little reordering of arrivals then looks like 31 in a second to the platform. So the
overall buckets hold only ``OVERALL_BURST`` messages (sends leave evenly spaced; the second one
absorbs a worker pass that came a few milliseconds late, so the rate stays at the limit), and
``window`` additionally caps what any ``window`` seconds may see at ``per_second · window``, which
a burst after a quiet spell would otherwise exceed by ``burst - 1``.

Per token, not per channel: a connected VK page (`bot.domain.pages`) has its own token and its
own 20 calls a second, so a message to a page's dialogue draws on that page's overall bucket,
its lane ``"vk#<group id>"`` (`bot.domain.pages.lane`); the limits are the channel's. Methods
that take a ``channel`` for the overall budget (`RateLimiter.available`, `overall_wait`) take a
lane as well.

These buckets are one process's. With several processes on one token the platform's limit is
theirs together: `bot.delivery.ratelimit_redis.SharedRateLimiter` keeps the same buckets in
Redis and takes them in `RateLimiter.claim`, which here has nothing to take.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.domain.messages import Clock
from bot.domain.pages import lane, lane_channel

#: Messages the overall (bot-wide, token-wide) buckets let go at once; see the module docstring.
OVERALL_BURST = 2.0


@dataclass(frozen=True)
class Rate:
    """``per_second`` tokens are added each second, up to ``burst``; with ``window`` (seconds),
    also never more than ``per_window`` messages in any ``window`` seconds."""

    per_second: float
    burst: float = 1.0
    window: float | None = None
    per_window: int | None = None  # default: what ``per_second`` gives in ``window``

    @property
    def window_limit(self) -> int:
        if self.per_window is not None:
            return self.per_window
        return max(1, math.floor(self.per_second * (self.window or 1.0)))


@dataclass(frozen=True)
class ChannelLimits:
    overall: Rate
    private_chat: Rate | None = None
    group_chat: Rate | None = None  # chats with a negative id (Telegram groups and channels)


#: VK counts calls in a strict sliding second and answers error 6 (which holds the whole token
#: for a second) to the 21st: a request that arrives a few milliseconds out of step with its
#: reservation must not make one. Telegram's limit behaves as a bucket that forgives that.
VK_WINDOW = 1.05


def overall(per_second: float, window: float = 1.0) -> Rate:
    """A bot-wide (or token-wide) limit of ``per_second``, spread evenly, and never more than
    ``per_second`` in any ``window`` seconds (see the module docstring). At rates far above any
    platform's (benchmarks switch pacing off that way) the bucket holds what a thirtieth of a
    second brings, so the worker's passes are not the limit."""
    burst = max(OVERALL_BURST, per_second / 30)
    return Rate(per_second, burst, window, max(1, math.floor(per_second)))


DEFAULT_LIMITS: dict[str, ChannelLimits] = {
    "tg": ChannelLimits(
        overall=overall(30),
        private_chat=Rate(1, 1),
        group_chat=Rate(20 / 60, 3, window=60.0),
    ),
    "vk": ChannelLimits(overall=overall(20, VK_WINDOW)),
}


@dataclass
class TokenBucket:
    rate: Rate
    tokens: float
    updated: float
    blocked_until: float = 0.0
    #: Reservation times inside the last ``rate.window`` seconds (only with a window).
    recent: deque[float] = field(default_factory=deque)

    def _refill(self, now: float) -> None:
        if now > self.updated:
            self.tokens = min(
                self.rate.burst, self.tokens + (now - self.updated) * self.rate.per_second
            )
            self.updated = now
        window = self.rate.window
        while self.recent and window is not None and self.recent[0] <= now - window:
            self.recent.popleft()

    def _window_room(self) -> float:
        """Messages the window still admits (infinite without a window); call after _refill."""
        if self.rate.window is None:
            return math.inf
        return self.rate.window_limit - len(self.recent)

    def wait(self, now: float) -> float:
        """Seconds until one token is available (0 when it is)."""
        self._refill(now)
        blocked = max(0.0, self.blocked_until - now)
        missing = max(0.0, 1.0 - self.tokens)
        waits = [blocked, missing / self.rate.per_second if missing else 0.0]
        if self._window_room() < 1 and self.rate.window is not None:
            # The window is full: its oldest message must leave it first.
            waits.append(self.recent[0] + self.rate.window - now)
        return max(waits)

    def available(self, now: float) -> int:
        """How many messages could go right now, counting this bucket only."""
        if self.wait(now) > 0:
            return 0
        return int(min(math.floor(self.tokens), self._window_room()))

    def take(self, now: float) -> None:
        self._refill(now)
        self.tokens -= 1.0
        if self.rate.window is not None:
            self.recent.append(now)

    def full(self, now: float) -> bool:
        self._refill(now)
        return self.tokens >= self.rate.burst and self.blocked_until <= now


@dataclass
class RateLimiter:
    clock: Clock
    limits: dict[str, ChannelLimits] = field(default_factory=lambda: dict(DEFAULT_LIMITS))
    max_chat_buckets: int = 10_000
    _buckets: dict[tuple[str, int | None], TokenBucket] = field(default_factory=dict)

    def _now(self) -> float:
        return _seconds(self.clock.now())

    def rate(self, channel: str, chat_id: int | None) -> Rate | None:
        """The limit of the channel (``chat_id`` ``None``) or of one chat; ``None``: none."""
        limits = self.limits.get(lane_channel(channel))
        if limits is None:
            return None
        if chat_id is None:
            return limits.overall
        return limits.group_chat if chat_id < 0 else limits.private_chat

    def _bucket(self, channel: str, chat_id: int | None, now: float) -> TokenBucket | None:
        rate = self.rate(channel, chat_id)
        if rate is None:
            return None
        key = (channel, chat_id)
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.max_chat_buckets:
                self._forget_idle(now)
            bucket = self._buckets[key] = TokenBucket(rate, rate.burst, now)
        return bucket

    def _forget_idle(self, now: float) -> None:
        for key in [k for k, b in self._buckets.items() if k[1] is not None and b.full(now)]:
            del self._buckets[key]

    def _limits(self, channel: str, chat_id: int, now: float) -> list[TokenBucket]:
        """The buckets a message to ``chat_id`` draws on: its token's (the channel's, or a
        connected page's) and the chat's."""
        overall_bucket = self._bucket(lane(channel, chat_id), None, now)
        return [b for b in (overall_bucket, self._bucket(channel, chat_id, now)) if b]

    def lanes(self, channel: str) -> list[str]:
        """The channel's own lane and every page lane of it in use (`bot.domain.pages.lane`)."""
        pages = {k[0] for k in self._buckets if k[1] is None and k[0].startswith(channel + "#")}
        return [channel, *sorted(pages)]

    @staticmethod
    def _longest_wait(buckets: list[TokenBucket], now: float) -> float:
        return max((b.wait(now) for b in buckets), default=0.0)

    def wait(self, channel: str, chat_id: int) -> float:
        """Seconds until a message to ``chat_id`` may go (0: now); takes nothing."""
        now = self._now()
        return self._longest_wait(self._limits(channel, chat_id, now), now)

    def reserve(self, channel: str, chat_id: int) -> float:
        """Take a token for one message to ``chat_id`` and return 0, or return the seconds to
        wait and take nothing (so a blocked chat does not eat the channel's overall budget)."""
        now = self._now()
        buckets = self._limits(channel, chat_id, now)
        wait = self._longest_wait(buckets, now)
        if wait > 0:
            return wait
        for bucket in buckets:
            bucket.take(now)
        return 0.0

    async def claim(self, wanted: Sequence[tuple[str, int]]) -> list[float]:
        """For each (channel, chat) a pass is about to send to, in order: 0 if it may go, else
        the seconds to wait. Asked after `wait` allowed each one, before the rows are claimed;
        a budget shared with other processes is taken here. In one process nothing is: the
        tokens are taken by `reserve`, right before the sends start."""
        return [0.0] * len(wanted)

    async def departing(self, claimed: Sequence[tuple[str, int]]) -> None:
        """The claimed messages' sends start now (the rows' claim is committed). A shared
        budget counts them in its windows from this moment; here `reserve` does."""

    def available(self, channel: str) -> int | None:
        """How many messages the channel's overall budget lets go right now (``None``: no
        limit). Per-chat limits may still hold some of them back."""
        now = self._now()
        bucket = self._bucket(channel, None, now)
        return None if bucket is None else bucket.available(now)

    def overall_wait(self, channel: str) -> float:
        """Seconds until the channel's overall budget lets one message go (0: now)."""
        now = self._now()
        bucket = self._bucket(channel, None, now)
        return 0.0 if bucket is None else bucket.wait(now)

    async def pause(self, channel: str, chat_id: int | None, seconds: float) -> None:
        """The platform said "retry after": hold the chat (or the whole channel) that long."""
        now = self._now()
        bucket = self._bucket(channel, chat_id, now) if chat_id is not None else None
        bucket = bucket or self._bucket(lane(channel, chat_id), None, now)
        if bucket is not None:
            bucket.blocked_until = max(bucket.blocked_until, now + seconds)


def _seconds(moment: datetime) -> float:
    return moment.timestamp()

"""Flood limits per citizen: how many messages (and button presses) one person may send.

Why: one person pasting the same complaint fifty times, or a script, would otherwise make fifty
tickets and bury a body's chat. The limit is per (channel, user), in sliding windows (by default
20 a minute and 100 an hour). Over the limit the message is not taken, and the person is told
once per window, with the minutes to wait — never silence, never one warning per extra message.
Staff chats and coordinators are not limited (the core decides who is staff, not this module).

Counters live in memory on purpose: they are about the last hour only, and a restart that forgets
them at worst lets a flooder start a fresh window. Memory is bounded: users idle longer than the
longest window are dropped, and past ``max_users`` the least recently active go first.
"""

from __future__ import annotations

import math
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.domain.messages import Clock


@dataclass(frozen=True, slots=True)
class FloodWindow:
    """At most ``limit`` messages within any ``span``."""

    limit: int
    span: timedelta


@dataclass(frozen=True, slots=True)
class FloodVerdict:
    """``allowed``: take the message. Otherwise ``warn`` says whether this is the first refusal
    of the window (tell the person) and ``wait`` how long until a message is taken again."""

    allowed: bool
    warn: bool = False
    wait: timedelta = timedelta(0)

    @property
    def minutes(self) -> int:
        """The wait in whole minutes, rounded up, at least 1 (what the person is told)."""
        return max(1, math.ceil(self.wait.total_seconds() / 60))


ALLOWED = FloodVerdict(True)


@dataclass(slots=True)
class _Sender:
    taken: deque[datetime] = field(default_factory=deque)  # times of accepted messages
    warned_until: datetime | None = None  # told "wait" until then; no second warning before


class FloodGuard:
    def __init__(
        self, clock: Clock, windows: tuple[FloodWindow, ...], *, max_users: int = 10_000
    ) -> None:
        self.clock = clock
        self.windows = tuple(sorted(windows, key=lambda w: w.span))
        self.max_users = max_users
        self._senders: OrderedDict[tuple[str, int], _Sender] = OrderedDict()

    @property
    def tracked(self) -> int:
        """How many people are remembered right now (for tests and monitoring)."""
        return len(self._senders)

    def check(self, channel: str, user_id: int) -> FloodVerdict:
        """Count one incoming message of this person, or refuse it if a window is full.

        Refused messages are not counted: the person gets back in as soon as the accepted ones
        age out of the window, however often they tried meanwhile.
        """
        if not self.windows:
            return ALLOWED
        now = self.clock.now()
        key = (channel, user_id)
        sender = self._senders.pop(key, None) or _Sender()
        self._evict_idle(now)
        self._senders[key] = sender  # most recently active at the end
        longest = self.windows[-1].span
        while sender.taken and now - sender.taken[0] >= longest:
            sender.taken.popleft()
        wait = self._wait(sender.taken, now)
        if wait <= timedelta(0):
            sender.taken.append(now)
            return ALLOWED
        warn = sender.warned_until is None or now >= sender.warned_until
        if warn:
            sender.warned_until = now + wait
        return FloodVerdict(False, warn, wait)

    async def check_async(self, channel: str, user_id: int) -> FloodVerdict:
        """`check` for callers that may hold a shared guard (`bot.storage.flood_redis`): the same
        answer, awaited, so the core does not care where the counters live."""
        return self.check(channel, user_id)

    def _wait(self, taken: deque[datetime], now: datetime) -> timedelta:
        """How long until every window has room for one more message (zero: room now)."""
        wait = timedelta(0)
        for window in self.windows:
            recent = [t for t in taken if now - t < window.span]
            if len(recent) >= window.limit:
                # The window frees up when its oldest message needed to drop below the limit
                # ages out.
                oldest = recent[len(recent) - window.limit]
                wait = max(wait, oldest + window.span - now)
        return wait

    def _evict_idle(self, now: datetime) -> None:
        longest = self.windows[-1].span
        while self._senders:
            key, sender = next(iter(self._senders.items()))
            last = sender.taken[-1] if sender.taken else None
            idle = last is None or now - last >= longest
            warned = sender.warned_until is not None and sender.warned_until > now
            if len(self._senders) < self.max_users and (not idle or warned):
                break
            del self._senders[key]

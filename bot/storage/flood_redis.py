"""Flood limits shared by several bot processes through Redis (``REDIS_URL``).

Behind one reverse proxy a citizen's messages land on whichever process is free; with counters in
each process's memory, three processes would let a flooder send three times the limit. Here the
same sliding windows as `bot.core.flood.FloodGuard` live in Redis: per (channel, user) a sorted
set of the accepted messages' times and a "warned until" key. One Lua script does the whole
check, so two processes counting the same person at the same moment cannot both take the last
free place.

Times come from the guard's clock (as in memory), not Redis's, so the windows mean the same in
tests and in production; Redis expiry only cleans up keys of people idle for the longest window.

If Redis cannot be reached the message is let through (and logged): a counter is not worth
losing an appeal over, and the in-process limits of the platforms still hold.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING

from redis.exceptions import RedisError

from bot.core.flood import ALLOWED, FloodGuard, FloodVerdict, FloodWindow
from bot.domain.messages import Clock

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger("bot.core")

#: KEYS: taken (sorted set of accepted times, ms), warned (ms until which the person was told).
#: ARGV: now, longest span, a unique member for this message, then limit/span pairs.
#: Returns {allowed, warn, wait_ms}. The same arithmetic as `FloodGuard.check`.
_CHECK = """
local now = tonumber(ARGV[1])
local longest = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - longest)
local wait = 0
for i = 4, #ARGV, 2 do
  local limit = tonumber(ARGV[i])
  local span = tonumber(ARGV[i + 1])
  local recent = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. (now - span), '+inf', 'WITHSCORES')
  local count = #recent / 2
  if count >= limit then
    local oldest = tonumber(recent[2 * (count - limit) + 2])
    wait = math.max(wait, oldest + span - now)
  end
end
if wait <= 0 then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], longest)
  return {1, 0, 0}
end
local warned = tonumber(redis.call('GET', KEYS[2]))
local warn = 0
if warned == nil or now >= warned then
  warn = 1
  redis.call('SET', KEYS[2], now + wait, 'PX', longest)
end
return {0, warn, wait}
"""


class RedisFloodGuard(FloodGuard):
    """`FloodGuard` whose counters are in Redis; use `check_async` (``check`` stays local)."""

    def __init__(
        self, clock: Clock, windows: tuple[FloodWindow, ...], redis: Redis, *, prefix: str = "flood"
    ) -> None:
        super().__init__(clock, windows)
        self.redis = redis
        self.prefix = prefix
        self._script = redis.register_script(_CHECK)

    async def check_async(self, channel: str, user_id: int) -> FloodVerdict:
        if not self.windows:
            return ALLOWED
        now = round(self.clock.now().timestamp() * 1000)
        spans = [(w.limit, round(w.span.total_seconds() * 1000)) for w in self.windows]
        base = f"{self.prefix}:{channel}:{user_id}"
        try:
            allowed, warn, wait = await self._script(
                keys=[f"{base}:taken", f"{base}:warned"],
                args=[now, spans[-1][1], f"{now}:{uuid.uuid4().hex}", *_flat(spans)],
            )
        except (RedisError, OSError) as exc:
            log.warning("flood counters unreachable (%s): message let through", type(exc).__name__)
            return ALLOWED
        if allowed:
            return ALLOWED
        return FloodVerdict(False, bool(warn), timedelta(milliseconds=int(wait)))


def _flat(pairs: list[tuple[int, int]]) -> list[int]:
    return [value for pair in pairs for value in pair]


def flood_guard(
    clock: Clock, windows: tuple[FloodWindow, ...], redis: Redis | None = None
) -> FloodGuard:
    """The guard for this deployment: shared through Redis when there is one, else in memory."""
    if redis is None:
        return FloodGuard(clock, windows)
    return RedisFloodGuard(clock, windows, redis)

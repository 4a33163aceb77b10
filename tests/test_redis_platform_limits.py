"""Platform limits with REDIS_URL: bot processes on one token keep the token's limits together.

Each limiter here is used as an outbox pass uses it (`available`, then `wait` per chat, `claim`
for the chosen messages, `departing` and `reserve` before the sends) on a clock the test moves
in small steps.
What is checked is what the platform counts: messages per sliding second (Telegram 30, VK 20 in
1.05 s), per private chat (one a second), per group (20 a minute). Two limiters in memory, as
two processes had before, go over; two sharing one Redis do not, and still use the limit.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from bot.delivery.ratelimit import DEFAULT_LIMITS, VK_WINDOW, ChannelLimits, Rate, RateLimiter
from bot.delivery.ratelimit_redis import SharedRateLimiter, rate_limiter
from bot.domain.pages import page_chat
from tests.emulators.aio import run_async
from tests.servers_redis import redis_server, redis_url  # noqa: F401 (fixtures)

TOKENS = {"tg": "7000000001:TEST-secret-part-of-the-token", "vk": "vk1.a.secret-token"}
GROUP = -100_500


class SteppedClock:
    """The limiters' clock: seconds the test sets, as the `Clock` port's datetime."""

    def __init__(self) -> None:
        self.seconds = datetime(2026, 3, 4, 10, 0, tzinfo=UTC).timestamp()

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.seconds, UTC)


async def one_pass(limiter: RateLimiter, channel: str, waiting: list[int]) -> list[int]:
    """What an outbox pass does with the limiter; the chats it sent to (taken from ``waiting``,
    each entry one message, oldest first)."""
    room = limiter.available(channel)
    chosen: list[int] = []
    for chat in dict.fromkeys(waiting):  # a chat's oldest message only: the queue's rule
        if room is not None and len(chosen) >= room:
            break
        if limiter.wait(channel, chat) == 0:
            chosen.append(chat)
    waits = await limiter.claim([(channel, c) for c in chosen])
    sent = [chat for chat, wait in zip(chosen, waits, strict=True) if wait == 0]
    await limiter.departing([(channel, chat) for chat in sent])  # the rows' claim committed
    for chat in sent:
        assert limiter.reserve(channel, chat) == 0  # nothing refuses after the claim
        waiting.remove(chat)
    return sent


async def deliver(
    clock: SteppedClock,
    limiters: list[RateLimiter],
    channel: str,
    queues: list[list[int]],
    *,
    seconds: float,
    step: float = 0.007,
) -> dict[int, list[float]]:
    """Every limiter works through its own queue, a pass each per ``step`` for ``seconds``;
    the moments of the messages sent, by the limiter that sent them."""
    sent: dict[int, list[float]] = {n: [] for n in range(len(limiters))}
    start = clock.seconds
    while clock.seconds < start + seconds:
        turn = int(clock.seconds / step)  # who goes first alternates
        order = list(range(len(limiters)))[:: 1 if turn % 2 else -1]
        for n in order:
            chats = await one_pass(limiters[n], channel, queues[n])
            sent[n] += [clock.seconds] * len(chats)
        clock.seconds += step
    return sent


def most_in_any(span: float, moments: list[float]) -> int:
    """The most messages inside any ``span`` seconds, as the platform counts them."""
    moments = sorted(moments)
    return max((sum(m < start + span for m in moments[i:]) for i, start in enumerate(moments)),
               default=0)


def shared(clock: SteppedClock, client: Redis) -> SharedRateLimiter:
    return SharedRateLimiter(clock, DEFAULT_LIMITS, client, TOKENS)


@pytest.mark.parametrize(("channel", "limit", "span"), [("tg", 30, 1.0), ("vk", 20, VK_WINDOW)])
@run_async
async def test_two_processes_sharing_redis_keep_one_tokens_limit_together(
    redis_url, channel, limit, span  # noqa: F811
):
    clock = SteppedClock()
    async with Redis.from_url(redis_url) as one, Redis.from_url(redis_url) as two:
        limiters: list[RateLimiter] = [shared(clock, one), shared(clock, two)]
        queues = [list(range(1, 1001)), list(range(1001, 2001))]
        sent = await deliver(clock, limiters, channel, queues, seconds=10)
    every = sent[0] + sent[1]
    assert most_in_any(span, every) <= limit
    assert len(every) >= 0.95 * limit / span * 10  # the limit is used, not just kept
    assert sent[0] and sent[1]


@run_async
async def test_two_processes_each_with_its_own_limits_go_over_the_tokens_limit():
    """Why the budget is shared: what two processes did before (and do without Redis)."""
    clock = SteppedClock()
    limiters = [RateLimiter(clock, dict(DEFAULT_LIMITS)), RateLimiter(clock, dict(DEFAULT_LIMITS))]
    queues = [list(range(1, 1001)), list(range(1001, 2001))]
    sent = await deliver(clock, limiters, "tg", queues, seconds=10)
    assert most_in_any(1.0, sent[0] + sent[1]) > 50


@run_async
async def test_one_private_chat_hears_at_most_once_a_second_from_all_processes(
    redis_url,  # noqa: F811
):
    """Both processes have messages for the same five people (with one database, a chat's
    next message may be sent by either)."""
    clock = SteppedClock()
    async with Redis.from_url(redis_url) as one, Redis.from_url(redis_url) as two:
        limiters = [shared(clock, one), shared(clock, two)]
        queues = [[1, 2, 3, 4, 5] * 8, [1, 2, 3, 4, 5] * 8]
        moments: dict[int, list[float]] = {chat: [] for chat in range(1, 6)}
        start = clock.seconds
        while clock.seconds < start + 10:
            for limiter, queue in zip(limiters, queues, strict=True):
                for chat in await one_pass(limiter, "tg", queue):
                    moments[chat].append(clock.seconds)
            clock.seconds += 0.01
    for chat_moments in moments.values():
        assert most_in_any(1.0, chat_moments) == 1
        assert len(chat_moments) >= 9  # ten seconds, one a second: the limit is used


@run_async
async def test_a_group_gets_at_most_twenty_a_minute_from_all_processes(redis_url):  # noqa: F811
    clock = SteppedClock()
    async with Redis.from_url(redis_url) as one, Redis.from_url(redis_url) as two:
        limiters: list[RateLimiter] = [shared(clock, one), shared(clock, two)]
        sent = await deliver(clock, limiters, "tg", [[GROUP] * 40, [GROUP] * 40],
                             seconds=130, step=0.25)
    every = sent[0] + sent[1]
    assert most_in_any(60.0, every) == 20
    assert len(every) >= 40  # two minutes and ten seconds: 20, 20 and the first of the third


@run_async
async def test_a_window_counts_a_message_from_its_send_not_from_its_claim(redis_url):  # noqa: F811
    """The rows' claim is committed in between; VK counts a call when it arrives."""
    clock = SteppedClock()
    limits = {"vk": ChannelLimits(overall=Rate(100, 100, window=1.0, per_window=3))}
    async with Redis.from_url(redis_url) as one, Redis.from_url(redis_url) as two:
        first = SharedRateLimiter(clock, limits, one, TOKENS)
        second = SharedRateLimiter(clock, limits, two, TOKENS)
        claimed = [("vk", 1), ("vk", 2), ("vk", 3)]
        assert await first.claim(claimed) == [0.0, 0.0, 0.0]
        clock.seconds += 0.3  # a slow commit
        assert (await second.claim([("vk", 4)]))[0] > 1.0  # not sent yet: counted late
        await first.departing(claimed)
        clock.seconds += 0.75  # 1.05 s after the claim, 0.75 s after the sends started
        [wait] = await second.claim([("vk", 4)])
        assert wait == pytest.approx(0.25, abs=1e-5)


@run_async
async def test_a_retry_after_told_to_one_process_holds_the_others(redis_url):  # noqa: F811
    clock = SteppedClock()
    async with Redis.from_url(redis_url) as one, Redis.from_url(redis_url) as two:
        told, other = shared(clock, one), shared(clock, two)
        await told.pause("tg", 5, 3.0)  # Telegram: "retry after 3" for chat 5
        assert await other.claim([("tg", 5), ("tg", 6)]) == [pytest.approx(3.0), 0.0]
        await told.pause("vk", 7, 1.0)  # VK error 6 holds the whole token
        waits = await other.claim([("vk", 8)])
        assert waits[0] == pytest.approx(1.0)
        clock.seconds += 1.0
        assert await other.claim([("vk", 8)]) == [0.0]


@run_async
async def test_redis_keeps_a_hash_of_the_token_never_the_token(redis_url):  # noqa: F811
    clock = SteppedClock()
    async with Redis.from_url(redis_url) as client:
        limiter = shared(clock, client)
        await limiter.claim([("tg", 1), ("tg", GROUP), ("vk", 2)])
        await limiter.pause("tg", 1, 5.0)
        keys = [key.decode() for key in await client.keys("*")]
        assert keys and all(key.startswith("ratelimit:") for key in keys)
        for token in TOKENS.values():
            assert not any(token in key or token.split(":")[-1] in key for key in keys)
        assert all([await client.pttl(key) > 0 for key in keys])  # idle buckets go away


@run_async
async def test_without_redis_each_process_keeps_its_own_limits_and_says_so_once(
    redis_url, caplog  # noqa: F811
):
    port = int(redis_url.rsplit(":", 1)[1].split("/")[0])
    clock = SteppedClock()
    async with Redis(host="127.0.0.1", port=port + 1, retry=Retry(NoBackoff(), 0)) as nowhere:
        limiter = shared(clock, nowhere)
        with caplog.at_level(logging.INFO, logger="bot.outbox"):
            sent = await deliver(clock, [limiter], "tg", [list(range(1, 101))], seconds=3)
            await limiter.pause("tg", 1, 1.0)
            clock.seconds += 11  # past the time to ask Redis again: still away
            assert await limiter.claim([("tg", 2)]) == [0.0]
    assert 85 <= len(sent[0]) <= 91  # delivery goes on, at this process's own 30 a second
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "unreachable" in warnings[0].getMessage()


def test_without_redis_the_limits_are_the_processs_own():
    limiter = rate_limiter(SteppedClock(), DEFAULT_LIMITS)
    assert type(limiter) is RateLimiter


@run_async
async def test_a_connected_pages_token_is_shared_by_processes_and_apart_from_other_pages(
    redis_url,  # noqa: F811
):
    """Issue 18: a connected VK page has its own token, so its own 20 a second, kept by every
    process together (its buckets named by the page's community id); another page's messages
    do not count against it."""
    clock = SteppedClock()
    page_a = [page_chat(229_000_002, peer) for peer in range(1, 1001)]
    page_b = [page_chat(229_000_003, peer) for peer in range(1, 1001)]
    async with Redis.from_url(redis_url) as one, Redis.from_url(redis_url) as two:
        limiters: list[RateLimiter] = [shared(clock, one), shared(clock, two)]
        same = await deliver(clock, limiters, "vk", [page_a[:500], page_a[500:]], seconds=5)
        assert most_in_any(VK_WINDOW, same[0] + same[1]) <= 20
        assert len(same[0] + same[1]) >= 0.95 * 20 / VK_WINDOW * 5
        clock.seconds += 5
        apart = await deliver(clock, limiters, "vk", [page_a[:500], page_b], seconds=5)
    assert most_in_any(VK_WINDOW, apart[0]) <= 20 and most_in_any(VK_WINDOW, apart[1]) <= 20
    assert most_in_any(VK_WINDOW, apart[0] + apart[1]) > 30  # two tokens side by side

"""The outbox: recording, order, retries, platform waits, permanent failures, rate limits and
the crash between sending and recording."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from itertools import pairwise

import pytest
from core_world import CITIZEN_TG, CITIZEN_VK, CITY_CHAT, COORDINATOR_ID, FakeClock

from bot.delivery.fake import FakeTransport
from bot.delivery.outbox import Outbox, dedup_id
from bot.delivery.ratelimit import ChannelLimits, Rate, RateLimiter
from bot.delivery.transport import PermanentError, RetryAfter, TransientError
from bot.domain.pages import page_chat, page_of
from bot.domain.records import OutboxDraft
from bot.storage.sql.outbox import OutboxSql
from bot.storage.sqlite import SqliteRepository


class Crash(BaseException):
    """The process dies: not an `Exception`, so nothing in the outbox may catch it."""


async def queue(repo, clock, *drafts: tuple[str, str, int, str]) -> None:
    async with repo.transaction() as tx:
        for key, channel, chat, purpose in drafts:
            await tx.outbox.enqueue(
                OutboxDraft(
                    key,
                    channel,
                    chat,
                    {"text": key},
                    purpose,
                    resend_if_uncertain=purpose != "citizen",
                ),
                clock.now(),
            )


async def rows(repo):
    async with repo.transaction() as tx:
        return {r["idempotency_key"]: r for r in await tx.sql.all("SELECT * FROM outbox")}


async def make(tmp_path=None, **options):
    clock = FakeClock(datetime(2026, 3, 4, 6, 0, tzinfo=UTC))
    repo = SqliteRepository(tmp_path / "bot.sqlite3" if tmp_path else ":memory:")
    await repo.open()
    tg, vk = FakeTransport("tg"), FakeTransport("vk", dedup_by_id=True)
    outbox = Outbox(repo, {"tg": tg, "vk": vk}, clock, RateLimiter(clock), **options)
    return clock, repo, tg, vk, outbox


async def test_sent_rows_record_the_platform_message_id():
    clock, repo, tg, _vk, outbox = await make()
    await queue(repo, clock, ("a", "tg", 1, "citizen"))
    assert await outbox.run_once() == 1
    row = (await rows(repo))["a"]
    assert row["state"] == "sent" and row["platform_message_id"] == 1001 and row["attempts"] == 1
    assert tg.sent[0].dedup_id == dedup_id("a") > 0
    assert await outbox.run_once() == 0


async def test_messages_to_one_chat_keep_their_order_across_a_retry():
    clock, repo, tg, _vk, outbox = await make()
    await queue(
        repo,
        clock,
        ("first", "tg", 1, "citizen"),
        ("second", "tg", 1, "citizen"),
        ("other-chat", "tg", 2, "citizen"),
    )
    tg.fail_next(TransientError("502"))
    await outbox.run_once()  # "first" fails, "other-chat" goes
    assert tg.texts() == ["other-chat"]
    for _ in range(5):
        clock.advance(seconds=1.5)
        await outbox.run_once()
    assert tg.texts() == ["other-chat", "first", "second"]


async def test_transient_errors_back_off_exponentially_then_give_up():
    clock, repo, tg, _vk, outbox = await make(max_attempts=4, backoff_base=2)
    await queue(repo, clock, ("a", "tg", 1, "body"))
    tg.fail_next(*(TransientError("timeout") for _ in range(4)))
    tries = []
    for _ in range(40):
        if await outbox.run_once():
            tries.append(clock.now())
        clock.advance(seconds=0.5)
    gaps = [(b - a).total_seconds() for a, b in pairwise(tries)]
    assert gaps == [2.0, 4.0, 8.0]
    assert (await rows(repo))["a"]["state"] == "failed"


async def test_retry_after_is_honoured_and_not_counted_as_an_attempt():
    clock, repo, tg, _vk, outbox = await make(max_attempts=2)
    await queue(repo, clock, ("a", "tg", 1, "citizen"))
    tg.fail_next(RetryAfter(30), RetryAfter(30), RetryAfter(30))
    for _ in range(3):
        await outbox.run_once()
        clock.advance(seconds=29)
        assert await outbox.run_once() == 0  # not before the platform said
        clock.advance(seconds=1)
    await outbox.run_once()
    row = (await rows(repo))["a"]
    assert row["state"] == "sent" and row["attempts"] == 1
    assert len(tg.calls) == 4


async def test_permanent_error_fails_at_once_and_leaves_an_audit_event(world):
    await world.start()
    outcome = await world.core.handle(world.citizen("яма"))
    world.tg.fail_next(PermanentError("Forbidden: bot was blocked by the user"))
    await world.flush()
    states = {r["purpose"]: r["state"] for r in await world.outbox_rows()}
    assert states == {"citizen": "failed", "body": "sent"}
    assert "delivery_failed" in await world.events(outcome.number)
    assert len(world.tg.calls) == 2


async def test_missing_transport_waits_instead_of_failing():
    clock, repo, _tg, _vk, _ = await make()
    outbox = Outbox(repo, {}, clock)
    await queue(repo, clock, ("a", "vk", 5, "citizen"))
    await outbox.run_once()
    row = (await rows(repo))["a"]
    assert row["state"] == "pending" and row["attempts"] == 0


async def test_telegram_private_chats_get_one_message_per_second():
    clock, repo, tg, _vk, outbox = await make()
    await queue(repo, clock, *((f"m{i}", "tg", 1, "citizen") for i in range(3)))
    await outbox.run_once()
    await outbox.run_once()
    assert len(tg.sent) == 1
    clock.advance(seconds=0.5)
    await outbox.run_once()
    assert len(tg.sent) == 1
    clock.advance(seconds=0.5)
    await outbox.run_once()
    assert len(tg.sent) == 2


async def test_telegram_groups_get_twenty_a_minute():
    clock, repo, tg, _vk, outbox = await make()
    await queue(repo, clock, *((f"m{i}", "tg", -100, "body") for i in range(30)))
    for _ in range(60):  # one minute, a pass every second
        await outbox.run_once()
        clock.advance(seconds=1)
    assert len(tg.sent) == 20  # a burst of 3, then one every 3 s, never over 20 a minute


def most_in_any(seconds: float, moments: list[float]) -> int:
    return max((sum(start <= m < start + seconds for m in moments) for start in moments), default=0)


async def test_telegram_never_gets_more_than_thirty_messages_in_any_second():
    """What Telegram counts, and answers 429 over: messages arriving within one second. The
    outbox spreads them out (it used to send 30 at once right after 30 in the previous second)
    and still uses the whole limit."""
    clock, repo, tg, _vk, outbox = await make()
    await queue(repo, clock, *((f"m{i}", "tg", i + 1, "citizen") for i in range(200)))
    sent_at: list[float] = []
    tg.after_delivery = lambda message: sent_at.append(clock.now().timestamp())
    for _ in range(400):  # four seconds, a pass every 10 ms
        await outbox.run_once()
        clock.advance(seconds=0.01)
    assert most_in_any(1.0, sent_at) == 30
    assert most_in_any(0.1, sent_at) <= 4  # evenly: no burst of the whole second's share
    assert len(sent_at) >= 4 * 30 - 2


async def test_vk_never_gets_more_than_twenty_requests_in_any_second():
    clock, repo, _tg, vk, outbox = await make()
    await queue(repo, clock, *((f"m{i}", "vk", i + 1, "citizen") for i in range(100)))
    sent_at: list[float] = []
    vk.after_delivery = lambda message: sent_at.append(clock.now().timestamp())
    for _ in range(300):
        await outbox.run_once()
        clock.advance(seconds=0.01)
    assert most_in_any(1.0, sent_at) == 20
    assert most_in_any(1.04, sent_at) == 20  # with a margin for requests arriving unevenly
    assert len(sent_at) >= 3 * 19 - 2


async def test_vk_limit_is_configurable():
    clock, repo, _tg, vk, _ = await make()
    limiter = RateLimiter(clock, {"vk": ChannelLimits(overall=Rate(5, 5))})
    outbox = Outbox(repo, {"vk": vk}, clock, limiter)
    await queue(repo, clock, *((f"m{i}", "vk", i + 1, "citizen") for i in range(8)))
    await outbox.run_once()
    assert len(vk.sent) == 5


async def test_citizens_hear_back_before_the_cards_of_a_burst_go_out(world):
    """A burst of appeals: each citizen's confirmation is due together with the administrators'
    card. The citizens are answered first; the cards follow, in the order they were queued."""
    await world.start()
    citizens = [CITIZEN_TG + n for n in range(6)]
    numbers = [(await world.core.handle(world.citizen("яма", chat=c))).number for c in citizens]
    for _ in range(100):  # ten seconds, a pass every 100 ms (the group: 3, then one in 3 s)
        await world.outbox.run_once()
        world.clock.advance(seconds=0.1)
    order = [m.chat_id for m in world.tg.sent]
    assert sorted(order[:6]) == citizens
    cards = [m.text for m in world.tg.sent if m.chat_id == CITY_CHAT]
    assert len(cards) == 6
    assert [next(n for n in numbers if n in text) for text in cards] == numbers


async def test_within_one_chat_the_queueing_order_wins_over_priority(world):
    await world.start()
    await queue(
        world.repo,
        world.clock,
        ("card", "tg", 7, "body"),  # a coordinator's private chat: a card, then…
        ("ack", "tg", 7, "citizen"),  # …the confirmation of their own appeal
        ("other", "tg", 8, "citizen"),
    )
    await world.flush()
    assert [m.text for m in world.tg.sent] == ["other", "card", "ack"]


async def test_a_slow_send_does_not_hold_up_other_chats(world):
    await world.start()
    world.clock.now = lambda: datetime.now(UTC)  # run_forever sleeps in real time
    release = asyncio.Event()
    real_send = world.tg.send

    async def slow_for_chat_1(message):
        if message.chat_id == 1:
            await release.wait()
        return await real_send(message)

    world.tg.send = slow_for_chat_1
    stop = asyncio.Event()
    worker = asyncio.create_task(world.outbox.run_forever(stop))
    await queue(world.repo, world.clock, ("slow", "tg", 1, "citizen"))
    world.outbox.signals.wake()
    await asyncio.sleep(0.05)
    await queue(world.repo, world.clock, ("fast", "tg", 2, "citizen"))
    world.outbox.signals.wake()
    for _ in range(100):
        if world.tg.sent:
            break
        await asyncio.sleep(0.01)
    assert [m.text for m in world.tg.sent] == ["fast"]
    release.set()
    stop.set()
    await asyncio.wait_for(worker, 2)  # a stopping worker lets the send in hand finish
    assert [m.text for m in world.tg.sent] == ["fast", "slow"]
    assert {r["idempotency_key"]: r["state"] for r in await world.outbox_rows()} == {
        "slow": "sent",
        "fast": "sent",
    }


async def test_a_burst_leaves_at_the_platforms_pace_not_at_the_poll_interval(world):
    """Ten messages to ten citizens: Telegram's 30 a second takes a third of a second; the
    worker must wait for the limit, not for its next poll (5 s), while VK has budget left."""
    await world.start()
    world.clock.now = lambda: datetime.now(UTC)  # run_forever sleeps in real time
    await queue(world.repo, world.clock, *((f"m{i}", "tg", 100 + i, "citizen") for i in range(10)))
    stop = asyncio.Event()
    worker = asyncio.create_task(world.outbox.run_forever(stop))
    for _ in range(200):
        if len(world.tg.sent) == 10:
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(worker, 2)
    assert len(world.tg.sent) == 10


async def test_a_budget_back_before_the_rows_are_read_sends_them_without_waiting_for_the_poll(
    monkeypatch,
):
    """Telegram's budget is empty when a pass asks for it and back by the time the due rows
    come from the database (the query took longer than a token's refill; VK's budget made the
    pass ask at all). The pass leaves the row, and the next one must come at once, not after
    the poll interval: seen as a 5-second stall on PostgreSQL, where the query is slower."""
    clock = FakeClock(datetime(2026, 3, 4, 6, 0, tzinfo=UTC))
    repo = SqliteRepository(":memory:")
    await repo.open()
    tg, vk = FakeTransport("tg"), FakeTransport("vk", dedup_by_id=True)
    limiter = RateLimiter(clock, {"tg": ChannelLimits(overall=Rate(1, 1)),
                                  "vk": ChannelLimits(overall=Rate(20, 2))})
    assert limiter.reserve("tg", 0) == 0  # Telegram's one token is spent
    outbox = Outbox(repo, {"tg": tg, "vk": vk}, clock, limiter, poll_interval=60)
    await queue(repo, clock, ("a", "tg", 100, "citizen"))
    reading = OutboxSql.due

    async def slow_read(facet, now, limit):
        due = await reading(facet, now, limit)
        clock.advance(seconds=1)  # a token came back meanwhile
        return due

    monkeypatch.setattr(OutboxSql, "due", slow_read)
    stop = asyncio.Event()
    worker = asyncio.create_task(outbox.run_forever(stop))
    for _ in range(300):
        if tg.sent:
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(worker, 2)
    await repo.close()
    assert [m.text for m in tg.sent] == ["a"]


def crash_after_delivery(message):
    raise Crash


@pytest.mark.parametrize(
    ("channel", "chat", "purpose", "delivered", "state"),
    [
        ("tg", CITIZEN_TG, "citizen", 1, "uncertain"),  # never twice to a citizen on Telegram
        ("tg", CITY_CHAT, "body", 2, "sent"),  # a staff chat may see it twice, never zero times
        ("vk", CITIZEN_VK, "citizen", 1, "sent"),  # VK drops the repeat by random_id
    ],
)
async def test_crash_between_sending_and_recording(
    tmp_path, channel, chat, purpose, delivered, state
):
    clock, repo, tg, vk, outbox = await make(tmp_path)
    transport = tg if channel == "tg" else vk
    await queue(repo, clock, ("a", channel, chat, purpose))
    transport.after_delivery = crash_after_delivery
    with pytest.raises(Crash):
        await outbox.run_once()
    await repo.close()
    assert (await rows_after_restart(tmp_path))["a"]["state"] == "sending"

    # The restarted process: the same transports (the platform remembers what it got).
    transport.after_delivery = None
    repo = SqliteRepository(tmp_path / "bot.sqlite3")
    await repo.open()
    restarted = Outbox(repo, {"tg": tg, "vk": vk}, clock, RateLimiter(clock))
    await restarted.recover()
    clock.advance(seconds=2)
    await restarted.run_once()
    assert len(transport.sent) == delivered
    assert (await rows(repo))["a"]["state"] == state
    assert len({m.dedup_id for m in transport.calls}) == 1


async def rows_after_restart(tmp_path):
    repo = SqliteRepository(tmp_path / "bot.sqlite3")
    await repo.open()
    try:
        return await rows(repo)
    finally:
        await repo.close()


async def test_uncertain_citizen_message_is_recorded_on_the_ticket(file_world):
    world = await file_world.start()
    outcome = await world.core.handle(world.citizen("яма"))
    world.tg.after_delivery = crash_after_delivery
    with pytest.raises(Crash):
        await world.outbox.run_once()
    await world.stop()
    world.tg.after_delivery = None
    await world.start()
    report = await world.outbox.recover()
    assert (report.requeued, report.uncertain) == (1, 1)  # the body copy, the citizen's ack
    assert "delivery_uncertain" in await world.events(outcome.number)


async def test_own_timeout_on_a_citizen_message_is_not_resent():
    clock, repo, tg, _vk, outbox = await make(send_timeout=0.01)
    await queue(repo, clock, ("a", "tg", 1, "citizen"), ("b", "tg", -5, "body"))
    tg.delay = 0.05
    await outbox.run_once()
    found = await rows(repo)
    assert found["a"]["state"] == "uncertain"
    assert found["b"]["state"] == "pending"  # a staff message is retried


async def test_run_forever_wakes_when_the_core_queues_and_stops(world):
    await world.start(poll_interval=30)
    stop = asyncio.Event()
    world.clock.now = lambda: datetime.now(UTC)  # this one runs in real time
    worker = asyncio.create_task(world.outbox.run_forever(stop))
    await asyncio.sleep(0.02)
    await world.core.handle(world.citizen("яма"))  # wakes the outbox
    for _ in range(100):
        if len(world.tg.sent) == 2:
            break
        await asyncio.sleep(0.01)
    assert {m.chat_id for m in world.tg.sent} == {CITIZEN_TG, CITY_CHAT}
    stop.set()
    await asyncio.wait_for(worker, 1)
    assert COORDINATOR_ID not in {m.chat_id for m in world.tg.sent}


async def test_two_workers_on_one_database_never_send_a_row_twice(tmp_path):
    clock, repo, tg, _vk, _ = await make(tmp_path)
    first = Outbox(repo, {"tg": tg}, clock, RateLimiter(clock, {}))  # pacing is not the point
    other_repo = SqliteRepository(tmp_path / "bot.sqlite3")
    await other_repo.open()
    second = Outbox(other_repo, {"tg": tg}, clock, RateLimiter(clock, {}))
    await queue(repo, clock, *((f"m{i}", "tg", i + 1, "citizen") for i in range(20)))
    await asyncio.gather(first.run_once(), second.run_once())
    assert len(tg.sent) == 20 and len({m.text for m in tg.sent}) == 20
    # The guarantee underneath: a row is claimed by exactly one of them.
    await queue(repo, clock, ("late", "tg", 99, "citizen"))
    async with repo.transaction() as tx:
        (row,) = await tx.outbox.due(clock.now(), 10)
    async with other_repo.transaction() as tx:
        assert await tx.outbox.claim([row.id]) == {row.id}
    async with repo.transaction() as tx:
        assert await tx.outbox.claim([row.id]) == set()
    await other_repo.close()


async def test_a_broken_adapter_fails_the_row_without_killing_the_worker():
    clock, repo, tg, _vk, outbox = await make()
    await queue(repo, clock, ("a", "tg", 1, "citizen"), ("b", "tg", 2, "citizen"))
    tg.fail_next(ValueError("text of the appeal"))
    await outbox.run_once()
    found = await rows(repo)
    assert found["a"]["state"] == "failed" and found["b"]["state"] == "sent"


async def test_killing_the_worker_mid_send_loses_nothing_and_duplicates_nothing(file_world):
    """The worker task is cancelled while a send is in flight (the platform got it); the
    restarted process neither drops the body's copy nor repeats the citizen's message."""
    world = await file_world.start()
    world.clock.now = lambda: datetime.now(UTC)  # run_forever sleeps in real time
    await world.core.handle(world.citizen("яма"))
    in_flight = asyncio.Event()
    release = asyncio.Event()
    real_send = world.tg.send

    async def send_then_hang(message):
        sent = await real_send(message)  # delivered…
        in_flight.set()
        await release.wait()  # …and the process dies before recording it
        return sent

    world.tg.send = send_then_hang
    stop = asyncio.Event()
    worker = asyncio.create_task(world.outbox.run_forever(stop))
    await asyncio.wait_for(in_flight.wait(), 2)
    worker.cancel()
    with pytest.raises(asyncio.CancelledError):
        await worker
    delivered_before = [m.chat_id for m in world.tg.sent]
    await world.stop()

    world.tg.send = real_send
    await world.start()
    world.clock.now = lambda: datetime.now(UTC)
    await world.outbox.recover()
    for _ in range(3):
        await world.outbox.run_once()
    delivered = [m.chat_id for m in world.tg.sent]
    assert sorted(delivered_before) == [CITY_CHAT, CITIZEN_TG]  # both were in flight
    # The citizen got the acknowledgement once; the body's card went out again (its copy is
    # allowed to repeat, it must not be lost).
    assert delivered.count(CITIZEN_TG) == 1
    assert delivered.count(CITY_CHAT) == 2
    states = {r["purpose"]: r["state"] for r in await world.outbox_rows()}
    assert states == {"citizen": "uncertain", "body": "sent"}


async def test_killing_the_worker_before_the_send_loses_nothing(file_world):
    world = await file_world.start()
    await world.core.handle(world.citizen("яма"))  # committed, not sent
    await world.stop()  # the process dies here
    await world.start()
    await world.outbox.recover()
    await world.flush()
    assert sorted(m.chat_id for m in world.tg.sent) == [CITY_CHAT, CITIZEN_TG]


async def test_each_connected_page_has_its_own_twenty_a_second_and_the_bots_own_is_untouched():
    """Issue 18: VK counts 20 calls a second per community token. Messages to two connected
    pages' dialogues and to the bot's own community go at 20 a second each, not 20 together."""
    clock, repo, _tg, vk, outbox = await make()
    pages = {229_000_002: [], 229_000_003: [], None: []}
    chats = [(page_chat(group, 1000 + i) if group else 1000 + i, group)
             for group in pages for i in range(40)]
    await queue(repo, clock, *((f"m{n}", "vk", chat, "citizen")
                               for n, (chat, _) in enumerate(chats)))
    vk.after_delivery = lambda message: pages[page_of("vk", message.chat_id)].append(
        clock.now().timestamp()
    )
    for _ in range(250):
        await outbox.run_once()
        clock.advance(seconds=0.01)
    for sent_at in pages.values():
        assert most_in_any(1.0, sent_at) == 20 and len(sent_at) == 40
    # Side by side: the three tokens' messages together, 60 in a second.
    assert most_in_any(1.0, sorted(t for sent_at in pages.values() for t in sent_at)) == 60

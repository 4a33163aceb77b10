"""Delivery of queued messages: claim, send through the channel's `Transport`, record.

Rows are written by the core in the same transaction as the state change they announce; this
worker only moves them along: ``pending`` → ``sending`` → ``sent`` (or back to ``pending`` with a
later ``next_attempt_at``, or ``failed``). Per chat, messages leave strictly in the order they
were queued: only the oldest unsent row of a chat is ever picked.

Retries. `TransientError` → exponential backoff (``backoff_base · 2^(attempt-1)``, capped) up to
``max_attempts``; `RetryAfter` → exactly the wait the platform asked for, not counted as an
attempt, and the chat is paused in the rate limiter; `PermanentError` (blocked bot, deleted chat)
→ ``failed`` at once, with an audit event on the ticket.

The crash window, and the trade-off chosen. A row is marked ``sending`` (committed) before the
platform call and ``sent`` after it. If the process dies in between, nobody knows whether the
message arrived. On start, `Outbox.recover` decides per row:

* VK: sent again. Every delivery carries ``dedup_id`` (a stable number derived from the row's
  idempotency key) which the VK adapter passes as ``random_id``; VK then drops the repeat.
* Telegram, to a staff chat (body or coordinators): sent again. A duplicate in a staff chat is
  a nuisance; a lost appeal is a failure of the service.
* Telegram, to a citizen: **not** sent again; the row becomes ``uncertain`` and the ticket gets
  an audit event. The Bot API has no idempotency key, and a citizen who gets "your appeal was
  accepted" twice (or an answer twice) loses trust; the window is a few hundred milliseconds
  per crash, and every later message about the ticket still goes out.

A timeout of our own around ``send`` is the same ambiguity and follows the same rule.

Edits. A row may edit the message an earlier row sent (`OutgoingMessage.edits`, a live card):
the transport's ``edit`` is called with that row's ``platform_message_id``. An edit is safe to
repeat, so it is re-sent after a crash like any staff row; if the platform refuses it (or the
card never went out) the row's compact status goes as a new message instead (`Outbox._edit`).
Edits are API calls like sends: they queue, pace and back off the same way.

Throughput. A pass reads the due chat heads (citizens' messages first, see
`OutboxDraft.priority`), reserves them in the rate limiter and marks them ``sending`` in one
transaction, then starts the sends and does not wait for them: the next pass can start while
a slow send is in flight. Outcomes are written together when they arrive together
(`_record`), each still after its own platform call. Several processes on one token share its
limits through Redis (`bot.delivery.ratelimit_redis`), claimed once per pass.
Adapters must raise `TransientError` only when the platform surely did not take the message
(connection refused, HTTP 5xx before processing); anything ambiguous should just time out.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from bot.core.logsafe import describe
from bot.core.ports import UNOBSERVED, Observer
from bot.delivery.backoff import backoff
from bot.delivery.ratelimit import RateLimiter
from bot.delivery.signals import DeliverySignals
from bot.delivery.transport import (
    NotEditable,
    PermanentError,
    RecipientUnreachable,
    RetryAfter,
    TransientError,
    Transport,
)
from bot.domain.messages import Clock, OutgoingMessage, SentMessage
from bot.domain.pages import lane
from bot.domain.records import OutboxDraft, OutboxRow
from bot.domain.states import OutboxState
from bot.domain.wire import Purpose
from bot.storage.base import Repository, Tx

log = logging.getLogger("bot.outbox")


#: Heads read beyond what the rate limits let go now (see `Outbox._dispatch`).
HEADS_SLACK = 20
#: The shortest sleep of `run_forever`: below it, waking costs more than it gains.
MIN_PAUSE = 0.002

# Where a row is headed when no transport for its channel is configured: wait, do not fail —
# the channel may be switched on at the next start.
NO_TRANSPORT_DELAY = timedelta(hours=1)


def dedup_id(key: str) -> int:
    """A positive 31-bit number, the same for every attempt of one row (VK ``random_id``)."""
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=4).digest()
    return int.from_bytes(digest, "big") & 0x7FFFFFFF or 1


class SendResult(StrEnum):
    """How one platform call ended, as the observer counts it (`Observer.send_ended`)."""

    SENT = "sent"
    RETRY = "retry"  # not taken (a network error, a 5xx, our timeout on VK): tried again later
    RATE_LIMITED = "rate_limited"  # the platform asked to wait: Telegram's 429, VK's error 6
    FAILED = "failed"  # refused for good, or out of attempts
    UNCERTAIN = "uncertain"  # our timeout on a Telegram citizen's message: not sent again


@dataclass(frozen=True)
class Sent:
    """A row the platform took: what `Outbox._record` writes for it."""

    row: OutboxRow
    message_id: int | None
    at: datetime


@dataclass(frozen=True)
class Recovery:
    requeued: int
    uncertain: int


class Outbox:
    def __init__(
        self,
        repo: Repository,
        transports: dict[str, Transport],
        clock: Clock,
        limiter: RateLimiter | None = None,
        *,
        signals: DeliverySignals | None = None,
        on_unreachable: Callable[[OutboxRow], Awaitable[None]] | None = None,
        observer: Observer = UNOBSERVED,
        batch: int = 100,
        max_attempts: int = 8,
        backoff_base: float = 2.0,
        backoff_cap: float = 900.0,
        send_timeout: float = 30.0,
        poll_interval: float = 5.0,
    ):
        self.repo = repo
        self.transports = transports
        self.clock = clock
        self.limiter = limiter or RateLimiter(clock)
        self.batch = batch
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.send_timeout = send_timeout
        self.poll_interval = poll_interval
        self._lock = asyncio.Lock()
        #: Shared with the core: it wakes the worker, and waits for a chat's sends to be
        #: recorded (`DeliverySignals.recorded`).
        self.signals = signals or DeliverySignals()
        #: Called with the row when its recipient cannot be reached (`RecipientUnreachable`):
        #: `AppealCore.delivery_refused` (a citizen, or a body's chat).
        self.on_unreachable = on_unreachable
        self.observer = observer  # counts every platform call by its `SendResult`
        self._rate_wait: float | None = None
        self._in_flight: set[asyncio.Task[None]] = set()
        self._last_pass: datetime | None = None  # the clock at the last pass that read rows
        #: Outcomes of sends waiting to be written, and who waits for each (see `_record`).
        self._flusher: asyncio.Task[None] | None = None
        self._outcomes: list[
            tuple[Sent | Callable[[Tx], Awaitable[None]], asyncio.Future[None]]
        ] = []

    def safe_to_resend(self, row: OutboxRow) -> bool:
        return row.channel == "vk" or row.resend_if_uncertain

    async def recover(self) -> Recovery:
        """Call once on start, before `run_forever`: settle rows a crash left in ``sending``."""
        requeued = uncertain = 0
        now = self.clock.now()
        async with self.repo.transaction() as tx:
            for row in await tx.outbox.in_state(OutboxState.SENDING):
                if self.safe_to_resend(row):
                    await tx.outbox.set_state(row.id, OutboxState.PENDING, next_attempt_at=now)
                    requeued += 1
                    continue
                await tx.outbox.set_state(
                    row.id,
                    OutboxState.UNCERTAIN,
                    last_error="interrupted between sending and recording",
                )
                uncertain += 1
                if row.ticket_id is not None:
                    await tx.tickets.add_event(
                        row.ticket_id, "delivery_uncertain", now, detail={"outbox": row.id}
                    )
        if requeued or uncertain:
            log.warning("outbox recovery: %d re-queued, %d left uncertain", requeued, uncertain)
        return Recovery(requeued, uncertain)

    async def run_once(self) -> int:
        """Send what is due now (at most one message per chat) and wait until every send is
        recorded; returns how many were tried. `run_forever` does not wait: see `_dispatch`."""
        started = await self._dispatch()
        if started:
            await asyncio.gather(*started)
        return len(started)

    async def _dispatch(self) -> list[asyncio.Task[None]]:
        """One pass: take the due rows the rate limits let go right now, mark them ``sending``
        in one transaction, and start their sends without waiting for them.

        The rate limiter is only asked inside the transaction; the messages are counted in it
        after the commit, right before their sends start: the platform counts a request when it
        arrives, and a commit (an fsync) of varying length between counting and sending would
        bunch requests that were counted evenly. Nothing else takes from the limiter meanwhile
        and time only frees it, so what was free at the question is free at the count; a chat
        that the platform paused in between (a 429 to an earlier message) goes back to pending.
        A chat whose message is in flight has a ``sending`` row, so its next one is not picked
        until the first is recorded: per chat, order is kept without waiting here.

        With other processes on the same token (``REDIS_URL``), their shared budget is taken
        before the rows are claimed (`RateLimiter.claim`, one round trip for the pass): a row
        it refuses is left as it was, instead of being claimed and then put back. After the
        commit, `RateLimiter.departing` counts the messages in the shared windows from then.
        """
        async with self._lock:
            self._rate_wait = None
            room = self.batch - len(self._in_flight)
            budget = self._budget()
            if room <= 0:
                return []
            if budget == 0:
                # Nothing can leave on any channel yet: no need to ask the database.
                self._rate_wait = min(
                    self.limiter.overall_wait(lane_name)
                    for channel in self.transports
                    for lane_name in self.limiter.lanes(channel)
                )
                return []
            now = self._last_pass = self.clock.now()
            chosen: list[OutboxRow] = []
            async with self.repo.transaction() as tx:
                # A little more than the budget: a head held back by its chat's own limit must
                # not stop the heads behind it.
                limit = room if budget is None else min(room, budget + HEADS_SLACK)
                # Per token: the channel's own, or a connected page's (`bot.domain.pages`).
                left: dict[str, int | None] = {}
                for row in await tx.outbox.due(now, limit):
                    if row.channel not in self.transports or row.chat_id is None:
                        await tx.outbox.set_state(
                            row.id,
                            OutboxState.PENDING,
                            next_attempt_at=now + NO_TRANSPORT_DELAY,
                            last_error="no transport for this channel",
                        )
                        continue
                    row_lane = lane(row.channel, row.chat_id)
                    if row_lane not in left:
                        left[row_lane] = self.limiter.available(row_lane)
                    if left[row_lane] == 0:
                        # Spent by this pass (its sends make the next pass come at once), or
                        # empty when asked: then wait for it, not for the poll; at once if it
                        # came back while the rows were read (a slow query).
                        self._held_for(self.limiter.overall_wait(row_lane))
                        continue
                    wait = self.limiter.wait(row.channel, row.chat_id)
                    if wait > 0:
                        self._held_for(wait)
                        continue
                    chosen.append(row)
                    remaining = left[row_lane]
                    if remaining is not None:
                        left[row_lane] = remaining - 1
                chosen = await self._granted(chosen)
                # Conditional on still being pending: a second worker on the same database
                # (say, during a rolling restart) cannot send the same row.
                taken = await tx.outbox.claim([row.id for row in chosen])
            chosen = [row for row in chosen if row.id in taken]
            if chosen:
                await self.limiter.departing([(row.channel, row.chat_id or 0) for row in chosen])
            started = []
            for row in chosen:
                wait = self.limiter.reserve(row.channel, row.chat_id)
                if wait > 0:
                    held = self._reschedule(row, wait, "chat paused by the platform", row.attempts)
                    started.append(self._track(row, held))
                else:
                    started.append(self._track(row, self._deliver(row)))
            return started

    async def _granted(self, rows: list[OutboxRow]) -> list[OutboxRow]:
        """The rows a budget shared with other processes on the same token lets go (all of
        them in one process); the others stay pending, untouched, until it has room."""
        if not rows:
            return rows
        waits = await self.limiter.claim([(row.channel, row.chat_id or 0) for row in rows])
        for wait in waits:
            if wait > 0:
                self._held_for(wait)
        return [row for row, wait in zip(rows, waits, strict=True) if wait <= 0]

    def _held_for(self, wait: float) -> None:
        """A due row stays for ``wait`` seconds (0: it may go at the next pass); the worker
        comes back after the shortest such wait, not after its poll."""
        if self._rate_wait is None or wait < self._rate_wait:
            self._rate_wait = wait

    def _budget(self) -> int | None:
        """Messages the channels' overall limits let go now, summed (``None``: unlimited, or no
        transport at all, when a pass only moves rows aside)."""
        if not self.transports:
            return None
        total = 0
        for channel in self.transports:
            lanes = self.limiter.lanes(channel)
            if len(lanes) > 1:
                # Connected pages in use (`bot.domain.pages.lane`): a page whose rows this
                # worker has not read yet has a budget of its own that no bucket shows, and
                # must not wait behind the pages read first; so every pass reads its room.
                return None
            for lane_name in lanes:
                available = self.limiter.available(lane_name)
                if available is None:
                    return None
                total += available
        return total

    def _track(self, row: OutboxRow, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(work, name=f"outbox row {row.id}")
        self._in_flight.add(task)
        task.add_done_callback(self._delivered)
        self.signals.sending((row.channel, row.chat_id or 0), task)
        return task

    def _delivered(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        self.signals.wake()  # the chat's next message may be due now, and there is room
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.error("outbox %s: %s", task.get_name(), describe(exc))

    async def _record(self, write: Sent | Callable[[Tx], Awaitable[None]]) -> None:
        """Write the outcome of one send, and return once it is committed.

        Outcomes are written by a flusher that queues for the database as soon as the first of
        them is known, and takes every outcome queued by the time its turn comes: under load,
        one commit for many sends, never an empty transaction, and no outcome is written later
        than if it had queued on its own (so a reply to a card never overtakes the record of
        the card). An outcome arriving while a flusher writes starts the next one.
        """
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._outcomes.append((write, done))
        if self._flusher is None:
            self._flusher = asyncio.create_task(self._flush(), name="outbox outcomes")
            self._in_flight.add(self._flusher)
            self._flusher.add_done_callback(self._delivered)
        await done

    async def _flush(self) -> None:
        batch: list[tuple[Sent | Callable[[Tx], Awaitable[None]], asyncio.Future[None]]] = []
        try:
            async with self.repo.transaction() as tx:
                self._flusher = None  # outcomes from now on go with the next flusher
                batch, self._outcomes = self._outcomes, []
                await self._write(tx, [each for each, _ in batch])
        except BaseException as exc:
            if self._flusher is asyncio.current_task():  # failed before taking its batch
                self._flusher = None
                batch, self._outcomes = self._outcomes, []
            for _, waiting in batch:
                if waiting.done():
                    continue
                if isinstance(exc, asyncio.CancelledError):
                    waiting.cancel()
                else:
                    waiting.set_exception(exc)
            raise
        for _, waiting in batch:
            if not waiting.done():
                waiting.set_result(None)

    async def _write(self, tx: Tx, outcomes: list[Sent | Callable[[Tx], Awaitable[None]]]) -> None:
        sent = [each for each in outcomes if isinstance(each, Sent)]
        if sent:  # the common outcome: one statement for all of them
            await tx.outbox.mark_sent([(s.row.id, s.message_id, s.at) for s in sent])
        for each in sent:
            # What waits for this delivery (an administrator's «доставлено» after their
            # answer): queued in the transaction that records it, so it is never told early.
            follow = each.row.payload.get("then")
            if follow:
                await tx.outbox.queue(OutboxDraft.from_json(follow), each.at)
            # The last message to someone who asked to be forgotten: keep no address of
            # theirs; a copy of stored data sent on request: keep no second copy.
            if Purpose(each.row.purpose).blanked_after_delivery:
                await tx.outbox.scrub_row(each.row.id, "")
        for each in outcomes:
            if not isinstance(each, Sent):
                await each(tx)

    async def _deliver(self, row: OutboxRow) -> None:
        transport = self.transports[row.channel]
        assert row.chat_id is not None
        message = OutgoingMessage.from_json(
            row.channel,
            row.chat_id,
            row.payload,
            dedup_id=dedup_id(row.key),
        )
        attempt = row.attempts + 1
        try:
            work = transport.send(message) if message.edits is None else self._edit(
                transport, message
            )
            sent = await asyncio.wait_for(work, self.send_timeout)
        except RetryAfter as exc:
            self._ended(row, SendResult.RATE_LIMITED)
            await self.limiter.pause(row.channel, row.chat_id, exc.seconds)
            await self._reschedule(row, exc.seconds, f"retry after {exc.seconds:g} s", row.attempts)
        except TransientError as exc:
            if attempt >= self.max_attempts:
                self._ended(row, SendResult.FAILED)
                await self._fail(row, f"gave up after {attempt} attempts: {type(exc).__name__}")
            else:
                self._ended(row, SendResult.RETRY)
                delay = backoff(attempt, self.backoff_base, self.backoff_cap)
                await self._reschedule(row, delay, f"{type(exc).__name__}: {exc}"[:200], attempt)
        except PermanentError as exc:
            self._ended(row, SendResult.FAILED)
            await self._fail(row, f"{type(exc).__name__}: {exc}"[:200])
            if isinstance(exc, RecipientUnreachable) and self.on_unreachable is not None:
                try:
                    await self.on_unreachable(row)
                except Exception as hook_exc:  # the notice is a courtesy; the worker goes on
                    log.error("outbox row %d: unreachable hook failed: %s", row.id,
                              describe(hook_exc))
        except TimeoutError:
            if self.safe_to_resend(row):
                self._ended(row, SendResult.RETRY)
                delay = backoff(attempt, self.backoff_base, self.backoff_cap)
                await self._reschedule(row, delay, "timeout", attempt)
            else:
                self._ended(row, SendResult.UNCERTAIN)
                await self._settle_uncertain(row, "timeout")
        except Exception as exc:
            # A bug in an adapter must not kill the worker, nor resend blindly.
            log.error(
                "outbox row %d: unexpected error from the %s transport: %s",
                row.id,
                row.channel,
                describe(exc),
            )
            self._ended(row, SendResult.FAILED)
            await self._fail(row, "unexpected error in transport")
        else:
            self._ended(row, SendResult.SENT)
            await self._record(Sent(row, sent.platform_message_id, self.clock.now()))

    async def _edit(self, transport: Transport, message: OutgoingMessage) -> SentMessage:
        """An edit row (`OutgoingMessage.edits`): edit the message the named row sent. Per chat
        the rows leave in order, so that row has been tried already; if it never went out, or
        the platform refuses the edit, the compact status goes as a new message instead, so no
        state change is lost. An edit repeated (after a crash) finds the content unchanged,
        which the transports count as done."""
        assert message.edits is not None
        async with self.repo.transaction() as tx:
            target = await tx.outbox.by_key(message.edits)
        target_id = None
        if target is not None and target.state == OutboxState.SENT:
            target_id = target.platform_message_id
        if target_id is not None:
            try:
                return await transport.edit(message, target_id)
            except NotEditable as exc:
                log.info("edit refused (%s): a status message goes instead", type(exc).__name__)
        return await transport.send(message.instead_of_edit(reply_to=target_id))

    def _ended(self, row: OutboxRow, result: SendResult) -> None:
        self.observer.send_ended(row.channel, result)

    async def _reschedule(self, row: OutboxRow, delay: float, error: str, attempts: int) -> None:
        when = self.clock.now() + timedelta(seconds=delay)

        async def record(tx: Tx) -> None:
            await tx.outbox.set_state(
                row.id,
                OutboxState.PENDING,
                next_attempt_at=when,
                last_error=error,
                attempts=attempts,
            )

        await self._record(record)

    async def _fail(self, row: OutboxRow, error: str) -> None:
        log.warning("outbox row %d (%s) failed: %s", row.id, row.purpose, error)
        now = self.clock.now()

        async def record(tx: Tx) -> None:
            await tx.outbox.set_state(row.id, OutboxState.FAILED, last_error=error)
            if row.ticket_id is not None:
                await tx.tickets.add_event(
                    row.ticket_id,
                    "delivery_failed",
                    now,
                    detail={"outbox": row.id, "purpose": row.purpose},
                )

        await self._record(record)

    async def _settle_uncertain(self, row: OutboxRow, error: str) -> None:
        now = self.clock.now()

        async def record(tx: Tx) -> None:
            await tx.outbox.set_state(row.id, OutboxState.UNCERTAIN, last_error=error)
            if row.ticket_id is not None:
                await tx.tickets.add_event(
                    row.ticket_id, "delivery_uncertain", now, detail={"outbox": row.id}
                )

        await self._record(record)

    async def idle_seconds(self) -> float:
        """How long `run_forever` may sleep after a pass that started nothing: until the rate
        limit lets held rows go, the next row falls due, or the poll interval.

        Rows that were due at the pass and stayed are held by the rate limit (its wait counts)
        or queued behind a message in flight (its completion wakes the worker), so only rows
        falling due after the pass count; a row queued since then wakes it (`DeliverySignals.wake`).
        """
        waits = [self.poll_interval]
        if self._rate_wait is not None:
            waits.append(self._rate_wait)
        if len(self._in_flight) < self.batch:
            async with self.repo.transaction() as tx:
                due = await tx.outbox.next_due_at(after=self._last_pass)
            if due is not None:
                waits.append(max(0.0, (due - self.clock.now()).total_seconds()))
        return max(MIN_PAUSE, min(waits))

    async def run_forever(self, stop: asyncio.Event) -> None:
        try:
            while not stop.is_set():
                # Cleared before the pass, not after: a row queued during the pass wakes the
                # next one instead of waiting for the poll.
                self.signals.clear()
                try:
                    started = await self._dispatch()
                    if started:
                        pause = 0.0
                    elif self._rate_wait is not None and self._budget() == 0:
                        pause = max(MIN_PAUSE, self._rate_wait)  # no channel may send yet
                    else:
                        pause = await self.idle_seconds()
                except Exception as exc:
                    log.error("outbox pass failed: %s", describe(exc))
                    pause = self.poll_interval
                if pause <= 0:
                    await asyncio.sleep(0)
                    continue
                waiters = [
                    asyncio.ensure_future(self.signals.woken()),
                    asyncio.ensure_future(stop.wait()),
                ]
                try:
                    await asyncio.wait(waiters, timeout=pause, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    for waiter in waiters:
                        waiter.cancel()
        finally:
            # Stopped: let the sends in hand finish and be recorded. Cancelled (the process
            # is going down): cancel them too; `recover` settles their rows on the next start.
            in_flight = list(self._in_flight)
            if not stop.is_set():
                for task in in_flight:
                    task.cancel()
            if in_flight:
                await asyncio.gather(*in_flight, return_exceptions=True)

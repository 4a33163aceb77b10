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
Adapters must raise `TransientError` only when the platform surely did not take the message
(connection refused, HTTP 5xx before processing); anything ambiguous should just time out.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from bot.core.logsafe import describe
from bot.core.ratelimit import RateLimiter
from bot.core.transport import (
    PermanentError,
    RecipientUnreachable,
    RetryAfter,
    TransientError,
    Transport,
)
from bot.core.types import Clock, OutgoingMessage
from bot.storage.base import OutboxRow, Repository

log = logging.getLogger("bot.outbox")

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
UNCERTAIN = "uncertain"
CANCELLED = "cancelled"

# Where a row is headed when no transport for its channel is configured: wait, do not fail —
# the channel may be switched on at the next start.
NO_TRANSPORT_DELAY = timedelta(hours=1)

#: Purpose of the message confirming a deletion (see `AppealCore.forget_citizen`).
FORGOTTEN = "citizen-forgotten"
#: Copies of stored data sent on request (/my lists, a ticket's history): blanked once
#: delivered, so the outbox does not keep a second copy of the citizen's texts.
TRANSIENT = "citizen-transient"


def dedup_id(key: str) -> int:
    """A positive 31-bit number, the same for every attempt of one row (VK ``random_id``)."""
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=4).digest()
    return int.from_bytes(digest, "big") & 0x7FFFFFFF or 1


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
        self._wake = asyncio.Event()
        #: Called with the row when its recipient cannot be reached (`RecipientUnreachable`);
        #: `CoreService` sets it to `AppealCore.citizen_unreachable`.
        self.on_unreachable: Callable[[OutboxRow], Awaitable[None]] | None = None
        self._rate_wait: float | None = None

    def notify(self) -> None:
        """Something was queued: wake `run_forever` now instead of at the next poll."""
        self._wake.set()

    def safe_to_resend(self, row: OutboxRow) -> bool:
        return row.channel == "vk" or row.resend_if_uncertain

    async def recover(self) -> Recovery:
        """Call once on start, before `run_forever`: settle rows a crash left in ``sending``."""
        requeued = uncertain = 0
        now = self.clock.now()
        async with self.repo.transaction() as tx:
            for row in await tx.rows_in_state(SENDING):
                if self.safe_to_resend(row):
                    await tx.set_outbox_state(row.id, PENDING, next_attempt_at=now)
                    requeued += 1
                    continue
                await tx.set_outbox_state(
                    row.id, UNCERTAIN, last_error="interrupted between sending and recording"
                )
                uncertain += 1
                if row.ticket_id is not None:
                    await tx.add_event(
                        row.ticket_id, "delivery_uncertain", now, detail={"outbox": row.id}
                    )
        if requeued or uncertain:
            log.warning("outbox recovery: %d re-queued, %d left uncertain", requeued, uncertain)
        return Recovery(requeued, uncertain)

    async def run_once(self) -> int:
        """Send what is due now (at most one message per chat); returns how many were tried."""
        async with self._lock:
            now = self.clock.now()
            self._rate_wait = None
            async with self.repo.transaction() as tx:
                heads = await tx.claim_due(now, self.batch)
            chosen: list[OutboxRow] = []
            for row in heads:
                if row.channel not in self.transports or row.chat_id is None:
                    async with self.repo.transaction() as tx:
                        await tx.set_outbox_state(
                            row.id,
                            PENDING,
                            next_attempt_at=now + NO_TRANSPORT_DELAY,
                            last_error="no transport for this channel",
                        )
                    continue
                wait = self.limiter.reserve(row.channel, row.chat_id)
                if wait > 0:
                    self._rate_wait = min(wait, self._rate_wait or wait)
                    continue
                chosen.append(row)
            if not chosen:
                return 0
            async with self.repo.transaction() as tx:
                # Conditional on still being pending: a second worker on the same database
                # (say, during a rolling restart) cannot send the same row.
                chosen = [row for row in chosen if await tx.claim(row.id, row.attempts + 1)]
            await asyncio.gather(*(self._deliver(row) for row in chosen))
            return len(chosen)

    async def _deliver(self, row: OutboxRow) -> None:
        transport = self.transports[row.channel]
        assert row.chat_id is not None
        message = OutgoingMessage.from_json(
            row.channel,
            row.chat_id,
            row.payload,
            dedup_id=dedup_id(row.key),  # type: ignore[arg-type]
        )
        attempt = row.attempts + 1
        try:
            sent = await asyncio.wait_for(transport.send(message), self.send_timeout)
        except RetryAfter as exc:
            self.limiter.pause(row.channel, row.chat_id, exc.seconds)
            await self._reschedule(row, exc.seconds, f"retry after {exc.seconds:g} s", row.attempts)
        except TransientError as exc:
            if attempt >= self.max_attempts:
                await self._fail(row, f"gave up after {attempt} attempts: {type(exc).__name__}")
            else:
                delay = min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1))
                await self._reschedule(row, delay, f"{type(exc).__name__}: {exc}"[:200], attempt)
        except PermanentError as exc:
            await self._fail(row, f"{type(exc).__name__}: {exc}"[:200])
            if isinstance(exc, RecipientUnreachable) and self.on_unreachable is not None:
                try:
                    await self.on_unreachable(row)
                except Exception as hook_exc:  # the notice is a courtesy; the worker goes on
                    log.error("outbox row %d: unreachable hook failed: %s", row.id,
                              describe(hook_exc))
        except TimeoutError:
            if self.safe_to_resend(row):
                delay = min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1))
                await self._reschedule(row, delay, "timeout", attempt)
            else:
                await self._settle_uncertain(row, "timeout")
        except Exception as exc:
            # A bug in an adapter must not kill the worker, nor resend blindly.
            log.error(
                "outbox row %d: unexpected error from the %s transport: %s",
                row.id,
                row.channel,
                describe(exc),
            )
            await self._fail(row, "unexpected error in transport")
        else:
            async with self.repo.transaction() as tx:
                await tx.set_outbox_state(
                    row.id,
                    SENT,
                    platform_message_id=sent.platform_message_id,
                    sent_at=self.clock.now(),
                    last_error=None,
                )
                # The last message to someone who asked to be forgotten: keep no address of
                # theirs; a copy of stored data sent on request: keep no second copy.
                if row.purpose in (FORGOTTEN, TRANSIENT):
                    await tx.scrub_row(row.id, "")

    async def _reschedule(self, row: OutboxRow, delay: float, error: str, attempts: int) -> None:
        when = self.clock.now() + timedelta(seconds=delay)
        async with self.repo.transaction() as tx:
            await tx.set_outbox_state(
                row.id, PENDING, next_attempt_at=when, last_error=error, attempts=attempts
            )

    async def _fail(self, row: OutboxRow, error: str) -> None:
        log.warning("outbox row %d (%s) failed: %s", row.id, row.purpose, error)
        async with self.repo.transaction() as tx:
            await tx.set_outbox_state(row.id, FAILED, last_error=error)
            if row.ticket_id is not None:
                await tx.add_event(
                    row.ticket_id,
                    "delivery_failed",
                    self.clock.now(),
                    detail={"outbox": row.id, "purpose": row.purpose},
                )

    async def _settle_uncertain(self, row: OutboxRow, error: str) -> None:
        async with self.repo.transaction() as tx:
            await tx.set_outbox_state(row.id, UNCERTAIN, last_error=error)
            if row.ticket_id is not None:
                await tx.add_event(
                    row.ticket_id,
                    "delivery_uncertain",
                    self.clock.now(),
                    detail={"outbox": row.id},
                )

    async def idle_seconds(self) -> float:
        """How long `run_forever` may sleep: until the next due row or the rate limit frees."""
        async with self.repo.transaction() as tx:
            due = await tx.next_due_at()
        waits = [self.poll_interval]
        if due is not None:
            waits.append(max(0.0, (due - self.clock.now()).total_seconds()))
        if self._rate_wait is not None:
            waits.append(self._rate_wait)
        return max(0.01, min(waits))

    async def run_forever(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            # Cleared before looking, not after: a row queued (and `notify` called) while this
            # pass or `idle_seconds` waits for the database must cut the pause short, not be
            # forgotten until ``poll_interval``.
            self._wake.clear()
            try:
                tried = await self.run_once()
                pause = 0.0 if tried else await self.idle_seconds()
            except Exception as exc:
                log.error("outbox pass failed: %s", describe(exc))
                pause = self.poll_interval
            if pause <= 0:
                await asyncio.sleep(0)
                continue
            waiters = [asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())]
            try:
                await asyncio.wait(waiters, timeout=pause, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in waiters:
                    waiter.cancel()

"""The durable inbox: every update a platform delivers is stored before the platform hears that
it arrived, and the stored copy is what gets handled, with retries, until it is.

Why. A platform delivers again only what the bot has not acknowledged (Telegram: the next
getUpdates offset, or the webhook's 200; VK: "ok" to the Callback API; Bots Long Poll: only the
``ts`` the bot keeps). Acknowledging after handling lost an update whose handling failed for a
moment — a locked database: aiogram logged the error and confirmed the update with its next
poll, VK got its "ok" all the same; acknowledging before handling loses whatever a crash
interrupts. Here the acknowledgement follows the commit of the update's raw copy.

The life of a row (`bot.domain.states.InboxState`):

1. `Inbox.accept` stores the adapter's `InboxDraft`s (the platform's own id as the key, the
   chat, the raw update) in one short transaction; on SQLite it shares the group commit with
   whatever else commits then. A key stored before is a re-delivery and is dropped. The adapter
   acknowledges only after `accept` returns; if it raises, nothing was stored and the platform
   delivers again.
2. The new rows go to the worker in memory, not through the table: per chat strictly one at a
   time in arrival order (a reply never overtakes the appeal it follows), different chats at
   once. ``backlog`` bounds what is in memory, and so what is in flight: `accept` waits for
   room, so a platform that delivers faster than the bot handles is slowed down. (No smaller
   bound on what runs at once: with a semaphore of 100 that 1,500 chats queued on, the loop
   spent 0.2 ms more an appeal and `bench.intake_throughput` lost 5–14%.)
3. Handled → ``done``: the raw update is dropped (it carries what the citizen wrote), the key
   stays `KEEP_DONE` to recognise re-deliveries. The marks ride along with the next `accept`,
   or are written in a batch of their own `MARK_DELAY` later; a crash before their commit
   means the update is handled again after the restart, which the core's own duplicate checks
   (message ids, outbox keys, ticket states) make harmless.
4. Failed → tried again after ``backoff_base · 2^(n-1)`` seconds (at most ``backoff_cap``), the
   chat's later updates waiting behind it; after ``max_attempts`` the row is ``dead``: kept
   whole, out of the chat's way, and ``on_dead`` tells the coordinators. Logs name the key and
   the exception's type, never the update's content.

Restarts and siblings. A row is *held* by the process that stored or took it until its
``held_until`` (`HOLD` after storing, taking or a failure). `Inbox.start` takes the rows left
pending: every one when the process has the database to itself (``exclusive``: SQLite), only
those whose hold ran out otherwise (a PostgreSQL shared by several processes: a sibling may be
handling one right now); a sweep every `SWEEP_SECONDS` takes the rows of a process that died.
Taking a row counts the attempt it begins, so an update that kills the process ends ``dead``
after ``max_attempts`` restarts instead of in a crash loop.

Deferred rows: a handler may take its update out of the chat's queue without finishing it
(`InboxEntry.defer`: an album part waits for the album's other parts); the row stays pending,
and in memory, until whoever deferred it settles it (`Settle`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from datetime import timedelta

from bot.core.logsafe import describe
from bot.delivery.backoff import backoff
from bot.domain.messages import Clock
from bot.domain.records import InboxDraft, InboxRow
from bot.domain.states import InboxState
from bot.storage.base import Repository

log = logging.getLogger("bot.inbox")

#: How long a row stays with the process that stored or took it before another may take it.
HOLD = timedelta(seconds=30)
#: How often rows whose hold ran out (a process died with them) are looked for.
SWEEP_SECONDS = 5.0
#: How long handled rows keep their key: no platform re-delivers later than that.
KEEP_DONE = timedelta(days=2)
PRUNE_EVERY = timedelta(hours=1)
#: How long handled rows' marks wait for a transaction to ride along with. A crash meanwhile
#: means those updates are handled again after the restart, and the core drops the repeats.
MARK_DELAY = 0.2
#: The longest pause between two attempts of a poll loop to store what it received.
STORE_RETRY_CAP = 5.0
#: How long stopping waits for the updates being handled.
STOP_TIMEOUT = 10.0

Process = Callable[["InboxEntry"], Awaitable[None]]


@dataclasses.dataclass
class InboxCounts:
    """Since the start, for metrics: updates stored, re-deliveries dropped, updates handled,
    failed attempts, updates set aside as dead."""

    received: int = 0
    duplicates: int = 0
    handled: int = 0
    failed: int = 0
    dead: int = 0


class InboxEntry:
    """A stored update being handled: what a processor gets. ``parsed`` is what the adapter
    made of the update when it arrived (``None`` after a restart: parse ``row.payload``)."""

    __slots__ = ("attempts", "deferred", "handled", "inbox", "parsed", "row", "stored")

    def __init__(
        self, inbox: Inbox, row: InboxRow, parsed: object, attempts: int, *, stored: bool = True
    ) -> None:
        self.inbox = inbox
        self.row = row
        self.parsed = parsed
        self.attempts = attempts  # failed or interrupted so far
        self.deferred: Settle | None = None
        self.stored = stored  # its row's COMMIT has returned (see `Inbox.accept`)
        self.handled = False

    def defer(self) -> Settle:
        """Finish this update later: the chat's next update may go, and this one stays pending
        until the returned `Settle` is told how it ended. If the processor raises after all,
        the deferral is void and the update is tried again."""
        self.deferred = Settle(self)
        return self.deferred


class Settle:
    """How a deferred update ends, told by whoever deferred it; only the first word counts."""

    __slots__ = ("entry",)

    def __init__(self, entry: InboxEntry) -> None:
        self.entry = entry

    def done(self) -> None:
        if self.entry.deferred is self:
            self.entry.deferred = None
            self.entry.inbox._finished(self.entry)

    def failed(self, exc: BaseException) -> None:
        if self.entry.deferred is self:
            self.entry.deferred = None
            self.entry.inbox._retry_deferred(self.entry, exc)


class Inbox:
    def __init__(
        self,
        repo: Repository,
        clock: Clock,
        processors: Mapping[str, Process],
        *,
        on_dead: Callable[[InboxRow], Awaitable[None]] | None = None,
        exclusive: bool = False,
        max_attempts: int = 8,
        backoff_base: float = 1.0,
        backoff_cap: float = 300.0,
        backlog: int = 1000,
        hold: timedelta = HOLD,
        sweep_seconds: float = SWEEP_SECONDS,
    ) -> None:
        self.repo = repo
        self.clock = clock
        self.processors = dict(processors)  # by channel: "tg", "vk"
        self.on_dead = on_dead
        self.exclusive = exclusive
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.backlog = backlog
        self.hold = hold
        self.sweep_seconds = sweep_seconds
        self.counts = InboxCounts()
        self._chats: dict[Hashable, deque[InboxEntry]] = {}
        self._held: set[int] = set()  # rows in this process's memory: queued, in hand, deferred
        self._roomy = asyncio.Event()
        self._roomy.set()
        self._tasks: set[asyncio.Task] = set()  # chats being drained, deferred retries waiting
        self._done: list[int] = []  # handled rows whose mark is not written yet
        self._flusher: asyncio.Task | None = None
        self._sweeper: asyncio.Task | None = None
        self._stopping = asyncio.Event()
        self._stopped = False

    @property
    def in_memory(self) -> int:
        """Updates this process holds right now (queued, being handled, deferred)."""
        return len(self._held)

    # -- in --------------------------------------------------------------------------------------
    async def accept(self, drafts: Sequence[InboxDraft]) -> int:
        """Store ``drafts`` in one transaction and hand the new ones to the worker; returns how
        many were new. Raises what the database raised: then the adapter must not acknowledge
        the updates, and the platform delivers them again.

        The worker gets them as soon as the database has said which are new, while the COMMIT
        is on its way (a trip to SQLite's thread and an fsync, off the citizen's wait). What
        they change is written after the row, on the same connection (SQLite) or is harmless
        should the row's COMMIT fail: the update is then delivered again and the core's own
        duplicate checks drop its repeat. Their marks wait for the COMMIT (`_finished`)."""
        if not drafts:
            return 0
        while len(self._held) >= self.backlog:
            self._roomy.clear()
            await self._roomy.wait()
        now = self.clock.now()
        held_until = now + self.hold
        batch: list[InboxEntry] = []
        marks, self._done = self._done, []
        try:
            async with self.repo.transaction() as tx:
                # Handled rows' marks ride along with the INSERT (one trip on SQLite).
                await tx.inbox.done(marks, now)
                new = await tx.inbox.add(drafts, now, held_until)
                for draft in drafts:
                    row_id = new.pop(draft.key, None)
                    if row_id is None:
                        continue  # stored before (a re-delivery), or twice in this batch
                    row = InboxRow(
                        row_id, draft.key, draft.channel, draft.chat_id, draft.payload,
                        InboxState.PENDING, 0, held_until, now,
                    )
                    batch.append(InboxEntry(self, row, draft.parsed, 0, stored=False))
                    self._queue(batch[-1])
                if batch:
                    # A turn of the loop: the handlers just started ask for their first
                    # transaction, and on SQLite they join this one's COMMIT (group commit).
                    await asyncio.sleep(0)
        except BaseException:
            self._done[:0] = marks
            raise
        self.counts.received += len(batch)
        self.counts.duplicates += len(drafts) - len(batch)
        for entry in batch:
            entry.stored = True
            if entry.handled:  # finished before its row was committed
                self._mark(entry.row.id)
        return len(batch)

    async def accept_patiently(self, drafts: Sequence[InboxDraft]) -> int:
        """`accept`, tried again until the database takes the drafts: for a poll loop, which
        has nothing better to do meanwhile (nothing is acknowledged, the platform keeps the
        updates)."""
        delay = self.backoff_base
        while True:
            try:
                return await self.accept(drafts)
            except Exception as exc:
                log.warning(
                    "%d updates not stored (%s), trying again before acknowledging them",
                    len(drafts), type(exc).__name__,
                )
            await asyncio.sleep(delay)
            delay = min(delay * 2, STORE_RETRY_CAP)

    def _queue(self, entry: InboxEntry, *, first: bool = False) -> None:
        if self._stopping.is_set():
            return  # stays pending in the database, for the next start
        row = entry.row
        chat = (row.channel, row.chat_id) if row.chat_id is not None else ("row", row.id)
        self._held.add(row.id)
        queue = self._chats.get(chat)
        if queue is None:
            queue = self._chats[chat] = deque()
            self._track(self._drain(chat, queue), f"inbox {row.channel} chat")
        if first:
            queue.appendleft(entry)
        else:
            queue.append(entry)

    def _track(self, work: Awaitable[None], name: str) -> None:
        task = asyncio.ensure_future(work)
        task.set_name(name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _release(self, row_id: int) -> None:
        self._held.discard(row_id)
        if len(self._held) < self.backlog:
            self._roomy.set()

    # -- handling --------------------------------------------------------------------------------
    async def _drain(self, chat: Hashable, queue: deque[InboxEntry]) -> None:
        """One chat's updates, one at a time; a failed one is retried before the next goes."""
        try:
            while queue and not self._stopping.is_set():
                delay = await self._attempt(queue[0])
                if delay is None:
                    queue.popleft()
                elif await self._sleep(delay):
                    break
        finally:
            if self._chats.get(chat) is queue:
                del self._chats[chat]
            for entry in queue:  # stopping: they stay pending in the database
                self._release(entry.row.id)

    async def _attempt(self, entry: InboxEntry) -> float | None:
        """Handle ``entry`` once; ``None`` when the chat may move on, else seconds to wait
        before trying it again."""
        if entry.attempts >= self.max_attempts:
            return await self._bury(entry)
        process = self.processors.get(entry.row.channel)
        if process is None:  # the channel was switched off since: kept for a start with it
            log.warning("update %s left pending: its channel is not on", entry.row.key)
            self._release(entry.row.id)
            return None
        try:
            await process(entry)
        except Exception as exc:
            entry.deferred = None
            return await self._failed(entry, exc)
        if entry.deferred is None:
            self._finished(entry)
        return None

    async def _failed(self, entry: InboxEntry, exc: Exception) -> float | None:
        entry.attempts += 1
        self.counts.failed += 1
        row = entry.row
        error = type(exc).__name__
        if entry.attempts == 1:
            log.warning("update %s failed: %s", row.key, describe(exc))
        else:
            log.warning(
                "update %s failed again (%s), attempt %d of %d",
                row.key, error, entry.attempts, self.max_attempts,
            )
        entry.row = dataclasses.replace(row, last_error=error)
        if entry.attempts >= self.max_attempts:
            return await self._bury(entry)
        delay = backoff(entry.attempts, self.backoff_base, self.backoff_cap)
        # The chat's other rows wait here too: no sibling process may take them meanwhile.
        chat = self._chats.get((row.channel, row.chat_id), ())
        until = self.clock.now() + timedelta(seconds=delay) + self.hold
        try:
            async with self.repo.transaction() as tx:
                await tx.inbox.failed(row.id, entry.attempts, error)
                await tx.inbox.hold(sorted({row.id, *(e.row.id for e in chat)}), until)
        except Exception as record_exc:  # the database is away: memory counts the attempts
            log.warning("attempt on update %s not recorded (%s)", row.key,
                        type(record_exc).__name__)
        return delay

    async def _bury(self, entry: InboxEntry) -> float | None:
        """Set a row aside as dead and have the coordinators told; if the database refuses
        even that, try again later (the row stays in its chat's way until then)."""
        row = dataclasses.replace(entry.row, attempts=entry.attempts)
        error = row.last_error or "gave up"
        try:
            if self.on_dead is not None:
                await self.on_dead(row)  # idempotent: one notice per row, however often asked
            async with self.repo.transaction() as tx:
                await tx.inbox.dead(row.id, row.attempts, error, self.clock.now())
        except Exception as exc:
            log.error("update %s could not be set aside yet (%s)", row.key, type(exc).__name__)
            return self.backoff_cap
        self.counts.dead += 1
        log.error(
            "update %s set aside after %d attempts (%s); the coordinators are told",
            row.key, row.attempts, error,
        )
        self._release(row.id)
        return None

    def _finished(self, entry: InboxEntry) -> None:
        self._release(entry.row.id)
        self.counts.handled += 1
        entry.handled = True
        if entry.stored:  # else `accept` marks it once the row is committed
            self._mark(entry.row.id)

    def _mark(self, row_id: int) -> None:
        if self._stopped:
            return  # handled again after the restart; the core drops the repeat
        self._done.append(row_id)
        if self._flusher is None:
            self._flusher = asyncio.create_task(self._flush(), name="inbox marks")

    def _retry_deferred(self, entry: InboxEntry, exc: BaseException) -> None:
        async def later() -> None:
            failure = exc if isinstance(exc, Exception) else RuntimeError(type(exc).__name__)
            delay = await self._failed(entry, failure)
            if delay is None:
                return
            if await self._sleep(delay):
                self._release(entry.row.id)
                return
            self._queue(entry, first=True)

        self._track(later(), "inbox deferred retry")

    async def _flush(self) -> None:
        """Write the marks of handled rows, many in one statement, `MARK_DELAY` after the first
        of them unless `accept` took them along first (then there is no transaction of their
        own: under load there never is); one flusher at a time, and marks arriving meanwhile
        go with its next round."""
        try:
            await self._sleep(MARK_DELAY)  # at once when stopping
            while self._done:
                marks: list[int] = []
                try:
                    async with self.repo.transaction() as tx:
                        marks, self._done = self._done, []
                        await tx.inbox.done(marks, self.clock.now())
                except Exception as exc:
                    self._done[:0] = marks
                    log.warning(
                        "%d handled updates not marked yet (%s)",
                        len(self._done), type(exc).__name__,
                    )
                    if await self._sleep(self.backoff_base):
                        return
        finally:
            if self._flusher is asyncio.current_task():
                self._flusher = None

    # -- taking up stored rows -------------------------------------------------------------------
    async def _take(self, everything: bool) -> int:
        """Queue stored rows nobody handles: ``everything`` pending (this process is the only
        one), or those whose hold ran out."""
        room = self.backlog - len(self._held)
        if room <= 0 or not self.processors:
            return 0
        now = self.clock.now()
        free_by = None if everything else now
        async with self.repo.transaction() as tx:
            seen = await tx.inbox.waiting(free_by, list(self.processors), room + len(self._held))
            ids = [row.id for row in seen if row.id not in self._held][:room]
            taken = await tx.inbox.take(ids, free_by, now + self.hold)
        for row in taken:
            self._queue(InboxEntry(self, row, None, row.attempts - 1))
        if taken:
            log.info("%d stored updates taken up", len(taken))
        return len(taken)

    async def _sweep_forever(self) -> None:
        pruned_at = None
        while not await self._sleep(self.sweep_seconds):
            try:
                await self._take(everything=False)
                now = self.clock.now()
                if pruned_at is None or now - pruned_at >= PRUNE_EVERY:
                    async with self.repo.transaction() as tx:
                        await tx.inbox.prune(now - KEEP_DONE)
                    pruned_at = now
            except Exception as exc:
                log.warning("sweep for stored updates failed (%s)", type(exc).__name__)

    async def _sleep(self, seconds: float) -> bool:
        """Wait ``seconds``; ``True`` if stopping began meanwhile (then at once)."""
        try:
            await asyncio.wait_for(self._stopping.wait(), seconds)
        except TimeoutError:
            return False
        return True

    # -- start and stop --------------------------------------------------------------------------
    async def start(self) -> None:
        """Take up what the last run left pending, then sweep for rows of dead processes."""
        await self._take(everything=self.exclusive)
        self._sweeper = asyncio.create_task(self._sweep_forever(), name="inbox sweep")

    async def stop(self) -> None:
        """Let the updates in hand finish (up to `STOP_TIMEOUT`) and write their marks; what
        waits for a retry or was not reached stays pending for the next start."""
        self._stopping.set()
        if self._sweeper is not None:
            await self._sweeper
        tasks = list(self._tasks)
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=STOP_TIMEOUT)
            for task in late:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        if self._flusher is not None:
            await asyncio.gather(self._flusher, return_exceptions=True)
        if self._done:
            await self._flush()  # one more round; if it fails, they are handled again later
        self._stopped = True

    async def __aenter__(self) -> Inbox:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

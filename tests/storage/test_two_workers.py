"""Two bot processes on one PostgreSQL database must never send a message twice.

Two `Outbox` workers, each with its own repository — its own connection pool, as two processes
would have — drain 1,000 queued messages to one platform; then the same with two real processes.
Every message arrives exactly once, messages to one chat keep their order, nothing is left
pending, and both workers took part (otherwise the test would prove nothing about two of them).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

from bot.delivery.outbox import Outbox
from bot.delivery.ratelimit import ChannelLimits, Rate, RateLimiter
from bot.domain.messages import OutgoingMessage, SentMessage, SystemClock
from bot.domain.records import OutboxDraft
from bot.storage import repository_from_url
from tests.emulators.aio import run_async

ROOT = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("outbox_worker_process.py")
MESSAGES = 1000
CHATS = 200
UNLIMITED = {"tg": ChannelLimits(overall=Rate(1e6, 1e6), private_chat=Rate(1e6, 1e6))}


class Platform:
    """One messenger both workers send to; remembers who delivered what, in arrival order."""

    def __init__(self) -> None:
        self.arrived: list[tuple[str, OutgoingMessage]] = []

    def transport(self, worker: str):
        platform = self

        class WorkerTransport:
            async def send(self, message: OutgoingMessage) -> SentMessage:
                await asyncio.sleep(0.001)  # a network round trip: lets the workers interleave
                platform.arrived.append((worker, message))
                return SentMessage(len(platform.arrived))

        return WorkerTransport()


async def drained(repo) -> bool:
    async with repo.transaction() as tx:
        return not (await tx.outbox.in_state("pending") or await tx.outbox.in_state("sending"))


@run_async
async def test_two_workers_deliver_a_thousand_messages_each_exactly_once(pg_cluster):
    url = pg_cluster.new_database()
    first, second = repository_from_url(url), repository_from_url(url)
    await first.open()
    await second.open()
    try:
        clock = SystemClock()
        async with first.transaction() as tx:
            for n in range(MESSAGES):
                chat = 1000 + n % CHATS
                draft = OutboxDraft(f"m{n}", "tg", chat, {"text": f"m{n}"}, "citizen")
                await tx.outbox.enqueue(draft, clock.now())
        platform = Platform()
        workers = {
            name: Outbox(
                repo,
                {"tg": platform.transport(name)},
                clock,
                RateLimiter(clock, UNLIMITED),
                batch=50,
                poll_interval=0.05,
            )
            for name, repo in (("A", first), ("B", second))
        }
        stop = asyncio.Event()
        running = [asyncio.create_task(w.run_forever(stop)) for w in workers.values()]
        while not await drained(first):
            await asyncio.sleep(0.02)
        stop.set()
        await asyncio.gather(*running)

        texts = Counter(message.text for _, message in platform.arrived)
        assert len(texts) == MESSAGES and set(texts.values()) == {1}
        by_chat: dict[int, list[int]] = defaultdict(list)
        for _, message in platform.arrived:
            by_chat[message.chat_id].append(int(message.text[1:]))
        assert all(numbers == sorted(numbers) for numbers in by_chat.values())
        assert {worker for worker, _ in platform.arrived} == {"A", "B"}
        async with second.transaction() as tx:
            sent = await tx.outbox.in_state("sent")
        assert len(sent) == MESSAGES and all(row.attempts == 1 for row in sent)
    finally:
        await first.close()
        await second.close()


def test_two_bot_processes_deliver_a_thousand_messages_each_exactly_once(pg_cluster, tmp_path):
    """The same, with two real operating-system processes (`outbox_worker_process.py`)."""
    url = pg_cluster.new_database()

    async def queue() -> None:
        repo = repository_from_url(url)
        await repo.open()
        try:
            async with repo.transaction() as tx:
                for n in range(MESSAGES):
                    draft = OutboxDraft(f"m{n}", "tg", 1000 + n % CHATS, {"text": f"m{n}"},
                                        "citizen")
                    await tx.outbox.enqueue(draft, SystemClock().now())
        finally:
            await repo.close()

    asyncio.run(queue())
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    files = [tmp_path / "A.txt", tmp_path / "B.txt"]
    workers = [
        subprocess.Popen(
            [sys.executable, str(WORKER), url, str(path)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT,
        )
        for path in files
    ]
    try:
        for worker in workers:
            assert worker.stdout.readline().strip() == "ready"
        for worker in workers:  # both start sending together
            worker.stdin.write("go\n")
            worker.stdin.flush()
        for worker in workers:
            assert worker.wait(timeout=60) == 0
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
            worker.stdin.close()
            worker.stdout.close()

    delivered = [path.read_text(encoding="utf-8").split() for path in files]
    counts = Counter(text for texts in delivered for text in texts)
    assert len(counts) == MESSAGES and set(counts.values()) == {1}
    assert all(delivered), "both processes must have sent part of the queue"

"""One bot process's outbox worker, for `test_two_workers`: run as a separate Python process.

    python outbox_worker_process.py DATABASE_URL DELIVERED_FILE

Opens the repository, prints ``ready``, waits for a line on stdin (so two processes start
sending together), then sends until no row is pending or being sent. Each delivered message's
text goes on its own line of DELIVERED_FILE — the "platform" the test inspects.
"""

from __future__ import annotations

import asyncio
import sys

from bot.delivery.outbox import Outbox
from bot.delivery.ratelimit import ChannelLimits, Rate, RateLimiter
from bot.domain.messages import OutgoingMessage, SentMessage, SystemClock
from bot.storage import repository_from_url

UNLIMITED = {"tg": ChannelLimits(overall=Rate(1e6, 1e6), private_chat=Rate(1e6, 1e6))}


class RecordingTransport:
    def __init__(self) -> None:
        self.delivered: list[str] = []

    async def send(self, message: OutgoingMessage) -> SentMessage:
        await asyncio.sleep(0.001)  # a network round trip
        self.delivered.append(message.text)
        return SentMessage(len(self.delivered))


async def drained(repo) -> bool:
    async with repo.transaction() as tx:
        return not (await tx.outbox.in_state("pending") or await tx.outbox.in_state("sending"))


async def main(url: str, path: str) -> None:
    repo = repository_from_url(url)
    await repo.open()
    transport = RecordingTransport()
    try:
        clock = SystemClock()
        worker = Outbox(repo, {"tg": transport}, clock, RateLimiter(clock, UNLIMITED),
                        batch=50, poll_interval=0.05)
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        stop = asyncio.Event()
        running = asyncio.create_task(worker.run_forever(stop))
        while not await drained(repo):
            await asyncio.sleep(0.02)
        stop.set()
        await running
    finally:
        await repo.close()
        with open(path, "w", encoding="utf-8") as out:
            out.writelines(f"{text}\n" for text in transport.delivered)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))

"""Latency under a steady load: from an update leaving the emulator to the bot's first reply.

    python -m bench.latency                          # 50 appeals/s for 20 s, Telegram
    python -m bench.latency --rate 20 --seconds 10 --channel vk

The full bot (`bot.serve.serve`, Saratov table, SQLite in a temporary directory, replies through
the outbox) runs against the emulator with its limits off, and so does the echo bot of
`bench.intake_throughput` for reference. Citizens write one appeal each at ``--rate`` per
second, evenly spaced. For each citizen: t0 = the moment the emulator's getUpdates (VK: long
poll) response carrying the appeal was produced, t1 = the moment the emulator recorded the
bot's first message to that citizen (the echo, or "обращение принято" with a number). The
table gives p50/p90/p99/max of t1 − t0 over all citizens.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics

from bench.intake_throughput import BOTS, NAMES, appeal_text, command_line, prepare, run_round


def paced(rate: float, seconds: float):
    """A load that writes ``rate`` appeals per second, evenly spaced, for ``seconds``."""

    async def load(emulator, citizens: list[int]) -> None:
        loop = asyncio.get_running_loop()
        start = loop.time()
        for i, citizen in enumerate(citizens):
            delay = start + i / rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            sent = emulator.user_sends_text(citizen, appeal_text(i))
            if asyncio.iscoroutine(sent):  # the VK emulator's user actions are async
                await sent

    load.__name__ = f"paced_{rate:g}"
    return load, int(rate * seconds)


def percentile(values: list[float], share: float) -> float:
    return values[min(len(values) - 1, int(share * len(values)))]


async def main_async(rate: float, seconds: float, channel: str) -> None:
    prepare()
    load, n = paced(rate, seconds)
    rows = []
    for kind, bot in zip(("эхо-бот", "полный бот"), BOTS[channel], strict=True):
        elapsed, clocked = await run_round(channel, bot, n, load=load)
        lat = clocked.latencies_ms()
        rows.append((kind, len(lat), statistics.median(lat), percentile(lat, 0.9),
                     percentile(lat, 0.99), lat[-1], n / elapsed))
    print(f"\n$ {command_line().strip()}")
    print(f"{NAMES[channel]}: {n} appeals at {rate:g}/s\n")
    print("| бот | ответов | p50, мс | p90, мс | p99, мс | max, мс | обр./с |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for kind, count, p50, p90, p99, worst, achieved in rows:
        print(f"| {kind} | {count} | {p50:.0f} | {p90:.0f} | {p99:.0f} | {worst:.0f} "
              f"| {achieved:.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=50.0, help="appeals per second")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--channel", choices=["tg", "vk"], default="tg")
    args = parser.parse_args()
    asyncio.run(main_async(args.rate, args.seconds, args.channel))


if __name__ == "__main__":
    main()

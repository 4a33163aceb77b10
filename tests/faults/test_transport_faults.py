"""Transport faults: the whole bot on both emulators while they fail a fifth of the bot's
requests (seeded): Telegram answers 429 with retry_after, 500/502, drops the connection before
acting, or answers late; VK answers error 6 (too many requests), 502, drops, or answers late.

Thirty citizens (half on Telegram, half on VK) write, the city administration answers every
card from its Telegram group, and each citizen must see exactly one acceptance and exactly one
answer; each appeal exactly one card per channel. Retries must also respect a 429: the Telegram
emulator records a send within retry_after as a violation.
"""

from __future__ import annotations

import asyncio
import functools
import warnings
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from tests.app_world import (  # noqa: F401 - the autouse fixture builds the classifier
    NUMBER,
    TG_ADMIN,
    VK_ADMIN,
    both_channels,
    saratov_built_outside_the_deadline,
)
from tests.emulators.telegram import Faults as TelegramFaults
from tests.emulators.vk import Faults as VKFaults

TG_CITIZENS = [1001 + i for i in range(15)]
VK_CITIZENS = [100_500 + i for i in range(15)]
RATE = 0.2  # a fifth of the bot's requests fail, split between the kinds of fault
SEED = 7
DEADLINE = 90.0  # seconds: retries wait for retry_after and backoff on a loaded machine


def run_long(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """`tests.emulators.aio.run_async` with a deadline that leaves room for the retries."""

    @functools.wraps(test)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        async def guarded() -> None:
            async with asyncio.timeout(DEADLINE):
                await test(*args, **kwargs)

        with warnings.catch_warnings():
            warnings.simplefilter("error", ResourceWarning)
            asyncio.run(guarded())

    return wrapper


def appeal_of(citizen: int) -> str:
    return f"В Саратове на ул. Московской, дом {citizen}, не горит фонарь уже неделю"


def answer_of(citizen: int) -> str:
    return f"Фонарь у дома {citizen} заменим до пятницы."


@run_long
async def test_faults_on_a_fifth_of_requests_lose_and_duplicate_nothing(tmp_path: Path) -> None:
    async with both_channels(
        tmp_path,
        # The emulator's flood limits are off; the bot's own pacing would only slow the run.
        telegram_group_chat_per_minute=1200,
        telegram_private_chat_per_second=20,
        outbox_backoff_seconds=0.2,
        outbox_backoff_cap_seconds=1.0,
        outbox_max_attempts=30,
    ) as w:
        tg, vk = w.tg, w.vk
        quarter = RATE / 4
        tg.set_faults(TelegramFaults(rate_429=quarter, retry_after=1, rate_5xx=quarter,
                                     rate_drop=quarter, rate_slow=quarter, slow_delay=0.3),
                      seed=SEED)
        vk.faults = VKFaults(error_6=quarter, http_5xx=quarter, drop=quarter, slow=quarter,
                             slow_seconds=0.3)

        for citizen in TG_CITIZENS:
            tg.user_sends_text(citizen, appeal_of(citizen))
        for citizen in VK_CITIZENS:
            await vk.user_sends_text(citizen, appeal_of(citizen))

        def tg_card(citizen: int) -> Any:
            return tg.wait_for(lambda c: c.chat_id == w.group
                               and f"дом {citizen}," in (c.body or ""), timeout=DEADLINE)

        cards = {c: await tg_card(c) for c in TG_CITIZENS + VK_CITIZENS}
        for citizen, card in cards.items():
            tg.user_sends_text(TG_ADMIN, answer_of(citizen), chat_id=w.group,
                               reply_to=card.message_id)
        for citizen in TG_CITIZENS:
            await tg.wait_for(lambda c, who=citizen: c.chat_id == who
                              and answer_of(who) in (c.body or ""), timeout=DEADLINE)
        for citizen in VK_CITIZENS:
            await vk.wait_for_sent(lambda m, who=citizen: m.peer_id == who
                                   and answer_of(who) in m.text, timeout=DEADLINE)
        # Cards to the VK administrator went out all the while; wait for the last one.
        for citizen in TG_CITIZENS + VK_CITIZENS:
            await vk.wait_for_sent(lambda m, who=citizen: m.peer_id == VK_ADMIN
                                   and f"дом {who}," in m.text, timeout=DEADLINE)

        faults_seen = sum(n for status, n in tg.status_counts.items() if status != 200)
        assert faults_seen > 0  # the faults did happen
        assert tg.limit_violations == []  # nobody sent into a chat before retry_after passed

        numbers: set[str] = set()
        for citizen in TG_CITIZENS:
            said = [c.body or "" for c in tg.sent_to(citizen)]
            accepted = [t for t in said if "принято" in t and NUMBER.search(t)]
            answered = [t for t in said if answer_of(citizen) in t]
            assert len(accepted) == 1 and len(answered) == 1, said
            numbers.add(NUMBER.search(accepted[0]).group())
        for citizen in VK_CITIZENS:
            said = [m.text for m in vk.sent if m.peer_id == citizen]
            accepted = [t for t in said if "принято" in t and NUMBER.search(t)]
            answered = [t for t in said if answer_of(citizen) in t]
            assert len(accepted) == 1 and len(answered) == 1, said
            numbers.add(NUMBER.search(accepted[0]).group())
        assert len(numbers) == len(TG_CITIZENS) + len(VK_CITIZENS)

        for citizen in TG_CITIZENS + VK_CITIZENS:
            in_group = [c for c in tg.sent_to(w.group) if f"дом {citizen}," in (c.body or "")]
            to_vk_admin = [m for m in vk.sent
                           if m.peer_id == VK_ADMIN and f"дом {citizen}," in m.text]
            assert len(in_group) == 1 and len(to_vk_admin) == 1, citizen

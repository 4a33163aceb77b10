"""The inbox's rows (`bot.storage.sql.inbox`), the same on SQLite and PostgreSQL: a platform's
re-delivery is stored once, a handled update keeps no text, a row is taken by one process only,
and what `bot.delivery.inbox` relies on after a restart is what the database says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.records import InboxDraft
from bot.domain.states import InboxState
from tests.emulators.aio import run_async
from tests.storage.test_contract import opened, url  # noqa: F401  (url: the two backends)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HOLD = timedelta(seconds=30)


def update(n: int, chat: int | None = 555, channel: str = "tg") -> InboxDraft:
    return InboxDraft(f"{channel}:1:{n}", channel, chat, f'{{"update_id": {n}, "text": "Яма"}}')


@run_async
async def test_a_redelivered_update_is_stored_once_and_handled_rows_keep_no_text(url):  # noqa: F811
    async with opened(url) as repo:
        async with repo.transaction() as tx:
            first = await tx.inbox.add([update(1), update(2), update(1)], NOW, NOW + HOLD)
            assert sorted(first) == ["tg:1:1", "tg:1:2"]
            assert list(await tx.inbox.add([update(2), update(3)], NOW, NOW + HOLD)) == [
                "tg:1:3"
            ]
            await tx.inbox.done([first["tg:1:1"]], NOW + timedelta(seconds=1))
            assert await tx.inbox.depth_and_age() == (2, NOW)
        async with repo.transaction() as tx:
            # Handled: a re-delivery is still recognised, the update's text is gone.
            assert await tx.inbox.add([update(1)], NOW, NOW + HOLD) == {}
            handled = await tx.inbox.row(first["tg:1:1"])
            assert (handled.state, handled.payload) == (InboxState.DONE, None)
            assert handled.handled_at == NOW + timedelta(seconds=1)
            waiting = await tx.inbox.row(first["tg:1:2"])
            assert waiting.payload == '{"update_id": 2, "text": "Яма"}'
            assert (waiting.chat_id, waiting.received_at, waiting.attempts) == (555, NOW, 0)


@run_async
async def test_rows_are_taken_once_their_hold_runs_out_and_taking_counts_an_attempt(url):  # noqa: F811
    async with opened(url) as repo, repo.transaction() as tx:
        ids = await tx.inbox.add([update(1), update(2), update(9, channel="vk")], NOW,
                                 NOW + HOLD)
        # Held by the process that stored them: nobody else takes them yet.
        assert await tx.inbox.waiting(NOW, ["tg", "vk"], 10) == []
        everything = await tx.inbox.waiting(None, ["tg"], 10)
        assert [r.key for r in everything] == ["tg:1:1", "tg:1:2"]
        later = NOW + HOLD
        seen = await tx.inbox.waiting(later, ["tg"], 10)
        taken = await tx.inbox.take([r.id for r in seen], later, later + HOLD)
        assert [(r.key, r.attempts) for r in taken] == [("tg:1:1", 1), ("tg:1:2", 1)]
        # Of two processes that saw the rows, the second gets none.
        assert await tx.inbox.take([r.id for r in seen], later, later + HOLD) == []
        # A failure is recorded, and the chat's rows are kept a while longer.
        await tx.inbox.failed(ids["tg:1:1"], 2, "OperationalError")
        await tx.inbox.hold([ids["tg:1:1"], ids["tg:1:2"]], later + 3 * HOLD)
        assert await tx.inbox.waiting(later + 2 * HOLD, ["tg"], 10) == []
        row = await tx.inbox.row(ids["tg:1:1"])
        assert (row.attempts, row.last_error) == (2, "OperationalError")


@run_async
async def test_a_dead_row_keeps_its_update_until_the_citizen_is_forgotten(url):  # noqa: F811
    async with opened(url) as repo, repo.transaction() as tx:
        ids = await tx.inbox.add([update(1), update(2, chat=777)], NOW, NOW + HOLD)
        await tx.inbox.dead(ids["tg:1:1"], 8, "KeyError", NOW)
        await tx.inbox.dead(ids["tg:1:2"], 8, "KeyError", NOW)
        await tx.inbox.done([ids["tg:1:1"]], NOW)  # a late mark does not revive it
        assert [r.id for r in await tx.inbox.in_state("dead")] == sorted(ids.values())
        assert await tx.inbox.depth_and_age() == (0, None)
        await tx.inbox.scrub_chat("tg", 555)
        assert (await tx.inbox.row(ids["tg:1:1"])).payload is None
        assert (await tx.inbox.row(ids["tg:1:2"])).payload is not None  # another chat


@run_async
async def test_handled_rows_are_pruned_after_a_while_and_others_are_kept(url):  # noqa: F811
    async with opened(url) as repo, repo.transaction() as tx:
        old = await tx.inbox.add([update(1), update(2)], NOW, NOW + HOLD)
        new = await tx.inbox.add([update(3)], NOW + timedelta(days=3), NOW + HOLD)
        await tx.inbox.done([old["tg:1:1"], new["tg:1:3"]], NOW + timedelta(days=3))
        assert await tx.inbox.prune(NOW + timedelta(days=1)) == 1
        assert await tx.inbox.row(old["tg:1:1"]) is None
        assert (await tx.inbox.row(old["tg:1:2"])).state == InboxState.PENDING
        assert (await tx.inbox.row(new["tg:1:3"])).state == InboxState.DONE

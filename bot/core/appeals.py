"""`AppealCore`: the core as the adapters, the scheduler and the tests see it — one object.

It only builds the `Desk` from what the composition root passes in and forwards each call to
the use case that does it; the decisions live in the use-case modules (`dispatch` for incoming
messages, `intake`, `staff_actions`, `verdicts`, `deadlines`, `privacy`, `invites`,
`reachability`, `citizen`). The core decides and records; it never talks to a platform.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from bot.core import (
    deadlines,
    dispatch,
    intake,
    invites,
    privacy,
    reachability,
    staff_actions,
)
from bot.core.desk import COORDINATOR, Desk, Policy
from bot.core.flood import FloodGuard
from bot.core.ports import Addressee, Classifies
from bot.domain.calendar import WorkingCalendar
from bot.domain.messages import Clock, IncomingMessage
from bot.domain.records import OutboxRow
from bot.domain.staff import StaffDirectory
from bot.domain.wire import Outcome
from bot.storage.base import Repository
from routing.model import RoutingTable


class AppealCore:
    def __init__(
        self,
        repo: Repository,
        table: RoutingTable,
        classifier: Classifies,
        calendar: WorkingCalendar,
        clock: Clock,
        *,
        coordinators: Sequence[Addressee] = (),
        reminder_fractions: Iterable[float] = (0.5, 0.9),
        on_enqueue: Callable[[], None] | None = None,
        sends_recorded: Callable[[str, int], Awaitable[None]] | None = None,
        max_questions: int = 2,
        clarification_window: timedelta = timedelta(days=1),
        follow_up_window: timedelta = timedelta(minutes=10),
        retention: timedelta | None = None,
        flood: FloodGuard | None = None,
    ):
        policy = Policy(
            reminder_fractions=tuple(sorted(f for f in reminder_fractions if 0 < f < 1)),
            max_questions=max_questions,
            clarification_window=clarification_window,
            follow_up_window=follow_up_window,
            **({"retention": retention} if retention is not None else {}),
        )
        self.desk = Desk(
            repo,
            table,
            classifier,
            calendar,
            clock,
            coordinators=coordinators,
            policy=policy,
            on_enqueue=on_enqueue,
            sends_recorded=sends_recorded,
            flood=flood,
        )

    # -- what the composition root and the coordinator tools read -------------------------------
    @property
    def repo(self) -> Repository:
        return self.desk.repo

    @property
    def table(self) -> RoutingTable:
        return self.desk.table

    @property
    def clock(self) -> Clock:
        return self.desk.clock

    @property
    def calendar(self) -> WorkingCalendar:
        return self.desk.calendar

    @property
    def coordinators(self) -> tuple[Addressee, ...]:
        return self.desk.coordinators

    @property
    def staff(self) -> StaffDirectory:
        return self.desk.staff

    def replace_table(self, table: RoutingTable, classifier: Classifies) -> None:
        self.desk.replace_table(table, classifier)

    def show_due(self, due: datetime) -> str:
        return self.desk.show_due(due)

    def find_bodies(self, query: str) -> list:
        return self.desk.find_bodies(query)

    # -- messages --------------------------------------------------------------------------------
    async def handle(self, message: IncomingMessage) -> Outcome:
        """Everything an adapter receives goes here; `dispatch` decides what it means."""
        return await dispatch.handle(self.desk, message)

    async def intake(self, message: IncomingMessage) -> Outcome:
        return await intake.intake(self.desk, message)

    # -- staff, by name (tests, the coordinator tools) -------------------------------------------
    async def take(self, number: str, *, by: str, actor: str | None = None) -> Outcome:
        return await staff_actions.take(self.desk, number, by=by, actor=actor)

    async def redirect(
        self,
        number: str,
        *,
        by: str,
        correct_body: str | None = None,
        reason: str | None = None,
        actor: str | None = None,
    ) -> Outcome:
        return await staff_actions.redirect(
            self.desk, number, by=by, correct_body=correct_body, reason=reason, actor=actor
        )

    async def reject(
        self, number: str, *, by: str, reason: str | None = None, actor: str | None = None
    ) -> Outcome:
        return await staff_actions.reject(self.desk, number, by=by, reason=reason, actor=actor)

    async def close(self, number: str, *, actor: str = COORDINATOR) -> Outcome:
        return await staff_actions.close(self.desk, number, actor=actor)

    # -- timed work ------------------------------------------------------------------------------
    async def scan_deadlines(self) -> int:
        return await deadlines.scan_deadlines(self.desk)

    async def anonymise_expired(self) -> int:
        return await privacy.anonymise_expired(self.desk)

    # -- privacy and training data ---------------------------------------------------------------
    async def export_citizen(self, channel: str, user_id: int) -> dict[str, Any]:
        return await privacy.export_citizen(self.desk, channel, user_id)

    async def forget_citizen(self, channel: str, user_id: int, *, notify: bool = True) -> int:
        return await privacy.forget_citizen(self.desk, channel, user_id, notify=notify)

    async def export_training_examples(self, *, only_labelled: bool = True) -> list[dict]:
        return await privacy.export_training_examples(self.desk, only_labelled=only_labelled)

    # -- administrators --------------------------------------------------------------------------
    async def load_staff(self) -> None:
        await invites.load_staff(self.desk)

    async def invite(
        self,
        message: IncomingMessage,
        query: str,
        *,
        links: Callable[[str], str] | None = None,
    ) -> Outcome:
        return await invites.invite(self.desk, message, query, links=links)

    async def redeem(
        self,
        channel: str,
        chat_id: int,
        user_id: int,
        token: str,
        *,
        forum: bool,
        name: str = "",
        message_id: int | None = None,
    ) -> Outcome:
        return await invites.redeem(
            self.desk, channel, chat_id, user_id, token, forum=forum, name=name,
            message_id=message_id,
        )

    # -- delivery reports ------------------------------------------------------------------------
    async def citizen_unreachable(self, row: OutboxRow) -> None:
        await reachability.citizen_unreachable(self.desk, row)

    async def citizen_reachable(self, channel: str, user_id: int) -> int:
        return await reachability.citizen_reachable(self.desk, channel, user_id)

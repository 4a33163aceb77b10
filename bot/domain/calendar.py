"""Working days and answer deadlines.

A body's deadline is written in the table as hours, calendar days or working days
(`routing.model.Deadline`); only here does it become a moment. Working days skip weekends and
the official non-working days, which change every year by government decree — so the list is
data (``HOLIDAYS`` setting), with Russia's 2026 calendar shipped as the default.

Semantics, chosen to match how 59-ФЗ terms are usually counted ("from the day after"):

* ``72h`` — exactly that many hours after the start;
* ``30d`` — the end of the 30th calendar day after the start day;
* ``10wd`` — the end of the 10th working day after the start day.

"End of day" is midnight in the deployment's time zone, so a body always has whole days.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from routing.model import Deadline, DeadlineUnit

#: Non-working days in Russia in 2026 besides Saturdays and Sundays (Labour Code art. 112 and
#: the government decree on moving days off for 2026: 3 Jan → 9 Jan, 4 Jan → 31 Dec;
#: 8 Mar falls on a Sunday → 9 Mar; 9 May on a Saturday → 11 May).
RUSSIA_2026_HOLIDAYS: tuple[date, ...] = (
    *(date(2026, 1, d) for d in range(1, 10)),  # 1–8 Jan holidays, 9 Jan moved from 3 Jan
    date(2026, 2, 23),
    date(2026, 3, 9),
    date(2026, 5, 1),
    date(2026, 5, 11),
    date(2026, 6, 12),
    date(2026, 11, 4),
    date(2026, 12, 31),
)


@dataclass(frozen=True)
class WorkingCalendar:
    """Weekends and holidays; ``working_weekends`` are Saturdays a decree made working days."""

    holidays: frozenset[date] = field(default_factory=lambda: frozenset(RUSSIA_2026_HOLIDAYS))
    working_weekends: frozenset[date] = frozenset()
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/Moscow"))

    @classmethod
    def build(
        cls,
        holidays: Iterable[date] | None = None,
        working_weekends: Iterable[date] = (),
        timezone: str = "Europe/Moscow",
    ) -> WorkingCalendar:
        return cls(
            frozenset(RUSSIA_2026_HOLIDAYS if holidays is None else holidays),
            frozenset(working_weekends),
            ZoneInfo(timezone),
        )

    def is_working_day(self, day: date) -> bool:
        if day in self.working_weekends:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add_working_days(self, start: date, count: int) -> date:
        """The ``count``-th working day after ``start`` (``start`` itself is not counted)."""
        day = start
        left = count
        while left > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                left -= 1
        return day

    def _end_of(self, day: date) -> datetime:
        local_midnight = datetime.combine(day + timedelta(days=1), time(0), self.timezone)
        return local_midnight.astimezone(UTC)

    def due(self, start: datetime, deadline: Deadline) -> datetime:
        """The moment (UTC) by which an answer is due when the clock starts at ``start``."""
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        if deadline.unit == DeadlineUnit.HOURS:
            return (start + timedelta(hours=deadline.amount)).astimezone(UTC)
        local_day = start.astimezone(self.timezone).date()
        if deadline.unit == DeadlineUnit.DAYS:
            return self._end_of(local_day + timedelta(days=deadline.amount))
        return self._end_of(self.add_working_days(local_day, deadline.amount))

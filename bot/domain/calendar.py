"""Working days and answer deadlines, on Russia's production calendar.

A body's deadline is written in the table as hours, calendar days or working days
(`routing.model.Deadline`); only here does it become a moment. Working days skip weekends and
the official non-working days, which change every year by government decree (days off moved
from a holiday that falls on a weekend, a Saturday made a working day). That calendar is data:
it comes from the ``holidays`` package (`holidays.RU`: the Labour Code's holidays plus each
year's decree, as far as the installed version knows them), one year at a time, loaded when a
deadline first reaches it and kept. The deployment's ``HOLIDAYS`` and ``WORKING_WEEKENDS``
settings are overrides on top of it: a listed holiday is a day off, a listed working weekend is
a working day, whatever the package says — for a decree newer than the installed package, or a
regional day off.

A year the package has no decree for (`official_data`) still gets its fixed holidays (1–8
January, 23 February…), but none of its moved days: `coverage_gaps` names such years so that
the operator is warned at start (`bot.bootstrap.CoreService.start`) while there is time to
update the package or list the days in ``HOLIDAYS``.

Semantics, chosen to match how 59-ФЗ terms are usually counted ("from the day after"):

* ``72h`` — exactly that many hours after the start;
* ``30d`` — the end of the 30th calendar day after the start day;
* ``10wd`` — the end of the 10th working day after the start day.

"End of day" is midnight in the deployment's time zone, so a body always has whole days.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays as production_calendar

from routing.model import Deadline, DeadlineUnit


@dataclass(frozen=True)
class OfficialYear:
    """One year of the production calendar as the ``holidays`` package gives it."""

    year: int
    days_off: frozenset[date]  # holidays and the days off moved onto weekdays
    working_weekends: frozenset[date]  # Saturdays (or Sundays) a decree made working days
    #: Whether the package knows the year's decree (its moved days off): without it only the
    #: fixed holidays are known, and a moved day off would be counted as a working day.
    decreed: bool


@functools.cache
def official_year(year: int) -> OfficialYear:
    """The package's calendar for ``year``, computed once per process (~0.5 ms a year; the
    very first call also loads the package's data, ~50 ms, which `WorkingCalendar.warm_up`
    does at start, not inside a handler)."""
    russia = production_calendar.RU(years=year)
    # The package keeps each year's decree (moved days off, holidays moved off a weekend) in
    # these two tables; should a later version rename them, every year reads as unknown and
    # the operator is warned, which is the safe side.
    decreed = any(
        year in getattr(russia, table, {})
        for table in ("special_public_holidays", "special_public_holidays_observed")
    )
    return OfficialYear(
        year, frozenset(russia), frozenset(russia.weekend_workdays), bool(decreed)
    )


@dataclass(frozen=True)
class WorkingCalendar:
    """The production calendar with the deployment's overrides: ``holidays`` are extra days
    off, ``working_weekends`` extra working days (both win over the package; a day listed in
    both is a working day). ``official=False`` leaves only weekends and the overrides (tests
    of the arithmetic itself)."""

    holidays: frozenset[date] = frozenset()
    working_weekends: frozenset[date] = frozenset()
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/Moscow"))
    official: bool = True

    @classmethod
    def build(
        cls,
        holidays: Iterable[date] | None = None,
        working_weekends: Iterable[date] = (),
        timezone: str = "Europe/Moscow",
        *,
        official: bool = True,
    ) -> WorkingCalendar:
        return cls(
            frozenset(holidays or ()), frozenset(working_weekends), ZoneInfo(timezone), official
        )

    def warm_up(self, *years: int) -> None:
        """Load the package's data for ``years`` now (at start), not in the first handler."""
        if self.official:
            for year in years:
                official_year(year)

    def is_working_day(self, day: date) -> bool:
        if day in self.working_weekends:
            return True
        if day in self.holidays:
            return False
        if not self.official:
            return day.weekday() < 5
        year = official_year(day.year)
        if day in year.working_weekends:
            return True
        return day.weekday() < 5 and day not in year.days_off

    def add_working_days(self, start: date, count: int) -> date:
        """The ``count``-th working day after ``start`` (``start`` itself is not counted)."""
        day = start
        left = count
        while left > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                left -= 1
        return day

    def coverage_gaps(self, today: date) -> list[int]:
        """This year and the next, those the package has no decree for and the overrides do
        not mention (then the operator is taken to have listed its moved days by hand)."""
        if not self.official:
            return []
        listed = {day.year for day in self.holidays | self.working_weekends}
        years = (today.year, today.year + 1)
        return [y for y in years if not official_year(y).decreed and y not in listed]

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

"""Working days and deadlines: weekends, Russia's production calendar (the ``holidays``
package) with the deployment's overrides, local midnight, and the years the package lacks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.calendar import WorkingCalendar, official_year
from routing.model import Deadline

CAL = WorkingCalendar.build(timezone="Europe/Moscow")


def msk(*args) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime(*args, tzinfo=ZoneInfo("Europe/Moscow"))


#: Russia's non-working days in 2026 besides weekends (Labour Code art. 112 and the decree
#: moving 3 Jan → 9 Jan, 4 Jan → 31 Dec; 8 Mar on a Sunday → 9 Mar; 9 May on a Saturday → 11 May).
RUSSIA_2026_HOLIDAYS = (
    *(date(2026, 1, d) for d in range(1, 10)),
    *(date(2026, 2, 23), date(2026, 3, 9), date(2026, 5, 1), date(2026, 5, 11)),
    *(date(2026, 6, 12), date(2026, 11, 4), date(2026, 12, 31)),
)


def test_2026_holidays_are_not_working_days():
    assert all(not CAL.is_working_day(d) for d in RUSSIA_2026_HOLIDAYS)
    assert not CAL.is_working_day(date(2026, 1, 9))  # moved from Saturday 3 January
    assert not CAL.is_working_day(date(2026, 12, 31))  # moved from Sunday 4 January
    assert CAL.is_working_day(date(2026, 1, 12))
    # 2026 has 247 working days (the official production calendar).
    days = [date(2026, 1, 1) + timedelta(n) for n in range(365)]
    assert sum(CAL.is_working_day(d) for d in days) == 247


def test_working_days_skip_the_new_year_holidays():
    due = CAL.due(msk(2025, 12, 30, 15, 0), Deadline.parse("2wd"))
    # 31 Dec 2025 is off (moved from 5 Jan 2025 by the 2025 decree), then 1–11 Jan: the 1st
    # working day is 12 Jan, the 2nd 13 Jan, due by its end.
    assert due == msk(2026, 1, 14, 0, 0).astimezone(UTC)


def test_friday_evening_plus_one_working_day_is_monday():
    assert CAL.due(msk(2026, 3, 13, 23, 0), Deadline.parse("1wd")) == msk(2026, 3, 17, 0, 0)


def test_hours_are_exact_and_days_end_at_local_midnight():
    start = msk(2026, 3, 4, 10, 30)
    assert CAL.due(start, Deadline.parse("72h")) == start + timedelta(hours=72)
    assert CAL.due(start, Deadline.parse("30d")) == msk(2026, 4, 4, 0, 0)


def test_2027_moved_days_and_the_working_saturday_come_from_the_package():
    assert CAL.is_working_day(date(2027, 2, 20))  # Saturday, made a working day
    for day_off in (date(2027, 2, 22), date(2027, 5, 3), date(2027, 5, 10), date(2027, 6, 14),
                    date(2027, 11, 5), date(2027, 12, 31)):
        assert not CAL.is_working_day(day_off), day_off
    # 2027 has 247 working days too (the official production calendar for 2027).
    days = [date(2027, 1, 1) + timedelta(n) for n in range(365)]
    assert sum(CAL.is_working_day(d) for d in days) == 247


def test_settings_are_overrides_on_top_of_the_package():
    cal = WorkingCalendar.build(holidays=[date(2027, 3, 9)], working_weekends=[date(2027, 3, 6)])
    assert cal.is_working_day(date(2027, 3, 6))  # a Saturday made working
    assert not cal.is_working_day(date(2027, 3, 9))  # an extra day off
    assert not cal.is_working_day(date(2027, 3, 8))  # the package's holiday still holds
    assert not cal.is_working_day(date(2026, 1, 9))  # and so does its moved day off
    # A day the package calls a holiday, listed as a working weekend: the setting wins.
    assert WorkingCalendar.build(working_weekends=[date(2027, 1, 2)]).is_working_day(
        date(2027, 1, 2)
    )


def test_without_the_package_only_weekends_and_overrides_count():
    cal = WorkingCalendar.build(holidays=[date(2027, 1, 4)], official=False)
    assert cal.is_working_day(date(2027, 1, 5))
    assert not cal.is_working_day(date(2027, 1, 4))
    assert not cal.is_working_day(date(2027, 1, 9))


def test_years_without_a_decree_in_the_package_are_reported():
    assert official_year(2026).decreed and official_year(2027).decreed
    assert CAL.coverage_gaps(date(2026, 12, 5)) == []
    # 2099 and 2100: the package knows their fixed holidays, no decree moving days off.
    assert not official_year(2099).decreed
    assert not CAL.is_working_day(date(2099, 1, 2))  # a fixed holiday (a Friday)
    assert CAL.coverage_gaps(date(2099, 6, 1)) == [2099, 2100]
    # The operator listed the moved days of 2100 by hand: only 2099 is left to warn about.
    listed = WorkingCalendar.build(holidays=[date(2100, 1, 11)])
    assert listed.coverage_gaps(date(2099, 6, 1)) == [2099]
    assert WorkingCalendar.build(official=False).coverage_gaps(date(2099, 6, 1)) == []


def test_naive_start_is_refused():
    import pytest

    with pytest.raises(ValueError):
        CAL.due(datetime(2026, 3, 4, 10), Deadline.parse("1d"))


@settings(max_examples=200, deadline=None)
@given(
    start=st.datetimes(
        min_value=datetime(2025, 12, 1), max_value=datetime(2027, 1, 31), timezones=st.just(UTC)
    ),
    amount=st.integers(1, 40),
)
def test_working_day_deadline_properties(start, amount):
    due = CAL.due(start, Deadline.parse(f"{amount}wd"))
    local = due.astimezone(CAL.timezone)
    assert (local.hour, local.minute) == (0, 0)
    last_day = local.date() - timedelta(days=1)
    assert CAL.is_working_day(last_day)
    first = start.astimezone(CAL.timezone).date()
    between = [first + timedelta(n) for n in range(1, (last_day - first).days + 1)]
    assert sum(CAL.is_working_day(d) for d in between) == amount

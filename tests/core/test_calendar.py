"""Working days and deadlines: weekends, Russia's 2026 holidays, local midnight."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.calendar import RUSSIA_2026_HOLIDAYS, WorkingCalendar
from routing.model import Deadline

CAL = WorkingCalendar.build(timezone="Europe/Moscow")


def msk(*args) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime(*args, tzinfo=ZoneInfo("Europe/Moscow"))


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
    # 31 Dec 2025 is a working day, then 1–11 Jan are off: the 2nd working day is 12 Jan.
    assert due == msk(2026, 1, 13, 0, 0).astimezone(UTC)


def test_friday_evening_plus_one_working_day_is_monday():
    assert CAL.due(msk(2026, 3, 13, 23, 0), Deadline.parse("1wd")) == msk(2026, 3, 17, 0, 0)


def test_hours_are_exact_and_days_end_at_local_midnight():
    start = msk(2026, 3, 4, 10, 30)
    assert CAL.due(start, Deadline.parse("72h")) == start + timedelta(hours=72)
    assert CAL.due(start, Deadline.parse("30d")) == msk(2026, 4, 4, 0, 0)


def test_configurable_holidays_and_working_saturdays():
    cal = WorkingCalendar.build(holidays=[date(2027, 3, 8)], working_weekends=[date(2027, 3, 6)])
    assert cal.is_working_day(date(2027, 3, 6))  # a Saturday made working
    assert not cal.is_working_day(date(2027, 3, 8))
    assert cal.is_working_day(date(2026, 1, 5))  # the 2026 list was replaced, not added to


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

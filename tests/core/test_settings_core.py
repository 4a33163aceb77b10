"""The core's tunables, read from the environment by the one `config.Settings`."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from bot.bootstrap import rate_limits, working_calendar
from bot.delivery.ratelimit import DEFAULT_LIMITS
from config import Settings


def test_defaults_match_the_documented_limits_and_2026_calendar():
    settings = Settings(_env_file=None)
    assert rate_limits(settings) == DEFAULT_LIMITS
    assert not working_calendar(settings).is_working_day(date(2026, 1, 9))
    assert settings.reminder_fractions == [0.5, 0.9]


def test_lists_are_read_comma_separated(monkeypatch):
    monkeypatch.setenv("HOLIDAYS", "2027-01-11, 2027-01-12")
    monkeypatch.setenv("WORKING_WEEKENDS", "2027-01-09")
    monkeypatch.setenv("REMINDER_FRACTIONS", "0.9;0.25")
    settings = Settings(_env_file=None)
    calendar = working_calendar(settings)
    assert not calendar.is_working_day(date(2027, 1, 12))  # a day off added on top
    assert calendar.is_working_day(date(2027, 1, 9))  # a Saturday made working
    assert not calendar.is_working_day(date(2026, 1, 9))  # the package's calendar still holds
    assert settings.reminder_fractions == [0.25, 0.9]


def test_a_fraction_outside_the_deadline_is_refused(monkeypatch):
    monkeypatch.setenv("REMINDER_FRACTIONS", "0.5,1.5")
    with pytest.raises(ValidationError, match="больше 0 и меньше 1"):
        Settings(_env_file=None)


def test_the_operator_is_warned_at_start_about_a_year_the_package_lacks(caplog):
    """The log at start names the year and what to do; a known year says nothing."""
    from datetime import UTC, datetime

    from bot.bootstrap import warn_calendar_gaps

    calendar = working_calendar(Settings(_env_file=None))
    with caplog.at_level("WARNING", logger="bot.core"):
        assert warn_calendar_gaps(calendar, datetime(2026, 12, 5, tzinfo=UTC)) == []
        warnings = warn_calendar_gaps(calendar, datetime(2099, 3, 1, tzinfo=UTC))
    assert len(warnings) == 2  # this year and the next
    assert "Производственный календарь на 2099 год неизвестен" in warnings[0]
    assert "на 2100 год" in warnings[1] and "HOLIDAYS" in warnings[1]
    assert [r.getMessage() for r in caplog.records] == warnings

"""The deadline across the New Year, table by table: every routing date from 20.12.2026 to
15.01.2027, at several times of day, against the ``holidays`` package's own working-day
arithmetic (`holidays.RU.get_nth_working_day`), computed here independently of
`bot.domain.calendar`. Then what the citizen and the body actually read for the issue's
example: routed on 24.12.2026 with 10 working days, due 18.01.2027 (not 08.01.2027).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from core_world import CITIZEN_TG, CITY_CHAT, FakeClock, World

from bot.domain.calendar import WorkingCalendar
from routing.model import Deadline

SARATOV_TZ = ZoneInfo("Europe/Saratov")
CAL = WorkingCalendar.build(timezone="Europe/Saratov")
RUSSIA = holidays.RU(years=range(2026, 2029))

FIRST, LAST = date(2026, 12, 20), date(2027, 1, 15)
ROUTING_DAYS = [FIRST + timedelta(n) for n in range((LAST - FIRST).days + 1)]
TIMES_OF_DAY = (time(0, 0), time(9, 30), time(17, 59), time(23, 59, 59))
LENGTHS = (1, 5, 10, 30)


def expected_last_day(routed_on: date, working_days: int) -> date:
    """The package's answer: the n-th working day after the routing day."""
    return RUSSIA.get_nth_working_day(routed_on, working_days)


@pytest.mark.parametrize("working_days", LENGTHS)
def test_every_routing_day_around_the_new_year_matches_the_package(working_days):
    deadline = Deadline.parse(f"{working_days}wd")
    for routed_on in ROUTING_DAYS:
        last_day = expected_last_day(routed_on, working_days)
        end_of_last_day = datetime.combine(last_day + timedelta(days=1), time(0), SARATOV_TZ)
        for moment in TIMES_OF_DAY:
            start = datetime.combine(routed_on, moment, SARATOV_TZ)
            assert CAL.due(start, deadline) == end_of_last_day.astimezone(UTC), (
                routed_on, moment, working_days)


def test_the_issues_example_and_a_few_known_answers():
    # Known by hand from the 2026 and 2027 production calendars.
    assert expected_last_day(date(2026, 12, 24), 10) == date(2027, 1, 18)
    assert expected_last_day(date(2026, 12, 30), 1) == date(2027, 1, 11)  # 31.12 and 1–10.01 off
    assert expected_last_day(date(2027, 1, 15), 5) == date(2027, 1, 22)
    start = datetime(2026, 12, 24, 11, 0, tzinfo=SARATOV_TZ)
    due = CAL.due(start, Deadline.parse("10wd")).astimezone(SARATOV_TZ)
    assert due == datetime(2027, 1, 19, 0, 0, tzinfo=SARATOV_TZ)


async def test_the_citizen_and_the_body_read_18_january(tmp_path):
    """Routed at 11:00 on 24.12.2026 to a body with ``10wd``: both texts say 18.01.2027."""
    clock = FakeClock(datetime(2026, 12, 24, 7, 0, tzinfo=UTC))  # 11:00 in Saratov
    world = await World(str(tmp_path / "bot.sqlite3"), clock).start()
    number = (await world.core.handle(world.citizen("яма на улице"))).number
    await world.flush()
    accepted = world.tg.texts(CITIZEN_TG)[-1]
    assert f"Обращение № {number} принято" in accepted
    assert "Ответ ожидается до 18.01.2027 включительно." in accepted
    assert "Срок ответа: до 18.01.2027 включительно" in world.tg.texts(CITY_CHAT)[-1]
    await world.stop()


def test_one_due_is_cheap_once_the_year_is_loaded():
    """No timing assertion (speed belongs to bench/): only that the years are loaded once,
    so a deadline computed per appeal does not rebuild the package's calendar."""
    from bot.domain.calendar import official_year

    CAL.due(datetime(2026, 12, 24, 11, tzinfo=SARATOV_TZ), Deadline.parse("30wd"))
    before = official_year.cache_info()
    CAL.due(datetime(2026, 12, 25, 11, tzinfo=SARATOV_TZ), Deadline.parse("30wd"))
    after = official_year.cache_info()
    assert after.misses == before.misses and after.hits > before.hits

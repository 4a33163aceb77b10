"""The dashboard's chart geometry (`bot.console.charts`): pure numbers in, rectangles out."""

from __future__ import annotations

from datetime import datetime

from bot.console import charts
from bot.domain.reports import BodyFigures, WeekFigures


def test_the_axis_tops_at_a_round_number_with_whole_ticks() -> None:
    assert [charts.nice_ceiling(v) for v in (0, 1, 2, 3, 6, 11, 49, 51, 100, 101)] == [
        1, 1, 2, 5, 10, 20, 50, 100, 100, 200
    ]
    week = WeekFigures(datetime(2026, 3, 2), 7, 3, 2, 1)
    chart = charts.weekly([week])
    assert [t.label for t in chart.ticks] == ["0", "2", "4", "6", "8", "10"]
    received, in_time, overdue = chart.bars
    assert (received.value, in_time.value, overdue.value) == (7, 2, 1)
    assert received.height == 7 * overdue.height and received.y + received.height == chart.base
    assert charts.weekly([]) is None


def test_the_overdue_shares_rank_the_bodies_and_skip_those_with_nothing_overdue() -> None:
    def body(name: str, overdue: int, with_deadline: int) -> BodyFigures:
        return BodyFigures(name, with_deadline, 0, 0, overdue, with_deadline, None, 0, 0)

    chart = charts.overdue_shares(
        [body("a", 1, 4), body("b", 3, 4), body("c", 0, 0), body("d", 0, 5)], str.upper
    )
    assert [b.title for b in chart.bars] == [
        "B: просрочено 3 из 4 (75 %)", "A: просрочено 1 из 4 (25 %)"
    ]
    assert chart.bars[0].width == 3 * chart.bars[1].width
    assert charts.overdue_shares([body("c", 0, 0), body("d", 0, 5)], str) is None

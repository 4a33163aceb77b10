"""The console's filter parameters (`bot.core.console_filters`): strings in, a typed filter or
a Russian message per malformed field out — no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.console_filters import (
    MAX_PAGE,
    Catalogue,
    FilterError,
    last_days,
    parse_filter,
    parse_queue,
    parse_report,
)
from bot.domain.reports import Period, QueueView, TicketFilter, Viewer

ZONE = ZoneInfo("Europe/Saratov")  # UTC+4
NOW = datetime(2026, 3, 15, 9, 0, tzinfo=UTC)
CATALOGUE = Catalogue(
    {"minzdrav": "Минздрав", "saratov-city": "Администрация Саратова"},
    {"roads": "Дороги", "snow": "Уборка снега"},
    {"63701000": "Саратов"},
)
COORDINATOR = Viewer(coordinator=True)
ADMIN = Viewer(coordinator=False, bodies=frozenset({"saratov-city"}))


def parse(raw, viewer=COORDINATOR, **kwargs) -> TicketFilter:
    return parse_filter(raw, viewer, CATALOGUE, NOW, ZONE, **kwargs)


def errors(call, *args) -> dict[str, str]:
    with pytest.raises(FilterError) as caught:
        call(*args)
    return caught.value.errors


def local(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=ZONE)


def test_no_parameters_is_every_ticket_the_viewer_may_see():
    assert parse({}) == TicketFilter()
    assert parse({}, ADMIN) == TicketFilter(bodies=frozenset({"saratov-city"}))
    assert parse({"body": "", "q": "  ", "from": ""}) == TicketFilter()


def test_ids_states_and_channels_are_checked_against_the_table():
    flt = parse({"body": "minzdrav", "topic": "snow", "municipality": "63701000",
                 "state": "in_work", "channel": "vk"})
    assert flt == TicketFilter(bodies=frozenset({"minzdrav"}), topic="snow",
                               municipality="63701000", state="in_work", channel="vk")
    found = errors(parse, {"body": "mvd", "topic": "x", "municipality": "1", "state": "lost",
                           "channel": "ok"})
    assert found["body"] == "Органа с кодом «mvd» нет в таблице маршрутизации."
    assert found["topic"] == "Темы с кодом «x» нет в таблице маршрутизации."
    assert found["municipality"] == "Муниципалитета с кодом «1» нет в таблице маршрутизации."
    assert found["state"].startswith("Неизвестное состояние обращения «lost». Возможные: ")
    assert "in_work" in found["state"] and "new," not in found["state"]
    assert found["channel"] == (
        "Неизвестный канал «ok»: бывает tg (Telegram) или vk (ВКонтакте)."
    )
    assert errors(parse, {"topic": "x" * 65}) == {"topic": "Значение поля «topic» слишком длинное."}


def test_an_administrator_sees_only_its_own_bodies():
    assert parse({"body": "saratov-city"}, ADMIN).bodies == frozenset({"saratov-city"})
    assert errors(parse, {"body": "minzdrav"}, ADMIN) == {
        "body": "Обращения органа «Минздрав» вам не видны: вы администратор другого органа."
    }


def test_days_are_local_and_both_included():
    flt = parse({"from": "2026-03-01", "to": "31.03.2026"})
    assert flt.period == Period(local("2026-03-01"), local("2026-04-01"))
    assert flt.period.start == datetime(2026, 2, 28, 20, tzinfo=UTC)
    # Only a start: up to the end of today; only an end: from the beginning.
    assert parse({"from": "01.03.2026"}).period == Period(local("2026-03-01"), local("2026-03-16"))
    assert parse({"to": "2026-03-01"}).period.start == local("2000-01-01")


def test_malformed_dates_each_get_their_message():
    found = errors(parse, {"from": "31/03/2026", "to": "2026-02-30"})
    assert found == {
        "from": "Дата «31/03/2026» не распознана: введите её как 2026-03-31 или 31.03.2026.",
        "to": "Дата «2026-02-30» не распознана: введите её как 2026-03-31 или 31.03.2026.",
    }
    assert errors(parse, {"from": "1812-09-07"}) == {
        "from": "Дата «1812-09-07» вне допустимого диапазона (2000–2100)."
    }
    assert errors(parse, {"from": "2026-03-10", "to": "2026-03-01"}) == {
        "to": "Начало периода (10.03.2026) позже его конца (01.03.2026)."
    }


def test_search_by_number_or_words_bounded():
    assert parse({"q": "26-123"}).number == "26-000123"
    assert parse({"q": "№26-000123"}).number == "26-000123"
    words = parse({"q": "  Яма   во  ДВОРЁ "})
    assert (words.text, words.number) == ("яма во дворе", None)
    # A text search without days looks at the last 31 days.
    assert words.period == last_days(NOW, ZONE, 31)
    assert words.period.end - words.period.start == timedelta(days=31)
    assert parse({"q": "100%_x"}).text == "100%_x"  # kept as typed: SQL escapes it
    assert errors(parse, {"q": "я" * 101}) == {
        "q": "Запрос для поиска слишком длинный: 101 символов, можно не больше 100."
    }
    assert errors(parse, {"q": "ям"}) == {
        "q": "Для поиска по тексту введите хотя бы 3 символа."
    }
    assert errors(parse, {"q": "яма", "from": "2020-01-01", "to": "2026-01-01"}) == {
        "from": "Период длиннее 366 дней: выберите период короче или выгружайте по частям."
    }


def test_queue_view_and_page():
    query = parse_queue({"view": "overdue", "page": "3", "body": "minzdrav"}, COORDINATOR,
                        CATALOGUE, NOW, ZONE)
    assert (query.view, query.page, query.filter.bodies) == (
        QueueView.OVERDUE, 3, frozenset({"minzdrav"})
    )
    assert parse_queue({}, ADMIN, CATALOGUE, NOW, ZONE).view == QueueView.ALL
    found = errors(parse_queue, {"view": "late", "page": "-1", "body": "mvd"}, COORDINATOR,
                   CATALOGUE, NOW, ZONE)
    assert found["view"] == (
        "Неизвестная вкладка очереди «late». Выберите одну из: "
        "unrouted, redirected, overdue, due_soon, all."
    )
    assert found["page"] == (
        f"Номер страницы «-1» не распознан: нужно целое число от 1 до {MAX_PAGE}."
    )
    assert "body" in found
    for page in ("0", "1e3", "٣", str(MAX_PAGE + 1), "x" * 1000):
        assert "page" in errors(parse_queue, {"page": page}, COORDINATOR, CATALOGUE, NOW, ZONE)


def test_reports_default_to_thirty_days_and_at_most_a_year():
    assert parse_report({}, COORDINATOR, CATALOGUE, NOW, ZONE).period == Period(
        local("2026-02-14"), local("2026-03-16")
    )
    found = errors(parse_report, {"from": "2025-01-01", "to": "2026-03-01"}, COORDINATOR,
                   CATALOGUE, NOW, ZONE)
    assert found["from"].startswith("Период длиннее 366 дней")
    # A whole leap year fits.
    whole = parse_report({"from": "2024-01-01", "to": "2024-12-31"}, COORDINATOR, CATALOGUE,
                         NOW, ZONE)
    assert whole.period == Period(local("2024-01-01"), local("2025-01-01"))

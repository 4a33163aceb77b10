"""One row edited in place, judged as a file is: per-field messages for the edited row, the
other rows a change breaks named by their id, nothing of the original table touched."""

from __future__ import annotations

import pytest

from routing.edit import RowChange, RowEditError, UnknownRow, current_cells, edited
from routing.model import WHOLE_REGION, Deadline, Level
from routing.tablefile import load_table, parse_table


@pytest.fixture
def table(tiny_yaml):
    return parse_table(tiny_yaml.encode(), "tiny.yaml")


def problems_of(table, change):
    with pytest.raises(RowEditError) as error:
        edited(table, change)
    return error.value.problems


def test_the_form_shows_a_row_in_cell_conventions(table):
    cells = current_cells(table, "bodies", "agai-admin")
    assert cells == {
        "id": "agai-admin", "name": "Администрация Александрово-Гайского района",
        "level": "municipal", "topics": "roads", "territory": "63602000; 63602401",
        "priority": "0", "deadline": "30d", "telegram_chat": "", "vk_peer": "", "parent": "",
    }
    assert current_cells(table, "topics", "roads")["examples"] == (
        "Яма на дороге у дома 5\nНет тротуара; ходим по обочине"
    )
    assert current_cells(table, "municipalities", "63701000")["lat"] == "51.53"
    with pytest.raises(UnknownRow):
        current_cells(table, "bodies", "nobody")


def test_changing_fields_keeps_the_rest_of_the_row_and_of_the_table(table):
    new = edited(table, RowChange("bodies", "agai-admin", {
        "name": "Администрация А-Гайского района", "deadline": "5wd", "topics": "roads; health",
        "priority": "1",
    }))
    body = new.body_by_id["agai-admin"]
    assert body.name == "Администрация А-Гайского района"
    assert body.deadline == Deadline.parse("5wd") and body.topics == ("roads", "health")
    assert body.territory == ("63602000", "63602401") and body.priority == 1
    assert [b.id for b in new.bodies] == [b.id for b in table.bodies]  # stays in its place
    assert new.topics == table.topics and new.municipalities == table.municipalities
    assert table.body_by_id["agai-admin"].deadline == Deadline.parse("30d")  # untouched


def test_an_unchanged_form_gives_an_equal_table(table):
    same = edited(table, RowChange("bodies", "min-health",
                                   current_cells(table, "bodies", "min-health")))
    assert same == table


def test_adding_a_row_appends_it(table):
    new = edited(table, RowChange("bodies", None, {
        "id": "roads-service", "name": "Дорожная служба", "level": "муниципальный",
        "topics": "roads", "territory": "63701000", "priority": "2",
    }))
    assert new.bodies[-1].id == "roads-service" and new.bodies[-1].level == Level.MUNICIPAL
    topic = edited(table, RowChange("topics", None, {"id": "snow", "name": "Снег"}))
    assert topic.topic_by_id["snow"].name == "Снег"


def test_bad_fields_of_the_edited_row_are_reported_per_field(table):
    problems = problems_of(table, RowChange("bodies", "agai-admin", {
        "name": "", "deadline": "скоро", "topics": "roads; potholes",
        "territory": "63701000; 99999999", "parent": "governor", "level": "local",
    }))
    assert problems.fields["name"] == ("обязательное поле не заполнено",)
    assert "срок ответа «скоро» не понят" in problems.fields["deadline"][0]
    assert problems.fields["topics"] == ("тема «potholes» не найдена среди тем",)
    assert problems.fields["territory"] == (
        "муниципальное образование «99999999» не найдено среди муниципальных образований",
    )
    assert problems.fields["parent"] == ("вышестоящий орган «governor» не найден среди органов",)
    assert "уровень «local» неизвестен" in problems.fields["level"][0]
    assert not problems.elsewhere


def test_a_taken_id_is_reported_on_the_edited_row_whichever_comes_first(table):
    added = problems_of(table, RowChange("bodies", None, {
        "id": "saratov-admin", "name": "Ещё одна", "level": "municipal", "topics": "roads",
        "territory": "63602401", "priority": "5",
    }))
    assert added.fields == {
        "id": ("id «saratov-admin» уже занят: он принадлежит органу «Администрация города "
               "Саратова»",),
    }
    renamed = problems_of(table, RowChange("bodies", "saratov-admin", {"id": "min-health"}))
    assert list(renamed.fields) == ["id"] and "«Министерство здравоохранения" in (
        renamed.fields["id"][0])
    assert not renamed.elsewhere


def test_a_change_that_breaks_other_rows_names_them(table):
    problems = problems_of(table, RowChange("topics", "health", None))  # delete
    assert problems.elsewhere == (
        "Орган «Министерство здравоохранения Саратовской области» (min-health), поле «topics»: "
        "тема «health» не найдена среди тем",
    )
    assert not problems.fields
    moved = problems_of(table, RowChange("municipalities", "63602000", {"id": "63602999"}))
    assert any("(63602401), поле «parent»" in p for p in moved.elsewhere)
    assert any("(agai-admin), поле «territory»" in p for p in moved.elsewhere)


def test_a_tie_between_two_bodies_is_refused(table):
    problems = problems_of(table, RowChange("bodies", None, {
        "id": "roads-service", "name": "Дорожная служба", "level": "municipal",
        "topics": "roads", "territory": "63701000",
    }))
    assert "оба отвечают за тему «Дороги и тротуары»" in problems.fields["priority"][0]
    # Also when the edited body comes first and the tie is found at the other one.
    first = problems_of(table, RowChange("bodies", "saratov-admin", {
        "territory": "63602000", "priority": "0",
    }))
    assert first.fields["priority"] == (
        "органы «Администрация Александрово-Гайского района» и «Администрация города Саратова» "
        "оба отвечают за тему «Дороги и тротуары» на территории «Александрово-Гайский "
        "муниципальный район» с одинаковым приоритетом 0: задайте одному из них больший priority",
    )  # found at the later body, shown on the edited one, without a row number
    assert not first.elsewhere


def test_deleting_a_body_nobody_refers_to_works_and_the_last_one_cannot_go(table):
    new = edited(table, RowChange("bodies", "agai-admin"))
    assert "agai-admin" not in new.body_by_id
    one = edited(new, RowChange("bodies", "min-health"))
    problems = problems_of(one, RowChange("bodies", "saratov-admin"))
    assert problems.elsewhere == ("в таблице нет ни одного органа",)


def test_an_unknown_row_or_field(table):
    with pytest.raises(UnknownRow):
        edited(table, RowChange("bodies", "gone", {"name": "x"}))
    with pytest.raises(UnknownRow):
        edited(table, RowChange("bodies", None))  # nothing to delete
    problems = problems_of(table, RowChange("topics", "roads", {"colour": "red"}))
    assert "неизвестное поле «colour»" in problems.fields["colour"][0]
    with pytest.raises(ValueError):
        edited(table, RowChange("templates", None, {"id": "x"}))


def test_the_whole_region_and_the_shipped_table():
    saratov = load_table("routing/tables/saratov.yaml")
    body = saratov.bodies[0]
    new = edited(saratov, RowChange("bodies", body.id, {"territory": "region", "priority": "7"}))
    assert new.body_by_id[body.id].territory == WHOLE_REGION
    assert len(new.bodies) == len(saratov.bodies)

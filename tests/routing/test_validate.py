"""What a coordinator sees when their table is wrong: every problem, with where it is."""

from __future__ import annotations

import pytest

from routing.errors import Problem, TableError
from routing.model import WHOLE_REGION, Deadline, DeadlineUnit, Level
from routing.tablefile import parse_table
from routing.validate import MAX_PROBLEMS
from tests.routing.conftest import TINY_YAML


def problems_of(text: str) -> list[Problem]:
    with pytest.raises(TableError) as caught:
        parse_table(text.encode(), "table.yaml")
    return caught.value.problems


def edited(old: str, new: str, text: str = TINY_YAML) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def only(problems: list[Problem], sheet: str, row: int | None, column: str | None) -> Problem:
    matching = [p for p in problems if (p.sheet, p.row, p.column) == (sheet, row, column)]
    assert len(matching) == 1, problems
    return matching[0]


def test_tiny_table_is_valid() -> None:
    table = parse_table(TINY_YAML.encode(), "table.yaml")
    saratov = table.municipality_by_id["63701000"]
    assert (saratov.lat, saratov.lon, saratov.aliases) == (51.53, 46.03, ("Саратов",))
    assert table.topic_by_id["health"].deadline == Deadline(72, DeadlineUnit.HOURS)
    assert table.topic_by_id["roads"].asks == ("address", "photo")
    assert table.body_by_id["min-health"].territory == WHOLE_REGION
    assert table.body_by_id["saratov-admin"].telegram_chat == "-1001234"
    assert table.responsible("roads", "63602401")[0].id == "agai-admin"


def test_missing_required_fields_are_each_reported() -> None:
    text = edited("    kind: сельское поселение\n", "")
    text = edited("level: regional, topics: [health], territory: region",
                  "level: regional, topics: [health]", text)
    problems = problems_of(text)
    assert "не заполнено" in only(problems, "municipalities", 3, "kind").message
    assert "не заполнено" in only(problems, "bodies", 3, "territory").message
    assert all(p.file == "table.yaml" for p in problems)


@pytest.mark.parametrize(
    ("old", "new", "sheet", "row", "column", "words"),
    [
        ("kind: городской округ", "kind: городище", "municipalities", 1, "kind", "вид «городище»"),
        ("level: regional, deadline: 72h", "level: provincial, deadline: 72h", "topics", 2,
         "level", "уровень «provincial»"),
        ("asks: [address, photo]", "asks: [address, passport]", "topics", 1, "asks", "passport"),
        ("deadline: 10wd, telegram", "deadline: 10 недель, telegram", "bodies", 1, "deadline",
         "срок ответа «10 недель» не понят"),
        ("lat: 51.53", "lat: 151.53", "municipalities", 1, "lat", "широта"),
        ("lon: 46.03", "lon: восток", "municipalities", 1, "lon", "не число"),
        ('id: "63701000", name: город', 'id: "6370100", name: город', "municipalities", 1, "id",
         "8 или 11 цифр"),
        ("priority: 0", "priority: 1.5", "bodies", 1, "priority", "целым"),
        ("keywords: [яма, дорога]", "keywords: {яма: 1}", "topics", 1, "keywords", "словарь"),
    ],
)
def test_bad_cell_is_reported_at_its_place(old, new, sheet, row, column, words) -> None:
    problem = only(problems_of(edited(old, new)), sheet, row, column)
    assert words in problem.message
    assert str(problem).startswith(f"table.yaml, лист «{sheet}», строка {row}, столбец «{column}»")


def test_kind_accepts_e_for_yo_and_any_case() -> None:
    table = parse_table(edited("kind: городской округ", "kind: Населенный  Пункт").encode(),
                        "t.yaml")
    assert table.municipality_by_id["63701000"].kind == "населённый пункт"


def test_duplicate_id_names_the_first_row() -> None:
    text = edited("id: min-health,", "id: saratov-admin,")
    problem = only(problems_of(text), "bodies", 3, "id")
    assert problem.message == "id «saratov-admin» уже встречался в строке 1"


def test_unknown_references_are_reported() -> None:
    text = edited('parent: "63602000"', 'parent: "63999000"')
    text = edited("topics: [health], territory: region", "topics: [helth], territory: region",
                  text)
    text = edited('territory: ["63701000"]', 'territory: ["63701001"]', text)
    problems = problems_of(text)
    assert "«63999000» не найден" in only(problems, "municipalities", 3, "parent").message
    assert "тема «helth» не найдена" in only(problems, "bodies", 3, "topics").message
    assert "«63701001» не найдено" in only(problems, "bodies", 1, "territory").message


def test_cycle_in_parents_is_shown_as_a_chain() -> None:
    text = edited("parent: null, aliases: [Саратов]", 'parent: "63602401", aliases: [Саратов]')
    text = edited("kind: сельское поселение\n    parent: \"63602000\"",
                  "kind: сельское поселение\n    parent: \"63701000\"", text)
    problem = only(problems_of(text), "municipalities", 1, "parent")
    assert problem.message == "цикл в родителях: 63701000 → 63602401 → 63701000"


def test_two_bodies_for_one_topic_and_place_conflict_unless_priorities_differ() -> None:
    extra = ("  - {id: saratov-roads, name: Комитет дорожного хозяйства Саратова, "
             'level: municipal, topics: [roads], territory: ["63701000"]}\n')
    problem = only(problems_of(TINY_YAML + extra), "bodies", 4, "priority")
    for words in ("Комитет дорожного хозяйства Саратова", "Администрация города Саратова",
                  "строка 1", "«Дороги и тротуары»", "«город Саратов»", "priority"):
        assert words in problem.message
    fixed = TINY_YAML + extra.replace('["63701000"]}', '["63701000"], priority: 1}')
    assert parse_table(fixed.encode(), "t.yaml").responsible("roads", "63701000")[0].id == (
        "saratov-roads")


def test_two_region_wide_bodies_conflict() -> None:
    extra = ("  - {id: health-2, name: Минздрав-2, level: regional, topics: [health], "
             "territory: region}\n")
    problem = only(problems_of(TINY_YAML + extra), "bodies", 4, "priority")
    assert "«весь регион»" in problem.message and "Министерство здравоохранения" in problem.message


def test_a_topic_nobody_handles_is_fine() -> None:
    text = TINY_YAML.replace("bodies:", "  - {id: pets, name: Бездомные животные}\nbodies:")
    assert parse_table(text.encode(), "t.yaml").topic_by_id["pets"].level == Level.MUNICIPAL


def test_table_without_bodies_or_topics_is_refused() -> None:
    text = TINY_YAML[: TINY_YAML.index("topics:")] + "topics: []\n"
    messages = [str(p) for p in problems_of(text)]
    assert "table.yaml, лист «topics»: в таблице нет ни одной темы" in messages
    assert "table.yaml, лист «bodies»: в таблице нет ни одного органа" in messages


def test_problems_are_capped_with_a_count_of_the_rest() -> None:
    rows = "".join(f"  - {{id: b{i}, name: Орган {i}, level: municipal, topics: [nope], "
                   f'territory: ["63701000"], priority: {i}}}\n' for i in range(MAX_PROBLEMS + 50))
    with pytest.raises(TableError) as caught:
        parse_table((TINY_YAML + rows).encode(), "table.yaml")
    assert len(caught.value.problems) == MAX_PROBLEMS
    assert caught.value.total == MAX_PROBLEMS + 50  # what the coordinator is told they have
    assert caught.value.lines()[-1].startswith("…и ещё 50 ")
    assert str(caught.value).endswith(caught.value.lines()[-1])


def test_unknown_field_and_section_are_reported() -> None:
    text = edited("priority: 0", "priorty: 0") + "owner: Иванов\n"
    problems = problems_of(text)
    assert "неизвестное поле «priorty»" in only(problems, "bodies", 1, "priorty").message
    assert any("неизвестный раздел «owner»" in p.message for p in problems)

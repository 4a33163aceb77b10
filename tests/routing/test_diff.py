"""The summary a coordinator reads before a new table replaces the live one."""

from __future__ import annotations

from dataclasses import replace

from routing.diff import diff_tables
from routing.model import Body, Deadline, Level
from routing.tablefile import parse_table
from tests.routing.conftest import TINY_YAML


def tiny():
    return parse_table(TINY_YAML.encode(), "t.yaml")


def test_same_table_has_no_changes() -> None:
    diff = diff_tables(tiny(), tiny())
    assert diff.is_empty
    assert diff.render_ru() == "Изменений нет: новая таблица совпадает с действующей."


def test_added_removed_and_changed_bodies() -> None:
    old = tiny()
    health = old.body_by_id["min-health"]
    new_bodies = [b for b in old.bodies if b.id != "agai-admin"]
    new_bodies[0] = replace(new_bodies[0], deadline=Deadline.parse("5wd"), vk_peer="2000000001")
    new_bodies.append(Body("min-road", "Министерство дорожного хозяйства", Level.REGIONAL,
                           ("roads",), "region"))
    new = replace(old, bodies=tuple(new_bodies))
    diff = diff_tables(old, new)
    assert diff.bodies.added == ("min-road",)
    assert diff.bodies.removed == ("agai-admin",)
    assert diff.bodies.changed == (("saratov-admin", ("deadline", "vk_peer")),)
    assert diff.topics.is_empty and diff.municipalities.is_empty and not diff.is_empty
    text = diff.render_ru()
    assert text.splitlines() == [
        "Органы: +1, −1, изменено 1",
        "  + Министерство дорожного хозяйства (min-road)",
        "  − Администрация Александрово-Гайского района (agai-admin)",
        "  ~ Администрация города Саратова (saratov-admin): deadline, vk_peer",
    ]
    assert health == new.body_by_id["min-health"]


def test_long_diff_is_cut_politely() -> None:
    old = tiny()
    extra = tuple(Body(f"b{i}", f"Орган {i}", Level.MUNICIPAL, ("roads",), ("63701000",),
                       priority=i + 1) for i in range(25))
    new = replace(old, region="Курская область", bodies=old.bodies + extra)
    text = diff_tables(old, new).render_ru(limit=20)
    lines = text.splitlines()
    assert lines[0] == "Регион: «Саратовская область» → «Курская область»"
    assert lines[1] == "Органы: +25, −0, изменено 0"
    assert len([line for line in lines if line.startswith("  + ")]) == 20
    assert lines[-1] == "…и ещё 5 изменений (полный список — в файле таблицы)"


def test_changes_in_every_section_are_counted() -> None:
    old = tiny()
    municipalities = (replace(old.municipalities[0], aliases=("Саратов", "г. Саратов")),
                      *old.municipalities[1:])
    topics = (*old.topics[:1], replace(old.topics[1], name="Здоровье"))
    new = replace(old, municipalities=municipalities, topics=topics)
    diff = diff_tables(old, new)
    assert diff.municipalities.changed == (("63701000", ("aliases",)),)
    assert diff.topics.changed == (("health", ("name",)),)
    assert "Муниципальные образования: +0, −0, изменено 1" in diff.render_ru()
    assert "  ~ Здоровье (health): name" in diff.render_ru()

"""Bodies that dispatch for other bodies (issue 17): the ``parent`` column of the bodies sheet,
its checks, its round trip through every format and the upload sandbox, and the diff."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest

from routing import sandbox
from routing.diff import diff_tables
from routing.errors import Problem, TableError
from routing.tablefile import load_table, parse_table, save_table, table_to_bytes
from tests.routing.conftest import TINY_YAML

#: A committee under the city administration, and a department under the committee.
WITH_UNITS = TINY_YAML.replace(
    "telegram_chat: \"-1001234\", vk_peer: null}\n",
    "telegram_chat: \"-1001234\", vk_peer: null}\n"
    "  - {id: roads-committee, name: Комитет дорожного хозяйства, level: municipal, "
    "topics: [roads], territory: [\"63701000\"], priority: 1, parent: saratov-admin}\n"
    "  - {id: roads-repair, name: Отдел ремонта дорог, level: municipal, topics: [roads], "
    "territory: [\"63701000\"], priority: 2, parent: roads-committee}\n",
)


def problems_of(text: str) -> list[Problem]:
    with pytest.raises(TableError) as caught:
        parse_table(text.encode(), "table.yaml")
    return caught.value.problems


def parent_problems(text: str) -> list[tuple[int | None, str]]:
    return [(p.row, p.message) for p in problems_of(text)
            if (p.sheet, p.column) == ("bodies", "parent")]


def test_parent_links_give_units_and_chains() -> None:
    table = parse_table(WITH_UNITS.encode(), "t.yaml")
    assert table.subordinates["saratov-admin"] == ("roads-committee",)
    assert table.subordinates["roads-committee"] == ("roads-repair",)
    assert table.chain_of_command("roads-repair") == (
        "roads-repair", "roads-committee", "saratov-admin")
    assert table.dispatches_for("saratov-admin", "roads-repair")
    assert table.dispatches_for("roads-committee", "roads-committee")
    assert not table.dispatches_for("roads-repair", "saratov-admin")
    assert not table.dispatches_for("min-health", "roads-committee")


def test_unknown_parent_is_named() -> None:
    text = WITH_UNITS.replace("parent: roads-committee}", "parent: roads-comittee}")
    assert parent_problems(text) == [
        (3, "вышестоящий орган «roads-comittee» не найден в листе bodies")]


def test_body_that_is_its_own_parent_is_refused() -> None:
    text = WITH_UNITS.replace("parent: roads-committee}", "parent: roads-repair}")
    assert parent_problems(text) == [
        (3, "орган указан родителем (вышестоящим органом) самого себя")]


def test_cycle_of_bodies_is_shown_as_a_chain_from_the_first_row() -> None:
    text = WITH_UNITS.replace('telegram_chat: "-1001234", vk_peer: null}',
                              'telegram_chat: "-1001234", vk_peer: null, parent: roads-repair}')
    assert parent_problems(text) == [(1, "цикл в вышестоящих органах: "
                                         "saratov-admin → roads-repair → roads-committee → "
                                         "saratov-admin")]


def test_parent_round_trips_through_every_format_and_the_sandbox(tmp_path: Path) -> None:
    table = parse_table(WITH_UNITS.encode(), "t.yaml")
    save_table(table, tmp_path / "a.xlsx")
    from_xlsx = load_table(tmp_path / "a.xlsx")
    save_table(from_xlsx, tmp_path / "b.zip")
    from_zip = load_table(tmp_path / "b.zip")
    save_table(from_zip, tmp_path / "c.yaml")
    assert load_table(tmp_path / "c.yaml") == from_zip == from_xlsx == table
    assert '"parent": "roads-committee"' in (tmp_path / "c.yaml").read_text()
    assert sandbox.parse_upload(table_to_bytes(table, "xlsx"), "t.xlsx") == table


def test_xlsx_has_a_parent_column_and_an_old_sheet_without_it_still_loads() -> None:
    table = parse_table(WITH_UNITS.encode(), "t.yaml")
    book = openpyxl.load_workbook(io.BytesIO(table_to_bytes(table, "xlsx")))
    header = [c.value for c in book["bodies"][1]]
    assert header[-1] == "parent"
    assert book["bodies"].cell(3, len(header)).value == "saratov-admin"
    book["bodies"].delete_cols(len(header))
    buffer = io.BytesIO()
    book.save(buffer)
    old = parse_table(buffer.getvalue(), "old.xlsx")
    assert all(body.parent is None for body in old.bodies)


def test_xlsx_parent_typo_is_reported_at_its_cell() -> None:
    table = parse_table(WITH_UNITS.encode(), "t.yaml")
    book = openpyxl.load_workbook(io.BytesIO(table_to_bytes(table, "xlsx")))
    width = book["bodies"].max_column
    book["bodies"].cell(3, width).value = "город"
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(TableError) as caught:
        parse_table(buffer.getvalue(), "t.xlsx")
    [problem] = caught.value.problems
    assert (problem.sheet, problem.row, problem.column) == ("bodies", 3, "parent")
    assert "«город» не найден" in problem.message


def test_diff_names_a_changed_parent() -> None:
    old = parse_table(TINY_YAML.encode(), "t.yaml")
    new = parse_table(WITH_UNITS.encode(), "t.yaml")
    moved = parse_table(WITH_UNITS.replace("parent: roads-committee}", "parent: saratov-admin}")
                        .encode(), "t.yaml")
    assert diff_tables(old, new).bodies.added == ("roads-committee", "roads-repair")
    assert diff_tables(new, moved).bodies.changed == (("roads-repair", ("parent",)),)
    assert "Отдел ремонта дорог (roads-repair): parent" in diff_tables(new, moved).render_ru()

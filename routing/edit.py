"""One row of the routing table changed in place: added, edited or deleted, judged as a file is.

A coordinator editing a body in the console types into the same cells a spreadsheet has (list
fields separated by «;», examples by line breaks, ``region`` or OKTMO codes for a territory),
so the edited table is judged by the very validator that judges an uploaded file
(``routing.validate``): the current table is turned back into raw rows, the one row is
replaced, and the whole is validated. A change that breaks another row (a topic deleted while
bodies still name it, a parent renamed) is caught as it would be in a file, and nothing of the
table in force is touched either way: the result is a new table or a `TableError`.

Problems come back addressed by section, row and column; `EditProblems` sorts them into those
of the edited row (by field, for the form) and those of other rows (named by their id). Two
checks are made here before the validator: an id already taken by another row (the validator
would report it on whichever of the two rows comes later, perhaps not the edited one), and an
id cell that is not text at all.

Pure: no I/O. Validating a regional table takes milliseconds; the caller still runs it off
the event loop, since a national table takes longer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from routing.errors import Problem, TableError
from routing.model import RoutingTable
from routing.tablefile import cell_text, entry_values
from routing.validate import COLUMNS, SECTIONS, RawSection, RawTable, validate

#: The sections a coordinator edits row by row in the console.
EDITABLE = ("municipalities", "topics", "bodies")


@dataclass(frozen=True)
class RowChange:
    """What the form asks: ``ident`` is the row's id before the change (``None``: a new row);
    ``cells`` are the form's fields as typed (``None``: delete the row). A field left out of
    ``cells`` keeps its value; an empty one clears it."""

    section: str
    ident: str | None
    cells: Mapping[str, str] | None = None

    @property
    def deletes(self) -> bool:
        return self.cells is None


@dataclass(frozen=True)
class EditProblems:
    """Why the change cannot be made: per field of the edited row, and elsewhere."""

    fields: dict[str, tuple[str, ...]] = field(default_factory=dict)
    elsewhere: tuple[str, ...] = ()
    total: int = 0

    def __bool__(self) -> bool:
        return bool(self.fields or self.elsewhere)


class RowEditError(Exception):
    """The edited table is invalid; ``problems`` says where, for the form."""

    def __init__(self, problems: EditProblems):
        super().__init__("; ".join([*(m for ms in problems.fields.values() for m in ms),
                                    *problems.elsewhere]))
        self.problems = problems


class UnknownRow(LookupError):
    """The row to edit or delete is not in the table (deleted or renamed meanwhile)."""


def current_cells(table: RoutingTable, section: str, ident: str) -> dict[str, str]:
    """A row's fields as the form shows them (cell conventions of XLSX/CSV)."""
    _check_section(section)
    for values in entry_values(table, section):
        if values["id"] == ident:
            return {column: cell_text(column, values[column]) for column in COLUMNS[section]}
    raise UnknownRow(ident)


def edited(table: RoutingTable, change: RowChange) -> RoutingTable:
    """The table with the change made, validated; `RowEditError` listing every problem, or
    `UnknownRow`. The same table back means nothing would change (the caller says so)."""
    _check_section(change.section)
    sections = {name: list(entry_values(table, name)) for name in SECTIONS}
    rows = sections[change.section]
    position = _position(rows, change.ident)
    pre: list[Problem] = []
    if change.deletes:
        if position is None:
            raise UnknownRow("")
        del rows[position]
        edited_row = None
    else:
        assert change.cells is not None
        base = dict(rows[position]) if position is not None else {}
        values = {**base, **change.cells}
        new_id = str(values.get("id") or "").strip()
        clash = next((r for r in rows if r["id"] == new_id), None)
        if new_id and clash is not None and clash["id"] != change.ident:
            pre.append(_taken(change.section, new_id, clash))
            # Judge the rest as if the id were free: the original id, or none for a new row.
            values["id"] = change.ident
        if position is None:
            rows.append(values)
            position = len(rows) - 1
        else:
            rows[position] = values
        edited_row = position + 1
    raw = RawTable(file=None, region=table.region, region_sheet=None, region_column=None)
    for name, entries in sections.items():
        raw.sections[name] = RawSection(name, None, [(i, e) for i, e in enumerate(entries, 1)])
    try:
        new = validate(raw)
    except TableError as error:
        problems = [*pre, *_not_repeated(error.problems, pre, change.section, edited_row)]
        raise RowEditError(
            _sorted(problems, change.section, edited_row, sections, error.total + len(pre))
        ) from None
    if pre:
        raise RowEditError(_sorted(pre, change.section, edited_row, sections, len(pre)))
    return new


def _check_section(section: str) -> None:
    if section not in EDITABLE:
        raise ValueError(f"section {section!r} is not edited row by row")


def _position(rows: list[dict[str, object]], ident: str | None) -> int | None:
    if ident is None:
        return None
    for index, row in enumerate(rows):
        if row["id"] == ident:
            return index
    raise UnknownRow(ident)


_NOUNS = {"municipalities": "муниципальному образованию", "topics": "теме", "bodies": "органу"}


def _taken(section: str, ident: str, other: dict[str, object]) -> Problem:
    name = other.get("name") or ident
    return Problem(
        f"id «{ident}» уже занят: он принадлежит {_NOUNS[section]} «{name}»",
        None, section, None, "id",
    )


def _not_repeated(problems: list[Problem], pre: list[Problem], section: str,
                  row: int | None) -> list[Problem]:
    """Without the validator's own words about an id this module already judged."""
    if not pre:
        return problems
    return [p for p in problems if not (p.sheet == section and p.row == row and p.column == "id")]


def _sorted(problems: list[Problem], section: str, row: int | None,
            sections: dict[str, list[dict[str, object]]], total: int) -> EditProblems:
    fields: dict[str, list[str]] = {}
    elsewhere: list[str] = []
    for problem in problems:
        ours = problem.sheet == section and (
            problem.row == row
            or (problem.row is None and problem.column is not None)
            # a tie reported on the later of two bodies, naming the edited one by its row
            or (row is not None and f"(строка {row})" in problem.message)
        )
        message = _ROW_REF.sub("", _without_sheets(problem.message))
        if ours and problem.column:
            fields.setdefault(problem.column, []).append(message)
        elif problem.sheet in sections and problem.row is not None:
            elsewhere.append(_elsewhere(problem, message, sections[problem.sheet]))
        else:
            elsewhere.append(message)
    unlisted = total - len(problems)
    if unlisted > 0:
        elsewhere.append(f"…и ещё {unlisted}")
    return EditProblems({k: tuple(v) for k, v in fields.items()}, tuple(elsewhere), total)


_WHERE = {
    "municipalities": "Муниципальное образование",
    "topics": "Тема",
    "bodies": "Орган",
    "templates": "Шаблон ответа",
}


#: The validator speaks of a file's sheets; the console has lists of entries instead.
_SHEET_WORDS = (
    ("в листе topics", "среди тем"),
    ("в листе municipalities", "среди муниципальных образований"),
    ("в листе bodies", "среди органов"),
)


#: «(строка 12)» in a message about another row: the console names rows, it has no numbers.
_ROW_REF = re.compile(r" \(строка \d+\)")


def _without_sheets(message: str) -> str:
    for sheet, words in _SHEET_WORDS:
        message = message.replace(sheet, words)
    return message


def _elsewhere(problem: Problem, message: str, rows: list[dict[str, object]]) -> str:
    """A problem in another row, named by that row (the console has no row numbers)."""
    entry = rows[problem.row - 1] if problem.row and problem.row <= len(rows) else {}
    label = entry.get("name") or entry.get("title") or entry.get("id") or "?"
    ident = entry.get("id")
    who = f"{_WHERE.get(problem.sheet or '', '')} «{label}»" + (f" ({ident})" if ident else "")
    column = f", поле «{problem.column}»" if problem.column else ""
    return f"{who}{column}: {message}"

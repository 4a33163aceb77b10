"""Problems found in a routing table, addressed the way a coordinator finds them in a file."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a table, with where it is: file, sheet, row and column.

    ``row`` is the row number a spreadsheet program shows (header is row 1), or the 1-based
    position of the entry in a YAML list; ``sheet`` is the XLSX sheet, CSV file stem or YAML
    section (``municipalities``, ``topics``, ``bodies``).
    """

    message: str
    file: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.sheet:
            where.append(f"лист «{self.sheet}»")
        if self.row is not None:
            where.append(f"строка {self.row}")
        if self.column:
            where.append(f"столбец «{self.column}»")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class TableError(Exception):
    """The table cannot be used. ``problems`` lists the problems found, or the first of them when
    there are very many (``routing.validate.MAX_PROBLEMS``); ``total`` counts all of them, so a
    coordinator is told how many there are, not how many were kept."""

    def __init__(self, problems: list[Problem], total: int | None = None):
        self.problems = problems
        self.total = max(total or 0, len(problems))
        super().__init__("\n".join(self.lines()))

    @property
    def unlisted(self) -> int:
        return self.total - len(self.problems)

    def lines(self) -> list[str]:
        """What a person reads: every listed problem, then how many more there are."""
        lines = [str(p) for p in self.problems]
        if self.unlisted:
            lines.append(UNLISTED.format(count=self.unlisted))
        return lines


#: More problems than this are not listed one by one: nobody reads the 201st line in a chat.
MAX_PROBLEMS = 200


class ProblemList:
    """Collects problems, keeping the first ``MAX_PROBLEMS`` and counting all of them."""

    def __init__(self, initial: Iterable[Problem] = ()):
        self.items: list[Problem] = []
        self.total = 0
        for problem in initial:
            self.append(problem)

    def append(self, problem: Problem) -> None:
        self.total += 1
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(problem)

    def __bool__(self) -> bool:
        return bool(self.items)

    def error(self) -> TableError:
        return TableError(self.items, self.total)


UNLISTED = "…и ещё {count} (исправьте эти и загрузите таблицу снова)"


class RoutingError(Exception):
    """A routing command cannot go on (bad input, unreadable model); the message is for people."""

"""Checking ``parent`` links: municipalities nest in districts, bodies in the body dispatching
for them.

Both sections of the table carry the same kind of link and can go wrong the same three ways —
an unknown parent, an entry naming itself, a cycle — so one check serves both, with the words
of each section, and ``routing.validate`` calls it per section. A cycle is reported once, at
the row of its first member in the file, so the coordinator reads it in the order they wrote it.
"""

from __future__ import annotations

from dataclasses import dataclass

from routing.errors import Problem, ProblemList


@dataclass(frozen=True, slots=True)
class ParentWords:
    """What a section's parent problems say, in Russian."""

    itself: str  # "… указано родителем самого себя"
    unknown: str  # with {parent}: "родитель «…» не найден среди …"
    cycle: str  # with {path}: "цикл в родителях: a → b → a"


MUNICIPALITY_WORDS = ParentWords(
    itself="муниципальное образование указано родителем самого себя",
    unknown="родитель «{parent}» не найден среди муниципальных образований",
    cycle="цикл в родителях: {path}",
)
BODY_WORDS = ParentWords(
    itself="орган указан родителем (вышестоящим органом) самого себя",
    unknown="вышестоящий орган «{parent}» не найден в листе bodies",
    cycle="цикл в вышестоящих органах: {path}",
)


def check_parents(links: dict[str, tuple[int, object]], words: ParentWords,
                  file: str | None, sheet: str, problems: ProblemList) -> None:
    """Report bad ``parent`` cells; ``links`` maps an id to (its row, its parent or None)."""
    parents: dict[str, str] = {}
    for ident, (row, parent) in links.items():
        if parent is None:
            continue
        if parent == ident:
            problems.append(Problem(words.itself, file, sheet, row, "parent"))
        elif parent not in links:
            problems.append(Problem(words.unknown.format(parent=parent), file, sheet, row,
                                    "parent"))
        else:
            parents[ident] = str(parent)
    done: set[str] = set()
    for start in parents:
        path: list[str] = []
        on_path: set[str] = set()
        current: str | None = start
        while current is not None and current not in done and current not in on_path:
            path.append(current)
            on_path.add(current)
            current = parents.get(current)
        if current is not None and current in on_path:
            cycle = path[path.index(current):]
            first = min(cycle, key=lambda i: links[i][0])
            at = cycle.index(first)
            ordered = cycle[at:] + cycle[:at]
            problems.append(Problem(words.cycle.format(path=" → ".join([*ordered, first])),
                                    file, sheet, links[first][0], "parent"))
        done.update(path)

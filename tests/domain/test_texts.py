"""The texts package is one namespace made of three files (`bot.domain.texts`): a name defined
in two of them would silently take the value of the last import, so a wording fixed in one file
would never show. And every placeholder a text uses must be one the code can fill."""

from __future__ import annotations

import ast
import collections
import string
from pathlib import Path

from bot.domain import texts
from bot.domain.texts import citizen, console, coordination, pages, reports, staff, tableweb


def names(module) -> set[str]:
    return {name for name in vars(module) if name.isupper()}


def test_each_text_is_defined_in_exactly_one_file() -> None:
    parts = [names(citizen), names(staff), names(coordination), names(pages), names(console),
             names(tableweb),
             names(reports)]
    seen: set[str] = set()
    for part in parts:
        assert not part & seen, sorted(part & seen)
        seen |= part
    assert seen == names(texts)


def test_every_text_is_a_well_formed_format_string() -> None:
    """A stray brace would raise only when that message is sent (perhaps to a citizen)."""
    for name in names(texts):
        value = getattr(texts, name)
        for text in value.values() if isinstance(value, dict) else [value]:
            if isinstance(text, str):
                list(string.Formatter().parse(text))  # raises ValueError on a broken field


def test_no_text_is_assigned_twice() -> None:
    """Two engineers naming two different texts alike: the second silently replaces the first
    (a card button's refusal once read «Список сотрудников органа видят…»)."""
    for module in (citizen, staff, coordination, pages, console, tableweb, reports):
        tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
        assigned = collections.Counter(
            target.id
            for node in tree.body
            if isinstance(node, ast.Assign)
            for target in node.targets
            if isinstance(target, ast.Name)
        )
        assert not [name for name, count in assigned.items() if count > 1], module.__name__

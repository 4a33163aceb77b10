"""What changed between two routing tables, told to the coordinator before a new one goes live.

A coordinator uploading a table in chat should see at a glance whether the upload is what they
meant: "3 bodies added, 1 removed" catches a wrong file or a lost sheet before appeals are routed
by it. Entries are matched by id; a changed id is a removal plus an addition.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from routing.model import RoutingTable

_TITLES = {
    "municipalities": "Муниципальные образования",
    "topics": "Темы",
    "bodies": "Органы",
    "templates": "Шаблоны ответов",
}


@dataclass(frozen=True)
class EntityDiff:
    """Differences in one kind of entry; ``changed`` maps an id to the names of changed fields."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


@dataclass(frozen=True)
class TableDiff:
    old: RoutingTable
    new: RoutingTable
    municipalities: EntityDiff
    topics: EntityDiff
    bodies: EntityDiff
    templates: EntityDiff = EntityDiff()

    @property
    def region_changed(self) -> bool:
        return self.old.region != self.new.region

    @property
    def is_empty(self) -> bool:
        return not self.region_changed and all(
            getattr(self, section).is_empty for section in _TITLES
        )

    def render_ru(self, limit: int = 20) -> str:
        """A short Russian summary for a chat message, naming at most ``limit`` entries."""
        if self.is_empty:
            return "Изменений нет: новая таблица совпадает с действующей."
        lines: list[str] = []
        if self.region_changed:
            lines.append(f"Регион: «{self.old.region}» → «{self.new.region}»")
        shown = hidden = 0
        for section, title in _TITLES.items():
            diff: EntityDiff = getattr(self, section)
            if diff.is_empty:
                continue
            lines.append(
                f"{title}: +{len(diff.added)}, −{len(diff.removed)}, "
                f"изменено {len(diff.changed)}"
            )
            old_index = _index(self.old, section)
            new_index = _index(self.new, section)
            details = [f"  + {_label(new_index, i)}" for i in diff.added]
            details += [f"  − {_label(old_index, i)}" for i in diff.removed]
            details += [
                f"  ~ {_label(new_index, i)}: {', '.join(changed)}" for i, changed in diff.changed
            ]
            room = max(limit - shown, 0)
            lines.extend(details[:room])
            shown += min(room, len(details))
            hidden += max(len(details) - room, 0)
        if hidden:
            lines.append(f"…и ещё {hidden} {_plural(hidden)} (полный список — в файле таблицы)")
        return "\n".join(lines)


def _index(table: RoutingTable, section: str) -> dict:
    return {
        "municipalities": table.municipality_by_id,
        "topics": table.topic_by_id,
        "bodies": table.body_by_id,
        "templates": {t.id: _Titled(t.id, t.title) for t in table.templates},
    }[section]


def _label(index: dict, ident: str) -> str:
    entry = index.get(ident)
    return f"{entry.name} ({ident})" if entry is not None else ident


def _plural(count: int) -> str:
    if count % 10 == 1 and count % 100 != 11:
        return "изменение"
    if 2 <= count % 10 <= 4 and not 12 <= count % 100 <= 14:
        return "изменения"
    return "изменений"


def _entity_diff(old: tuple, new: tuple) -> EntityDiff:
    old_by_id = {e.id: e for e in old}
    new_by_id = {e.id: e for e in new}
    changed = []
    for ident, entry in new_by_id.items():
        before = old_by_id.get(ident)
        if before is None or before == entry:
            continue
        names = tuple(
            f.name for f in fields(entry) if getattr(before, f.name) != getattr(entry, f.name)
        )
        changed.append((ident, names))
    return EntityDiff(
        added=tuple(i for i in new_by_id if i not in old_by_id),
        removed=tuple(i for i in old_by_id if i not in new_by_id),
        changed=tuple(changed),
    )


def diff_tables(old: RoutingTable, new: RoutingTable) -> TableDiff:
    """Added, removed and changed entries (by id) of each kind, from ``old`` to ``new``."""
    return TableDiff(
        old=old,
        new=new,
        municipalities=_entity_diff(old.municipalities, new.municipalities),
        topics=_entity_diff(old.topics, new.topics),
        bodies=_entity_diff(old.bodies, new.bodies),
        templates=_entity_diff(old.templates, new.templates),
    )


@dataclass(frozen=True)
class _Titled:
    """A reply template as the diff names it: by its title (templates have no ``name``)."""

    id: str
    name: str

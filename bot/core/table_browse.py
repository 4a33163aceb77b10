"""Bodies, topics and municipalities of the table in force, searched and cut into pages.

A regional table has hundreds of bodies and municipalities (Saratov: 375 and 364); a console
page shows one section, a page at a time, filtered by what the coordinator typed. Pure: a
function of the table and the request, so a page, a test and a benchmark get the same answer.
Every request is made sensible rather than refused: an unknown section is the bodies, a page
past the end is the last page, an absurd page size is clamped, an overlong query is cut.
"""

from __future__ import annotations

from dataclasses import dataclass

from routing.edit import EDITABLE
from routing.model import RoutingTable
from routing.tablefile import cell_text, entry_values
from routing.validate import COLUMNS

PER_PAGE = 50
MAX_PER_PAGE = 200
MAX_QUERY = 200
#: Fields a search looks in, besides the id and the name.
SEARCHED = {
    "municipalities": ("aliases",),
    "topics": ("keywords",),
    "bodies": ("telegram_chat", "vk_peer"),
}


@dataclass(frozen=True)
class Row:
    """One entry as the page shows it: the form's cells (`routing.edit.current_cells`)."""

    id: str
    name: str
    cells: dict[str, str]


@dataclass(frozen=True)
class Listing:
    section: str
    query: str
    page: int
    pages: int
    per_page: int
    total: int  # entries matching the query, over all pages
    rows: tuple[Row, ...]
    columns: tuple[str, ...]


def _folded(text: str) -> str:
    return text.casefold().replace("ё", "е")


def browse(
    table: RoutingTable,
    section: str = "bodies",
    query: str = "",
    page: int = 1,
    per_page: int = PER_PAGE,
) -> Listing:
    """The entries of ``section`` whose id, name (or aliases, keywords, chats) contain every
    word of ``query`` (case and ё aside), in table order, page ``page`` of them."""
    section = section if section in EDITABLE else "bodies"
    query = " ".join(str(query or "")[:MAX_QUERY].split())
    words = [_folded(w) for w in query.split()]
    per_page = min(max(int(per_page), 1), MAX_PER_PAGE)
    columns = COLUMNS[section]
    found: list[dict[str, object]] = []
    for values in entry_values(table, section):
        if words:
            haystack = _folded(" ".join(
                cell_text(c, values[c]) for c in ("id", "name", *SEARCHED[section])
            ))
            if not all(word in haystack for word in words):
                continue
        found.append(values)
    pages = max(1, -(-len(found) // per_page))
    page = min(max(int(page), 1), pages)
    shown = found[(page - 1) * per_page : page * per_page]
    rows = tuple(
        Row(str(v["id"]), str(v["name"]), {c: cell_text(c, v[c]) for c in columns})
        for v in shown
    )
    return Listing(section, query, page, pages, per_page, len(found), rows, columns)

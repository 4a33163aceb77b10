"""Browsing the table in force: the shipped Saratov table searched and cut into pages; every
request, however odd, gets a sensible page rather than an error."""

from __future__ import annotations

import pytest

from bot.core.table_browse import MAX_PER_PAGE, browse
from routing.tablefile import load_table


@pytest.fixture(scope="module")
def saratov():
    return load_table("routing/tables/saratov.yaml")


def test_pages_cover_every_body_once_in_table_order(saratov):
    first = browse(saratov, "bodies", per_page=100)
    assert first.total == len(saratov.bodies) and first.pages == -(-len(saratov.bodies) // 100)
    seen = [row.id for page in range(1, first.pages + 1)
            for row in browse(saratov, "bodies", page=page, per_page=100).rows]
    assert seen == [b.id for b in saratov.bodies]
    row = first.rows[0]
    assert row.name == saratov.bodies[0].name and set(row.cells) == set(first.columns)


def test_search_by_words_of_the_name_or_id_ignoring_case_and_yo(saratov):
    body = saratov.bodies[0]
    word = body.name.split()[-1].upper().replace("Е", "Ё")
    found = browse(saratov, "bodies", f"  {word}  ")
    assert body.id in [r.id for r in found.rows] and found.query == word
    by_id = browse(saratov, "bodies", body.id)
    assert by_id.rows[0].id == body.id
    assert browse(saratov, "bodies", "нет-такого-органа-нигде").total == 0
    both = browse(saratov, "municipalities", "город саратов")
    assert all("саратов" in r.name.lower() for r in both.rows) and both.total >= 1


def test_topics_are_found_by_keywords_and_municipalities_by_aliases(saratov):
    topic = next(t for t in saratov.topics if t.keywords)
    assert topic.id in [r.id for r in browse(saratov, "topics", topic.keywords[0]).rows]
    place = next(m for m in saratov.municipalities if m.aliases)
    found = browse(saratov, "municipalities", place.aliases[0], per_page=MAX_PER_PAGE)
    assert place.id in [r.id for r in found.rows]


def test_odd_requests_get_a_sensible_page(saratov):
    last = browse(saratov, "bodies", page=10_000)
    assert last.page == last.pages and last.rows
    assert browse(saratov, "bodies", page=-5).page == 1
    assert len(browse(saratov, "bodies", per_page=10**9).rows) == MAX_PER_PAGE
    assert len(browse(saratov, "bodies", per_page=0).rows) == 1
    assert browse(saratov, "templates").section == "bodies"  # not a browsable section
    assert len(browse(saratov, "bodies", "я" * 100_000).query) == 200
    empty = browse(saratov, "bodies", "zzzz")
    assert (empty.page, empty.pages, empty.rows) == (1, 1, ())

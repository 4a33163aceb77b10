"""Word rules behind place matching: adjectives made from town names, street names."""

from __future__ import annotations

import pytest

from routing.placenames import compound_adjectives, derived_adjectives, inside_street_name

STREETS = frozenset({"улица", "ул", "проспект", "пр"})


@pytest.mark.parametrize(
    ("town", "adjective"),
    [("вольск", "вольский"), ("балаково", "балаковский"), ("энгельс", "энгельсский"),
     ("маркс", "марксовский"), ("ртищево", "ртищевский"), ("самойловка", "самойловский"),
     ("дергачи", "дергачевский"), ("шихан", "шиханский"), ("балашов", "балашовский")],
)
def test_adjectives_made_from_a_town_name(town, adjective):
    assert adjective in derived_adjectives(town)


def test_adjectives_of_two_word_names():
    assert "краснокутский" in compound_adjectives("красный", "кут")
    assert "базарно-карабулакский" in compound_adjectives("базарный", "карабулак")
    assert "александрово-гайский" in compound_adjectives("александров", "гай")


def test_an_adjective_makes_no_further_adjectives():
    assert derived_adjectives("советский") == set()


@pytest.mark.parametrize(
    ("text", "index", "inside"),
    [("ул новая саратовская", 2, True), ("ул 2-я вольская", 2, True),
     ("пр им энгельса", 2, True), ("улица энгельса", 1, True),
     ("ул ленина энгельс", 2, False), ("яма саратов", 1, False)],
)
def test_a_name_after_a_street_word_is_the_street(text, index, inside):
    tokens = tuple(text.split())
    assert inside_street_name(index, tokens, tokens, STREETS) is inside

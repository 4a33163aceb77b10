"""Morphology-aware matching: what a citizen types, in any case, with typos and "ё"."""

from __future__ import annotations

import pytest

from routing.places import Gazetteer
from routing.tablefile import load_table
from routing.text import MAX_ANALYSED_CHARS, analyse, normalize

SHIPPED = "routing/tables/saratov.yaml"


@pytest.fixture(scope="module")
def saratov():
    return load_table(SHIPPED)


@pytest.fixture(scope="module")
def gazetteer(saratov):
    return Gazetteer(saratov)


def names(table, gazetteer, text):
    return [table.municipality_by_id[m.municipality_id].name for m in gazetteer.find(analyse(text))]


def test_normalize_strips_portal_html_and_folds_yo():
    assert normalize("<p>Ёлка&nbsp;во&nbsp;дворе</p>\x00") == "елка во дворе"


def test_lemmas_make_inflected_words_equal():
    assert analyse("ямы на дорогах").content == ("яма", "дорога")
    assert analyse("Яма на дороге").content == ("яма", "дорога")


def test_huge_appeal_is_cut_to_a_bounded_size():
    text = "не горит фонарь " * 10_000
    assert len(analyse(text).normalized) <= MAX_ANALYSED_CHARS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Яма на дороге в Энгельсе", "город Энгельс"),
        ("дороги Энгельсского района разбиты", "Энгельсский муниципальный район"),
        ("живу в Саратове", "город Саратов"),
        ("САРАТОВ, Заводской район", "город Саратов"),
        ("в городе Балашове нет воды", "город Балашов"),
        ("из Аткарска пишу", "город Аткарск"),
    ],
)
def test_settlement_found_in_any_grammatical_case(saratov, gazetteer, text, expected):
    assert names(saratov, gazetteer, text)[:1] == [expected]


@pytest.mark.parametrize("typo", ["в Аткаске", "в Энгелсе", "Балашовe"])
def test_settlement_found_despite_a_typo(saratov, gazetteer, typo):
    assert names(saratov, gazetteer, typo), f"ничего не найдено в «{typo}»"


def test_yo_and_ye_are_the_same_letter(saratov, gazetteer):
    assert names(saratov, gazetteer, "село Озёрное") == names(saratov, gazetteer, "село Озерное")
    assert names(saratov, gazetteer, "село Озёрное")


def test_street_named_after_a_place_is_not_that_place(saratov, gazetteer):
    assert names(saratov, gazetteer, "на ул. Балашовской нет света") == []
    assert names(saratov, gazetteer, "улица Энгельса, дом 5") == []


def test_region_name_is_not_the_district_of_the_same_name(saratov, gazetteer):
    assert "Саратовский муниципальный район" not in names(
        saratov, gazetteer, "Саратовская область, нет воды"
    )


def test_ordinary_word_counts_as_a_place_only_next_to_a_place_word(saratov, gazetteer):
    assert names(saratov, gazetteer, "октябрьское солнце светит") == []
    found = names(saratov, gazetteer, "в Октябрьском МО не вывозят мусор")
    assert found and set(found) == {"Октябрьское"}  # several settlements share the name


def test_location_resolves_to_the_town_it_is_in(saratov, gazetteer):
    match = gazetteer.nearest(51.5336, 46.0343)
    assert saratov.municipality_by_id[match.municipality_id].name == "город Саратов"


def test_location_outside_the_region_resolves_to_nothing(gazetteer):
    assert gazetteer.nearest(55.75, 37.62) is None  # Moscow
    assert gazetteer.nearest(200.0, 37.62) is None


def test_namesakes_are_shown_with_their_district(saratov, gazetteer):
    shown = {saratov.display_name(m.municipality_id)
             for m in gazetteer.find(analyse("в Октябрьском МО"))}
    assert len(shown) > 1  # six «Октябрьское» stay distinguishable on buttons
    assert all(s.startswith("Октябрьское (") and "район" in s for s in shown)
    assert saratov.display_name("63701000") == "город Саратов"

"""The classifier's lexicon (issue 7): only word forms the table can react to are analysed.

What a citizen would notice if this went wrong: a decision that depends on whether the bot had
warmed up, on which appeals came before, or a misspelt village name no longer recognised.
"""

import csv
from pathlib import Path

import pytest

from routing.classify import Classifier
from routing.tablefile import load_table
from routing.text import Lexicon, Morphology, analyse

KURSK_APPEALS = Path(__file__).resolve().parents[3] / "shared" / "data" / "kursk-appeals-dev.csv"

APPEALS = [
    "Нет света в доме 5 на улице Ленина, ямы на дороге, мусор не вывозят уже неделю",
    "В Энгельсе не горят фонари во дворе, дети ходят в темноте",
    "Аткарск: не вывозят мусор, контейнеры переполнены",
    "В Аткарске третий день нет воды, прошу помочь",
    "Прошу отремонтировать дорогу в селе Озерное Саратовского района",
    "Иванов Иван Петрович просит разобраться с отоплением в школе №3",
    "Энгелськая управляющая компания не чистит снег",  # a misspelt place name
    "Хочу пожаловаться на шум соседей по ночам",
    "",
]


@pytest.fixture(scope="module")
def table():
    return load_table("routing/tables/saratov.yaml")


class _CountingMorphology(Morphology):
    """The real analyzer, recording the words it had to analyse (not found in its cache)."""

    def __init__(self) -> None:
        super().__init__()
        self.parsed: list[str] = []

    def info(self, word):
        if word not in self._cache:
            self.parsed.append(word)
        return super().info(word)


def test_forms_of_table_lemmas_get_the_full_analysis():
    morph = Morphology()
    lexicon = Lexicon(morph, ["яма", "дорога", "энгельс"])
    for word in ("ямы", "ям", "ямах", "дорогам", "энгельсе", "энгельса"):
        assert lexicon.info(word) == Morphology().info(word), word
    assert lexicon.info("ямы").lemma == "яма"


def test_other_words_stand_for_themselves_without_a_pymorphy_call():
    morph = _CountingMorphology()
    lexicon = Lexicon(morph, ["яма"])
    morph.parsed.clear()
    analysed = analyse("Соседи шумят по ночам, ямы во дворе", lexicon)
    assert morph.parsed == ["ямы"]  # the one form of a lexicon lemma, analysed on first sight
    assert analysed.lemmas == ("соседи", "шумят", "по", "ночам", "яма", "во", "дворе")
    assert lexicon.info("шумят").known and not lexicon.info("энгелськая").known


def test_classification_never_depends_on_the_warm_up_or_on_earlier_appeals(table):
    cold = Classifier(table, morph=Morphology())
    warm = Classifier(table, morph=Morphology())
    assert warm.warm_up() == len(warm.lexicon) > 10_000
    fresh_each_time = [Classifier(table, morph=Morphology()).classify(text) for text in APPEALS]
    assert [cold.classify(text) for text in APPEALS] == fresh_each_time
    assert [warm.classify(text) for text in reversed(APPEALS)] == fresh_each_time[::-1]


def test_place_names_in_any_case_and_misspelt_are_still_found(table):
    classifier = Classifier(table)
    found = {
        text: {table.display_name(m.municipality_id)
               for m in classifier.gazetteer.find(analyse(text, classifier.lexicon))}
        for text in APPEALS[1:4] + APPEALS[6:7]
    }
    assert all(any("Энгельс" in name for name in found[text]) for text in (APPEALS[1], APPEALS[6]))
    assert all(any("Аткарск" in name for name in found[text]) for text in APPEALS[2:4])


def test_words_outside_the_lexicon_cannot_grow_memory_without_limit():
    lexicon = Lexicon(Morphology(), ["яма"])
    lexicon.GUESS_LIMIT = 100
    for number in range(1_000):
        lexicon.info(f"слово{number}х")
    assert lexicon._guessed <= 100 and len(lexicon._entries) <= 100
    assert lexicon.info("ямы").lemma == "яма"


@pytest.mark.skipif(not KURSK_APPEALS.exists(), reason="labelled Kursk appeals not present")
def test_after_warm_up_only_words_unknown_to_the_dictionary_are_parsed(table):
    morph = _CountingMorphology()
    classifier = Classifier(table, morph=morph)
    classifier.warm_up()
    with KURSK_APPEALS.open(encoding="utf-8", newline="") as source:
        longest = max((row["text"] for row in csv.DictReader(source)), key=len)
    morph.parsed.clear()
    analysed = analyse(longest, classifier.lexicon)
    assert len(analysed.tokens) > 300
    assert len(morph.parsed) <= 10  # misspellings that might be place names, nothing else
    assert not any(morph.is_known(word) for word in morph.parsed)


#: Words pymorphy3 does not know, as citizens write them: typos, place names, surnames, slang.
UNKNOWN_WORDS = [
    "энгелськая", "аткарсе", "тратуар", "уведоление", "агресивные", "дериглазова", "кутепов",
    "утилизуется", "складируется", "дубровинского", "фотоотчет", "жилкомплекс", "зврослых",
    "соьаки", "неприрывную", "молодеж", "спилинные", "2022г", "ulitsa", "xyz123",
]


def test_unknown_words_get_exactly_pymorphy3s_analysis():
    """The shortcut for unknown words (`routing.guess.Guesser`) returns what pymorphy3's own
    ``parse`` returns, so typo and place matching see the same lemmas as before."""
    fast, plain = Morphology(), Morphology()
    plain._guesser = None  # the ordinary parse for every word
    for word in UNKNOWN_WORDS:
        assert not fast.is_known(word), word
        assert [p[:4] for p in fast._guess(word)] == [
            (p.word, p.tag, p.normal_form, p.score) for p in fast._analyzer.parse(word)
        ], word
        assert fast.info(word) == plain.info(word), word

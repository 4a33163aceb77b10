"""`routing.guess.Guesser`: pymorphy3's analysis of unknown words, computed with caches.

What a citizen would notice if this went wrong: a misspelt village name no longer recognised,
a surname taken for a topic word, or a different decision for the same appeal than before the
shortcut; so the guesser is compared with pymorphy3's own ``parse`` word by word, including
words its caches have already seen parts of.
"""

import re

import pytest

from routing.classify import Classifier
from routing.guess import Guesser
from routing.tablefile import load_table
from routing.text import Morphology, analyse, normalize, words

#: Words pymorphy3 does not know, as citizens write them: typos, place names, surnames, slang.
UNKNOWN_WORDS = [
    "энгелськая", "аткарсе", "тратуар", "уведоление", "агресивные", "дериглазова", "кутепов",
    "утилизуется", "складируется", "дубровинского", "фотоотчет", "жилкомплекс", "зврослых",
    "соьаки", "неприрывную", "молодеж", "спилинные", "пупкину", "иванцовой", "наибелейший",
    "попупкински", "сверхпупер", "енгельс", "ёлкин",
]


@pytest.fixture(scope="module")
def morph() -> Morphology:
    return Morphology()


@pytest.fixture(scope="module")
def table():
    return load_table("routing/tables/saratov.yaml")


def _pymorphy3(morph: Morphology, word: str) -> list[tuple]:
    return [(p.word, p.tag, p.normal_form, p.score) for p in morph._analyzer.parse(word)]


def _guessed(parses) -> list[tuple]:
    return [parse[:4] for parse in parses]


def _misspellings(table) -> list[str]:
    """Every municipality name word of the Saratov table with one letter dropped, doubled or
    swapped with the next: the typos the place matcher is there for (~10,000 words)."""
    names = {w for m in table.municipalities for n in (m.name, *m.aliases)
             for w in words(normalize(n)) if w.isalpha() and len(w) >= 5}
    typos = set()
    for name in sorted(names):
        for i in range(len(name)):
            typos.add(name[:i] + name[i + 1:])
            typos.add(name[:i] + name[i] + name[i:])
            typos.add(name[:i] + name[i + 1:i + 2] + name[i:i + 1] + name[i + 2:])
    return sorted(typos)


def test_unknown_words_get_exactly_pymorphy3s_parses(morph, table):
    guesser = Guesser.create(morph._analyzer)
    assert guesser is not None  # pymorphy3's units are arranged as the guesser expects
    unknown = [w for w in UNKNOWN_WORDS + _misspellings(table)
               if re.fullmatch("[а-я]+", w) and not morph.is_known(w)]
    assert len(unknown) > 5_000
    for word in unknown:  # endings and word tails cached by earlier words are reused here
        assert _guessed(guesser.guess(word)) == _pymorphy3(morph, word), word
    fresh = Guesser.create(morph._analyzer)
    for word in reversed(unknown[-200:]):  # in another order, from empty caches
        assert _guessed(fresh.guess(word)) == _pymorphy3(morph, word), word


def test_known_words_and_their_yo_spellings_are_pymorphy3s(morph):
    guesser = Guesser.create(morph._analyzer)
    for word in ("яма", "ямы", "елка", "еж", "все", "ещё", "берет", "дорог", "энгельсе", "сел"):
        assert guesser.knows(word) == morph._analyzer.word_is_known(word) == morph.is_known(word)
        assert _guessed(guesser.parse(word)) == _pymorphy3(morph, word), word
    assert not guesser.knows("энгелськая") and not morph.is_known("пупкину")


def test_a_surname_is_still_a_name_and_a_typo_keeps_its_lemma(morph):
    """What the classifier takes from a guess: the lemma (compared with place names and
    keywords) and whether it is a personal name (never a topic word)."""
    plain = Morphology()
    plain._guesser = None  # pymorphy3's own parse for every word
    for word in [*UNKNOWN_WORDS, "дериглазовой", "мухортовой", "энгелсе"]:
        assert morph.info(word) == plain.info(word), word
    assert morph.info("дериглазовой").name_like and not morph.info("дериглазовой").known
    assert morph.info("энгелсе").lemma == "энгелс"  # compared with «Энгельс» by the matcher


def test_a_misspelt_place_is_found_the_same_with_and_without_the_guesser(table):
    plain_morph = Morphology()
    plain_morph._guesser = None
    fast, plain = Classifier(table, morph=Morphology()), Classifier(table, morph=plain_morph)
    for text in ("В Энгелсе не горят фонари", "Аткарсе нет воды третий день",
                 "Энгелськая управляющая компания", "Ртищеве яма на дороге у дома Пупкиной"):
        found = fast.gazetteer.find(analyse(text, fast.lexicon))
        assert found == plain.gazetteer.find(analyse(text, plain.lexicon)), text
        assert found, text
        assert fast.classify(text) == plain.classify(text), text


def test_caches_are_shared_by_words_and_bounded(morph):
    guesser = Guesser.create(morph._analyzer)
    guesser.guess("пупкину")
    endings = len(guesser._suffixes)
    guesser.guess("тупкину")  # the same ending: nothing new to look up
    assert len(guesser._suffixes) == endings
    guesser.SUFFIX_CACHE_LIMIT = guesser.KNOWN_CACHE_LIMIT = 50
    for number in range(300):
        guesser.guess("абв" * (number % 7 + 1) + "кину" + "ао"[number % 2])
    assert len(guesser._suffixes) <= 50 and len(guesser._known) <= 50

"""Morphology warm-up (issue 7): pre-analysing frequent words must not change any analysis."""

from routing.text import Morphology, analyse


def test_corpus_vocabulary_holds_everyday_appeal_words():
    vocabulary = set(Morphology().corpus_vocabulary())
    assert len(vocabulary) > 10_000
    assert {"свет", "дом", "нет"} <= vocabulary


def test_warmed_up_words_are_analysed_exactly_as_on_demand():
    text = "Нет света в доме 5, ямы на дороге, мусор не вывозят уже неделю"
    cold = analyse(text, Morphology())
    warm_morph = Morphology()
    analysed = warm_morph.warm_up([*Morphology().corpus_vocabulary()[:5000], "ямы", "света"])
    assert analysed == 5_002
    assert warm_morph.info("ямы").lemma == "яма"
    assert analyse(text, warm_morph) == cold

"""`routing.inference`: the model's serving-speed path gives citizens the same answers.

What a citizen would notice if this went wrong: an appeal routed to another body, asked another
question or told another confidence than the scikit-learn path would have given it. A model is
trained here on real Kursk appeals (calibrated, as `python -m routing train` makes them) and
both paths classify a few hundred appeals it did not see.
"""

import copy
from pathlib import Path

import pytest
from sklearn.feature_extraction.text import CountVectorizer

from routing.calibration import Calibration
from routing.classify import Classifier
from routing.crossval import out_of_fold_scores
from routing.dataset import read_labelled, split
from routing.evaluate import LabelResolver
from routing.inference import CharNgrams, ModelInference
from routing.learn import train_model
from routing.retrain import analysed_with_places
from routing.tablefile import load_table

KURSK_APPEALS = Path(__file__).resolve().parents[3] / "shared" / "data" / "kursk-appeals-dev.csv"
TRAINED_ON = 900
COMPARED = 300

pytestmark = pytest.mark.skipif(
    not KURSK_APPEALS.exists(), reason="labelled Kursk appeals not present"
)

#: Inputs at the edges: no word the model knows, emoji, a word shorter than its n-grams, HTML,
#: a place pseudo-word only, text over the analysed length.
EDGE_TEXTS = [
    "ъъъ",
    "😡🚧🕳️💡",
    "я",
    "<a href=x>яма</a> на дороге &amp; нет света",
    "Курск",
    "Не горит фонарь у дома 5. " * 400,
    "яма \ud800 дорога",  # a lone surrogate, as a broken client may send
]


@pytest.fixture(scope="module")
def kursk():
    table = load_table("routing/tables/kursk.yaml")
    appeals = read_labelled(KURSK_APPEALS)
    train = split(appeals, 0.2, "train")[:TRAINED_ON]
    topics, bodies = LabelResolver(table).resolve_all(train, str(KURSK_APPEALS))
    texts, places = analysed_with_places(table, [a.text for a in train])
    model = train_model(table, texts, places, topics, bodies)
    raw, right = out_of_fold_scores(table, train, texts, places, topics, bodies, folds=2)
    model.calibration = Calibration.fit(raw, right)
    unseen = [a.text for a in split(appeals, 0.2, "test")][:COMPARED]
    return table, model, unseen + EDGE_TEXTS


def test_the_fast_path_is_taken_for_a_trained_model(kursk):
    table, model, _ = kursk
    assert isinstance(Classifier(table, model).model_opinion, ModelInference)


def test_probabilities_are_those_of_scikit_learn_to_the_last_bit(kursk):
    table, model, texts = kursk
    fast = ModelInference(model)
    analysed, places = analysed_with_places(table, texts)
    for text, place_ids in zip(analysed, places, strict=True):
        assert fast.predict(text, place_ids) == model.predict(text, place_ids), text.normalized
    assert any(place_ids for place_ids in places)  # place pseudo-words were compared too


def test_every_classification_is_the_one_the_scikit_learn_path_gives(kursk):
    table, model, texts = kursk
    fast = Classifier(table, model)
    reference = Classifier(table, model)
    reference.model_opinion = model  # AppealModel.predict: scikit-learn, the previous path
    decisions = set()
    for text in texts:
        expected, got = reference.classify(text), fast.classify(text)
        assert (got.decision, got.topic, got.municipality, got.body) == (
            expected.decision, expected.topic, expected.municipality, expected.body
        ), text
        assert got.confidence == pytest.approx(expected.confidence, abs=1e-9)
        assert [(c.topic, c.municipality, c.body) for c in got.candidates] == [
            (c.topic, c.municipality, c.body) for c in expected.candidates
        ]
        assert [c.confidence for c in got.candidates] == pytest.approx(
            [c.confidence for c in expected.candidates], abs=1e-9
        )
        assert (got.topic_options, got.municipality_options, got.why) == (
            expected.topic_options, expected.municipality_options, expected.why
        )
        decisions.add(got.decision)
    assert len(decisions) >= 3  # routes, questions and hand-overs were all compared


def test_a_model_set_up_otherwise_goes_through_scikit_learn(kursk):
    table, model, _ = kursk
    other = copy.copy(model)
    other.chars = copy.deepcopy(model.chars)
    other.chars.sublinear_tf = False  # not what ModelInference computes
    assert ModelInference.of(other) is other
    classifier = Classifier(table, other)
    assert classifier.model_opinion is other
    assert classifier.classify("Яма на дороге у дома 5 по улице Ленина").candidates



def test_character_ngrams_are_counted_as_scikit_learn_counts_them(kursk):
    _, model, texts = kursk
    chars = model.chars
    counting = CountVectorizer(
        analyzer="char_wb", ngram_range=chars.ngram_range, vocabulary=chars.vocabulary_
    )
    ngrams = CharNgrams(chars.vocabulary_, *chars.ngram_range)
    odd = ["я", "ок я ы", "x" * 30, "а-б 5-й", "яма \ud800 дорога", "ǅ ß ﬁ", "\t я \n\n ок  "]
    for text in texts + odd:
        words = chars._white_spaces.sub(" ", chars.build_preprocessor()(text)).split()
        columns, counts = ngrams.count(words)
        expected = counting.transform([text])
        assert columns.tolist() == expected.indices.tolist(), text
        assert counts.tolist() == expected.data.tolist(), text

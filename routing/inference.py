"""The trained model's opinion of one appeal at serving speed: the same numbers as
`AppealModel.predict`, without scikit-learn's per-call machinery.

scikit-learn is built for matrices of many rows. On the one row of a live appeal, most of
`AppealModel.predict` (0.8 of a Kursk classification, p99 over the 5 ms budget) went to input
validation (array checks, feature-name and dataframe probes: ~1 ms), to building and stacking
sparse matrices, and to counting every character n-gram of the text in a Python loop. Here
the same arithmetic runs on the few non-zero features directly:

* words: a dictionary lookup per distinct lemma;
* character n-grams: counted per distinct word, whose in-vocabulary columns are remembered
  (appeals reuse the same few thousand words; a new word costs ~3 µs), then added up per
  column;
* TF-IDF exactly as ``TfidfTransformer`` does it (1 + log count, × idf, ÷ L2 norm);
* each head's margins: the rows of its weights for those columns, scaled and summed.

Every step keeps scikit-learn's order of floating-point operations (ascending columns, sums
left to right), so the probabilities are bit for bit those of `AppealModel.predict`, which stays
the reference (`tests/routing/test_inference.py` compares both, and whole classifications, on
real Kursk appeals). A model whose vectorizers or heads are set up otherwise than
`routing.learn.train_model` does is not understood here: ``ModelInference.of`` then returns
the model itself, slower and just as right.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import Protocol

import numpy as np
from scipy.sparse import csr_array

from routing.learn import MARGIN_SHARPNESS, AppealModel, model_tokens
from routing.text import AnalysedText


class Predicts(Protocol):
    def predict(
        self, text: AnalysedText, place_ids: Sequence[str]
    ) -> tuple[dict[str, float], dict[str, float]]: ...


@dataclass(frozen=True)
class _Head:
    """One linear SVM as arrays: a row of class weights per feature (a view, not a copy)."""

    classes: tuple[str, ...]
    by_feature: np.ndarray  # (features, classes): the transposed ``coef_``, C-ordered
    intercept: np.ndarray
    binary: bool  # a binary SVM has one margin, for its second class

    @classmethod
    def of(cls, head) -> _Head | None:
        if head is None:
            return None
        return cls(tuple(head.classes_.tolist()), head.coef_.T, np.asarray(head.intercept_),
                   len(head.classes_) == 2)

    def probabilities(self, features: csr_array) -> dict[str, float]:
        # ``decision_function`` is ``X @ coef_.T + intercept_``: the same product, by the same
        # sparse kernel, without the checks around it.
        margins = (features @ self.by_feature)[0] + self.intercept
        if self.binary:
            margins = np.array([-margins[0], margins[0]])
        weights = np.exp(MARGIN_SHARPNESS * (margins - margins.max()))
        weights /= weights.sum()
        return dict(zip(self.classes, weights.tolist(), strict=True))


def _tfidf(columns: np.ndarray, counts: np.ndarray, idf: np.ndarray) -> np.ndarray:
    """``TfidfTransformer(sublinear_tf=True, norm="l2")`` on one row, in its order of
    operations (the norm's sum of squares left to right, as its Cython loop does)."""
    values = np.log(counts)
    values += 1.0
    values *= idf[columns]
    if len(values):
        total = float(np.cumsum(values * values)[-1])
        if total != 0.0:
            values /= math.sqrt(total)
    return values


class ModelInference:
    """Built once per model (with the Classifier); ``predict`` is pure and thread-safe."""

    #: Most words whose character n-gram columns are kept (~300 bytes each, so ≤ 10 MB; the
    #: 2,500 Kursk appeals have 25,000 distinct words). At the limit the memo starts over, as
    #: `routing.text.Lexicon` does; a miss costs ~10 µs a word, what every word cost before.
    WORD_LIMIT = 30_000

    def __init__(self, model: AppealModel):
        words, chars = model.words, model.chars
        self._word_columns = words.vocabulary_
        self._word_idf = words.idf_
        self._char_columns = chars.vocabulary_
        self._char_idf = chars.idf_
        self._char_offset = len(words.vocabulary_)  # the features are [words | chars]
        self._features = self._char_offset + len(chars.vocabulary_)
        self._preprocess = chars.build_preprocessor()  # lower-casing, as fitted
        self._white_spaces = chars._white_spaces
        self._ngram_range: tuple[int, int] = chars.ngram_range
        self._heads = (_Head.of(model.topic_head), _Head.of(model.body_head))
        self._columns_of_word: dict[str, np.ndarray] = {}

    @classmethod
    def of(cls, model: AppealModel) -> Predicts:
        """The fast path for a model `routing.learn.train_model` made, else the model itself
        (anything else with a ``predict``, such as a test's stand-in, is used as it is)."""
        return cls(model) if isinstance(model, AppealModel) and understood(model) else model

    def predict(
        self, text: AnalysedText, place_ids: Sequence[str]
    ) -> tuple[dict[str, float], dict[str, float]]:
        """(topic id → probability, body id → probability), as `AppealModel.predict`."""
        word_columns, word_counts = self._words(model_tokens(text, place_ids))
        char_columns, char_counts = self._chars(text.normalized)
        columns = np.concatenate((word_columns, char_columns + self._char_offset))
        values = np.concatenate((
            _tfidf(word_columns, word_counts, self._word_idf),
            _tfidf(char_columns, char_counts, self._char_idf),
        ))
        features = csr_array(
            (values, columns, np.array([0, len(columns)], dtype=np.int32)),
            shape=(1, self._features),
        )
        topic_head, body_head = self._heads
        return (
            topic_head.probabilities(features) if topic_head else {},
            body_head.probabilities(features) if body_head else {},
        )

    def _words(self, tokens: list[str]) -> tuple[np.ndarray, np.ndarray]:
        vocabulary = self._word_columns
        found = sorted(
            (vocabulary[token], count)
            for token, count in Counter(tokens).items()
            if token in vocabulary
        )
        columns = np.fromiter((c for c, _ in found), dtype=np.int32, count=len(found))
        counts = np.fromiter((n for _, n in found), dtype=np.float64, count=len(found))
        return columns, counts

    def _chars(self, normalized: str) -> tuple[np.ndarray, np.ndarray]:
        text = self._white_spaces.sub(" ", self._preprocess(normalized))
        words = Counter(text.split())
        if not words:
            return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float64)
        parts = [self._columns_of(word) for word in words]
        columns = np.concatenate(parts)
        repeats = np.repeat(
            np.fromiter(words.values(), dtype=np.float64, count=len(words)),
            [len(part) for part in parts],
        )
        # np.unique sorts the few thousand columns a text has; a dense count over all 50,000
        # columns and a scan for the non-zero ones cost more for every appeal but the longest.
        present, where = np.unique(columns, return_inverse=True)
        return present, np.bincount(where, weights=repeats, minlength=len(present))

    def _columns_of(self, word: str) -> np.ndarray:
        """Columns of the word's n-grams the model knows, one per occurrence."""
        found = self._columns_of_word.get(word)
        if found is None:
            grams = word_ngrams(word, *self._ngram_range)
            # -1 for an n-gram the model does not know; looked up in C, not in a Python loop
            looked_up = map(self._char_columns.get, grams, repeat(-1))
            found = np.fromiter(looked_up, dtype=np.int32, count=len(grams))  # scipy's type
            found = found[found >= 0]
            if len(self._columns_of_word) >= self.WORD_LIMIT:
                self._columns_of_word.clear()
            self._columns_of_word[word] = found
        return found


def word_ngrams(word: str, shortest: int, longest: int) -> list[str]:
    """The character n-grams ``TfidfVectorizer(analyzer="char_wb")`` takes from one word: of
    the word padded with a space each side, every ``shortest``..``longest`` long; a padded word
    shorter than that is one n-gram, once (scikit-learn's ``_char_wb_ngrams``, rewritten
    without its per-n-gram loop; the tests compare the two)."""
    padded = f" {word} "
    size = len(padded)
    grams = [
        padded[start:start + n]
        for n in range(shortest, min(longest, size - 1) + 1)
        for start in range(size - n + 1)
    ]
    if size <= longest:
        grams.append(padded)
    return grams


def understood(model: AppealModel) -> bool:
    """Whether the model is set up as `routing.learn.train_model` sets it up, which is what
    ``ModelInference`` reproduces; anything else goes through scikit-learn."""
    words, chars = model.words, model.chars
    same_weighting = all(
        v.sublinear_tf and v.use_idf and v.norm == "l2" and not v.binary
        and v.dtype in (np.float64, float) and getattr(v, "idf_", None) is not None
        for v in (words, chars)
    )
    heads = [h for h in (model.topic_head, model.body_head) if h is not None]
    return (
        same_weighting
        and callable(words.analyzer)
        and chars.analyzer == "char_wb"
        and 1 <= chars.ngram_range[0] <= chars.ngram_range[1]
        and chars.input == "content"
        and chars.preprocessor is None
        # liblinear leaves ``coef_`` in Fortran order, so its transpose is the C-ordered
        # (features × classes) matrix the sparse product reads without copying it.
        and all(getattr(h, "coef_", None) is not None and h.coef_.dtype == np.float64
                and h.coef_.T.flags.c_contiguous for h in heads)
    )

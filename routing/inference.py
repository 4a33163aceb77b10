"""The trained model's opinion of one appeal at serving speed: the same numbers as
`AppealModel.predict`, without scikit-learn's per-call machinery.

scikit-learn is built for matrices of many rows. On the one row of a live appeal, most of
`AppealModel.predict` (0.8 of a Kursk classification, p99 over the 5 ms budget) went to input
validation (array checks, feature-name and dataframe probes: ~1 ms), to building and stacking
sparse matrices, and to counting every character n-gram of the text in a Python loop. Here
the same arithmetic runs on the few non-zero features directly:

* words: a dictionary lookup per distinct lemma;
* character n-grams: every n-gram of the whole text at once, as numbers looked up in the
  vocabulary's sorted numbers (numpy; ~0.5 ms for the longest appeal, new words or not);
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

    def __init__(self, model: AppealModel):
        words, chars = model.words, model.chars
        self._word_columns = words.vocabulary_
        self._word_idf = words.idf_
        self._char_grams = CharNgrams(chars.vocabulary_, *chars.ngram_range)
        self._char_idf = chars.idf_
        self._char_offset = len(words.vocabulary_)  # the features are [words | chars]
        self._features = self._char_offset + len(chars.vocabulary_)
        self._preprocess = chars.build_preprocessor()  # lower-casing, as fitted
        self._white_spaces = chars._white_spaces
        self._heads = (_Head.of(model.topic_head), _Head.of(model.body_head))

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
        words = self._white_spaces.sub(" ", self._preprocess(normalized)).split()
        return self._char_grams.count(words)


class CharNgrams:
    """The counts ``TfidfVectorizer(analyzer="char_wb")`` takes from a text, by column, for the
    whole text at once.

    Each character is its number in the vocabulary's alphabet (1..A, 0 for a character in no
    n-gram of the vocabulary), each n-gram the number whose base A+1 digits are its characters
    (exact: five digits of an alphabet of ~100 fit in 64 bits), the vocabulary a sorted array of
    such numbers. scikit-learn pads each word with a space each side and takes its n-grams; in
    the words joined by single spaces, with a space each side, those are exactly the windows
    with no space inside (a padded word of 3 characters or more holds every n-gram from 2 up to
    its length). A window with a character outside the alphabet cannot be in the vocabulary.
    """

    def __init__(self, vocabulary: dict[str, int], shortest: int, longest: int):
        alphabet = sorted({character for gram in vocabulary for character in gram})
        self._characters = np.array([ord(c) for c in alphabet], dtype=np.uint32)
        self._base = len(alphabet) + 1
        digit = {character: number for number, character in enumerate(alphabet, start=1)}
        self._space = digit.get(" ", -1)
        numbers = np.fromiter(
            (self._number(gram, digit) for gram in vocabulary), dtype=np.int64,
            count=len(vocabulary),
        )
        columns = np.fromiter(vocabulary.values(), dtype=np.int32, count=len(vocabulary))
        order = np.argsort(numbers)
        self._numbers, self._columns = numbers[order], columns[order]
        self._shortest, self._longest = shortest, longest

    @staticmethod
    def fits(vocabulary: dict[str, int], shortest: int, longest: int) -> bool:
        """Whether the numbering is exact for this vocabulary and these lengths."""
        alphabet = {character for gram in vocabulary for character in gram}
        return (
            " " in alphabet and 2 <= shortest <= 3 and shortest <= longest
            and (len(alphabet) + 1) ** longest < 2**62
        )

    def _number(self, gram: str, digit: dict[str, int]) -> int:
        number = 0
        for character in gram:
            number = number * self._base + digit[character]
        return number

    def count(self, words: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(columns ascending, how often each occurs) for the n-grams of ``words``."""
        if not words:
            return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float64)
        text = f" {' '.join(words)} ".encode("utf-32-le", "surrogatepass")
        points = np.frombuffer(text, dtype=np.uint32)
        at = np.searchsorted(self._characters, points)
        at[at == len(self._characters)] = 0
        digits = np.where(self._characters[at] == points, at + 1, 0).astype(np.int64)
        spaces = np.concatenate(([0], np.cumsum(digits == self._space)))
        strangers = np.concatenate(([0], np.cumsum(digits == 0)))
        windows = []
        number = digits  # of the window of length n starting at each position
        for n in range(1, self._longest + 1):
            if n > 1:
                number = number[:-1] * self._base + digits[n - 1:]
            if n < self._shortest:
                continue
            start = np.arange(len(number))
            inside = spaces[start + n - 1] - spaces[start + 1]  # spaces strictly inside
            alien = strangers[start + n] - strangers[start]
            windows.append(number[(inside == 0) & (alien == 0)])
        numbers, counts = np.unique(np.concatenate(windows), return_counts=True)
        at = np.searchsorted(self._numbers, numbers)
        at[at == len(self._numbers)] = 0
        known = self._numbers[at] == numbers
        columns = self._columns[at[known]]
        order = np.argsort(columns)
        return columns[order], counts[known][order].astype(np.float64)


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
        and CharNgrams.fits(chars.vocabulary_, *chars.ngram_range)
        and chars.input == "content"
        and chars.preprocessor is None
        # liblinear leaves ``coef_`` in Fortran order, so its transpose is the C-ordered
        # (features × classes) matrix the sparse product reads without copying it.
        and all(getattr(h, "coef_", None) is not None and h.coef_.dtype == np.float64
                and h.coef_.T.flags.c_contiguous for h in heads)
    )

"""The statistical half of the classifier: learnt from past appeals, saved to a file.

Keywords and examples in the table catch the obvious; a model trained on real appeals (and,
later, on administrators' "не наше" redirects) learns what coordinators never write down — that
street names of one town mean its administration, that "опора" next to "провод" is lighting.

Features: TF-IDF over lemmas (words and pairs, plus one token per municipality named in the
text and its parents) and over character n-grams of the raw text (robust to typos). Two
linear SVMs on top: text → topic and text → body, whichever labels the data has. They train in
seconds where logistic regression took minutes on 161 topics, and were as accurate on held-in
Kursk appeals; their margins are turned into probabilities by a softmax whose sharpness was
chosen on held-in data so that "0.8" means right about 80% of the time.

The file is a gzip'ed pickle: load models only from a path you control, as with any pickle.
"""

from __future__ import annotations

import gzip
import pickle
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

from routing.calibration import Calibration
from routing.errors import RoutingError
from routing.model import RoutingTable
from routing.text import AnalysedText

MODEL_FORMAT = "obrashcheniya-routing-model/1"


#: Softmax sharpness for SVM margins (see the module docstring).
MARGIN_SHARPNESS = 5.0


def _probabilities(head: LinearSVC | None, features) -> dict[str, float]:
    if head is None:
        return {}
    margins = np.atleast_2d(head.decision_function(features))[0]
    if len(head.classes_) == 2:  # a binary SVM gives one margin for the second class
        margins = np.array([-margins[0], margins[0]])
    weights = np.exp(MARGIN_SHARPNESS * (margins - margins.max()))
    weights /= weights.sum()
    return dict(zip(head.classes_.tolist(), weights.tolist(), strict=True))


def _identity(tokens):
    return tokens


def model_tokens(text: AnalysedText, place_ids: Sequence[str]) -> list[str]:
    """What the word half of the model sees: content lemmas and places as pseudo-words."""
    return [*text.content, *(f"__place_{p}" for p in place_ids)]


@dataclass
class AppealModel:
    region: str
    words: TfidfVectorizer
    chars: TfidfVectorizer
    topic_head: LinearSVC | None
    body_head: LinearSVC | None
    trained_on: int  # number of appeals, reported by the CLI
    # What the classifier's scores meant on appeals the model had not seen (`routing.crossval`);
    # None for a model trained without cross-validation (the scores are used raw).
    calibration: Calibration | None = None

    def _features(self, texts: Sequence[AnalysedText], places: Sequence[Sequence[str]]):
        tokens = [model_tokens(t, p) for t, p in zip(texts, places, strict=True)]
        return hstack(
            [self.words.transform(tokens), self.chars.transform([t.normalized for t in texts])]
        ).tocsr()

    def predict(
        self, text: AnalysedText, place_ids: Sequence[str]
    ) -> tuple[dict[str, float], dict[str, float]]:
        """(topic id → probability, body id → probability); empty dicts for a missing head."""
        features = self._features([text], [place_ids])
        return _probabilities(self.topic_head, features), _probabilities(self.body_head, features)

    # -- persistence ------------------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {"format": MODEL_FORMAT, "model": self}
        tmp = path.with_suffix(path.suffix + ".tmp")
        with gzip.open(tmp, "wb", compresslevel=6) as out:
            pickle.dump(payload, out, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)  # never leave a half-written model where the bot would load it

    @staticmethod
    def load(path: str | Path, table: RoutingTable) -> AppealModel:
        path = Path(path)
        try:
            with gzip.open(path, "rb") as source:
                payload = pickle.load(source)
        except FileNotFoundError:
            raise RoutingError(f"{path}: файл модели не найден") from None
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError) as error:
            raise RoutingError(
                f"{path}: не файл модели или файл повреждён ({type(error).__name__})"
            ) from None
        if not isinstance(payload, dict) or payload.get("format") != MODEL_FORMAT:
            raise RoutingError(f"{path}: неизвестный формат модели, обучите её заново (train)")
        model: AppealModel = payload["model"]
        if model.region != table.region:
            raise RoutingError(
                f"{path}: модель обучена для таблицы «{model.region}», "
                f"а загружена таблица «{table.region}»"
            )
        return model


def train_model(
    table: RoutingTable,
    texts: Sequence[AnalysedText],
    places: Sequence[Sequence[str]],
    topics: Sequence[str | None],
    bodies: Sequence[str | None],
    *,
    regularisation: float = 0.3,
    weights: Sequence[float] | None = None,
) -> AppealModel:
    """Fit both heads on whichever labels are present (ids already resolved against the table).

    ``weights`` (one per appeal, default all 1) let recent appeals count more when the bot
    retrains itself on drifting labels (`routing.retrain`)."""
    words = TfidfVectorizer(
        analyzer=_identity, ngram_range=(1, 1), sublinear_tf=True, min_df=1, lowercase=False
    )
    chars = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2, max_features=60000
    )
    tokens = [model_tokens(t, p) for t, p in zip(texts, places, strict=True)]
    words.fit(tokens)
    chars.fit([t.normalized for t in texts])
    model = AppealModel(table.region, words, chars, None, None, len(texts))
    features = model._features(texts, places)

    def head(labels: Sequence[str | None]) -> LinearSVC | None:
        rows = [i for i, label in enumerate(labels) if label]
        if len({labels[i] for i in rows}) < 2:
            return None
        classifier = LinearSVC(C=regularisation)
        sample_weight = None if weights is None else np.array([weights[i] for i in rows])
        classifier.fit(
            features[rows], np.array([labels[i] for i in rows]), sample_weight=sample_weight
        )
        return classifier

    model.topic_head = head(topics)
    model.body_head = head(bodies)
    if model.topic_head is None and model.body_head is None:
        raise RoutingError("для обучения нужны хотя бы две разные темы или два разных органа")
    return model

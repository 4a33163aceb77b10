"""Out-of-fold scores: how the classifier does on training appeals a model did not see.

`python -m routing train` splits its appeals into k folds by a hash of their id, trains a model
on all folds but one and classifies the one left out, k times; every labelled appeal so gets a
score from a model that never saw it. The pairs (score, right or not) calibrate the final model
(`routing.calibration`) and choose its route threshold. The final model is then trained on
everything, as before; the folds' models are thrown away.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from routing.calibration import Calibration
from routing.classify import Classifier
from routing.dataset import LabelledAppeal
from routing.errors import RoutingError
from routing.learn import train_model
from routing.model import RoutingTable
from routing.text import AnalysedText

#: Fewer labelled appeals than this and k-fold scores say too little: no calibration.
MIN_APPEALS = 100


def fold_of(appeal_id: str, folds: int) -> int:
    """A stable fold number from a hash of the appeal's id (independent of ``--holdout``'s)."""
    digest = hashlib.blake2b(f"{appeal_id}/fold".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % folds


def out_of_fold_scores(
    table: RoutingTable,
    appeals: Sequence[LabelledAppeal],
    texts: Sequence[AnalysedText],
    places: Sequence[Sequence[str]],
    topics: Sequence[str | None],
    bodies: Sequence[str | None],
    folds: int = 5,
) -> tuple[list[float], list[bool]]:
    """(raw score of the best body, whether it is the labelled body) per body-labelled appeal."""
    numbers = [fold_of(a.id, folds) for a in appeals]
    raw: list[float] = []
    right: list[bool] = []
    for fold in range(folds):
        inside = [i for i, n in enumerate(numbers) if n != fold]
        model = train_model(
            table,
            [texts[i] for i in inside],
            [places[i] for i in inside],
            [topics[i] for i in inside],
            [bodies[i] for i in inside],
        )
        classifier = Classifier(table, model)
        for i, number in enumerate(numbers):
            if number != fold or not bodies[i]:
                continue
            result = classifier.classify(appeals[i].text, appeals[i].lat, appeals[i].lon)
            totals = result.body_totals()
            if not totals:
                raw.append(0.0)
                right.append(False)
                continue
            best = max(totals, key=lambda b: totals[b])
            raw.append(totals[best])
            right.append(best == bodies[i])
    return raw, right


def calibrate(
    table: RoutingTable,
    appeals: Sequence[LabelledAppeal],
    texts: Sequence[AnalysedText],
    places: Sequence[Sequence[str]],
    topics: Sequence[str | None],
    bodies: Sequence[str | None],
    folds: int = 5,
) -> Calibration | None:
    """The calibration of a model trained on these appeals, or None when there are too few
    body labels (or too little variety in some fold) to say anything."""
    if folds < 2 or sum(1 for b in bodies if b) < MIN_APPEALS:
        return None
    try:
        raw, right = out_of_fold_scores(table, appeals, texts, places, topics, bodies, folds)
    except RoutingError:  # a fold with a single label: the model is trained uncalibrated
        return None
    return Calibration.fit(raw, right) if raw else None

"""Retraining on the bot's own answered tickets: a candidate model, judged before it serves.

Labels drift (the same pothole went to the administration one year and to the road committee
the next), so a model trained once ages. The bot keeps every ticket whose right body became
known (the body that answered after a redirect, the body a coordinator or «Не наше» named, a
coordinator's labelled CSV); this module turns them into a candidate model and a verdict.

The rule, in order: the most recent examples (``TEST_SHARE``, at least one, at most
``MOST_TESTED``) are set aside; the candidate learns from the rest, each example weighted by
its age (half the weight every ``HALF_LIFE_DAYS``), so this year's labels outvote last
year's; then the current classifier and the candidate each route the set-aside examples, and
the candidate may serve only if it is right at least as often. Everything here is CPU work
with no I/O: the caller runs it off the event loop.

Bounds: at most ``MOST_EXAMPLES`` of the newest examples are read; a linear SVM over them
trains in seconds and a few hundred MB at most.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from routing.classify import Classifier
from routing.learn import AppealModel, train_model
from routing.model import RoutingTable
from routing.text import AnalysedText, analyse

#: The newest examples read for one retrain (older ones weigh little anyway).
MOST_EXAMPLES = 20_000
#: Share of the newest examples set aside to judge the candidate, and its bounds.
TEST_SHARE = 0.2
MOST_TESTED = 500
#: An example's weight halves every this many days.
HALF_LIFE_DAYS = 90.0


@dataclass(frozen=True, slots=True)
class Example:
    """A text and the body (id in the table) that turned out right; ``topic`` when known."""

    text: str
    body: str
    at: datetime
    topic: str | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    """The candidate and its figures; ``model`` is ``None`` when there was nothing to train."""

    model: AppealModel | None
    trained_on: int
    tested_on: int
    current_right: int  # of the set-aside examples, routed right by the classifier in force
    candidate_right: int  # … and by the candidate

    @property
    def not_worse(self) -> bool:
        return self.model is not None and self.candidate_right >= self.current_right


def analysed_with_places(
    table: RoutingTable, texts: Sequence[str]
) -> tuple[list[AnalysedText], list[list[str]]]:
    """What `train_model` reads: each text analysed and the municipalities it names (with their
    parents). Shared by ``python -m routing train`` and the retrain."""
    gazetteer = Classifier(table).gazetteer
    analysed, places = [], []
    for text in texts:
        one = analyse(text)
        analysed.append(one)
        found = gazetteer.find(one)
        places.append([a for m in found for a in table.ancestry(m.municipality_id)])
    return analysed, places


def recency_weights(moments: Sequence[datetime], now: datetime) -> list[float]:
    return [0.5 ** (max((now - at).total_seconds(), 0) / 86400 / HALF_LIFE_DAYS) for at in moments]


def split_recent(examples: Sequence[Example]) -> tuple[list[Example], list[Example]]:
    """(to train on, to judge on): the newest ``TEST_SHARE`` are the judges."""
    ordered = sorted(examples, key=lambda e: e.at)[-MOST_EXAMPLES:]
    tested = min(MOST_TESTED, max(1, round(len(ordered) * TEST_SHARE)))
    return ordered[:-tested], ordered[-tested:]


def routed_right(classifier: Classifier, examples: Sequence[Example]) -> int:
    """How many of ``examples`` the classifier ranks their body first for."""
    right = 0
    for example in examples:
        ranked = classifier.classify(example.text).ranked_bodies()
        right += bool(ranked) and ranked[0] == example.body
    return right


def retrain(
    table: RoutingTable, current: Classifier, examples: Sequence[Example], now: datetime
) -> Verdict:
    """Train a candidate on all but the newest examples and judge both on the newest."""
    # One ticket may be labelled twice (the body a coordinator named, then the same body
    # answering): the same text and body count once, at its latest.
    latest = {(e.text, e.body): e for e in sorted(examples, key=lambda e: e.at)}
    known = [e for e in latest.values() if e.body in table.body_by_id and e.text.strip()]
    train, test = split_recent(known) if len(known) > 1 else ([], [])
    if len({e.body for e in train}) < 2:
        return Verdict(None, len(train), len(test), 0, 0)
    texts, places = analysed_with_places(table, [e.text for e in train])
    topics = [e.topic if e.topic in table.topic_by_id else None for e in train]
    if len({t for t in topics if t}) < 2:
        topics = [None] * len(train)
    model = train_model(
        table, texts, places, topics, [e.body for e in train],
        weights=recency_weights([e.at for e in train], now),
    )
    candidate = Classifier(table, model)
    return Verdict(
        model, len(train), len(test), routed_right(current, test), routed_right(candidate, test)
    )

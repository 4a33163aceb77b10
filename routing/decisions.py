"""What the classifier decides about an appeal, as plain values: the decision, the ranked
candidates (topic × place × body) and the thresholds it decided by. Apart from `classify` so
that what reads a decision (evaluation, the body hierarchy, the bot) needs no classifier."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from enum import StrEnum


class Decision(StrEnum):
    ROUTE = "route"
    ASK_TOPIC = "ask_topic"
    ASK_MUNICIPALITY = "ask_municipality"
    TO_COORDINATOR = "to_coordinator"


@dataclass(frozen=True, slots=True)
class Candidate:
    topic: str | None
    municipality: str | None
    body: str | None
    confidence: float


@dataclass(frozen=True)
class Thresholds:
    """When to route, ask or give up. Tuned on held-in Kursk appeals; see the README table."""

    route: float = 0.55  # aggregated confidence in one body that routes without a question
    topic: float = 0.5  # below this the topic is asked (if the answer would change the body)
    place: float = 0.75  # share of place evidence the best municipality needs to be "known"
    evidence: float = 0.12  # below this best-topic probability nothing fits: coordinators
    gain: float = 0.15  # least expected drop in the chance of a wrong body a question must buy
    #: The least score at which an appeal no question can settle is still routed to its best
    #: body; below it the coordinators route it. A raw score (no calibrated model) of 0.4 is a
    #: body barely ahead of another («хвалынский парк»: district 0.36 against town 0.35); a
    #: calibrated model uses `routing.classify.GUESS_CHANCE` instead.
    guess: float = 0.4


@dataclass(frozen=True)
class Classification:
    decision: Decision
    topic: str | None
    municipality: str | None
    body: str | None
    confidence: float
    candidates: tuple[Candidate, ...]
    topic_options: tuple[str, ...] = ()
    municipality_options: tuple[str, ...] = ()
    why: str = ""

    def body_totals(self) -> dict[str, float]:
        """Each body's confidence, summed over the topics and places that reach it."""
        totals: dict[str, float] = defaultdict(float)
        for candidate in self.candidates:
            if candidate.body:
                totals[candidate.body] += candidate.confidence
        return totals

    def ranked_bodies(self) -> list[str]:
        """Bodies in order of total confidence (a body reached via several topics adds up)."""
        totals = self.body_totals()
        return sorted(totals, key=lambda b: -totals[b])

    def ranked_topics(self) -> list[str]:
        totals: dict[str, float] = defaultdict(float)
        for candidate in self.candidates:
            if candidate.topic:
                totals[candidate.topic] += candidate.confidence
        return sorted(totals, key=lambda t: -totals[t])

    def to_json(self) -> dict:
        return {
            "decision": self.decision.value,
            "topic": self.topic,
            "municipality": self.municipality,
            "body": self.body,
            "confidence": round(self.confidence, 4),
            "candidates": [
                {
                    "topic": c.topic,
                    "municipality": c.municipality,
                    "body": c.body,
                    "confidence": round(c.confidence, 4),
                }
                for c in self.candidates
            ],
            "topic_options": list(self.topic_options),
            "municipality_options": list(self.municipality_options),
            "why": self.why,
        }

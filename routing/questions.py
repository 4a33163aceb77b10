"""Whether a question is worth the citizen's tap.

A question costs a tap and a delay; it pays only when the answer is likely to change where the
appeal ends up. Measured on Kursk appeals, about half of the topic questions the first router
asked offered topics that all led to the same, already right, body.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Protocol


def _as_is(score: float) -> float:
    return score


class _Candidate(Protocol):
    topic: str | None
    body: str | None
    confidence: float


def question_gain(
    options: tuple[str, ...],
    topics: dict[str, float],
    candidates: Sequence[_Candidate],
    handles: Callable[[str, str], bool],
    chance: Callable[[float], float] = _as_is,
) -> float:
    """How much a topic question raises the chance of ending at the right body, in expectation.

    The answer «topic t» rules out the bodies that do not handle t and leaves the others their
    relative weights. Averaged over the offered topics by their probabilities: the chance that
    the body chosen after the answer is right, minus the chance that today's best body is.
    Topics that all lead to today's best body gain nothing, so they are not asked. (The
    candidates attach each body to one topic only, so their per-topic shares would promise far
    too much.)

    ``chance`` turns a body's share into the chance it is right (the model's calibration): on
    Kursk appeals a body with a raw share of 0.6 was right about 75% of the time, one of 0.3
    about 45%.
    """
    weight = {t: topics.get(t, 0.0) for t in options}
    total_weight = sum(weight.values())
    bodies: dict[str | None, float] = defaultdict(float)
    place_unknown: set[str | None] = set()  # topics whose body waits for the place
    for candidate in candidates:
        bodies[candidate.body] += candidate.confidence
        if candidate.body is None:
            place_unknown.add(candidate.topic)
    mass = sum(bodies.values())
    if total_weight <= 0 or mass <= 0:
        return 0.0
    best_now = max(bodies, key=lambda b: bodies[b])
    right_now = right_after = 0.0
    for topic_id in options:
        kept = {
            b: v for b, v in bodies.items()
            if (topic_id in place_unknown if b is None else handles(b, topic_id))
        }
        kept_mass = sum(kept.values())
        share = weight[topic_id] / total_weight
        if not kept_mass:  # nothing handles it: the answer leaves the appeal where it was
            continue
        best_after = max(kept, key=lambda b: kept[b])
        right_after += share * chance(kept[best_after] / kept_mass)
        right_now += share * chance(kept.get(best_now, 0.0) / kept_mass)
    return right_after - right_now


def place_question_gain(
    bodies: dict[str | None, float],
    territory: Callable[[str], object],
    chance: Callable[[float], float] = _as_is,
    region_wide: object = None,
) -> float:
    """How much asking the place raises the chance of the right body, in expectation.

    The answer keeps the bodies of that place's territory and the region-wide ones; the place
    is as likely as its bodies' weight. Bodies that all sit on one territory (or cover the whole
    region) gain nothing. A "place unknown" candidate (``None``: no body until the place is
    said) can only be settled by asking: its weight counts as gained.
    """
    mass = sum(bodies.values())
    if mass <= 0:
        return 0.0
    unknown = bodies.get(None, 0.0) / mass
    known = {b: v for b, v in bodies.items() if b is not None}
    if not known:
        return 1.0
    shared = {b: v for b, v in known.items() if territory(b) == region_wide}
    groups: dict[object, dict[str, float]] = defaultdict(dict)
    for body_id, value in known.items():
        if body_id not in shared:
            groups[territory(body_id)][body_id] = value
    if not groups:
        return unknown
    right_now = chance(max(known.values()) / mass)
    local_mass = sum(sum(g.values()) for g in groups.values())
    right_after = 0.0
    for group in groups.values():
        kept = group | shared
        right_after += (sum(group.values()) / local_mass) * chance(
            max(kept.values()) / sum(kept.values())
        )
    return unknown + (1 - unknown) * right_after - right_now

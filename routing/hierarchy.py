"""Backing off to the body that dispatches for the likely ones, instead of asking (issue 17).

In a real municipality the administration receives appeals and hands them to its committees and
okrugs. When the classifier doubts only between such units («Комитет дорожного хозяйства» or the
administration itself), a question to the citizen is wasted: the administration can take the
appeal and pass it on with one tap. So after the classifier has ranked the bodies, the deepest
body whose own and its units' confidence together reaches the routing threshold is chosen —
the unit itself when it alone is sure, its parent when the doubt is among siblings.

A pure function over the ranked bodies and the table, so the classifier's own decision logic
(``routing.classify``) stays in one place and this step can be measured on its own
(``routing.evaluate`` reports figures counting a route to a dispatching parent as right).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from routing.model import RoutingTable


@dataclass(frozen=True, slots=True)
class Dispatcher:
    """The body to route to, and the confidence of it and its units together."""

    body: str
    confidence: float
    units: tuple[str, ...]  # the likely bodies it dispatches for, most likely first


def dispatcher_for(table: RoutingTable, body_confidence: Mapping[str, float],
                   threshold: float) -> Dispatcher | None:
    """The deepest body with units whose family (itself and every body below it) holds at
    least ``threshold`` of ``body_confidence``; ``None`` when the table has no hierarchy, a
    single body is already sure, or no family is.

    Deepest first, so a committee with departments is preferred to the administration above
    it; among equally deep ones the more likely family.
    """
    if not table.subordinates or not body_confidence:
        return None
    if max(body_confidence.values()) >= threshold:
        return None  # the classifier routes to that body itself
    family: dict[str, float] = {}
    members: dict[str, list[str]] = {}
    for body_id, confidence in sorted(body_confidence.items(), key=lambda kv: -kv[1]):
        for ancestor in table.chain_of_command(body_id):
            family[ancestor] = family.get(ancestor, 0.0) + confidence
            members.setdefault(ancestor, []).append(body_id)
    sure = [b for b in family if family[b] >= threshold and b in table.subordinates]
    if not sure:
        return None
    best = max(sure, key=lambda b: (len(table.chain_of_command(b)), family[b]))
    return Dispatcher(best, family[best], tuple(members[best]))

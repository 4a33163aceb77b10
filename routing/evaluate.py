"""How good is routing, in the terms that matter to a citizen.

Besides plain top-1/top-3 accuracy, precision-over-recall needs two more numbers: how often the
bot asks (a cost to the citizen) and how often it routes confidently to the wrong page (the
failure this product exists to prevent). The dialog is simulated too: a citizen who is offered
topics taps the right one if it is offered, and names their settlement when asked, so the
figures show where an appeal really ends up after at most two questions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields, replace

from routing.classify import Classification, Classifier, Decision
from routing.dataset import LabelledAppeal
from routing.errors import RoutingError
from routing.model import RoutingTable

_SPACES = re.compile(r"\s+")


def _key(value: str) -> str:
    return _SPACES.sub(" ", value).strip().casefold().replace("ё", "е")


class LabelResolver:
    """Maps labels written as ids or as names (how coordinators and exports write them)."""

    def __init__(self, table: RoutingTable):
        self._topics = {_key(t.name): t.id for t in table.topics} | {
            _key(t.id): t.id for t in table.topics
        }
        self._bodies = {_key(b.name): b.id for b in table.bodies} | {
            _key(b.id): b.id for b in table.bodies
        }

    def topic(self, value: str | None) -> str | None:
        return self._topics.get(_key(value)) if value else None

    def body(self, value: str | None) -> str | None:
        return self._bodies.get(_key(value)) if value else None

    def resolve_all(
        self, appeals: Sequence[LabelledAppeal], source: str
    ) -> tuple[list[str | None], list[str | None]]:
        """Resolved (topics, bodies); refuses data whose labels the table does not know."""
        topics = [self.topic(a.topic) for a in appeals]
        bodies = [self.body(a.body) for a in appeals]
        unknown = sorted(
            {a.topic for a, t in zip(appeals, topics, strict=True) if a.topic and not t}
            | {a.body for a, b in zip(appeals, bodies, strict=True) if a.body and not b}
        )
        if unknown and len(unknown) * 10 > len(appeals):
            shown = "; ".join(f"«{u}»" for u in unknown[:3])
            raise RoutingError(
                f"{source}: {len(unknown)} меток нет в таблице ни по id, ни по названию "
                f"(например {shown}) — это данные для другой таблицы?"
            )
        return topics, bodies


@dataclass
class Report:
    appeals: int = 0
    top1: float = 0.0  # the first-ranked body is the right one (no questions asked)
    top3: float = 0.0
    topic_top1: float | None = None
    topic_top3: float | None = None
    asked: float = 0.0  # needed a question
    to_coordinator: float = 0.0  # nothing fitted: handed to the coordinators at once
    routed: float = 0.0  # routed without a question
    routed_wrong: float = 0.0  # routed without a question, to the wrong body: the bad case
    routed_precision: float = 0.0
    routed_sure: float = 0.0  # routed because the score reached the route threshold
    routed_sure_precision: float = 0.0
    final_right: float = 0.0  # after the simulated questions, reached the right body
    final_wrong: float = 0.0
    final_coordinator: float = 0.0
    # The same counting a route to a body that dispatches for the labelled one (its parent in
    # the table) as right; ``None`` when the table has no hierarchy or the labels are topics.
    top1_dispatch: float | None = None
    top3_dispatch: float | None = None
    routed_precision_dispatch: float | None = None
    routed_wrong_dispatch: float | None = None
    final_right_dispatch: float | None = None
    final_wrong_dispatch: float | None = None

    def lines(self) -> list[str]:
        def pct(value: float | None) -> str:
            return "—" if value is None else f"{100 * value:.1f}%"

        rows = [
            f"обращений: {self.appeals}",
            f"орган, точность top-1: {pct(self.top1)}; top-3: {pct(self.top3)}",
        ]
        if self.topic_top1 is not None:
            rows.append(
                f"тема, точность top-1: {pct(self.topic_top1)}; top-3: {pct(self.topic_top3)}"
            )
        rows += [
            f"направлено сразу: {pct(self.routed)} (из них верно {pct(self.routed_precision)})",
            f"  по порогу уверенности: {pct(self.routed_sure)} "
            f"(из них верно {pct(self.routed_sure_precision)}); остальные — вопрос бы не помог",
            f"уверенно, но не туда: {pct(self.routed_wrong)}",
            f"понадобился вопрос: {pct(self.asked)}; "
            f"сразу координатору: {pct(self.to_coordinator)}",
            f"после вопросов: верно {pct(self.final_right)}, не туда {pct(self.final_wrong)}, "
            f"координатору {pct(self.final_coordinator)}",
        ]
        if self.routed_precision_dispatch is not None:
            rows += [
                "считая верным вышестоящий орган, который передаёт обращение подразделению:",
                f"  орган top-1: {pct(self.top1_dispatch)}; top-3: {pct(self.top3_dispatch)}; "
                f"направлено сразу верно "
                f"{pct(self.routed_precision_dispatch)}, уверенно не туда "
                f"{pct(self.routed_wrong_dispatch)}",
                f"  после вопросов: верно {pct(self.final_right_dispatch)}, "
                f"не туда {pct(self.final_wrong_dispatch)}",
            ]
        return rows

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _simulate_dialog(
    classifier: Classifier,
    appeal: LabelledAppeal,
    first: Classification,
    true_topic: str | None,
    true_body: str | None,
) -> Classification:
    """Answer up to two questions the way the citizen who wrote the appeal would."""
    result = first
    topic = municipality = None
    table = classifier.table
    for _ in range(2):
        if result.decision == Decision.ASK_TOPIC:
            if true_topic in result.topic_options:
                topic = true_topic
            else:
                by_body = [c.topic for c in result.candidates
                           if c.body == true_body and c.topic in result.topic_options]
                if not by_body:
                    return result  # «Другое»: goes to the coordinators
                topic = by_body[0]
        elif result.decision == Decision.ASK_MUNICIPALITY:
            body = table.body_by_id.get(true_body or "")
            if body is not None and not body.covers_whole_region and body.territory:
                municipality = body.territory[0]
            elif result.municipality_options:
                municipality = result.municipality_options[0]
            else:
                return result
        else:
            return result
        result = classifier.classify(
            appeal.text, appeal.lat, appeal.lon, topic=topic, municipality=municipality
        )
    return result


def evaluate(
    classifier: Classifier,
    appeals: Sequence[LabelledAppeal],
    topics: Sequence[str | None],
    bodies: Sequence[str | None],
    *,
    simulate: bool = True,
) -> Report:
    """Score ``classifier`` on appeals whose resolved labels are ``topics``/``bodies``."""
    use_body = any(bodies)
    table = classifier.table
    hierarchy = use_body and bool(table.subordinates)

    def right(chosen: str | None, target: str) -> bool:
        """A route to the labelled body or to a body dispatching for it."""
        return chosen is not None and table.dispatches_for(chosen, target)

    report = Report()
    counted = topic_counted = 0
    sums = dict.fromkeys(
        ("top1", "top3", "topic_top1", "topic_top3", "asked", "to_coordinator", "routed",
         "routed_wrong", "routed_right", "final_right", "final_wrong", "final_coordinator",
         "top1_dispatch", "top3_dispatch", "routed_right_dispatch", "final_right_dispatch",
         "routed_sure", "routed_sure_right"),
        0,
    )
    for appeal, true_topic, true_body in zip(appeals, topics, bodies, strict=True):
        target = true_body if use_body else true_topic
        if target is None:
            continue
        counted += 1
        result = classifier.classify(appeal.text, appeal.lat, appeal.lon)
        ranked = result.ranked_bodies() if use_body else result.ranked_topics()
        sums["top1"] += ranked[:1] == [target]
        sums["top3"] += target in ranked[:3]
        if hierarchy:
            sums["top1_dispatch"] += right(next(iter(ranked), None), target)
            sums["top3_dispatch"] += any(right(b, target) for b in ranked[:3])
        if true_topic is not None:
            topic_counted += 1
            ranked_topics = result.ranked_topics()
            sums["topic_top1"] += ranked_topics[:1] == [true_topic]
            sums["topic_top3"] += true_topic in ranked_topics[:3]
        chosen = result.body if use_body else result.topic
        if result.decision == Decision.ROUTE:
            sums["routed"] += 1
            sums["routed_right"] += chosen == target
            sums["routed_wrong"] += chosen != target
            if hierarchy:
                sums["routed_right_dispatch"] += right(chosen, target)
            if result.confidence >= classifier.thresholds.route:
                sums["routed_sure"] += 1
                sums["routed_sure_right"] += chosen == target
        elif result.decision == Decision.TO_COORDINATOR:
            sums["to_coordinator"] += 1
        else:
            sums["asked"] += 1
        final = (
            _simulate_dialog(classifier, appeal, result, true_topic, true_body)
            if simulate else result
        )
        final_choice = final.body if use_body else final.topic
        if final.decision == Decision.ROUTE:
            sums["final_right"] += final_choice == target
            sums["final_wrong"] += final_choice != target
            if hierarchy:
                sums["final_right_dispatch"] += right(final_choice, target)
        else:
            sums["final_coordinator"] += 1
    if counted == 0:
        raise RoutingError("нет обращений с метками, которые знает таблица")
    report.appeals = counted
    for name in ("top1", "top3", "asked", "to_coordinator", "routed", "routed_wrong",
                 "final_right", "final_wrong", "final_coordinator", "routed_sure"):
        setattr(report, name, sums[name] / counted)
    report.routed_precision = sums["routed_right"] / sums["routed"] if sums["routed"] else 0.0
    if hierarchy:
        routed = sums["routed"]
        report.top1_dispatch = sums["top1_dispatch"] / counted
        report.top3_dispatch = sums["top3_dispatch"] / counted
        report.routed_precision_dispatch = (
            sums["routed_right_dispatch"] / routed if routed else 0.0)
        report.routed_wrong_dispatch = (routed - sums["routed_right_dispatch"]) / counted
        report.final_right_dispatch = sums["final_right_dispatch"] / counted
        report.final_wrong_dispatch = (
            sums["final_right"] + sums["final_wrong"] - sums["final_right_dispatch"]) / counted
    if sums["routed_sure"]:
        report.routed_sure_precision = sums["routed_sure_right"] / sums["routed_sure"]
    if topic_counted:
        report.topic_top1 = sums["topic_top1"] / topic_counted
        report.topic_top3 = sums["topic_top3"] / topic_counted
    return report


def sweep(
    classifier: Classifier,
    appeals: Sequence[LabelledAppeal],
    topics: Sequence[str | None],
    bodies: Sequence[str | None],
    route_levels: Iterable[float],
) -> list[tuple[float, Report]]:
    """The precision/questions trade-off: the same data at several routing thresholds."""
    rows = []
    for level in route_levels:
        tuned = classifier.with_thresholds(replace(classifier.thresholds, route=level))
        rows.append((level, evaluate(tuned, appeals, topics, bodies)))
    return rows

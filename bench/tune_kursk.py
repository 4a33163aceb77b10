"""Choose the classifier's blend weights and thresholds without touching the held-out appeals.

The 80% training part of the Kursk file is split again (75/25 by a different hash); a Kursk
table is derived from the inner part only (as the shipped one is from the whole training part),
a model is trained on the inner part, and every setting is scored on the inner validation part.
The README figures come from ``eval --holdout 0.2`` with the chosen settings, on appeals that
neither training nor this tuning saw.

    python -m bench.tune_kursk [--data ../shared/data/kursk-appeals-dev.csv]
"""

from __future__ import annotations

import argparse
import itertools
from dataclasses import dataclass, replace
from pathlib import Path

from routing import classify
from routing.classify import Classifier
from routing.dataset import LabelledAppeal, in_holdout, read_labelled, split
from routing.evaluate import LabelResolver, evaluate
from routing.learn import AppealModel, train_model
from routing.model import RoutingTable
from routing.retrain import analysed_with_places
from routing.tablefile import parse_table
from routing.text import AnalysedText
from tools.build_tables.common import dump_yaml
from tools.build_tables.kursk import build_kursk

ROOT = Path(__file__).resolve().parents[1]
KURSK_APPEALS = ROOT.parent / "shared" / "data" / "kursk-appeals-dev.csv"


@dataclass(frozen=True)
class InnerSplit:
    """The training part split again: a table derived from and a model trained on ``inner``,
    to be scored on ``valid`` (labels resolved in the derived table)."""

    table: RoutingTable
    inner: list[LabelledAppeal]
    valid: list[LabelledAppeal]
    texts: list[AnalysedText]
    places: list[list[str]]
    topics: list
    bodies: list
    model: AppealModel
    v_topics: list
    v_bodies: list


def inner_split(data: Path) -> InnerSplit:
    train = split(read_labelled(data), 0.2, "train")
    inner = [a for a in train if not in_holdout(a.id + "/inner", 0.25)]
    valid = [a for a in train if in_holdout(a.id + "/inner", 0.25)]
    inner_ids = {a.id for a in inner}
    derived, _ = build_kursk(data.parent, keep=inner_ids.__contains__)
    table = parse_table(dump_yaml(derived).encode(), "kursk-inner.yaml")
    resolver = LabelResolver(table)
    texts, places = analysed_with_places(table, [a.text for a in inner])
    topics, bodies = resolver.resolve_all(inner, "inner")
    model = train_model(table, texts, places, topics, bodies)
    v_topics, v_bodies = resolver.resolve_all(valid, "valid")
    return InnerSplit(table, inner, valid, texts, places, topics, bodies, model, v_topics,
                      v_bodies)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=KURSK_APPEALS)
    args = parser.parse_args()
    part = inner_split(args.data)
    table, inner, valid, model = part.table, part.inner, part.valid, part.model
    v_topics, v_bodies = part.v_topics, part.v_bodies
    print(f"inner {len(inner)}, validation {len(valid)}")
    print("body_w topic_w floor route | top1 top3 | routed prec wrong | asked coord | "
          "final right wrong")
    grid = itertools.product((0.3, 0.5), (0.35, 0.6), (0.02, 0.1, 0.3), (0.4, 0.55, 0.7))
    for body_weight, topic_weight, floor, route in grid:
        classify.MODEL_BODY_WEIGHT = body_weight
        classify.MODEL_TOPIC_WEIGHT = topic_weight
        classify.TABLE_FLOOR = floor
        classifier = Classifier(table, model)
        tuned = classifier.with_thresholds(replace(classifier.thresholds, route=route))
        r = evaluate(tuned, valid, v_topics, v_bodies)
        print(f"{body_weight:.1f} {topic_weight:.2f} {floor:.2f} {route:.2f} | "
              f"{r.top1:.3f} {r.top3:.3f} | {r.routed:.3f} {r.routed_precision:.3f} "
              f"{r.routed_wrong:.3f} | {r.asked:.3f} {r.to_coordinator:.3f} | "
              f"{r.final_right:.3f} {r.final_wrong:.3f}", flush=True)

if __name__ == "__main__":
    main()

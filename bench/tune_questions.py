"""Choose how much a question must buy (`Thresholds.gain`) without touching the held-out appeals.

As in `bench.tune_kursk`: the 80% training part of the Kursk file is split again (75/25); a
table is derived from the inner part, a model trained (and calibrated by 5-fold
cross-validation) on it, and every gain threshold is scored on the inner validation part with
the simulated citizen's answers. The held-out 20% stay for `eval --holdout 0.2`.

    python -m bench.tune_questions [--data ../shared/data/kursk-appeals-dev.csv]
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from bench.tune_kursk import KURSK_APPEALS, inner_split
from routing.classify import Classifier
from routing.crossval import calibrate
from routing.evaluate import evaluate

GAINS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 1.0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=KURSK_APPEALS)
    args = parser.parse_args()
    part = inner_split(args.data)
    table, inner, valid, model = part.table, part.inner, part.valid, part.model
    model.calibration = calibrate(table, inner, part.texts, part.places, part.topics, part.bodies)
    v_topics, v_bodies = part.v_topics, part.v_bodies
    classifier = Classifier(table, model)
    print(f"inner {len(inner)}, validation {len(valid)}, route threshold "
          f"{classifier.thresholds.route:.3f}")
    print("gain | top1 top3 | routed prec wrong | asked coord | final right wrong coord")
    for gain in GAINS:
        tuned = classifier.with_thresholds(replace(classifier.thresholds, gain=gain))
        r = evaluate(tuned, valid, v_topics, v_bodies)
        print(f"{gain:.2f} | {r.top1:.3f} {r.top3:.3f} | {r.routed:.3f} {r.routed_precision:.3f} "
              f"{r.routed_wrong:.3f} | {r.asked:.3f} {r.to_coordinator:.3f} | "
              f"{r.final_right:.3f} {r.final_wrong:.3f} {r.final_coordinator:.3f}", flush=True)


if __name__ == "__main__":
    main()

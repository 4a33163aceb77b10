"""How well `routing.comments.classify_comment` tells appeals from other comments (issue 18).

The comments of ``tests/data/comments.tsv`` were written for this test in the style of comments
under Russian municipal VK posts. Every third row (0, 3, 6, …) was used to tune the cue file;
the figures that count are those on the other rows, which the tuning never looked at. Target on
those: precision ≥ 0.9 on «appeal» (a wrong public reply is worse than a missed one), recall ≥ 0.8.

    python -m bench.comments [--errors tune|heldout]
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from routing.comments import CommentKind, classify_comment

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "comments.tsv"


@dataclass(frozen=True)
class Figures:
    count: int
    precision: float  # of comments classified as the kind, the share that are
    recall: float  # of comments of the kind, the share found
    confusion: Counter[tuple[str, str]]  # (label, predicted) → count


def load(path: Path = DATA) -> list[tuple[CommentKind, str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            label, text = line.split("\t", 1)
            rows.append((CommentKind(label), text))
    return rows


def split(rows: list[tuple[CommentKind, str]]) -> tuple[list, list]:
    """(tuning rows, held-out rows)."""
    return rows[::3], [row for i, row in enumerate(rows) if i % 3]


def measure(rows: list[tuple[CommentKind, str]], kind: CommentKind = CommentKind.APPEAL) -> Figures:
    confusion: Counter[tuple[str, str]] = Counter()
    for label, text in rows:
        confusion[label.value, classify_comment(text).value] += 1
    predicted = sum(n for (_, p), n in confusion.items() if p == kind)
    actual = sum(n for (label, _), n in confusion.items() if label == kind)
    right = confusion[kind.value, kind.value]
    return Figures(
        len(rows), right / predicted if predicted else 0.0, right / actual if actual else 0.0,
        confusion,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--errors", choices=("tune", "heldout"), help="print the misclassified")
    args = parser.parse_args()
    tune, heldout = split(load())
    for name, rows in (("tune", tune), ("held out", heldout)):
        for kind in (CommentKind.APPEAL, CommentKind.ABUSE):
            f = measure(rows, kind)
            print(f"{name:9} {kind.value:7} n={f.count:3}  precision {f.precision:.3f}  "
                  f"recall {f.recall:.3f}")
    print("held out confusion (label → predicted):",
          dict(sorted(measure(heldout).confusion.items())))
    if args.errors:
        for label, text in tune if args.errors == "tune" else heldout:
            got = classify_comment(text)
            if got != label:
                print(f"  {label.value:6} → {got.value:6} {text}")
    texts = [text for _, text in load()] * 30
    start = time.perf_counter()
    for text in texts:
        classify_comment(text)
    per = (time.perf_counter() - start) / len(texts) * 1e6
    print(f"speed: {per:.1f} µs a comment ({len(texts)} classified)")


if __name__ == "__main__":
    main()

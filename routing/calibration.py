"""What the classifier's score means: the chance that the body it would route to is the right one.

The raw score (the best body's share of the candidates) is a product of keyword weights, a
responsibility order and a softmax over SVM margins: on held-out Kursk appeals a raw 0.9 was
right less often than a raw 0.6. So `python -m routing train` classifies every training appeal
with a model that did not see it (k-fold, `routing.crossval`), and keeps the pairs (raw score,
right or not). From them:

- an isotonic map raw → probability (pool-adjacent-violators: monotone, no shape assumed), so
  "0.8" means right about 80% of the time on appeals like the training ones;
- the route threshold for a target precision (`ROUTE_PRECISION`): the lowest calibrated score
  at which the appeals routed without a question are right at least that often, which routes as
  many as the target allows.

Pure Python over a few thousand pairs (no scikit-learn): the bot without a model never loads it.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass

#: Fewer routed held-out appeals than this and a threshold's precision is noise: not chosen.
MIN_ROUTED = 20


@dataclass(frozen=True, slots=True)
class CurvePoint:
    threshold: float  # calibrated score at or above which an appeal is routed
    coverage: float  # share of the held-out appeals routed without a question
    precision: float  # share of those that went to the right body


@dataclass(frozen=True)
class Calibration:
    """Out-of-fold (raw score, right) pairs and the isotonic map fitted to them."""

    raw: tuple[float, ...]  # sorted ascending
    right: tuple[bool, ...]  # in the order of ``raw``
    steps: tuple[float, ...]  # upper raw bound of each isotonic block
    values: tuple[float, ...]  # calibrated probability of each block (non-decreasing)

    @classmethod
    def fit(cls, raw: Sequence[float], right: Sequence[bool]) -> Calibration:
        if len(raw) != len(right) or not raw:
            raise ValueError("калибровке нужны пары (оценка, верно ли), хотя бы одна")
        pairs = sorted(zip(raw, right, strict=True))
        # Pool adjacent violators: blocks of (sum right, count, upper raw), merged while a
        # block's rate is not above the previous one's.
        # Equal scores start as one block: a map of the score cannot tell them apart.
        blocks: list[list[float]] = []
        for score, ok in pairs:
            if blocks and blocks[-1][2] == score:
                blocks[-1][0] += ok
                blocks[-1][1] += 1
            else:
                blocks.append([float(ok), 1.0, score])
            while len(blocks) > 1 and (
                blocks[-2][0] * blocks[-1][1] >= blocks[-1][0] * blocks[-2][1]
            ):
                hits, count, upper = blocks.pop()
                blocks[-1][0] += hits
                blocks[-1][1] += count
                blocks[-1][2] = upper
        return cls(
            raw=tuple(s for s, _ in pairs),
            right=tuple(ok for _, ok in pairs),
            steps=tuple(b[2] for b in blocks),
            values=tuple(b[0] / b[1] for b in blocks),
        )

    def probability(self, raw: float) -> float:
        """Calibrated chance that the best body is right, for a raw score."""
        # The first block whose upper bound is not below ``raw``; above them all, the last.
        return self.values[min(bisect_left(self.steps, raw), len(self.values) - 1)]

    def curve(self) -> list[CurvePoint]:
        """Coverage and precision for every distinct calibrated threshold, highest first."""
        calibrated = [self.probability(s) for s in self.raw]
        total = len(calibrated)
        points: list[CurvePoint] = []
        hits = 0
        order = sorted(range(total), key=lambda i: -calibrated[i])
        for count, i in enumerate(order, start=1):
            hits += self.right[i]
            if count == total or calibrated[order[count]] != calibrated[i]:
                points.append(CurvePoint(calibrated[i], count / total, hits / count))
        return points

    def threshold_for(self, precision: float) -> CurvePoint:
        """The point routing the most appeals at ``precision`` or better; if none reaches it,
        the most precise point with enough routed appeals (the target is then not met)."""
        points = [p for p in self.curve() if p.coverage * len(self.raw) >= MIN_ROUTED]
        if not points:
            points = self.curve()[:1]
        meeting = [p for p in points if p.precision >= precision]
        if meeting:
            return max(meeting, key=lambda p: p.coverage)
        return max(points, key=lambda p: (p.precision, -p.coverage))

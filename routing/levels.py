"""Level cues: words that say an appeal is a regional matter even when it names a town.

«Яма на трассе у Льгова», «в областной больнице Курчатова», «не пришла выплата на ребёнка»:
the town pulls such appeals to its own administration, though the road, the hospital and the
payment belong to the region (about 30% of the Kursk router's errors). The cues are data
(`routing/data/level_cues.txt`); a text holding them makes the region-wide bodies weigh more.

A word like «трасса» only leans; an object named with its level («областная дорога», «дорога
регионального значения», «областная больница»: `routing/data/level_names.txt`) says whose it
is, so it weighs enough to outweigh the town named beside it — without a trained model
«Областная дорога возле Энгельса» went to the town of Engels.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from routing.text import AnalysedText, Morphology, lemmatize_phrase

CUES_FILE = Path(__file__).with_name("data") / "level_cues.txt"
NAMES_FILE = Path(__file__).with_name("data") / "level_names.txt"

#: How much more a region-wide body weighs for each cue found (at most ``MAX_CUES`` count).
CUE_WEIGHT = 1.8
MAX_CUES = 2
#: How much more a region-wide body weighs when the text names an object with its level: a
#: town's administration, first in the table's order for a road in its town (~0.65 of the
#: weight against ~0.1 for the region's ministry), ends well below the ministry.
NAMED_WEIGHT = 12.0


@cache
def _lines(path: Path) -> tuple[str, ...]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return tuple(s for line in lines if (s := line.split("#", 1)[0].strip()))


@dataclass(frozen=True)
class LevelCues:
    words: frozenset[str]  # one-lemma cues
    phrases: tuple[tuple[str, ...], ...]  # several lemmas, in order
    named: tuple[tuple[str, ...], ...] = ()  # objects named with their level, in order

    @classmethod
    def build(
        cls, morph: Morphology, lines: Iterable[str] | None = None,
        names: Iterable[str] | None = None,
    ) -> LevelCues:
        single: set[str] = set()
        phrases: list[tuple[str, ...]] = []
        for line in _lines(CUES_FILE) if lines is None else lines:
            lemmas = lemmatize_phrase(line, morph)
            if len(lemmas) == 1:
                single.add(lemmas[0])
            elif lemmas:
                phrases.append(lemmas)
        named = [lemmatize_phrase(line, morph)
                 for line in (_lines(NAMES_FILE) if names is None else names)]
        return cls(frozenset(single), tuple(phrases), tuple(n for n in named if n))

    def vocabulary(self) -> set[str]:
        return set(self.words) | {lemma for phrase in (*self.phrases, *self.named)
                                  for lemma in phrase}

    def count(self, text: AnalysedText) -> int:
        """How many distinct cues the text holds (phrases count once, beside their words)."""
        found = len(self.words.intersection(text.lemmas))
        if self.phrases:
            joined = " " + " ".join(text.lemmas) + " "
            found += sum(1 for p in self.phrases if " " + " ".join(p) + " " in joined)
        return found

    def names_level(self, text: AnalysedText) -> bool:
        """Whether the text names an object with its level («областная дорога»)."""
        if not self.named:
            return False
        joined = " " + " ".join(text.lemmas) + " "
        return any(" " + " ".join(n) + " " in joined for n in self.named)

    def factor(self, text: AnalysedText) -> float:
        """How much more the region-wide bodies weigh for this text (1.0: no cue)."""
        leaning = self.weight(self.count(text))  # 1.0 without a cue
        return leaning * NAMED_WEIGHT if self.names_level(text) else leaning

    @staticmethod
    def weight(found: int) -> float:
        """The factor for region-wide bodies in a text holding ``found`` cues."""
        return CUE_WEIGHT ** min(found, MAX_CUES)

"""Level cues: words that say an appeal is a regional matter even when it names a town.

«Яма на трассе у Льгова», «в областной больнице Курчатова», «не пришла выплата на ребёнка»:
the town pulls such appeals to its own administration, though the road, the hospital and the
payment belong to the region (about 30% of the Kursk router's errors). The cues are data
(`routing/data/level_cues.txt`); a text holding them makes the region-wide bodies weigh more.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from routing.text import AnalysedText, Morphology, lemmatize_phrase

CUES_FILE = Path(__file__).with_name("data") / "level_cues.txt"

#: How much more a region-wide body weighs for each cue found (at most ``MAX_CUES`` count).
CUE_WEIGHT = 1.8
MAX_CUES = 2


@cache
def _cue_lines() -> tuple[str, ...]:
    lines = CUES_FILE.read_text(encoding="utf-8").splitlines()
    return tuple(s for line in lines if (s := line.split("#", 1)[0].strip()))


@dataclass(frozen=True)
class LevelCues:
    words: frozenset[str]  # one-lemma cues
    phrases: tuple[tuple[str, ...], ...]  # several lemmas, in order

    @classmethod
    def build(cls, morph: Morphology, lines: Iterable[str] | None = None) -> LevelCues:
        single: set[str] = set()
        phrases: list[tuple[str, ...]] = []
        for line in _cue_lines() if lines is None else lines:
            lemmas = lemmatize_phrase(line, morph)
            if len(lemmas) == 1:
                single.add(lemmas[0])
            elif lemmas:
                phrases.append(lemmas)
        return cls(frozenset(single), tuple(phrases))

    def vocabulary(self) -> set[str]:
        return set(self.words) | {lemma for phrase in self.phrases for lemma in phrase}

    def count(self, text: AnalysedText) -> int:
        """How many distinct cues the text holds (phrases count once, beside their words)."""
        found = len(self.words.intersection(text.lemmas))
        if self.phrases:
            joined = " " + " ".join(text.lemmas) + " "
            found += sum(1 for p in self.phrases if " " + " ".join(p) + " " in joined)
        return found

    @staticmethod
    def weight(found: int) -> float:
        """The factor for region-wide bodies in a text holding ``found`` cues."""
        return CUE_WEIGHT ** min(found, MAX_CUES)

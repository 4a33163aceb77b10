"""Finding where a problem is: settlement names in free text, and a shared location.

Names are matched as lemma sequences, so "в Энгельсе", "Энгельсского района" and "энгельс" all
hit. Words that are also ordinary Russian words ("Советское", "Озерное") only count next to a
place word ("село", "район", "МО"), and nothing counts right after a street word ("ул.
Саратовская" is a street, not the Saratov district). Unknown words that look like a misspelt
name are compared with rapidfuzz against names starting with the same letter, which keeps the
cost flat as the table grows to national size.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from routing.model import Municipality, RoutingTable
from routing.text import MIN_FUZZY_LENGTH, AnalysedText, Morphology, lemmatize_phrase, morphology

#: Words in official names that say what kind of place it is, not which one.
GENERIC_NAME_WORDS = frozenset(
    """
    муниципальный район город городской сельский поселение образование округ мо администрация
    область поселок посёлок село деревня рабочий зато внутригородской г с п рп пгт д х хутор
    станица слобода станция ст имя закрытый административно-территориальный образования
    """.split()
)

#: A place word near an ambiguous name makes it a place ("село Озерное", "Советский район").
PLACE_MARKERS = frozenset(
    "район р-н город г село с поселок пос п пгт рп деревня дер д мо поселение округ хутор х "
    "станица ст-ца слобода населенный пункт нп".split()
)

#: After these, a name is a street or a square named after a place, not the place itself.
STREET_MARKERS = frozenset(
    "улица ул проспект пр пр-т переулок пер бульвар б-р площадь пл шоссе ш проезд тупик "
    "набережная наб аллея мкр квартал тракт".split()
)

#: After the name: "Саратовская область" is the region, not the Saratov district.
REGION_WORDS = frozenset("область обл край республика респ".split())

DISTRICT_KINDS = frozenset({"муниципальный район", "муниципальный округ"})

#: Fuzzy matches below this rapidfuzz ratio are ignored; 85 accepts one slip in a 7-letter name.
FUZZY_CUTOFF = 85
#: Distances for a shared location: inside a town, or somewhere in the district around it.
TOWN_RADIUS_KM = 6.0
DISTRICT_RADIUS_KM = 45.0


@dataclass(frozen=True, slots=True)
class PlaceMatch:
    municipality_id: str
    score: float  # 0..1
    evidence: str  # what was matched, for the explanation ("«Энгельсе» → город Энгельс")


@dataclass(frozen=True, slots=True)
class _Name:
    key: tuple[str, ...]  # lemmas of the distinctive words
    municipality_id: str
    common: bool  # a single ordinary dictionary word: needs a place marker nearby


class Gazetteer:
    """Every municipality's name and aliases, indexed for matching in analysed text."""

    def __init__(self, table: RoutingTable, morph: Morphology | None = None):
        self._table = table
        self._morph = morph or morphology()
        self._by_first: dict[str, list[_Name]] = defaultdict(list)
        self._fuzzy_buckets: dict[str, list[str]] = defaultdict(list)
        self._seen: set[_Name] = set()
        for municipality in table.municipalities:
            for name in dict.fromkeys((municipality.name, *municipality.aliases)):
                self._add(name, municipality)
        del self._seen  # only needed while building
        for first in self._by_first:
            if len(first) >= 4:
                self._fuzzy_buckets[first[0]].append(first)
        located = [m for m in table.municipalities if m.lat is not None and m.lon is not None]
        self._located_ids = [m.id for m in located]
        self._lat = np.radians(np.array([m.lat for m in located], dtype=float))
        self._lon = np.radians(np.array([m.lon for m in located], dtype=float))
        # A district shares its centre town's coordinates; at equal distance the town wins.
        self._is_district = np.array([m.kind in DISTRICT_KINDS for m in located], dtype=int)

    def _add(self, name: str, municipality: Municipality) -> None:
        key = tuple(w for w in lemmatize_phrase(name, self._morph) if w not in GENERIC_NAME_WORDS)
        if not key:
            return
        # "Советское" is an ordinary adjective; "Аткарск" is not a dictionary word at all.
        info = self._morph.info(key[0])
        common = len(key) == 1 and info.known and not (info.geo or info.name_like)
        entry = _Name(key, municipality.id, common)
        if entry not in self._seen:
            self._seen.add(entry)
            self._by_first[key[0]].append(entry)

    def vocabulary(self) -> set[str]:
        """Every lemma ``find`` compares: the names' words and the place, street and region
        words around them (a ``Lexicon`` is built from these)."""
        words = set(PLACE_MARKERS | STREET_MARKERS | REGION_WORDS)
        for names in self._by_first.values():
            for name in names:
                words.update(name.key)
        return words

    # -- text -------------------------------------------------------------------------------
    def find(self, text: AnalysedText) -> list[PlaceMatch]:
        """Municipalities named in the text, best first, one entry per municipality."""
        tokens, lemmas = text.tokens, text.lemmas
        infos = text.infos or tuple(self._morph.info(t) for t in tokens)
        best: dict[str, PlaceMatch] = {}
        by_first = self._by_first
        for i, token in enumerate(tokens):
            info = infos[i]
            # Most words of an appeal start no name and cannot be a typo of one (known words
            # are never fuzzy-matched): skip them before anything else, a long appeal is
            # mostly such words.
            if info.known or len(token) < MIN_FUZZY_LENGTH:
                for form in info.forms:
                    if form in by_first:
                        break
                else:
                    continue
            if i > 0 and (lemmas[i - 1] in STREET_MARKERS or tokens[i - 1] in STREET_MARKERS):
                continue
            hits = self._exact(i, info.forms, lemmas)
            if not hits and not info.known and len(token) >= MIN_FUZZY_LENGTH:
                hits = self._fuzzy(i, info.lemma, token)
            for name, score, length in hits:
                after = lemmas[i + length] if i + length < len(lemmas) else ""
                if after in REGION_WORDS:
                    continue
                if name.common and not self._marked(i, length, lemmas, tokens):
                    continue
                municipality_id = name.municipality_id
                previous = best.get(municipality_id)
                if previous is not None and score <= previous.score:
                    continue  # a common village name has hundreds of hits: keep each cheap
                shown = " ".join(tokens[i : i + length])
                shown_place = self._table.display_name(municipality_id)
                best[municipality_id] = PlaceMatch(
                    municipality_id, score, f"«{shown}» → {shown_place}"
                )
        return sorted(best.values(), key=lambda m: -m.score)

    def _exact(self, i: int, forms: tuple[str, ...], lemmas: tuple[str, ...]):
        hits = []
        for form in forms:
            score = 1.0 if form == forms[0] else 0.9
            for name in self._by_first.get(form, ()):
                key = name.key
                if len(key) == 1 or lemmas[i : i + len(key)] == key:  # the rest follows
                    hits.append((name, score, len(key)))
        return hits

    def _fuzzy(self, i: int, lemma: str, token: str):
        bucket = self._fuzzy_buckets.get(lemma[0], ())
        if not bucket:
            return []
        found = process.extractOne(lemma, bucket, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
        if found is None and token != lemma:
            found = process.extractOne(
                token, bucket, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF
            )
        if found is None:
            return []
        first, similarity, _ = found
        return [
            (name, 0.85 * similarity / 100, 1)
            for name in self._by_first[first]
            if len(name.key) == 1
        ]

    @staticmethod
    def _marked(i: int, length: int, lemmas: tuple[str, ...], tokens: tuple[str, ...]) -> bool:
        around = [*range(max(0, i - 2), i), *range(i + length, min(len(lemmas), i + length + 2))]
        return any(lemmas[j] in PLACE_MARKERS or tokens[j] in PLACE_MARKERS for j in around)

    # -- location ---------------------------------------------------------------------------
    def nearest(self, lat: float, lon: float) -> PlaceMatch | None:
        """The municipality at a shared location: the town if inside it, else its district.

        The table has points, not boundaries, so "inside" means within a few kilometres of the
        town's centre; farther out the district around the town is the honest answer.
        """
        if not self._located_ids or not (-90 <= lat <= 90 and -180 <= lon <= 180):
            return None
        la, lo = math.radians(lat), math.radians(lon)
        a = (
            np.sin((self._lat - la) / 2) ** 2
            + math.cos(la) * np.cos(self._lat) * np.sin((self._lon - lo) / 2) ** 2
        )
        distances = 2 * 6371.0 * np.arcsin(np.sqrt(np.minimum(a, 1.0)))
        order = np.lexsort((self._is_district, np.round(distances, 1)))
        index = int(order[0])
        distance = float(distances[index])
        municipality = self._table.municipality_by_id[self._located_ids[index]]
        if distance <= TOWN_RADIUS_KM:
            return PlaceMatch(municipality.id, 0.95, f"геометка в {distance:.1f} км от центра: "
                              f"{municipality.name}")
        if distance <= DISTRICT_RADIUS_KM:
            district = municipality.parent or municipality.id
            name = self._table.municipality_by_id[district].name
            return PlaceMatch(district, 0.8, f"геометка в {distance:.0f} км от "
                              f"{municipality.name}: {name}")
        return None

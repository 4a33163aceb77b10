"""Finding where a problem is: settlement names in free text, and a shared location.

Names are matched as lemma sequences, so "в Энгельсе", "Энгельсского района" and "энгельс" all
hit. Words that are also ordinary Russian words ("Советское", "Озерное") only count next to a
place word ("село", "район", "МО"), and nothing counts right after a street word ("ул.
Саратовская" is a street, not the Saratov district). Unknown words that look like a misspelt
name are compared with rapidfuzz against names starting with the same letter, which keeps the
cost flat as the table grows to national size.

Three refinements, all decided when the gazetteer is built so that ``find`` stays a few dict
lookups a word (see `routing.placenames`): adjectives made from a town's name («Балаковская
больница», «вольский») name the town; a name inside a street's name («ул. Новая Саратовская»,
«Саратовский проезд») names no place; and villages listed as «населённый пункт» below their
formation need a place word when their name is also an ordinary word or a surname («хутор
Сысоев»), while several namesakes are narrowed by a formation named beside them («Терновка
Энгельсского района») or merged into the formation they share.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from routing.model import Municipality, RoutingTable
from routing.placenames import (
    DISTRICT_WORDS,
    SETTLEMENT_KIND,
    compound_adjectives,
    derived_adjectives,
    inside_street_name,
    is_adjective,
    region_adjective,
)
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
    "улица ул проспект пр пр-т пр-кт просп переулок пер бульвар б-р площадь пл шоссе ш проезд "
    "пр-д тупик набережная наб аллея мкр микрорайон квартал тракт спуск проулок".split()
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
    derived: bool = False  # an adjective made from a town's name («балаковский»)
    settlement: bool = False  # a village or посёлок below a municipal formation
    district: bool = False  # a municipal district or okrug
    kind_word: str = ""  # a village's «село», «поселок», «хутор»…, as a citizen writes before it


class Gazetteer:
    """Every municipality's name and aliases, indexed for matching in analysed text."""

    def __init__(self, table: RoutingTable, morph: Morphology | None = None):
        self._table = table
        self._morph = morph or morphology()
        self._by_first: dict[str, list[_Name]] = defaultdict(list)
        self._fuzzy_buckets: dict[str, list[str]] = defaultdict(list)
        self._seen: set[_Name] = set()
        self._derived = self._town_adjectives(table)
        for municipality in table.municipalities:
            for name in dict.fromkeys((municipality.name, *municipality.aliases)):
                self._add(name, municipality)
        for adjective, ids in self._derived.items():
            for municipality_id in ids:
                self._add_entry(_Name((adjective,), municipality_id, False, derived=True))
        del self._seen  # only needed while building
        for first, names in self._by_first.items():
            # Villages are matched as written: 1,700 more names to compare a typo with would
            # turn many a misspelt ordinary word into a village.
            if len(first) >= 4 and not all(n.settlement for n in names):
                self._fuzzy_buckets[first[0]].append(first)
        located = [m for m in table.municipalities if m.lat is not None and m.lon is not None]
        self._located_ids = [m.id for m in located]
        self._lat = np.radians(np.array([m.lat for m in located], dtype=float))
        self._lon = np.radians(np.array([m.lon for m in located], dtype=float))
        # A district shares its centre town's coordinates; at equal distance the town wins.
        self._is_district = np.array([m.kind in DISTRICT_KINDS for m in located], dtype=int)

    def _town_adjectives(self, table: RoutingTable) -> dict[str, list[str]]:
        """Adjective → towns it is made from («балаковский» → город Балаково, «краснокутский»
        → город Красный Кут); never the region's own adjective («саратовская» дорога may be the
        region's as well as the city's). A town called by an ordinary word («Шиханы») makes only
        adjectives the dictionary does not know, so no ordinary adjective becomes a town."""
        derived: dict[str, list[str]] = defaultdict(list)
        excluded = region_adjective(table.region, self._morph)
        for municipality in table.municipalities:
            if municipality.kind == SETTLEMENT_KIND:
                continue
            for name in dict.fromkeys((municipality.name, *municipality.aliases)):
                key = tuple(w for w in lemmatize_phrase(name, self._morph)
                            if w not in GENERIC_NAME_WORDS)
                if len(key) == 1:
                    made = derived_adjectives(key[0])
                elif len(key) == 2:
                    made = compound_adjectives(*key)
                else:
                    continue
                ordinary = len(key) == 1 and self._ordinary(key[0])
                for adjective in made:
                    if adjective == excluded or municipality.id in derived[adjective]:
                        continue
                    if ordinary and self._morph.is_known(adjective):
                        continue
                    derived[adjective].append(municipality.id)
        return derived

    def _ordinary(self, lemma: str, *, names_too: bool = False) -> bool:
        """An ordinary dictionary word («советский»), not a place («аткарск», «балаково»)."""
        info = self._morph.info(lemma)
        return info.known and not info.geo and (names_too or not info.name_like)

    def _add(self, name: str, municipality: Municipality) -> None:
        key = tuple(w for w in lemmatize_phrase(name, self._morph) if w not in GENERIC_NAME_WORDS)
        if not key:
            return
        settlement = municipality.kind == SETTLEMENT_KIND
        # "Советское" is an ordinary adjective; "Аткарск" is not a dictionary word at all;
        # "Балаковский" is made from a town's name. A village called like a surname («хутор
        # Сысоев») needs its place word too: appeals are signed.
        common = (
            len(key) == 1
            and self._ordinary(key[0], names_too=settlement)
            and key[0] not in self._derived
        )
        kind_word = ""
        if settlement:
            kind_word = next((w for w in lemmatize_phrase(name, self._morph)
                              if w in _KIND_MARKERS.values()), "")
        self._add_entry(_Name(
            key, municipality.id, common, settlement=settlement,
            district=municipality.kind in DISTRICT_KINDS, kind_word=kind_word,
        ))

    def _add_entry(self, entry: _Name) -> None:
        if entry not in self._seen:
            self._seen.add(entry)
            self._by_first[entry.key[0]].append(entry)

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
        namesakes: list[list[str]] = []  # villages of one name found at one word
        by_first = self._by_first
        covered = 0  # words up to here belong to a longer name already found («Широкий Буерак»)
        for i, token in enumerate(tokens):
            if i < covered:
                continue
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
            if i > 0 and inside_street_name(i, tokens, lemmas, STREET_MARKERS):
                continue
            hits = self._exact(i, info.forms, lemmas)
            if not hits and not info.known and len(token) >= MIN_FUZZY_LENGTH:
                hits = self._fuzzy(i, info.lemma, token)
            hits = self._prefer_town_or_district(hits, i, lemmas)
            hits = _prefer_kind(hits, lemmas[i - 1] if i else "",
                                lemmas[i + 1] if i + 1 < len(lemmas) else "")
            found_here = []
            for name, score, length in hits:
                after = lemmas[i + length] if i + length < len(lemmas) else ""
                if after in REGION_WORDS:
                    continue
                following = tokens[i + length] if i + length < len(tokens) else ""
                if (after in STREET_MARKERS or following in STREET_MARKERS) and is_adjective(
                    lemmas[i + length - 1]
                ) and not tokens[i + length - 1].endswith(PLURAL_ADJECTIVE):
                    continue  # «Саратовский проезд», «на Вольской улице»; not «ртищевские улицы»
                if name.common and not self._marked(i, length, lemmas, tokens):
                    continue
                if name.settlement:
                    found_here.append(name.municipality_id)
                if length > 1:
                    covered = max(covered, i + length)
                municipality_id = name.municipality_id
                previous = best.get(municipality_id)
                if previous is not None and score <= previous.score:
                    continue  # a common village name has hundreds of hits: keep each cheap
                shown = " ".join(tokens[i : i + length])
                shown_place = self._table.display_name(municipality_id)
                best[municipality_id] = PlaceMatch(
                    municipality_id, score, f"«{shown}» → {shown_place}"
                )
            if len(found_here) > 1:
                namesakes.append(found_here)
        for group in namesakes:
            self._narrow_namesakes(group, best)
        return sorted(best.values(), key=lambda m: -m.score)

    @staticmethod
    def _prefer_town_or_district(hits: list, i: int, lemmas: tuple[str, ...]) -> list:
        """«Балаковская больница» is the town's; «в Балаковском районе» the district's."""
        district = i + 1 < len(lemmas) and lemmas[i + 1] in DISTRICT_WORDS
        if district and any(name.district for name, _, _ in hits):
            # «Татищевского района»: the district, not the settlement «Татищевское»
            return [hit for hit in hits if hit[0].district]
        if not any(name.derived for name, _, _ in hits):
            return hits
        return [hit for hit in hits if hit[0].derived != district]

    def _narrow_namesakes(self, group: list[str], best: dict[str, PlaceMatch]) -> None:
        """Villages of one name: keep those inside a formation the text also names («Терновка
        Энгельсского района»); if they all lie in one formation, that formation is the place."""
        group = [m for m in group if m in best]
        if len(group) < 2:
            return
        named = set(best) - set(group)
        inside = [m for m in group if named.intersection(self._table.ancestry(m)[1:])]
        if inside and len(inside) < len(group):
            for municipality_id in group:
                if municipality_id not in inside:
                    del best[municipality_id]
            group = inside
        if len(group) < 2:
            return
        shared = set(self._table.ancestry(group[0])[1:])
        for municipality_id in group[1:]:
            shared &= set(self._table.ancestry(municipality_id)[1:])
        if not shared:
            return  # namesakes in different districts: only the citizen can say which
        common = next(a for a in self._table.ancestry(group[0])[1:] if a in shared)
        score = max(best[m].score for m in group)
        evidence = best[group[0]].evidence.split(" → ")[0]
        for municipality_id in group:
            del best[municipality_id]
        if common not in best or best[common].score < score:
            best[common] = PlaceMatch(
                common, score, f"{evidence} → {self._table.display_name(common)}"
            )

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
    def with_location(self, matches: list[PlaceMatch], lat: float, lon: float
                      ) -> list[PlaceMatch]:
        """The places named in the text, read with the citizen's shared location.

        The location settles what the text leaves open, before anybody asks: no place named
        → the town or district at the pin; namesakes («в Михайловке», fifteen of them) → those
        in the pin's district. A text naming somewhere else keeps both, and the question stays.
        """
        located = self.nearest(lat, lon)
        if located is None or any(m.municipality_id == located.municipality_id
                                  for m in matches):
            return matches
        district = self._table.ancestry(located.municipality_id)[-1]
        near = [m for m in matches if district in self._table.ancestry(m.municipality_id)]
        if near and len(near) < len(matches):
            return near
        return [*matches, located]

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


#: What citizens write before a village's name, as the kind word of its name in the table.
_KIND_MARKERS = {"с": "село", "п": "поселок", "пос": "поселок", "д": "деревня",
                 "дер": "деревня", "х": "хутор", "ст": "станция", "рп": "поселок",
                 "пгт": "поселок", "рабочий": "поселок", "село": "село", "поселок": "поселок",
                 "деревня": "деревня", "хутор": "хутор", "станция": "станция"}
#: Words that name a municipal formation, not a village: «Октябрьское МО».
FORMATION_WORDS = frozenset({"мо", "поселение", "образование", "сельсовет"})
#: Plural adjective endings: «ртищевские улицы» are the town's streets, not a street.
PLURAL_ADJECTIVE = ("ие", "ые", "их", "ых", "ими", "ыми")


def _prefer_kind(hits: list, before: str, after: str) -> list:
    """«в посёлке Приволжский»: the посёлок of that name, not the «Приволжское» formations;
    «в Октябрьском МО»: the formations, not the посёлок «Октябрьский»."""
    if len(hits) < 2:
        return hits
    if before in FORMATION_WORDS or after in FORMATION_WORDS:
        chosen = [hit for hit in hits if not hit[0].settlement]
    else:
        kind = _KIND_MARKERS.get(before, "")
        chosen = [hit for hit in hits if kind and hit[0].kind_word == kind]
    return chosen or hits


def municipality_of_oktmo(table: RoutingTable, oktmo: str | None) -> str | None:
    """The table's municipality for an address service's OKTMO code: the settlement itself
    (11 digits), else its formation (first 8), else its district (first 5 + «000»)."""
    if not oktmo or not oktmo.isdigit():
        return None
    known = table.municipality_by_id
    for code in (oktmo, oktmo[:8], oktmo[:5] + "000"):
        if len(code) in (8, 11) and code in known:
            return code
    return None


def municipality_of_addresses(
    table: RoutingTable, oktmos: Iterable[str | None]
) -> str | None:
    """The place several suggestions of an address service agree on: the deepest
    municipality of the table that holds every one of them that the table knows. A typed
    address is often found in several places («ул. Молодёжная, д. 2»); when they lie in
    different towns or districts nothing is certain, ``None``, and the citizen is asked."""
    places = [p for p in (municipality_of_oktmo(table, code) for code in oktmos) if p]
    if not places:
        return None
    shared = set(table.ancestry(places[0]))
    for place in places[1:]:
        shared &= set(table.ancestry(place))
    return next((p for p in table.ancestry(places[0]) if p in shared), None)

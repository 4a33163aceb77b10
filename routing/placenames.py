"""How Russian place names are made and where they hide: word rules used by `routing.places`.

Pure functions of lemmas, used when a gazetteer is built (adjectives) or on the few words that
start a name (streets), so they cost nothing per appeal beyond a comparison or two.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from routing.text import Morphology

#: The kind of a village or посёлок listed below its formation only so that citizens can name it.
SETTLEMENT_KIND = "населённый пункт"

#: After an adjective, these make it a district's name («в Балаковском районе»), not a town's.
DISTRICT_WORDS = frozenset("район р-н муниципальный округ".split())

_ADJECTIVE_ENDINGS = ("ский", "цкий", "ый", "ий", "ой")
_VOWELS = "аеиоуыэюя"
#: Suffixes of adjectives made from place names: Вольск → вольский, Балаково → балаковский,
#: Маркс → марксовский, Дергачи → дергачевский, Калининск → калининский.
_SUFFIXES = ("ский", "овский", "евский", "инский")


def is_adjective(lemma: str) -> bool:
    """Whether a lemma is an adjective's normal form («саратовский», «новый»)."""
    return lemma.endswith(_ADJECTIVE_ENDINGS)


def derived_adjectives(lemma: str) -> set[str]:
    """Adjectives a town's name can make, one word («балаково» → «балаковский»).

    Generated generously: only a citizen's word equal to one of them is ever compared, and
    nonsense forms («маркский») are never written. Names that are adjectives already make none.
    """
    if len(lemma) < 3 or is_adjective(lemma) or "-" in lemma:
        return set()
    if lemma.endswith("ск"):
        return {lemma + "ий"}
    stems = {lemma}
    if lemma[-1] in _VOWELS:
        stems = {lemma[:-1]}
        if lemma.endswith(("ка", "ки")):
            stems.add(lemma[:-2])
    elif lemma.endswith("й"):
        stems.add(lemma[:-1])
    return {stem + suffix for stem in stems for suffix in _SUFFIXES if len(stem) >= 3}


def compound_adjectives(first: str, second: str) -> set[str]:
    """Adjectives of a two-word name: «красный кут» → «краснокутский», «базарный карабулак»
    → «базарно-карабулакский», «александров гай» → «александрово-гайский»."""
    for ending in ("ый", "ий", "ой"):
        if first.endswith(ending):
            first = first[: -len(ending)]
            break
    prefix = first + "о"
    made = set()
    for adjective in derived_adjectives(second):
        made.update({prefix + adjective, f"{prefix}-{adjective}"})
    return made


def region_adjective(region: str, morph: Morphology) -> str:
    """«Саратовская область» → «саратовский»: the one adjective that is the region's too."""
    from routing.text import lemmatize_phrase

    lemmas = lemmatize_phrase(region, morph)
    return lemmas[0] if lemmas else ""


#: Between a street word and a name: «ул. Новая Саратовская», «ул. 2-я Вольская», «им. Энгельса».
_QUALIFIER_ENDINGS = ("ая", "яя", "ый", "ий", "ой", "ое", "ее", "-я", "-й")
_NAMED_AFTER = frozenset({"им", "имени"})


def inside_street_name(
    i: int, tokens: tuple[str, ...], lemmas: tuple[str, ...], street_words: Collection[str]
) -> bool:
    """Whether the word at ``i`` is part of a street's name written after the street word."""
    if lemmas[i - 1] in street_words or tokens[i - 1] in street_words:
        return True
    if i < 2 or not (lemmas[i - 2] in street_words or tokens[i - 2] in street_words):
        return False
    between = tokens[i - 1]
    return between in _NAMED_AFTER or between.isdigit() or between.endswith(_QUALIFIER_ENDINGS)

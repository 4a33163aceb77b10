"""pymorphy3's analysis of words its dictionary does not know: the same parses, at half the cost.

Why: a surname, a local name or a typo in an appeal ("Энгельсе" misspelt, "Пупкину") is new to
the dictionary, and pymorphy3 guesses its lemma by analogy in ~100 µs, the largest part of
classifying an appeal the bot sees for the first time. The guess decides the word's lemma and
whether it is a personal name, which the classifier's scores and the place matcher use, so it
must stay exactly pymorphy3's. Most of that time is not the guessing: it is the same suffix
looked up again for every word ending in it, dictionary lookups that substitute "ё" for every
"е" when the plain word is not there at all, a probability lookup per parse when the word has
none, and result objects nobody reads. ``Guesser`` runs the same three guessing units in the
same order with the same arithmetic, with those parts cached or skipped when they cannot
apply; ``tests/routing/test_guess.py`` compares it with pymorphy3 word by word.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable

#: What the predictor expects to find in pymorphy3's analyzer, in this order, from the
#: known-prefix unit on (pymorphy3 2.0); anything else and ``Guesser.create`` returns None.
_UNITS = (
    ("KnownPrefixAnalyzer", True),
    ("UnknownPrefixAnalyzer", False),
    ("KnownSuffixAnalyzer", True),
    ("UnknAnalyzer", True),
)

_PLAIN_CYRILLIC = re.compile(r"[а-я]+")

#: (word, tag, normal form, score, paradigm id): pymorphy3's parse without its methods stack;
#: the paradigm id is what pymorphy3 tells duplicate parses apart by.
Parse = tuple


class Guesser:
    """Parses of plain lower-case Cyrillic words (no hyphen), as ``MorphAnalyzer.parse`` gives
    them: same parses, same order, same scores (as plain tuples, see ``Parse``)."""

    SUFFIX_CACHE_LIMIT = 100_000
    KNOWN_CACHE_LIMIT = 100_000

    @classmethod
    def create(cls, analyzer) -> Guesser | None:
        """A guesser for ``analyzer``, or None if its units are not arranged as expected."""
        units = getattr(analyzer, "_units", None) or []
        names = [(type(unit).__name__, terminal) for unit, terminal in units]
        for start in range(len(names)):
            if tuple(names[start:]) == _UNITS:
                return cls(analyzer, [unit for unit, _ in units[start:]])
        return None

    def __init__(self, analyzer, units: list) -> None:
        known_prefix, unknown_prefix, known_suffix, unknown = units
        dictionary = analyzer.dictionary
        self._dictionary = dictionary
        self._words = dictionary.words
        self._substitutes = analyzer.char_substitutes
        self._substituted = frozenset(key.decode() for key in (self._substitutes or {}))
        estimator = analyzer.prob_estimator
        self._probabilities = estimator.p_t_given_w if estimator is not None else None
        self._prefixes_of = known_prefix.get_prefixes
        self._known_prefix_multiplier = known_prefix.score_multiplier
        self._min_remainder = known_prefix.min_remainder_length
        self._unknown_prefix_multiplier = unknown_prefix.score_multiplier
        self._suffix_multiplier = known_suffix.score_multiplier
        self._min_suffix_word = known_suffix.min_word_length
        self._paradigm_prefixes = known_suffix._paradigm_prefixes  # (id, prefix), longest first
        self._suffix_dawgs = dictionary.prediction_suffixes_dawgs
        self._splits = known_suffix._prediction_splits  # suffix lengths, longest first
        self._unknown_tag = unknown._tag
        # (paradigm prefix id, word ending) → ((fixed ending, ((count, paradigm, tag, tag key,
        # normal form recipe), ...)), ...), productive parses only: endings recur in every
        # appeal.
        self._suffixes: dict[tuple[int, str], tuple] = {}
        self._known: dict[str, tuple[Parse, ...]] = {}  # dictionary words → their parses
        # Bounded by the dictionary itself (its tags, its paradigms' forms), so not evicted:
        self._productive: dict[int, bool] = {}  # id(tag) → tag.is_productive()
        self._forms: dict[tuple[int, int], tuple] = {}  # (paradigm, form index) → see _form
        # Parses are told apart by (word, tag, paradigm), tags compared by their grammemes;
        # id(tag) → a small int standing for its grammemes hashes faster than the tag.
        self._tag_keys: dict[int, int] = {}
        self._grammemes: dict[tuple, int] = {}
        self._lock = threading.Lock()

    # -- the analyzer's parse ------------------------------------------------------------------
    def parse(self, word: str) -> list[Parse]:
        """``MorphAnalyzer.parse(word)``: the dictionary's parses if it knows the word, else
        the guess."""
        known = self._dictionary_parses(word)
        if known:
            return self._estimate(word, known)
        return self.guess(word)

    def knows(self, word: str) -> bool:
        """``MorphAnalyzer.word_is_known(word)``, in one lookup unless the word has an "е"."""
        return word in self._words or self._other_spelling_known(word)

    def guess(self, word: str) -> list[Parse]:
        """``MorphAnalyzer.parse(word)`` of a word the dictionary does not know."""
        seen: set = set()
        parses = self._known_prefix(word, seen)
        if not parses:
            parses = self._unknown_prefix(word, seen)
            parses += self._known_suffix(word, seen)
            if not parses and not seen:
                parses = [(word, self._unknown_tag, word, 1.0, None)]
        return self._estimate(word, parses)

    def learn_endings(self, words) -> None:
        """Look up the endings of ``words`` (say, every form of a routing table's lexicon)
        ahead, as ``guess`` would for words ending like them: endings are what most unknown
        words share, and their first lookup is half of a first guess's cost."""
        for word in words:
            if _PLAIN_CYRILLIC.fullmatch(word):
                self._known_suffix(word, set())

    # -- the units ----------------------------------------------------------------------------
    def _dictionary_parses(self, word: str) -> tuple[Parse, ...]:
        """``DictionaryAnalyzer.parse``. The guessing units ask it about every tail of a word
        ("пупкину": "упкину", "пкину", "кину"…): most tails are not words, which one lookup
        tells (the substituting search is needed only for a tail with "е"); those that are
        recur in many words ("кину") and are remembered."""
        cached = self._known.get(word)
        if cached is not None:
            return cached
        if word not in self._words and not self._other_spelling_known(word):
            return ()
        dictionary = self._dictionary
        parses = tuple(
            (fixed, dictionary.build_tag_info(para_id, index),
             dictionary.build_normal_form(para_id, index, fixed), 1.0, para_id)
            for fixed, parses in self._words.similar_items(word, self._substitutes)
            for para_id, index in parses
        )
        with self._lock:
            if len(self._known) >= self.KNOWN_CACHE_LIMIT:
                self._known.clear()
            self._known[word] = parses
        return parses

    def _other_spelling_known(self, word: str) -> bool:
        """Whether the dictionary has ``word`` with some "е" written "ё" (pymorphy3's
        substitutes); a word without the substituted letters has no other spelling."""
        if self._substituted.isdisjoint(word):
            return False
        return bool(self._words.similar_keys(word, self._substitutes))

    def _known_prefix(self, word: str, seen: set) -> list[Parse]:
        """``KnownPrefixAnalyzer``: a known prefix and a word parsed as a whole after it."""
        result: list[Parse] = []
        prefixes = self._prefixes_of(word)
        if not prefixes:
            return result
        prefixes.sort(key=len, reverse=True)
        for prefix in prefixes:
            rest = word[len(prefix):]
            if len(rest) >= self._min_remainder:
                self._put_back(prefix, self.parse(rest), self._known_prefix_multiplier, seen,
                               result)
        return result

    def _unknown_prefix(self, word: str, seen: set) -> list[Parse]:
        """``UnknownPrefixAnalyzer``: up to five letters of anything, then a dictionary word."""
        result: list[Parse] = []
        for split in range(1, 1 + min(5, len(word) - 3)):
            self._put_back(word[:split], self._dictionary_parses(word[split:]),
                           self._unknown_prefix_multiplier, seen, result)
        return result

    def _put_back(
        self, prefix: str, parses: Iterable[Parse], multiplier: float, seen: set,
        result: list[Parse],
    ) -> None:
        """The productive ``parses`` of a word's rest, with its ``prefix`` put back, into
        ``result`` (each form, tag and paradigm once): what both prefix units do."""
        productive = self._is_productive
        for fixed, tag, normal, score, para_id in parses:
            if not productive(tag):
                continue
            key = (prefix + fixed, self._tag_key(tag), para_id)
            if key not in seen:
                seen.add(key)
                result.append((key[0], tag, prefix + normal, score * multiplier, para_id))

    def _known_suffix(self, word: str, seen: set) -> list[Parse]:
        """``KnownSuffixAnalyzer``: parsed like the dictionary's words with the same ending."""
        if len(word) < self._min_suffix_word:
            return []
        found = []
        totals = [1] * len(self._paradigm_prefixes)
        for prefix_id, prefix in self._paradigm_prefixes:
            if not word.startswith(prefix):
                continue
            for length in self._splits:
                start = word[:-length]
                for fixed_ending, parses in self._endings(prefix_id, word[-length:]):
                    fixed = start + fixed_ending
                    for count, para_id, tag, tag_key, normal in parses:
                        totals[prefix_id] += count
                        key = (fixed, tag_key, para_id)
                        if key in seen:
                            continue
                        seen.add(key)
                        # build_normal_form, by the recipe (None: the form is the normal one)
                        normal = fixed if normal is None else (
                            normal[2] + fixed[normal[0]:normal[1]] + normal[3])
                        found.append((count, fixed, tag, normal, prefix_id, para_id))
                if totals[prefix_id] > 1:
                    break
        multiplier = self._suffix_multiplier
        result = [
            (fixed, tag, normal, count / totals[prefix_id] * multiplier, para_id)
            for count, fixed, tag, normal, prefix_id, para_id in found
        ]
        result.sort(key=_score, reverse=True)
        return result

    def _endings(self, prefix_id: int, ending: str) -> tuple:
        cached = self._suffixes.get((prefix_id, ending))
        if cached is None:
            similar = self._suffix_dawgs[prefix_id].similar_items(ending, self._substitutes)
            form = self._form
            cached = tuple(
                (fixed_ending, tuple(
                    (count, para_id, *found[:2], found[3])
                    for count, para_id, index in parses
                    if (found := form(para_id, index))[2]
                ))
                for fixed_ending, parses in similar
            )
            with self._lock:
                if len(self._suffixes) >= self.SUFFIX_CACHE_LIMIT:
                    self._suffixes.clear()
                self._suffixes[(prefix_id, ending)] = cached
        return cached

    def _form(self, para_id: int, index: int) -> tuple:
        """(tag, tag key, productive, normal form recipe) of a form of a paradigm; the recipe
        (cut from, cut to, prefix, suffix) turns the form into its normal form as
        ``Dictionary.build_normal_form`` does, None for the normal form itself."""
        found = self._forms.get((para_id, index))
        if found is None:
            dictionary = self._dictionary
            tag = dictionary.build_tag_info(para_id, index)
            recipe = None
            if index:
                paradigm = dictionary.paradigms[para_id]
                size = len(paradigm) // 3
                prefix = dictionary.paradigm_prefixes[paradigm[size * 2 + index]]
                suffix = dictionary.suffixes[paradigm[index]]
                recipe = (len(prefix), -len(suffix) if suffix else None,
                          dictionary.paradigm_prefixes[paradigm[size * 2]],
                          dictionary.suffixes[paradigm[0]])
            found = (tag, self._tag_key(tag), tag.is_productive(), recipe)
            with self._lock:
                self._forms[(para_id, index)] = found
        return found

    def _tag_key(self, tag) -> int:
        key = self._tag_keys.get(id(tag))
        if key is None:
            with self._lock:  # tags live as long as the analyzer: their ids stay theirs
                key = self._grammemes.setdefault(tag._grammemes_tuple, len(self._grammemes))
                self._tag_keys[id(tag)] = key
        return key

    def _is_productive(self, tag) -> bool:
        productive = self._productive.get(id(tag))
        if productive is None:
            productive = self._productive[id(tag)] = tag.is_productive()
        return productive

    # -- scores -------------------------------------------------------------------------------
    def _estimate(self, word: str, parses: list[Parse]) -> list[Parse]:
        """``ProbabilityEstimator.apply_to_parses``: one lookup tells whether the corpus has
        the word at all (almost never for a guessed one), instead of one per parse."""
        probabilities = self._probabilities
        if not parses or probabilities is None:
            return parses
        if probabilities.has_keys_with_prefix(word + ":"):
            found = [probabilities.prob(word, parse[1]) for parse in parses]
            if sum(found) != 0:
                return sorted(
                    [(w, tag, normal, p, para_id)
                     for (w, tag, normal, _, para_id), p in zip(parses, found, strict=True)],
                    key=_score, reverse=True,
                )
        k = 1.0 / sum(map(_score, parses))
        return [(w, tag, normal, score * k, para_id) for w, tag, normal, score, para_id in parses]


def _score(parse: Parse) -> float:
    return parse[3]

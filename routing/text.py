"""Russian text as the classifier sees it: cleaned, tokenised and reduced to lemmas.

Citizens write in every grammatical case ("в Энгельсе", "Энгельсского района"), with "ё" or
"е", with HTML pasted from portals and with typos. Everything downstream compares lemmas, so the
same problem written five ways lands on the same words.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter
from typing import NamedTuple

from routing.guess import _PLAIN_CYRILLIC, Guesser

#: Appeals longer than this are cut before analysis: the first screens of text say what the
#: problem is, and a 100 kB paste must not cost more than a normal appeal.
MAX_ANALYSED_CHARS = 4000

_TAG = re.compile(r"<[^>]{0,200}>")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u2028-\u202e\ufeff]")
_WORD = re.compile(r"[а-яa-z0-9]+(?:-[а-яa-z0-9]+)*")

#: Words that carry no meaning for routing. Kept short on purpose: negations and prepositions
#: like "нет"/"без" matter ("нет света") and stay in.
STOP_WORDS = frozenset(
    """
    и в во на с со к ко по о об от до из у за для же ли бы то это как так что чтобы а но или
    да уже ещё еще очень просто также тоже весь всё все этот тот такой который какой свой наш
    ваш мой я мы вы он она они оно его её ее их им ему ей нам вам мне меня нас вас себя
    быть мочь есть было был была были будет будут являться просить прошу пожалуйста уважаемый
    здравствуйте добрый день вечер утро спасибо заранее помочь помогите
    """.split()
)


#: Lemmas the dictionary gets wrong for appeals: "нет ям" is about pits, not coaching inns.
LEMMA_FIXES = {"ям": "яма"}


def normalize(text: str) -> str:
    """Lower-case plain text: HTML and control characters removed, "ё" folded into "е"."""
    text = text[: MAX_ANALYSED_CHARS * 2]
    if "<" in text:
        text = _TAG.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
    text = _CONTROL.sub(" ", text).lower().replace("ё", "е")
    return " ".join(text.split())[:MAX_ANALYSED_CHARS]  # str.split: the same whitespace as \s


def words(normalized: str) -> list[str]:
    """Word tokens of normalized text; hyphenated names ("александрово-гайский") stay whole."""
    return _WORD.findall(normalized)


class Morphology:
    """pymorphy3 behind a cache: the analyzer costs 30–100 µs a word, a cache hit ~0.1 µs.

    Used to read the table (keywords, examples, names) and for training; classifying appeals
    goes through a `Lexicon`, which calls it only for the word forms the table can react to.
    The cache is bounded so that a flood of random words cannot grow memory without limit.
    """

    CACHE_LIMIT = 300_000
    LEXEME_LIMIT = 20_000

    def __init__(self) -> None:
        import pymorphy3  # heavy import (dictionaries), done once per process

        self._analyzer = pymorphy3.MorphAnalyzer()
        self._guesser = Guesser.create(self._analyzer)
        self._cache: dict[str, WordInfo] = {}
        self._lexemes: dict[str, frozenset[str]] = {}
        self._lock = threading.Lock()

    def info(self, word: str) -> WordInfo:
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        if word.isdigit() or len(word) > 40:
            result = as_written(word)
        elif "-" in word:
            result = hyphenated([self.info(part) for part in word.split("-")])
        else:
            known = self.is_known(word)
            parses = self._analyzer.parse(word) if known else self._guess(word)
            # The lemma with the most parse weight, not the first parse: "ямы" is more often
            # "яма" than the rare "ям". Ties go to the longer lemma ("ямах" → "яма").
            weight: dict[str, float] = {}
            for parse in parses:  # pymorphy3's Parse or the guesser's plain tuple: same order
                form = parse[2].replace("ё", "е")
                weight[form] = weight.get(form, 0.0) + parse[3]
            if len(weight) == 1:
                forms = tuple(weight)
            else:
                forms = tuple(sorted(weight, key=lambda f: (-round(weight[f], 3), -len(f))))[:4]
            if forms[0] in LEMMA_FIXES:
                forms = (LEMMA_FIXES[forms[0]], *forms)
            name_like = not _NAME_GRAMMEMES.isdisjoint(parses[0][1].grammemes)
            geo = any("Geox" in p[1].grammemes for p in parses)
            result = WordInfo(forms[0], forms, known=known, name_like=name_like, geo=geo)
        with self._lock:
            if len(self._cache) >= self.CACHE_LIMIT:
                self._cache.clear()
            self._cache[word] = result
        return result

    def _guess(self, word: str) -> list:
        """``parse`` of a word the dictionary does not know: pymorphy3's own parses, computed
        by `routing.guess.Guesser` for plain Cyrillic words (a fifth of the ~110 µs)."""
        if self._guesser is None or not _PLAIN_CYRILLIC.fullmatch(word):
            return self._analyzer.parse(word)
        return self._guesser.guess(word)

    def learn_endings(self, words: Iterable[str]) -> None:
        """Prepare the guessing of unknown words ending like ``words`` (see `Guesser`)."""
        if self._guesser is not None:
            self._guesser.learn_endings(words)

    def lemma(self, word: str) -> str:
        return self.info(word).lemma

    def lemmas(self, tokens: Iterable[str]) -> list[str]:
        return [self.info(t).lemma for t in tokens]

    def describe(
        self, tokens: tuple[str, ...]
    ) -> tuple[tuple[WordInfo, ...], tuple[str, ...], tuple[str, ...]]:
        """(analyses, lemmas, content lemmas) of ``tokens``."""
        infos = tuple(self.info(t) for t in tokens)
        content = tuple(filter(None, map(content_lemma, infos)))
        return infos, tuple(i.lemma for i in infos), content

    def is_known(self, word: str) -> bool:
        """Whether the dictionary has ``word``: one DAWG lookup (~0.5 µs), and pymorphy3's
        search trying "ё" for each "е" (~2 µs) only when the word as written is not there."""
        if self._guesser is None:
            return self._analyzer.word_is_known(word)
        return self._guesser.knows(word.lower())

    def lexeme_forms(self, word: str) -> frozenset[str]:
        """Every inflected form of every word ``word`` can be a form of ("яма" → "ям", "ямах"…).

        Cached (~0.3 ms a word otherwise): every table swap builds a new classifier from mostly
        the same words.
        """
        forms = self._lexemes.get(word)
        if forms is None:
            found = {word}
            for parse in self._analyzer.parse(word):
                found.update(form.word.replace("ё", "е") for form in parse.lexeme)
            forms = frozenset(found)
            with self._lock:
                if len(self._lexemes) >= self.LEXEME_LIMIT:
                    self._lexemes.clear()
                self._lexemes[word] = forms
        return forms


_NAME_GRAMMEMES = frozenset({"Name", "Surn", "Patr"})


#: Shorter unknown words are never compared with place names (see `routing.places`).
MIN_FUZZY_LENGTH = 5


class Lexicon:
    """The word forms one routing table (and model) can react to; other words are not analysed.

    Why: a word's first analysis by pymorphy3 costs 30–100 µs, and an appeal is mostly words no
    keyword, example, place name or model feature contains; a long one has a hundred such words
    the bot has never seen, which made the slowest appeals pymorphy's, not the classifier's.
    Only lemmas the classifier compares can change a decision, so the lemmas it compares are
    expanded once, at construction, into all their inflected forms; those forms get the full
    analysis (on first sight, or all at once by ``warm_up``, identical either way). Any other
    word stands for itself: its lemma is the word as written and it is never a personal name.
    Except one that the dictionary does not know and is long enough to be a misspelt place name
    (0–5 such new words an appeal): the place matcher compares its likely lemma with the names,
    so it gets the full analysis and typo matching works exactly as before.
    """

    GUESS_LIMIT = 200_000

    def __init__(self, morph: Morphology, vocabulary: Iterable[str]):
        self._morph = morph
        forms: set[str] = set()
        for word in set(vocabulary):
            if word and not word.isdigit() and len(word) <= 40:
                for part in word.split("-"):
                    forms |= morph.lexeme_forms(part)
        self._forms = frozenset(forms)
        # word → (analysis, content lemma or ""), one lookup a token: forms of the lexicon
        # (never evicted) and other words (bounded, so that a flood of random words cannot
        # grow memory; ``_guessed`` counts them).
        self._entries: dict[str, tuple[WordInfo, str]] = {}
        self._guessed = 0

    def __len__(self) -> int:
        return len(self._forms)

    def info(self, word: str) -> WordInfo:
        return self._entry(word)[0]

    def describe(
        self, tokens: tuple[str, ...]
    ) -> tuple[tuple[WordInfo, ...], tuple[str, ...], tuple[str, ...]]:
        """(analyses, lemmas, content lemmas) of ``tokens``: one dict lookup a word."""
        if not tokens:
            return (), (), ()
        get = self._entries.get
        infos, contents = zip(*[get(t) or self._entry(t) for t in tokens], strict=True)
        return infos, tuple(map(_FIRST, infos)), tuple(filter(None, contents))

    def _entry(self, word: str) -> tuple[WordInfo, str]:
        found = self._entries.get(word)
        if found is not None:
            return found
        if word in self._forms:
            info = self._morph.info(word)
            found = self._entries[word] = (info, content_lemma(info))
            return found
        if "-" in word and not word.isdigit() and len(word) <= 40:
            info = hyphenated([self.info(part) for part in word.split("-")])
        elif word.isdigit() or len(word) > 40:
            info = as_written(word)
        elif self._morph.is_known(word):
            info = as_written(word, known=True)
        elif len(word) >= MIN_FUZZY_LENGTH:
            info = self._morph.info(word)  # maybe a misspelt place: its likely lemma is compared
        else:
            info = as_written(word)
        if self._guessed >= self.GUESS_LIMIT:
            forms = self._forms
            self._entries = {w: e for w, e in self._entries.items() if w in forms}
            self._guessed = 0
        self._guessed += 1
        found = self._entries[word] = (info, content_lemma(info))
        return found

    def warm_up(self) -> int:
        """Analyse every form now (~60 µs each, ~1.5 s for a regional table), so that no
        appeal pays for a first sight, and look up their endings for the guessing of unknown
        words (~0.5 s more); meant for start-up, before serving. Returns the count of forms."""
        for word in self._forms:
            self._entry(word)
        self._morph.learn_endings(self._forms)
        return len(self._forms)


_FIRST = itemgetter(0)  # a WordInfo's lemma


def content_lemma(info: WordInfo) -> str:
    """The lemma if it can say what an appeal is about; "" for stop words, numbers and names."""
    lemma = info.lemma
    if lemma in STOP_WORDS or lemma.isdigit() or info.name_like or len(lemma) <= 1:
        return ""
    return lemma


class WordInfo(NamedTuple):
    """What the classifier knows of a word (a tuple: an appeal makes dozens of them)."""

    lemma: str  # the most likely normal form
    forms: tuple[str, ...]  # every plausible normal form, most likely first
    known: bool  # in the dictionary (an unknown word may be a typo or a place name)
    name_like: bool  # a personal name: never a topic keyword
    geo: bool  # the dictionary knows it as a place name ("Саратов", "Энгельс")


def as_written(word: str, *, known: bool = False) -> WordInfo:
    """A word that stands for itself: its own lemma, no name, no place."""
    return WordInfo(word, (word,), known=known, name_like=False, geo=False)


def hyphenated(parts: list[WordInfo]) -> WordInfo:
    """A hyphenated word from its parts' analyses ("северо-восточный", "кто-то")."""
    lemma = "-".join(p.lemma for p in parts)
    # Every reading of the last part: «Усть-Курдюме» is «усть-курдюма» or «усть-курдюм».
    head = lemma[: len(lemma) - len(parts[-1].lemma)]
    forms = tuple(dict.fromkeys([lemma, *(head + f for f in parts[-1].forms)]))[:4]
    return WordInfo(lemma, forms, known=all(p.known for p in parts), name_like=False,
                    geo=any(p.geo for p in parts))


@lru_cache(maxsize=1)
def morphology() -> Morphology:
    """The process-wide analyzer (loading dictionaries takes ~0.3 s and ~15 MB)."""
    return Morphology()


@dataclass(frozen=True, slots=True)
class AnalysedText:
    """An appeal reduced to what the classifier uses."""

    normalized: str
    tokens: tuple[str, ...]  # surface word forms
    lemmas: tuple[str, ...]  # one lemma per token
    content: tuple[str, ...]  # lemmas without stop words, digits and personal names
    infos: tuple[WordInfo, ...] = ()  # one per token, for the place matcher


def analyse(text: str, morph: Morphology | Lexicon | None = None) -> AnalysedText:
    if morph is None:  # not `or`: an empty Lexicon is falsy
        morph = morphology()
    normalized = normalize(text)
    tokens = tuple(words(normalized))
    infos, lemmas, content = morph.describe(tokens)
    return AnalysedText(normalized, tokens, lemmas, content, infos)


def lemmatize_phrase(phrase: str, morph: Morphology | None = None) -> tuple[str, ...]:
    """Lemmas of a keyword or name as written in the table ("Уличное освещение")."""
    morph = morph or morphology()
    return tuple(morph.lemma(w) for w in words(normalize(phrase)))

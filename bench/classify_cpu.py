"""Cold per-appeal CPU time of ``classify``, which a busy machine disturbs far less than the
wall-clock figures of ``bench.classify_speed``.

    python -m bench.classify_cpu saratov cold     # the classifier as built, caches empty
    python -m bench.classify_cpu saratov warm     # after Classifier.warm_up(), as the bot starts
    python -m bench.classify_cpu national cold
    python -m bench.classify_cpu kursk warm build/kursk.model   # the Kursk table with a model
    python -m bench.classify_cpu saratov warm unguessed   # what if unknown words went unguessed

``time.thread_time_ns`` counts only this thread's CPU time, so preemption by other processes
is left out (cache effects are not). The appeals are those of ``bench.classify_speed`` (topic
examples and the Kursk appeals, plus place-named ones nationally), 2,200 calls of which the
first 200 are not counted; every word is new to the classifier at its first sight.

``unguessed`` is a what-if, not the bot: a word the dictionary does not know (a surname, a typo,
a misspelt place) is taken as written instead of getting pymorphy3's guess, which costs ~100 µs
a word at first sight. Decisions change (such a word then counts as a topic word, and a misspelt
inflected place name is compared as written, not by its likely lemma); the figure says what that
part of the cost is worth.
"""

from __future__ import annotations

import itertools
import sys
import time

from bench.classify_speed import KURSK, NATIONAL, SARATOV, _place_appeals, _real_appeals


def main(argv: list[str]) -> int:
    from routing.classify import Classifier
    from routing.tablefile import load_table

    kind, warm, unguessed = argv[0], "warm" in argv[1:], "unguessed" in argv[1:]
    table = load_table({"saratov": SARATOV, "national": NATIONAL, "kursk": KURSK}[kind])
    model = None
    if kind == "kursk":  # a model trained for the Kursk table (python -m routing train ...)
        from routing.learn import AppealModel

        paths = [a for a in argv[1:] if a not in ("cold", "warm", "unguessed")]
        model = AppealModel.load(paths[0] if paths else "build/kursk.model", table)
    classifier = Classifier(table, model)
    if unguessed:
        leave_unknown_words_unguessed(classifier)
    if warm:  # as the bot starts: the lexicon analysed, then the heap frozen (bot.heap)
        from bot import heap

        classifier.warm_up()
        heap.settle()
    pool = [e for t in table.topics for e in t.examples] + _real_appeals()
    if kind == "national":  # a place-named appeal after every other one, as classify_speed
        places = iter([text for text, _ in _place_appeals(table, 1000)])
        pool = [x for n, t in enumerate(pool) for x in (t, *itertools.islice(places, n % 2))]
    spent = []
    for text in (pool * 2)[:2200]:
        started = time.thread_time_ns()
        classifier.classify(text)
        spent.append(time.thread_time_ns() - started)
    spent = sorted(spent[200:])

    def quantile(p: float) -> float:
        return spent[min(len(spent) - 1, int(p * len(spent)))] / 1e6

    label = ("warm" if warm else "cold") + (", unguessed" if unguessed else "")
    print(f"{kind:9} {label}: CPU per appeal p50 {quantile(.5):.2f}, "
          f"p90 {quantile(.9):.2f}, p99 {quantile(.99):.2f} ms; {sum(spent) / 1e9:.2f} s in all")
    return 0


def leave_unknown_words_unguessed(classifier) -> None:
    """The what-if: the classifier's lexicon takes an unknown word as written, unless it is
    one of the lexicon's own forms (a place name the dictionary lacks keeps its analysis).
    `Lexicon` asks its analyzer only about its forms and about unknown words of 5 letters or
    more (known and hyphenated words it settles itself), so that is the only test needed."""
    from routing.text import as_written

    morph, lexicon = classifier.morph, classifier.lexicon

    class Unguessing:
        def __getattr__(self, name: str):
            return getattr(morph, name)

        def info(self, word: str):
            return morph.info(word) if word in lexicon._forms else as_written(word)

    lexicon._morph = Unguessing()


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""How often the citizen-dialog rules fire on real appeals (issue 16, «Citizen dialog»).

Two rules decide what a citizen's words are before any ticket is made, and both must be
conservative: a real appeal read as small talk would be lost, a place answer read as a new
problem would cost a tap and an odd question. Measured on the 2,000 real Kursk appeals of
``shared/data/kursk-appeals-dev.csv`` with the shipped Kursk table and its classifier:

1. `bot.domain.phrases.small_talk` over every appeal text (must flag none);
2. `bot.domain.phrases.is_new_problem` — the «Это новое обращение?» question — on
   (a) pairs of appeals with different labelled topics, the first pending, the second sent while
       the bot waits (how many real second problems are caught: recall),
   (b) the same pending appeals answered with a place or an address in the ways people answer
       «В каком населённом пункте это?» (any flag is a false alarm),
   (c) appeals split after their first sentence, the rest sent as the "answer" (the same problem
       told in more words: a flag here is an unneeded question, the upper bound of the harm).

    python -m bench.dialog_rules [--data ../shared/data/kursk-appeals-dev.csv] [--pairs 300]

Figures (seed 16, 300 pairs, the rules as committed):

    small talk: 0 of 2000 real appeals flagged
    different problems: 178 of 300 asked «Это новое обращение?» (59%)
    place answers: 0 of 300 asked (false alarms)
    the same appeal continued: 57 of 300 asked (19%)

The 41% of second problems not caught are merged as before (short ones, ones whose topic the
first appeal's candidates already include, vague ones): the price of never asking about a
place answer. The 19% are an upper bound: a first sentence alone is a poorer pending appeal
than a real first message, and many of those continuations do add a second problem.
"""

from __future__ import annotations

import argparse
import random
import re
from pathlib import Path

from bot.domain.phrases import is_new_problem, small_talk
from routing.classify import Classification, Classifier
from routing.dataset import read_labelled
from routing.tablefile import load_table
from tools.build_tables.kursk import clean_text

ROOT = Path(__file__).resolve().parents[1]
KURSK_APPEALS = ROOT.parent / "shared" / "data" / "kursk-appeals-dev.csv"
KURSK_TABLE = ROOT / "routing" / "tables" / "kursk.yaml"

#: How people answer the place question (street names common in Kursk oblast).
PLACE_ANSWERS = (
    "{town}",
    "г. {town}",
    "{town}, ул. Ленина, д. 5",
    "{town}, улица Советская 12",
    "в {town} на улице Мира возле дома 3",
    "{town}, около школы № 2",
    "{town}, возле магазина на ул. Гагарина",
    "{town}, двор дома 14 по улице Кирова",
    "ул. Энгельса 101, {town}",
    "{town} переулок Садовый 7, напротив остановки",
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[А-ЯЁA-Z])")


def pending_topics(result: Classification) -> frozenset[str]:
    """What the bot itself does (`bot.core.intake.pending_topics`): the ticket's topic, the
    topics of its first candidates and the options it asked about."""
    topics = {result.topic, *(c.topic for c in result.candidates[:4]), *result.topic_options}
    return frozenset(t for t in topics if t)


def flags(classifier: Classifier, pending: Classification, text: str) -> bool:
    own = classifier.classify(text)
    return is_new_problem(
        text, own_topic=own.topic, own_decision=own.decision.value,
        pending_topics=pending_topics(pending),
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=KURSK_APPEALS)
    parser.add_argument("--pairs", type=int, default=300)
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args()
    appeals = [a for a in read_labelled(args.data) if clean_text(a.text)]
    texts = [clean_text(a.text) for a in appeals]

    chatter = [t for t in texts if small_talk(t)]
    print(f"small talk: {len(chatter)} of {len(texts)} real appeals flagged")
    for text in chatter[:10]:
        print("   ", text[:100])

    table = load_table(KURSK_TABLE)
    classifier = Classifier(table)
    rng = random.Random(args.seed)
    towns = [m.name for m in table.municipalities if m.kind in ("город", "городской округ")]
    towns = towns or [m.name for m in table.municipalities]
    cache: dict[int, Classification] = {}

    def classified(index: int) -> Classification:
        if index not in cache:
            cache[index] = classifier.classify(texts[index])
        return cache[index]

    caught = pairs = 0
    place_flags = place_total = 0
    examples: list[str] = []
    while pairs < args.pairs:
        first, second = rng.sample(range(len(appeals)), 2)
        if appeals[first].topic == appeals[second].topic:
            continue
        pairs += 1
        pending = classified(first)
        caught += flags(classifier, pending, texts[second])
        answer = rng.choice(PLACE_ANSWERS).format(town=rng.choice(towns))
        place_total += 1
        if flags(classifier, pending, answer):
            place_flags += 1
            examples.append(answer)
    print(f"different problems (pairs of appeals with different topics): {caught} of {pairs} "
          f"asked «Это новое обращение?» ({caught / pairs:.0%})")
    print(f"place answers: {place_flags} of {place_total} asked (false alarms)")
    for text in examples[:10]:
        print("   ", text)

    told_more = split_total = 0
    shown: list[str] = []
    for index in rng.sample(range(len(appeals)), min(len(appeals), args.pairs * 2)):
        head, *rest = _SENTENCE_END.split(texts[index], maxsplit=1)
        if not rest or len(head) < 20:
            continue
        split_total += 1
        pending = classifier.classify(head)
        if flags(classifier, pending, rest[0]):
            told_more += 1
            shown.append(f"{head[:60]} | {rest[0][:80]}")
        if split_total >= args.pairs:
            break
    print(f"the same appeal continued (first sentence pending, the rest as the answer): "
          f"{told_more} of {split_total} asked ({told_more / max(split_total, 1):.0%})")
    for text in shown[:8]:
        print("   ", text)


if __name__ == "__main__":
    main()

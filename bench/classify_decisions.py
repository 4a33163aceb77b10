"""Every per-appeal decision of the classifier, written out to compare two versions of it.

    PYTHONHASHSEED=0 python -m bench.classify_decisions dump build/before.jsonl [--warm-up]
    PYTHONHASHSEED=0 python -m bench.classify_decisions dump build/after.jsonl  [--warm-up]
    python -m bench.classify_decisions diff build/before.jsonl build/after.jsonl
    PYTHONHASHSEED=0 python -m bench.classify_decisions dump build/x.jsonl --model build/kursk.model

A speed-up of ``routing`` must not change what citizens are told: ``dump`` classifies the
appeals of ``bench.classify_speed`` (topic examples, the Kursk appeals, edge inputs, and 1,000
place-named appeals nationally) on the Saratov, Kursk and national tables with fresh caches,
and writes one line per appeal: decision, topic, municipality, body, confidence (``repr``, every
bit), every candidate, the options offered and the explanation; then, for the national table,
how many place-named appeals the gazetteer finds. With ``--model PATH`` (a model trained for
the Kursk table) the Kursk appeals are classified once more with it ("kursk+model"). ``diff``
counts the lines that differ per table and shows the first few.

Fix ``PYTHONHASHSEED`` on both sides: the topic index is built by iterating sets of strings, so
two runs of the same code can differ in the last bit of a candidate's confidence.
"""

from __future__ import annotations

import json
import sys
from collections import Counter

from bench.classify_speed import (
    KURSK,
    NATIONAL,
    SARATOV,
    _edge_inputs,
    _place_appeals,
    _real_appeals,
)


def dump(path: str, warm_up: bool = False, model_path: str | None = None) -> None:
    from routing.classify import Classifier
    from routing.tablefile import load_table
    from routing.text import analyse

    real = _real_appeals()
    sections = [("saratov", SARATOV), ("kursk", KURSK), ("national", NATIONAL)]
    if model_path:
        sections.append(("kursk+model", KURSK))
    with open(path, "w", encoding="utf-8") as out:
        for name, source in sections:
            if not source.exists():
                print(f"{name}: {source} not found, skipped", file=sys.stderr)
                continue
            table = load_table(source)
            model = None
            if name == "kursk+model":
                from routing.learn import AppealModel

                model = AppealModel.load(model_path, table)
            classifier = Classifier(table, model)
            if warm_up:
                classifier.warm_up()
            texts = [e for t in table.topics for e in t.examples] + real
            texts += list(_edge_inputs(real[0] if real else "").values())
            places = _place_appeals(table, 1000) if name == "national" else []
            for number, text in enumerate(texts + [text for text, _ in places]):
                r = classifier.classify(text)
                row = [name, number, r.decision.value, r.topic, r.municipality, r.body,
                       repr(r.confidence),
                       [(c.topic, c.municipality, c.body, repr(c.confidence))
                        for c in r.candidates],
                       list(r.topic_options), list(r.municipality_options), r.why]
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
            if places:
                found = sum(
                    any(m.municipality_id == municipality_id for m in
                        classifier.gazetteer.find(analyse(text, classifier.lexicon)))
                    for text, municipality_id in places
                )
                out.write(json.dumps([name, "place-named appeals found", found]) + "\n")
            print(f"{name}: {len(texts) + len(places)} appeals", file=sys.stderr)


def diff(before: str, after: str) -> int:
    with open(before, encoding="utf-8") as a, open(after, encoding="utf-8") as b:
        old, new = [json.loads(line) for line in a], [json.loads(line) for line in b]
    if len(old) != len(new):
        print(f"different lengths: {len(old)} and {len(new)} lines")
        return 1
    rows, differing = Counter(), Counter()
    for x, y in zip(old, new, strict=True):
        rows[x[0]] += 1
        if x != y:
            differing[x[0]] += 1
            if differing[x[0]] <= 3:
                print(f"- {x}\n+ {y}")
    for name in rows:
        print(f"{name}: {rows[name]} lines, {differing[name]} differ")
    return 1 if differing else 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["dump"] and len(argv) in (2, 3, 4, 5):
        options = argv[2:]
        model = None
        if "--model" in options:
            at = options.index("--model")
            model = options[at + 1] if at + 1 < len(options) else None
            if model is None:
                print("--model needs a path")
                return 2
            del options[at:at + 2]
        if options not in ([], ["--warm-up"]):
            print(__doc__.strip().split("\n\n")[1])
            return 2
        dump(argv[1], warm_up=options == ["--warm-up"], model_path=model)
        return 0
    if argv[:1] == ["diff"] and len(argv) == 3:
        return diff(argv[1], argv[2])
    print(__doc__.strip().split("\n\n")[1])
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

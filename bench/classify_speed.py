"""Classification speed: table load, Classifier construction and per-appeal latency.

    python -m bench.classify_speed [--national] [--model PATH] [--appeals N]

Sections, each measured in a fresh process so that load times include nothing cached by an
earlier section and the RSS reported is that of one table (and model):

* ``saratov``: the shipped regional table ``routing/tables/saratov.yaml``;
* ``kursk+model`` (with ``--model PATH``, e.g. ``build/kursk.model`` made by ``python -m routing
  train --table routing/tables/kursk.yaml ...``): ``routing/tables/kursk.yaml`` with the model;
  skipped with a message when the file does not exist (this bench never trains);
* ``national`` (with ``--national``): the generated national-size table (``bench.national_table``),
  written once to ``build/national-table.zip`` and reused afterwards, classified on the same
  appeals plus appeals naming its generated municipalities, so the place matcher works at scale.

Appeals: the ``examples`` of the table's topics plus, when ``../shared/data/kursk-appeals-dev.csv``
exists beside the repository, its ``text`` column (real appeals, some with HTML), cycled, with a
few edge inputs mixed in (empty, 100k characters, emoji, unclosed HTML). After a warm-up of 200
appeals, ``--appeals`` calls (default 2,000) are timed one by one with ``time.perf_counter_ns``.
The classifier's caches are shared by all appeals of a process, as in the bot: word forms of
the table's lexicon met in the warm-up are cheap afterwards, new ones (and new words unknown to
the dictionary) of a later appeal are not. ``--warm-up`` first runs ``Classifier.warm_up()`` and
freezes the heap (``bot.heap.settle``), as the bot does at start. The row "same, again" times
the same appeals a second time, every word cached: the classifier's own cost; "min of 3" times
each of them three more times and keeps the fastest, which removes most of a busy machine's
preemption from that cost. ``bench.classify_cpu`` gives the cold figures as CPU time.

Not a test: run it by hand on a quiet machine and compare figures from the same machine.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SARATOV = ROOT / "routing" / "tables" / "saratov.yaml"
KURSK = ROOT / "routing" / "tables" / "kursk.yaml"
KURSK_APPEALS = ROOT.parent / "shared" / "data" / "kursk-appeals-dev.csv"
NATIONAL = ROOT / "build" / "national-table.zip"
WARM_UP = 200
PLACE_APPEALS = 1_000  # appeals naming generated municipalities, national section only

_EMOJI = "😡🚧🕳️💡❌🙏🏻👍"
_PLACE_TEMPLATES = (
    "В селе {name} уже месяц не вывозят мусор, контейнеры переполнены",
    "{name}: на улице Центральной не горят фонари, дети ходят в темноте",
    "Прошу отремонтировать дорогу, {name}, ямы по колено",
    "Нет воды третий день. {name}, ул. Садовая 5",
    "Поселок {name} — в школе холодно, отопление не работает",
    "Бродячие собаки у детского сада, {name}, примите меры",
)


# -- appeals -------------------------------------------------------------------------------------
def _real_appeals() -> list[str]:
    if not KURSK_APPEALS.exists():
        return []
    import csv

    with KURSK_APPEALS.open(encoding="utf-8", newline="") as source:
        return [row["text"] for row in csv.DictReader(source) if row.get("text")]


def _edge_inputs(sample: str) -> dict[str, str]:
    filler = (sample.strip() or "Не горит фонарь у дома 5. ") + " "
    return {
        "empty": "",
        "whitespace": " \n\t \u200b ",
        "100k chars of appeal text": (filler * (100_000 // len(filler) + 1))[:100_000],
        "100k chars of unclosed HTML": ("<a href=x" * 12_000)[:100_000],
        "emoji only": _EMOJI * 20,
        "emoji in an appeal": f"{_EMOJI} Яма на дороге {_EMOJI} уже год {_EMOJI}",
        "latin transliteration": "Net sveta na ulitse Lenina uzhe nedelyu, pomogite",
    }


def _place_appeals(table, count: int, seed: int = 7) -> list[tuple[str, str]]:
    """(text, municipality id it names): names/aliases of random municipalities, every fifth
    with a letter dropped so the fuzzy matcher runs too."""
    rnd = random.Random(seed)
    appeals = []
    for municipality in rnd.sample(list(table.municipalities), count):
        name = rnd.choice((municipality.name, *municipality.aliases))
        if len(appeals) % 5 == 4 and len(name) > 6:
            cut = rnd.randrange(2, len(name) - 1)
            name = name[:cut] + name[cut + 1:]
        appeals.append((rnd.choice(_PLACE_TEMPLATES).format(name=name), municipality.id))
    return appeals


# -- measuring -----------------------------------------------------------------------------------
def rss_mib() -> float:
    """This process's resident memory now, MiB."""
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def _percentiles(nanoseconds: list[int]) -> dict[str, float]:
    ordered = sorted(nanoseconds)

    def rank(q: float) -> float:  # nearest-rank percentile, in milliseconds
        return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))] / 1e6

    return {"n": len(ordered), "p50": rank(0.50), "p90": rank(0.90), "p99": rank(0.99),
            "max": ordered[-1] / 1e6, "mean": sum(ordered) / len(ordered) / 1e6}


def _section(kind: str, appeals: int, model_path: str | None, warm_up: bool = False) -> dict:
    """Run one section in this process and return its figures."""
    from routing.classify import Classifier
    from routing.tablefile import load_table
    from routing.text import analyse, morphology

    result: dict = {"section": kind, "rss_start": rss_mib()}
    started = time.perf_counter()
    morph = morphology()  # pymorphy3 dictionaries: once per process, whatever the table
    result["morph_s"] = time.perf_counter() - started

    path = {"saratov": SARATOV, "kursk+model": KURSK, "national": NATIONAL}[kind]
    started = time.perf_counter()
    table = load_table(path)
    result["load_s"] = time.perf_counter() - started
    result["summary"] = table.summary()

    model = None
    if model_path:
        from routing.learn import AppealModel

        started = time.perf_counter()
        model = AppealModel.load(model_path, table)
        result["model_s"] = time.perf_counter() - started

    started = time.perf_counter()
    classifier = Classifier(table, model, morph=morph)
    result["build_s"] = time.perf_counter() - started
    result["lexicon_forms"] = len(classifier.lexicon)
    if warm_up:  # what the bot does at start, before listening (bot.bootstrap.build_classifier)
        started = time.perf_counter()
        result["warm_words"] = classifier.warm_up()
        result["warm_s"] = time.perf_counter() - started
        # ... and once it listens: the long-lived heap out of the collector's full passes.
        from bot import heap

        started = time.perf_counter()
        heap.settle()
        result["settle_s"] = time.perf_counter() - started
    result["rss_loaded"] = rss_mib()

    examples = [example for topic in table.topics for example in topic.examples]
    real = _real_appeals()
    base = examples + real
    edges = _edge_inputs(real[0] if real else (examples[0] if examples else ""))
    places = _place_appeals(table, PLACE_APPEALS) if kind == "national" else []
    # Interleave: base appeals, a place appeal after every other one, an edge input now and then.
    pool: list[tuple[str, str]] = []  # (text, what it is: "base", "place" or "edge")
    place_iter, edge_iter = iter(places), iter(edges.values())
    for number, text in enumerate(base):
        pool.append((text, "base"))
        if number % 2 and (place := next(place_iter, None)):
            pool.append((place[0], "place"))
        if number % 150 == 75 and (edge := next(edge_iter, None)) is not None:
            pool.append((edge, "edge"))
    pool += [(text, "place") for text, _ in place_iter] + [(e, "edge") for e in edge_iter]
    result["pool"] = dict(Counter(k for _, k in pool))
    result["pool_sources"] = (f"{len(examples)} topic examples"
                              + (f" + {len(real)} appeals from {KURSK_APPEALS.name}" if real
                                 else f" ({KURSK_APPEALS} not found)"))

    for i in range(WARM_UP):
        classifier.classify(pool[i % len(pool)][0])

    timings: dict[str, list[int]] = {"base": [], "place": [], "edge": []}
    decisions: Counter[str] = Counter()
    clock = time.perf_counter_ns
    for i in range(WARM_UP, WARM_UP + appeals):
        text, what = pool[i % len(pool)]
        before = clock()
        classification = classifier.classify(text)
        timings[what].append(clock() - before)
        decisions[classification.decision.value] += 1
    everything = [t for ts in timings.values() for t in ts]
    result["all"] = _percentiles(everything)
    result["place"] = _percentiles(timings["place"]) if timings["place"] else None
    result["decisions"] = dict(decisions)
    # The same appeals once more: every word is now in the morphology cache, so this is the
    # classifier's own cost, the floor a long-running bot approaches.
    again = [_timed(classifier, pool[i % len(pool)][0])
             for i in range(WARM_UP, WARM_UP + appeals)]
    result["again"] = _percentiles(again)
    # And each of them three times more, keeping the fastest: the same cost with most of the
    # machine's noise (preemption by other processes) taken out, for busy shared machines.
    fastest = [min(_timed(classifier, pool[i % len(pool)][0]) for _ in range(3))
               for i in range(WARM_UP, WARM_UP + appeals)]
    result["fastest"] = _percentiles(fastest)

    # Each edge input on its own (already seen once in the warm-up or the run): best of 3.
    result["edges"] = {}
    for label, text in edges.items():
        best = min(_timed(classifier, text) for _ in range(3))
        result["edges"][label] = best / 1e6
    if places:  # not timed: does the place matcher find the municipality the appeal names?
        found = 0
        for text, municipality_id in places:
            matches = classifier.gazetteer.find(analyse(text, classifier.lexicon))
            found += any(m.municipality_id == municipality_id for m in matches)
        result["place_found"] = found / len(places)
    result["rss_after"] = rss_mib()
    return result


def _timed(classifier, text: str) -> int:
    before = time.perf_counter_ns()
    classifier.classify(text)
    return time.perf_counter_ns() - before


def _in_child(kind: str, appeals: int, model_path: str | None, warm_up: bool = False) -> dict:
    command = [sys.executable, "-m", "bench.classify_speed", "--section", kind,
               "--appeals", str(appeals)] + (["--warm-up"] if warm_up else [])
    if model_path:
        command += ["--model", model_path]
    output = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT).stdout
    return json.loads(output.strip().splitlines()[-1])


# -- report --------------------------------------------------------------------------------------
def _header() -> str:
    from bench.table_load import _calibration

    cpus = os.cpu_count()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cpus
    load = " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return (f"machine: nproc {usable} (of {cpus}), {platform.python_implementation()} "
            f"{platform.python_version()} on {platform.machine()} {platform.system()}, "
            f"load avg {load}, calibration loop (10M additions) {_calibration():.2f} s")


COLUMNS = (f"{'section':<14}{'load s':>8}{'model s':>8}{'build s':>8}{'RSS load':>9}"
           f"{'RSS end':>8} {'appeals':>8}{'p50 ms':>8}{'p90 ms':>8}{'p99 ms':>8}{'max ms':>8}")


def _row(label: str, r: dict, stats: dict, first: bool) -> str:
    if first:
        model = f"{r['model_s']:8.2f}" if "model_s" in r else f"{'-':>8}"
        head = (f"{label:<14}{r['load_s']:8.2f}{model}{r['build_s']:8.2f}"
                f"{r['rss_loaded']:8.0f}M{r['rss_after']:7.0f}M")
    else:
        head = f"{label:<14}{'':>41}"
    return (f"{head} {stats['n']:8d}{stats['p50']:8.2f}{stats['p90']:8.2f}{stats['p99']:8.2f}"
            f"{stats['max']:8.1f}")


def _print_results(results: list[dict]) -> None:
    print()
    print(COLUMNS)
    for r in results:
        print(_row(r["section"], r, r["all"], True))
        if r.get("place"):
            print(_row("  place-named", r, r["place"], False))
        print(_row("  same, again", r, r["again"], False))
        print(_row("  min of 3", r, r["fastest"], False))
    print()
    for r in results:
        edges = ", ".join(f"{label} {ms:.2f}" for label, ms in r["edges"].items())
        decisions = ", ".join(f"{k} {v}" for k, v in sorted(r["decisions"].items()))
        print(f"{r['section']}: {r['summary']}")
        if "warm_s" in r:
            print(f"  warm-up: {r['warm_words']} word forms analysed in {r['warm_s']:.2f} s")
            print(f"  heap frozen (bot.heap.settle) in {r['settle_s']:.2f} s")
        print(f"  lexicon: {r['lexicon_forms']} word forms the classifier reacts to")
        print(f"  pymorphy3 load {r['morph_s']:.2f} s; RSS at start {r['rss_start']:.0f} MiB; "
              f"appeals: {r['pool_sources']}; pool {r['pool']}")
        print(f"  decisions: {decisions}")
        print(f"  edge inputs, ms (best of 3): {edges}")
        if "place_found" in r:
            print(f"  place-named appeals whose municipality the gazetteer finds: "
                  f"{r['place_found']:.0%}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.classify_speed",
                                     description=__doc__.strip().splitlines()[0])
    parser.add_argument("--national", action="store_true",
                        help="also the national-size table (generated once into build/)")
    parser.add_argument("--model", metavar="PATH", help="a model trained for the Kursk table")
    parser.add_argument("--appeals", type=int, default=2_000, metavar="N",
                        help="timed appeals per section after 200 warm-up ones (default 2000)")
    parser.add_argument("--warm-up", action="store_true",
                        help="analyse the classifier's lexicon ahead (Classifier.warm_up), "
                             "as the bot does at start, before its channels listen")
    parser.add_argument("--section", help=argparse.SUPPRESS)  # internal: one section, as JSON
    args = parser.parse_args(argv)
    if args.appeals < 1:
        parser.error("--appeals must be positive")

    if args.section:
        print(json.dumps(_section(args.section, args.appeals, args.model, args.warm_up)))
        return 0

    print(_header(), flush=True)
    results = []
    print("saratov …", flush=True)
    results.append(_in_child("saratov", args.appeals, None, args.warm_up))
    if args.model:
        if Path(args.model).is_file():
            print("kursk+model …", flush=True)
            results.append(_in_child("kursk+model", args.appeals, args.model, args.warm_up))
        else:
            print(f"kursk+model: skipped, no model at {args.model} (train one with: python -m "
                  "routing train --table routing/tables/kursk.yaml --data "
                  "../shared/data/kursk-appeals-dev.csv --holdout 0.2 --out build/kursk.model)",
                  flush=True)
    if args.national:
        if not NATIONAL.exists():
            from bench.national_table import build
            from routing.tablefile import save_table

            started = time.perf_counter()
            save_table(build(), NATIONAL)
            print(f"national: generated {NATIONAL.relative_to(ROOT)} "
                  f"({NATIONAL.stat().st_size / 2**20:.1f} MiB) in "
                  f"{time.perf_counter() - started:.0f} s", flush=True)
        else:
            print(f"national: reusing {NATIONAL.relative_to(ROOT)}", flush=True)
        print("national …", flush=True)
        results.append(_in_child("national", args.appeals, None, args.warm_up))
    _print_results(results)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

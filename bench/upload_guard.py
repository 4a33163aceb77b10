"""Uploads under guard: time to the answer, the parsing process's peak memory, the loop's lag.

    python -m bench.upload_guard             # every case, each in a fresh process
    python -m bench.upload_guard --inline    # the shipped tables parsed as before the guard
    python -m bench.upload_guard --case zip-100mb-csv

Each case runs in a fresh process whose event loop wakes every millisecond (as the bot's loop
serves citizens) while the upload is parsed the way `Coordination.propose_upload` parses it: a
thread waiting on `routing.sandbox.parse_upload`. Reported: the wall time to the answer, the
answer (the table's summary or the start of the first problem), how late the 1-ms wake-ups came
during the parse (p50/p99/max; the loop's lag), the peak RSS of the parsing child (its own
``VmHWM``, which it reports: ``RUSAGE_CHILDREN`` would count the parent's pages at the spawn) and
how much the bot-side process's peak RSS grew.

Cases: ``idle`` (a second without an upload: the lag the machine gives anyway); the shipped
Saratov and Kursk tables as XLSX, ZIP of CSV and YAML; the hostile files of
`tests.hostile_files` (an XLSX with a 200 MB sheet, a 1 GB shared-strings part, a ZIP with a
100 MB CSV, a ZIP of 100,000 members); and a table at the bounds (99,000 bodies, ~900,000 cells,
as a ZIP of CSV). ``--inline`` is "before": ``parse_table`` in a thread of the same process, as
the bot did until the guard (run it against the old ``routing/`` with ``PYTHONPATH``); hostile
files are left out there, they take gigabytes.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import resource
import statistics
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ("saratov", "kursk")
FORMATS = ("xlsx", "zip", "yaml")
HOSTILE = ("xlsx-200mb-sheet", "xlsx-1gb-shared-strings", "zip-100mb-csv", "zip-100000-members")
AT_BOUNDS = "zip-at-the-bounds"
IDLE = "idle"


def _table(name: str):
    from routing.tablefile import load_table

    return load_table(ROOT / "routing" / "tables" / f"{name}.yaml")


def _at_the_bounds() -> bytes:
    """Kursk with 99,000 generated bodies (9 columns each): the largest table UPLOAD admits."""
    from routing.tablefile import table_to_bytes

    kursk = _table("kursk")
    source = zipfile.ZipFile(io.BytesIO(table_to_bytes(kursk, "zip")))
    topic, place = kursk.topics[0].id, kursk.municipalities[0].id
    lines = ["id,name,level,topics,territory,priority,deadline,telegram_chat,vk_peer"]
    lines += [f"gen-{i},Отдел № {i} администрации района,municipal,{topic},{place},{i + 10},10wd,"
              f"-100{i:07d},{2_000_000_000 + i}" for i in range(99_000)]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.namelist():
            extra = "\n".join(lines[1:]) if member == "bodies.csv" else ""
            content = source.read(member).decode() + extra
            target.writestr(member, content)
    return buffer.getvalue()


def upload(case: str) -> tuple[bytes, str]:
    """The bytes and file name of ``case``."""
    from routing.tablefile import table_to_bytes

    table, _, fmt = case.partition("-")
    if table in SHIPPED:
        return table_to_bytes(_table(table), fmt), f"{table}.{fmt}"
    if case == AT_BOUNDS:
        return _at_the_bounds(), "bounds.zip"
    from tests import hostile_files

    saratov = _table("saratov")
    return {
        "xlsx-200mb-sheet": lambda: (hostile_files.xlsx_with_huge_sheet(saratov), "sheet.xlsx"),
        "xlsx-1gb-shared-strings": lambda: (hostile_files.xlsx_with_huge_shared_strings(saratov),
                                            "strings.xlsx"),
        "zip-100mb-csv": lambda: (hostile_files.zip_with_huge_csv(saratov), "csv.zip"),
        "zip-100000-members": lambda: (hostile_files.zip_with_many_members(), "members.zip"),
    }[case]()


def _answer_of(error: Exception) -> str:
    problems = getattr(error, "problems", None)
    return str(problems[0]) if problems else f"{type(error).__name__}: {error}"


def _inline(data: bytes, name: str) -> tuple[str, int | None]:
    """Before the guard: ``parse_table`` in this process (from a thread)."""
    from routing.tablefile import parse_table

    try:
        return parse_table(data, name).summary(), None
    except Exception as error:  # TableError, or anything the old code let through
        return _answer_of(error), None


def _sandboxed(data: bytes, name: str) -> tuple[str, int | None]:
    """As the bot parses an upload now, with the child's own peak RSS."""
    from routing.sandbox import parse_in_child

    parse = parse_in_child(data, name)
    answer = parse.table.summary() if parse.table else _answer_of(parse.refusal)
    return answer, parse.peak_bytes


def _idle(data: bytes, name: str) -> tuple[str, int | None]:
    """No parse, a second's wait: the loop's lag this machine gives anyway, right now."""
    time.sleep(1)
    return "(a second without an upload)", None


async def _timed(parse, data: bytes, name: str) -> dict:
    """Parse in a thread while the loop wakes every millisecond; the lags of the wake-ups."""
    lags: list[float] = []
    done = threading.Event()

    async def ticker() -> None:
        while not done.is_set():
            before = time.perf_counter()
            await asyncio.sleep(0.001)
            lags.append((time.perf_counter() - before - 0.001) * 1000)

    started = time.perf_counter()
    tick = asyncio.create_task(ticker())
    try:
        answer, peak = await asyncio.to_thread(parse, data, name)
    finally:
        done.set()
    seconds = time.perf_counter() - started
    await tick
    lags.sort()
    return {
        "seconds": round(seconds, 2),
        "answer": answer[:110],
        "child_peak_mb": round(peak / 2**20) if peak else None,
        "lag_p50_ms": round(statistics.median(lags), 2),
        "lag_p99_ms": round(lags[min(len(lags) - 1, int(0.99 * len(lags)))], 2),
        "lag_max_ms": round(lags[-1], 2),
    }


def run_case(case: str, inline: bool) -> dict:
    """One case in this process (fresh: started by `main`)."""
    data, name = upload(case) if case != IDLE else (b"", "")
    parse = _idle if case == IDLE else _inline if inline else _sandboxed
    import openpyxl  # noqa: F401  imported before timing, as in the long-running bot
    import yaml  # noqa: F401

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = asyncio.run(_timed(parse, data, name))
    result["case"] = case
    result["upload_kb"] = round(len(data) / 1024)
    result["bot_growth_mb"] = round(
        (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024)
    return result


def _in_fresh_process(case: str, inline: bool) -> dict:
    command = [sys.executable, "-m", "bench.upload_guard", "--case", case, "--json"]
    output = subprocess.run([*command, *(["--inline"] if inline else [])], check=True,
                            capture_output=True, text=True, cwd=ROOT).stdout
    return json.loads(output.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--case", help="run one case in this process")
    parser.add_argument("--inline", action="store_true", help="parse in a thread, no child")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.case:
        result = run_case(args.case, args.inline)
        print(json.dumps(result, ensure_ascii=False) if args.json else result)
        return 0
    cases = [IDLE, *(f"{t}-{f}" for t in SHIPPED for f in FORMATS), AT_BOUNDS]
    if not args.inline:
        cases += HOSTILE
    mode = "inline (before)" if args.inline else "routing.sandbox"
    print(f"$ python -m bench.upload_guard{' --inline' if args.inline else ''}   # {mode}")
    print("| case | upload, KB | s | loop lag p50 / p99 / max, ms | child peak RSS, MB | "
          "bot RSS growth, MB | answer |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for case in cases:
        r = _in_fresh_process(case, args.inline)
        child = r["child_peak_mb"] or "—"
        print(f"| {case} | {r['upload_kb']} | {r['seconds']} | {r['lag_p50_ms']} / "
              f"{r['lag_p99_ms']} / {r['lag_max_ms']} | {child} | {r['bot_growth_mb']} | "
              f"{r['answer']} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Load times of routing tables: the shipped one(s) given as arguments and a national-size table.

    python -m bench.table_load [routing/tables/saratov.yaml ...] [--xlsx]

The national table (see ``bench.national_table``) is generated into a temporary folder as YAML
and as a ZIP of CSVs (and XLSX with ``--xlsx``: slow to write and to read), then each file is
loaded in a fresh process so that the peak memory reported is that of one load. Not a test: run
it by hand and compare figures from the same machine.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _measure(path: str) -> dict:
    """Load ``path`` in this process; wall time and peak RSS (MiB)."""
    import resource

    from routing.tablefile import load_table

    started = time.perf_counter()
    table = load_table(path)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return {"seconds": round(seconds, 2), "peak_mib": round(peak), "summary": table.summary()}


def _in_child(path: str) -> dict:
    code = ("import json, sys; from bench.table_load import _measure; "
            "print(json.dumps(_measure(sys.argv[1])))")
    output = subprocess.run([sys.executable, "-c", code, path], check=True,
                            capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def _report(label: str, path: str) -> None:
    size = sum(p.stat().st_size for p in Path(path).rglob("*")) if Path(path).is_dir() \
        else Path(path).stat().st_size
    result = _in_child(path)
    print(f"{label:<28} {size / 2**20:7.1f} MiB  {result['seconds']:7.2f} s  "
          f"peak RSS {result['peak_mib']:5d} MiB  {result['summary']}", flush=True)


def _calibration() -> float:
    """Seconds for a fixed pure-Python loop, to compare machines (≈0.5 s on a 2020s laptop)."""
    started = time.perf_counter()
    total = 0
    for i in range(10_000_000):
        total += i
    return time.perf_counter() - started


def main(argv: list[str]) -> int:
    with_xlsx = "--xlsx" in argv
    print(f"calibration loop (10M additions): {_calibration():.2f} s", flush=True)
    for path in (a for a in argv if a != "--xlsx"):
        _report(Path(path).name, path)
    from bench.national_table import build
    from routing.tablefile import save_table

    table = build()
    with tempfile.TemporaryDirectory() as folder:
        formats = [("national.yaml", "YAML"), ("national.zip", "CSV in ZIP")]
        if with_xlsx:
            formats.append(("national.xlsx", "XLSX"))
        for name, label in formats:
            path = str(Path(folder) / name)
            save_table(table, path)
            _report(f"national, {label}", path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

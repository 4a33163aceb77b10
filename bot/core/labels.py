"""A coordinator's labelled appeals (CSV) checked before any of them is stored.

The format is the one ``python -m routing train`` reads: a header with ``text`` and ``body``
(a body's id or name as in the table; ``topic`` optional). The file is taken whole or not at
all: a half-taken file would teach the model from rows the coordinator meant to fix. Every
problem is one Russian line naming the row; the reading stops at ``MAX_ROWS`` (a file of a
million rows costs one line, not a million) and the lines listed are bounded by the caller.
Pure CPU work: the caller runs it in a thread.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from bot.domain import texts
from routing.evaluate import LabelResolver
from routing.model import RoutingTable

#: The most rows one file may have (a year of a large region's appeals).
MAX_ROWS = 100_000
#: The most problems collected (the rest only counted).
MAX_PROBLEMS = 20


@dataclass(frozen=True, slots=True)
class LabelledRow:
    text: str
    body: str  # id in the table
    topic: str | None


@dataclass
class LabelsCheck:
    rows: list[LabelledRow] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    total_problems: int = 0

    def problem(self, line: str) -> None:
        self.total_problems += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(line)


def looks_labelled(data: bytes) -> bool:
    """Whether a CSV's first line names a ``text`` column (a table's sheets never do)."""
    first = data[:4096].lstrip(b"\xef\xbb\xbf").split(b"\n", 1)[0].decode("utf-8", "replace")
    return "text" in [c.strip().lower() for c in first.split(",")]


def check_labels(data: bytes, table: RoutingTable) -> LabelsCheck:
    check = LabelsCheck()
    try:
        raw = data.decode("utf-8").lstrip("\ufeff")
    except UnicodeDecodeError:
        check.problem(texts.LABELS_NOT_UTF8)
        return check
    reader = csv.DictReader(io.StringIO(raw))
    try:
        columns = [c.strip().lower() for c in reader.fieldnames or ()]
    except csv.Error as error:
        check.problem(texts.LABELS_BROKEN_CSV.format(row=1, error=error))
        return check
    if "text" not in columns:
        check.problem(texts.LABELS_NO_TEXT_COLUMN)
    if "body" not in columns:
        check.problem(texts.LABELS_NO_BODY_COLUMN)
    if check.total_problems:
        return check
    reader.fieldnames = columns
    resolver = LabelResolver(table)
    number = 1
    try:
        for number, row in enumerate(reader, start=2):  # the header is line 1
            if number - 1 > MAX_ROWS:
                check.problem(texts.LABELS_TOO_MANY_ROWS.format(limit=f"{MAX_ROWS:,}"
                                                                .replace(",", " ")))
                break
            _check_row(check, resolver, number, row)
    except csv.Error as error:
        check.problem(texts.LABELS_BROKEN_CSV.format(row=number + 1, error=error))
    if not check.rows and not check.total_problems:
        check.problem(texts.LABELS_NO_ROWS)
    return check


def _check_row(check: LabelsCheck, resolver: LabelResolver, number: int, row: dict) -> None:
    text = (row.get("text") or "").strip()
    written = (row.get("body") or "").strip()
    body = resolver.body(written)
    if not text:
        check.problem(texts.LABELS_EMPTY_TEXT.format(row=number))
    elif not written:
        check.problem(texts.LABELS_NO_BODY.format(row=number))
    elif body is None:
        check.problem(texts.LABELS_UNKNOWN_BODY.format(row=number, body=written[:80]))
    elif not check.total_problems:  # once anything is wrong, nothing is kept
        check.rows.append(LabelledRow(text, body, resolver.topic(row.get("topic"))))

"""``LOG_FORMAT=json``: one JSON object per line, for log collectors that parse rather than grep.

The records are the same as in the text format — only their shape differs — so the rule of the
text format holds here too: no citizen's text, name or chat id is ever logged (call sites log
ticket numbers, body ids and exception class names: `bot.core.logsafe`). A message or a
traceback with line breaks stays on one line, escaped, so a collector never splits a record.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime


class JsonLines(logging.Formatter):
    """``{"time", "level", "logger", "message"}``, plus ``exception`` when the record has one."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False)

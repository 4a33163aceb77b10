"""Characters that cannot be stored are made storable before the core sees a message.

A platform's JSON may carry a lone UTF-16 surrogate (``"\\ud800"`` is valid JSON, and a client
that cuts a long text in the middle of an emoji sends exactly that); Python decodes it into a
``str`` that no UTF-8 database driver will encode, so the appeal would fail with a traceback.
PostgreSQL also refuses NUL in text. Both are replaced here, once, at the core's single entry
point: a lone surrogate by U+FFFD (the "unknown character" mark, so the citizen still sees that
something was there) and NUL by nothing (it never carries meaning in a message).
"""

from __future__ import annotations

import dataclasses
import re

from bot.domain.messages import IncomingMessage

_UNSTORABLE = re.compile("[\ud800-\udfff\x00]")
_REPLACEMENT = "\ufffd"


def storable(text: str) -> str:
    """``text`` with lone surrogates as U+FFFD and without NUL characters."""
    if not _UNSTORABLE.search(text):
        return text
    return _UNSTORABLE.sub(lambda m: "" if m.group() == "\x00" else _REPLACEMENT, text)


def storable_message(message: IncomingMessage) -> IncomingMessage:
    """The message with its text, button data and command storable (the same object if they
    already are, which is nearly always)."""
    changes = {}
    for name in ("text", "payload", "command"):
        value = getattr(message, name)
        if isinstance(value, str) and storable(value) is not value:
            changes[name] = storable(value)
    return dataclasses.replace(message, **changes) if changes else message

"""Is a comment under a post an appeal to the body, or not?

Comments are most of the public conversation on a state page, and most of them are not appeals:
thanks, praise, jokes, arguments between citizens. Each comment classified as an appeal gets a
public reply from the community and a ticket, so a wrong «appeal» is worse than a missed one
(a missed one is still visible to the page's staff). The rule is therefore strict: an appeal
names something a body is responsible for (a road, trash, heating, a bus…) AND asks about it,
complains about it or requests something; or it asks the administration outright («куда
обращаться», «примите меры»). A comment that answers another citizen is never an appeal.
Spam and insults are «abuse»: the card offers the page's administrator a link to hide them.

Pure text rules over word stems from ``routing/data/comment_cues.txt`` (data, not code), no
morphology: this runs for every comment on every connected page (~20 µs a comment). Figures on
the held-out comments: ``python -m bench.comments``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from routing.text import normalize

CUES_FILE = Path(__file__).parent / "data" / "comment_cues.txt"

#: A comment that starts by addressing a person: VK's «[id123|Иван], …» (what VK inserts when a
#: citizen answers another), «@id123 Иван, …» or «@durov …» typed by hand. A community mention
#: («[club1|…]») is an address to the page and does not count.
_PERSON_MENTION = re.compile(r"^\s*(?:\[id\d+\|[^\]]{0,80}\]|@id\d+|@[a-z][a-z0-9_.]{2,31}\b)")
_MENTION_MARKUP = re.compile(r"\[(?:id|club|public)\d+\|([^\]]{0,80})\]")
_LETTER = "а-яa-z0-9"


class CommentKind(StrEnum):
    APPEAL = "appeal"  # a question or complaint to the body: a ticket and a public reply
    OTHER = "not"  # thanks, chatter, replies between citizens: nothing
    ABUSE = "abuse"  # spam or insults: a card with a link to hide it, closed as spam


@dataclass(frozen=True, slots=True)
class CommentCues:
    """One compiled pattern per section of the cue file."""

    insult: re.Pattern[str]
    spam: re.Pattern[str]
    topic: re.Pattern[str]
    question: re.Pattern[str]
    complaint: re.Pattern[str]
    request: re.Pattern[str]
    thanks: re.Pattern[str]


def _cue_pattern(cue: str) -> str:
    anywhere = cue.startswith("~")
    whole = cue.endswith("=")
    words = cue.strip("~=").split()
    body = r"\s+".join(
        re.escape(word) + ("" if i == len(words) - 1 else f"(?![{_LETTER}])")
        for i, word in enumerate(words)
    )
    if not anywhere and body[:1].isalnum():
        body = f"(?<![{_LETTER}*]){body}"
    return body + (f"(?![{_LETTER}*])" if whole else "")


def parse_cues(text: str) -> CommentCues:
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip().lower().replace("ё", "е")
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
        elif current is None:
            raise ValueError(f"cue outside a section: {line!r}")
        else:
            current.append(_cue_pattern(line))
    return CommentCues(**{
        name: re.compile("|".join(sections[name])) for name in CommentCues.__slots__
    })


@lru_cache(maxsize=1)
def shipped_cues() -> CommentCues:
    return parse_cues(CUES_FILE.read_text(encoding="utf-8"))


def classify_comment(
    text: str, *, reply_to_citizen: bool = False, cues: CommentCues | None = None
) -> CommentKind:
    """The kind of a comment. ``reply_to_citizen``: the platform says it answers another
    citizen's comment (VK ``reply_to_user`` > 0, a Telegram reply to a citizen's message)."""
    cues = cues or shipped_cues()
    addressed_to_person = reply_to_citizen or bool(_PERSON_MENTION.match(text))
    plain = normalize(_MENTION_MARKUP.sub(r"\1", text))
    if cues.insult.search(plain) or cues.spam.search(plain):
        return CommentKind.ABUSE
    if addressed_to_person or not plain:
        return CommentKind.OTHER
    return CommentKind.APPEAL if _is_appeal(plain, cues) else CommentKind.OTHER


def _is_appeal(plain: str, cues: CommentCues) -> bool:
    if cues.request.search(plain):
        return True
    if not cues.topic.search(plain):
        return False
    question = cues.question.search(plain)
    asks = question is not None and ("?" in plain or question.start() < 12)
    complains = cues.complaint.search(plain) is not None
    if cues.thanks.search(plain) and not asks:
        return False  # «Спасибо, всё починили, свет есть»
    return asks or complains

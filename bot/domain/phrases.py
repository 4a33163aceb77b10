"""What a person's words mean to the bot before any classifier reads them: a command, a body's
refusal («Не наше: …»), a body named by a coordinator («Орган: минтранс»), an address.

Pure text rules, kept apart from the use cases so that each is written once and tested on its
own; the adapters do not parse any of this (they only pass the text on).
"""

from __future__ import annotations

import re

#: What `command_of` can return besides an unknown ``/name``.
COMMANDS = ("start", "help", "my", "privacy", "forget", "cancel")

#: Words a VK user types or taps instead of a slash command (VK has no command menu; its "Start"
#: button sends «Начать»). Compared case-insensitively, the whole message.
COMMAND_WORDS = {
    "начать": "start",
    "старт": "start",
    "помощь": "help",
    "справка": "help",
    "мои обращения": "my",
    "конфиденциальность": "privacy",
    "удалить мои данные": "forget",
    "отмена": "cancel",
    "отменить": "cancel",
}

_SLASH = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@\w+)?(?:\s|$)")

# A street, a house, a building: what makes a place findable for a crew. Geolocation counts too.
_STREET = re.compile(
    r"(?<![а-яё])(?:ул|улиц[аеуы]|пр|пр-т|пр-д|просп|проспект\w*|пер|переул\w*|ш|шоссе|б-р"
    r"|бульвар\w*|пл|площад[ьи]|проезд\w*|наб|набережн\w*|туп|тупик\w*|мкр|микрорайон\w*"
    r"|квартал\w*|тракт\w*|алле[яеи]|снт|мкрн)(?![а-яё])",
    re.IGNORECASE,
)
_HOUSE = re.compile(r"(?<![а-яё])(?:д|дом\w*|корп|корпус\w*|стр)\.?\s*№?\s*\d+", re.IGNORECASE)

_NOT_OURS = re.compile(r"^\s*не\s+наш[еа]\b[\s:,.!—–-]*", re.IGNORECASE)

_ASSIGN = re.compile(r"^\s*(?:орган|/to)\s*[:\s]\s*(?P<body>.+?)\s*$", re.IGNORECASE)


def command_of(text: str | None) -> str | None:
    """``"/my@bot"`` → ``"my"``, ``"/Foo x"`` → ``"foo"``, «Мои обращения» → ``"my"``; ``None``
    for anything else (an appeal). Only the first word of a slash command counts."""
    stripped = (text or "").strip()
    match = _SLASH.match(stripped)
    if match is not None:
        return match.group(1).lower()
    return COMMAND_WORDS.get(" ".join(stripped.casefold().split()).replace("ё", "е"))


def has_address(text: str) -> bool:
    """True when the text names a street (ул., проспект, пер., мкр…) or a house (д. 5, дом 5).

    Deliberately simple: a missed address costs one question, a false one costs a crew's trip
    to find the place, and a numbers-only rule would read «уже 3 дня» as a house.
    """
    normalised = text.replace("ё", "е").replace("Ё", "Е")
    return bool(_STREET.search(normalised) or _HOUSE.search(normalised))


def not_ours_reason(text: str) -> str | None:
    """``"Не наше: это трасса"`` → ``"это трасса"``; ``""`` for a bare «не наше»; ``None`` when
    the reply is not a refusal (then it is an answer for the citizen)."""
    match = _NOT_OURS.match(text or "")
    if match is None:
        return None
    return text[match.end() :].strip()


def assigned_body(text: str) -> str | None:
    """``"Орган: минтранс"`` or ``"/to transport"`` → what names the body; else ``None``."""
    match = _ASSIGN.match(text or "")
    return match.group("body") if match else None


#: Staff commands, with the Russian words typed for them in VK (where a slash command is plain
#: text and nobody has to remember the English name): an internal note, an explicit answer to
#: the citizen, a ticket by its number, the people bound to a body.
STAFF_COMMANDS = {
    "note": "note",
    "заметка": "note",
    "answer": "answer",
    "ответ": "answer",
    "ticket": "ticket",
    "обращение": "ticket",
    "staff": "staff",
    "сотрудники": "staff",
}

_STAFF_SLASH = re.compile(r"^\s*/([A-Za-zА-Яа-яЁё]{2,16})(?:@\w+)?(?=\s|$)")
_BARE_NUMBER = re.compile(r"^\s*(?:№\s*)?(\d{2}-\d{6,})\s*[.!?]?\s*$")


def staff_command(text: str | None) -> tuple[str, str] | None:
    """``"/note Вася, глянь"`` → ``("note", "Вася, глянь")``, «/заметка …» likewise,
    ``"/ticket@bot 26-000123"`` → ``("ticket", "26-000123")``; ``None`` for anything else."""
    match = _STAFF_SLASH.match(text or "")
    if match is None:
        return None
    name = STAFF_COMMANDS.get(match.group(1).casefold().replace("ё", "е"))
    if name is None:
        return None
    return name, (text or "")[match.end() :].strip()


def bare_ticket_number(text: str | None) -> str | None:
    """A message that is only a ticket number (``26-000123``, «№ 26-000123»): staff looking a
    ticket up, as citizens quote it on the phone."""
    match = _BARE_NUMBER.match(text or "")
    return match.group(1) if match else None

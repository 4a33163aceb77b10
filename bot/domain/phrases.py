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

#: A coordinator's tools (`bot.core.coordinator_tools`): the slash commands, whoever sends them
#: (anyone else is refused), and the words a coordinator types or taps in VK's menu
#: (`bot.domain.texts.COORDINATOR_MENU`), taken from coordinators only.
COORDINATOR_COMMANDS = ("table", "rollback", "stats", "versions", "tools", "model")
COORDINATOR_WORDS = {
    "статистика": "stats",
    "таблица": "table",
    "версии": "versions",
    "версии таблицы": "versions",
    "откатить таблицу": "rollback",
    "откат таблицы": "rollback",
    "меню координатора": "tools",
    "инструменты": "tools",
    "модель": "model",
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


def coordinator_command_of(text: str | None, *, words: bool) -> str | None:
    """``"/stats"`` → ``"stats"``; with ``words``, «Статистика» → ``"stats"`` too; ``None`` for
    anything else, a citizen's command included."""
    stripped = (text or "").strip()
    match = _SLASH.match(stripped)
    if match is not None:
        name = match.group(1).lower()
        return name if name in COORDINATOR_COMMANDS else None
    if not words:
        return None
    return COORDINATOR_WORDS.get(" ".join(stripped.casefold().split()).replace("ё", "е"))


def has_address(text: str) -> bool:
    """True when the text names a street (ул., проспект, пер., мкр…) or a house (д. 5, дом 5).

    Deliberately simple: a missed address costs one question, a false one costs a crew's trip
    to find the place, and a numbers-only rule would read «уже 3 дня» as a house.
    """
    normalised = text.replace("ё", "е").replace("Ё", "Е")
    return bool(_STREET.search(normalised) or _HOUSE.search(normalised))


#: The most of a citizen's words an address service is sent: the address, not the appeal.
ADDRESS_QUERY_CHARS = 80
#: Words around an address that only make it harder to find («у дома 5 на улице …»).
_FILLER = frozenset("у на по возле около напротив рядом во в между".split())
#: Where a sentence ends: ! ? ; or a dot after a whole word (not «ул.», «д.», «г.»).
_SENTENCE_END = re.compile(r"[!?;]|(?<=[а-яёa-z]{5})\.(?=\s|$)|(?<=\d)\.(?=\s|$)", re.IGNORECASE)


def address_query(text: str) -> str | None:
    """What of a citizen's words to ask an address service about: from the first street or
    house word of the newest line that has one (an answer to «Где это?» is a line of its own),
    to the end of its sentence, keeping the comma-separated parts that read as address parts
    (a number, a house or street word, a name with a capital) — «Не горит фонарь у дома 88 на
    улице Чернышевского, темно» → «дома 88 улице Чернышевского»; a capitalised name right before
    the street word comes along («Молодёжная улица, дом 2»). ``None`` when no line names a
    street or a house, or names nothing but the words («дом 5»). What happened and who wrote
    stays with the bot."""
    for line in reversed(text.splitlines()):
        normalised = line.replace("ё", "е").replace("Ё", "Е")
        found = [m.start() for m in (_STREET.search(normalised), _HOUSE.search(normalised)) if m]
        if not found:
            continue
        start = min(found)
        before = line[:start].split()
        while before and before[-1][-1].isalnum() and (
            before[-1][0].isupper() or before[-1][0].isdigit()
        ):
            start = line.rindex(before.pop(), 0, start)  # «Молодёжная улица», «2-я Садовая ул.»
        tail = line[start:]
        end = _SENTENCE_END.search(tail)
        first, *rest = (tail[: end.start()] if end else tail).split(",")
        kept = [first]
        for part in rest:
            word = part.strip().replace("ё", "е").replace("Ё", "Е")
            if not word or not (word[0].isdigit() or word[0].isupper()
                                or _STREET.match(word) or _HOUSE.match(word)):
                break
            kept.append(part)
        words = [w for w in ",".join(kept).split() if w.casefold() not in _FILLER]
        while words and words[-1][0].islower() and not _is_address_word(words[-1]):
            words.pop()  # «… корп. 2 течёт крыша»: what follows the address
        named = any(w[0].isalpha() and not _is_address_word(w) for w in words)
        return " ".join(words).strip(" ,.:—-")[:ADDRESS_QUERY_CHARS] if named else None
    return None


_HOUSE_WORD = re.compile(r"(?:д|дом\w*|корп|корпус\w*|стр|строение|кв|квартир\w*)", re.IGNORECASE)


def _is_address_word(word: str) -> bool:
    """A street or house word, or a house number: no name of a place."""
    bare = word.replace("ё", "е").strip(".,")
    return bool(_STREET.fullmatch(bare) or _HOUSE_WORD.fullmatch(bare) or _HOUSE.match(bare))


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


# -- small talk: greetings, thanks, «ок», emoji -------------------------------------------------
#: Words that alone never describe a problem. A message is small talk only when every word in
#: it is one of these (the rest being emoji, punctuation and spaces): «Здравствуйте, у нас нет
#: света» has «у», «нас», «нет», «света» and is an appeal. Negations, «плохо», «помогите» and
#: anything with a digit are left out on purpose: they start appeals.
GREETINGS = frozenset(
    """
    здравствуйте здравствуй здрасте здрасьте здраствуйте привет приветик
    приветствую добрый доброе доброго доброй день дня вечер вечера утро утра ночи уважаемые
    уважаемый всем hi hello
    """.split()
)
THANKS = frozenset(
    """
    спасибо спасибочки спс пасиб благодарю благодарим благодарствую большое огромное вам
    thanks thank you thx
    """.split()
)
ACKNOWLEDGEMENTS = frozenset(
    """
    ок окей оки ok okay хорошо понятно ясно ладно угу ага пожалуйста до свидания всего
    """.split()
)
_SMALL_TALK = GREETINGS | THANKS | ACKNOWLEDGEMENTS
_TOKEN = re.compile(r"\w+")
_REPEATS = re.compile(r"(\w)\1+")


def small_talk(text: str) -> str | None:
    """``"greeting"``, ``"thanks"`` or ``"other"`` («ок», «😡😡😡🤬», «?») when the message is
    small talk and nothing else; ``None`` for anything that may be an appeal (and for an empty
    text: that is another case). Conservative by design, measured on 2,000 real appeals in
    ``bench/dialog_rules.py``: none of them is small talk by this rule."""
    if not text.strip():
        return None
    tokens = _TOKEN.findall(text.casefold().replace("ё", "е"))
    for token in tokens:
        if token not in _SMALL_TALK and _REPEATS.sub(r"\1", token) not in _SMALL_TALK:
            return None  # a word that may mean something (digits included)
    found = {_REPEATS.sub(r"\1", t) if t not in _SMALL_TALK else t for t in tokens}
    if found & THANKS:
        return "thanks"
    if found & GREETINGS:
        return "greeting"
    return "other"


# -- a new problem while the bot waits for an answer --------------------------------------------
#: Words that say something is wrong. With a negation (не, нет, без) they are what makes a
#: message a problem rather than a place («возле школы № 5» names a place, «в школе нет
#: отопления» a problem). Stems, matched at the start of a word.
_PROBLEM = re.compile(
    r"(?<![а-яё])(?:не|нет|без|ни)(?![а-яё])"
    r"|(?<![а-яё])(?:ям[аыуе]?|ямк|мусор|свалк|протек|протеч|теч[её]т|теч[ьи]|прорв|прорыв"
    r"|авари|слома|разбит|разруш|отключ|затоп|затапл|подтоп|грязь|грязн|шум|запах|вон[ья]"
    r"|опасн|упал|обруш|бездомн|брод|снег|сугроб|налед|гололед|сосульк|жалоб|жалую|проблем"
    r"|холодн|плохо|ужасн|невозможн|нарушен|незаконн|самовольн|долг|задерж|отсутств"
    r"|требу|прошу|просим|помогит|почему)",
    re.IGNORECASE,
)
_WORD = re.compile(r"[а-яёa-z]{2,}", re.IGNORECASE)
#: Fewer words than this is an answer («Энгельс, ул. Мира 5»), not a second appeal.
NEW_PROBLEM_MIN_WORDS = 5


def names_a_problem(text: str) -> bool:
    """True when the text alone reads as an appeal: at least `NEW_PROBLEM_MIN_WORDS` words
    and a word saying something is wrong. The text half of `is_new_problem`."""
    return len(_WORD.findall(text)) >= NEW_PROBLEM_MIN_WORDS and bool(_PROBLEM.search(text))


def is_new_problem(
    text: str, *, own_topic: str | None, own_decision: str, pending_topics: frozenset[str]
) -> bool:
    """Whether a message sent while the bot waits for an answer about one ticket is clearly a
    different problem: it names a problem (`names_a_problem`), the classifier reading it alone
    is sure enough of a topic to route it or to ask only the place (``own_decision``), and that
    topic is none of those the pending ticket might be about (``pending_topics``: its topic and
    the ones it was asked to choose from). Conservative: a wrong «new» costs the citizen one
    tap, a wrong merge costs the first problem; only sure cases ask. Measured in
    ``bench/dialog_rules.py``."""
    if own_topic is None or own_topic in pending_topics:
        return False
    if own_decision not in ("route", "ask_municipality"):
        return False
    return names_a_problem(text)

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
    "web": "web",
    "веб": "web",
    "консоль": "web",
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

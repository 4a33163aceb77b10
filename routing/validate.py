"""Raw rows from any table format → a validated ``RoutingTable``, or every problem at once.

The file readers in ``routing.tablefile`` only split a file into sections and rows of raw cell
values (whatever YAML, openpyxl or the csv module produced); everything a coordinator can get
wrong is judged here, in one place, so the three formats accept exactly the same tables and a
coordinator gets the same messages whatever they edit in. Validation does not stop at the first
problem: fixing a table by re-uploading it twenty times is what this module exists to prevent.

Cell conventions shared by XLSX and CSV (YAML may use real lists instead): list fields are one
cell separated by ``;``; ``examples`` are separated by line breaks; ``territory`` is ``region``
or a list of municipality ids; an empty cell means "not set". Numbers typed by Excel are
accepted where text is expected (ids, chats), and OKTMO codes that lost their leading zero to
Excel's number format get it back.
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from routing.errors import MAX_PROBLEMS as MAX_PROBLEMS
from routing.errors import Problem, ProblemList
from routing.lineage import BODY_WORDS, MUNICIPALITY_WORDS, ParentWords, check_parents
from routing.model import (
    ASKABLE,
    MUNICIPALITY_KINDS,
    WHOLE_REGION,
    Body,
    Deadline,
    Level,
    Municipality,
    ReplyTemplate,
    RoutingTable,
    Topic,
)

#: Entity sections in the order they are read, written and reported.
SECTIONS = ("municipalities", "topics", "bodies", "templates")
#: Sections a table may leave out (sheet, CSV file or YAML key): tables made before them.
OPTIONAL_SECTIONS = frozenset({"templates"})

#: Column names per section, in the order they are written (the dataclass field order).
COLUMNS: dict[str, tuple[str, ...]] = {
    "municipalities": ("id", "name", "kind", "parent", "aliases", "lat", "lon"),
    "topics": ("id", "name", "level", "keywords", "examples", "asks", "deadline"),
    "bodies": (
        "id", "name", "level", "topics", "territory", "priority", "deadline",
        "telegram_chat", "vk_peer", "parent",
    ),
    "templates": ("id", "body", "title", "text"),
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "municipalities": ("id", "name", "kind"),
    "topics": ("id", "name"),
    "bodies": ("id", "name", "level", "topics", "territory"),
    "templates": ("id", "title", "text"),
}
#: Fields holding several values: separated by "; " in a cell, except examples (line breaks).
LIST_FIELDS = frozenset({"aliases", "keywords", "examples", "asks", "topics", "territory"})

_OKTMO_RE = re.compile(r"\d{8}(?:\d{3})?")
_LEVEL_WORDS = {
    "federal": Level.FEDERAL, "федеральный": Level.FEDERAL,
    "regional": Level.REGIONAL, "региональный": Level.REGIONAL,
    "municipal": Level.MUNICIPAL, "муниципальный": Level.MUNICIPAL,
}
_KINDS = {k.replace("ё", "е"): k for k in MUNICIPALITY_KINDS}


@dataclass
class RawSection:
    """One sheet / CSV file / YAML list as read, before any judgement.

    ``header`` is the column list of a spreadsheet-like source (checked once, at row
    ``header_row``); ``None`` for YAML, where each entry names its own fields.
    """

    name: str
    file: str | None
    rows: list[tuple[int, dict[str, object]]] = field(default_factory=list)
    header: list[str] | None = None
    header_row: int = 1


@dataclass
class RawTable:
    """What a file reader hands to :func:`validate`; ``problems`` come from the file layer."""

    file: str | None
    region: object = None
    region_sheet: str | None = "region"
    region_row: int | None = None
    region_column: str | None = "region"
    sections: dict[str, RawSection] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


class _Bad(ValueError):
    """A cell value that cannot be used; the message is shown to the coordinator."""


# -- cell converters ---------------------------------------------------------------------------
def _kind_of(value: object) -> str:
    """What a cell holds, in the coordinator's words (never a Python type name)."""
    if isinstance(value, list | tuple):
        return "список"
    if isinstance(value, dict):
        return "словарь"
    if isinstance(value, datetime.datetime | datetime.date):
        return "дата"
    if isinstance(value, datetime.time):
        return "время"
    if isinstance(value, datetime.timedelta):
        return "промежуток времени"
    if isinstance(value, bool):
        return "да/нет"
    if isinstance(value, int | float):
        return "число"
    return "значение непонятного вида"


def _text(value: object) -> str | None:
    if type(value) is str:
        value = value.strip()
        return value or None
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, bool):
        raise _Bad("ожидается текст, а не да/нет")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise _Bad("ожидается текст, а не число")
        return str(int(value)) if value.is_integer() else repr(value)
    raise _Bad(f"ожидается текст, а здесь {_kind_of(value)}")


def _ident(value: object) -> str | None:
    text = _text(value)
    if text is not None and (";" in text or "\n" in text):
        raise _Bad(f"в идентификаторе «{text}» не должно быть «;» и переносов строк")
    return text


def _oktmo(value: object) -> str | None:
    """An OKTMO code; a number Excel stripped of its leading zero gets it back."""
    text = _ident(value)
    if text is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool) and text.isdigit():
        if len(text) < 8:
            text = text.zfill(8)
        elif 8 < len(text) < 11:
            text = text.zfill(11)
    if not _OKTMO_RE.fullmatch(text):
        raise _Bad(f"код ОКТМО «{text}» должен состоять из 8 или 11 цифр")
    return text


def _split(value: object, separator: str) -> list[object]:
    if value is None:
        return []
    if isinstance(value, str):
        return value.split(separator) if separator in value else [value]
    if isinstance(value, list | tuple):
        return list(value)
    if isinstance(value, dict):
        raise _Bad("ожидается список значений, а здесь словарь")
    return [value]


def _text_list(value: object, separator: str = ";") -> tuple[str, ...]:
    from_cell = isinstance(value, str)
    result: dict[str, None] = {}  # ordered and deduplicated in linear time
    for item in _split(value, separator):
        text = _text(item)
        if text is None:
            continue
        if not from_cell and ("\n" in text or (separator == ";" and ";" in text)):
            sep = "перенос строки" if separator == "\n" or "\n" in text else "«;»"
            raise _Bad(f"значение «{text}» содержит {sep}: в XLSX/CSV так не сохранить")
        result[text] = None
    return tuple(result)


def _examples(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    return _text_list(value, "\n")


def _level(value: object) -> Level | None:
    text = _text(value)
    if text is None:
        return None
    level = _LEVEL_WORDS.get(text.lower())
    if level is None:
        raise _Bad(f"уровень «{text}» неизвестен: ожидается federal, regional или municipal")
    return level


def _municipality_kind(value: object) -> str | None:
    text = _text(value)
    if text is None:
        return None
    kind = _KINDS.get(" ".join(text.lower().replace("ё", "е").split()))
    if kind is None:
        raise _Bad(f"вид «{text}» неизвестен; допустимо: {', '.join(MUNICIPALITY_KINDS)}")
    return kind


def _asks(value: object) -> tuple[str, ...]:
    items = tuple(item.lower() for item in _text_list(value))
    bad = [item for item in items if item not in ASKABLE]
    if bad:
        raise _Bad(f"«{bad[0]}» нельзя запросить у жителя; допустимо: {', '.join(ASKABLE)}")
    return tuple(dict.fromkeys(items))


@functools.lru_cache(maxsize=1024)
def _parsed_deadline(text: str) -> Deadline:
    """A table repeats a few deadline texts thousands of times; bounded, because an uploaded
    table could hold as many distinct ones as it has rows, and the cache outlives it."""
    return Deadline.parse(text)


def _deadline(value: object) -> Deadline | None:
    text = _text(value)
    if text is None:
        return None
    try:
        return _parsed_deadline(text)
    except ValueError as error:
        raise _Bad(str(error)) from None


def _number(value: object) -> float | None:
    if value is None or isinstance(value, bool):
        if value is None:
            return None
        raise _Bad("ожидается число")
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip().replace(",", ".").replace("\u00a0", "").replace(" ", "")
        if not text:
            return None
        try:
            number = float(text)
        except ValueError:
            raise _Bad(f"«{value.strip()}» — не число") from None
    else:
        raise _Bad(f"ожидается число, а здесь {_kind_of(value)}")
    if number != number or number in (float("inf"), float("-inf")):
        raise _Bad("ожидается конечное число")
    return number


def _latitude(value: object) -> float | None:
    number = _number(value)
    if number is not None and not -90 <= number <= 90:
        raise _Bad(f"широта {number} вне диапазона от −90 до 90")
    return number


def _longitude(value: object) -> float | None:
    number = _number(value)
    if number is not None and not -180 <= number <= 180:
        raise _Bad(f"долгота {number} вне диапазона от −180 до 180")
    return number


def _priority(value: object) -> int | None:
    number = _number(value)
    if number is None:
        return None
    if not number.is_integer():
        raise _Bad(f"приоритет должен быть целым числом, а не {number}")
    return int(number)


def _territory(value: object) -> tuple[str, ...] | str:
    if isinstance(value, str):
        if value.strip().lower() == WHOLE_REGION:
            return WHOLE_REGION
        if ";" not in value:
            code = _oktmo(value)
            return (code,) if code is not None else ()
    items = _split(value, ";")
    if any(isinstance(i, str) and i.strip().lower() == WHOLE_REGION for i in items):
        if len(items) > 1:
            raise _Bad("укажите либо region (весь регион), либо список кодов ОКТМО, но не вместе")
        return WHOLE_REGION
    result: dict[str, None] = {}
    for item in items:
        code = _oktmo(item)
        if code is not None:
            result[code] = None
    return tuple(result)


_TEMPLATE_ID = re.compile(r"[A-Za-z0-9_-]{1,24}")  # in a button's data: short and Latin
_TEMPLATE_TEXT_LIMIT = 3500  # a message is 4096: room for the preview's own words


def _template_id(value: object) -> str | None:
    text = _ident(value)
    if text is not None and not _TEMPLATE_ID.fullmatch(text):
        raise _Bad(f"id шаблона «{text}»: до 24 латинских букв, цифр, «-» или «_»")
    return text


def _template_text(value: object) -> str | None:
    text = _text(value)
    if text is not None and len(text) > _TEMPLATE_TEXT_LIMIT:
        raise _Bad(f"текст шаблона длиннее {_TEMPLATE_TEXT_LIMIT} символов ({len(text)})")
    return text


_Converter = Callable[[object], object]
_CONVERTERS: dict[str, dict[str, _Converter]] = {
    "municipalities": {
        "id": _oktmo, "name": _text, "kind": _municipality_kind, "parent": _oktmo,
        "aliases": _text_list, "lat": _latitude, "lon": _longitude,
    },
    "topics": {
        "id": _ident, "name": _text, "level": _level, "keywords": _text_list,
        "examples": _examples, "asks": _asks, "deadline": _deadline,
    },
    "bodies": {
        "id": _ident, "name": _text, "level": _level, "topics": _text_list,
        "territory": _territory, "priority": _priority, "deadline": _deadline,
        "telegram_chat": _text, "vk_peer": _text, "parent": _ident,
    },
    "templates": {"id": _template_id, "body": _ident, "title": _text, "text": _template_text},
}


def _empty(value: object) -> bool:
    return value is None or value == () or value == ""


# -- validation --------------------------------------------------------------------------------
@dataclass
class _Parsed:
    row: int
    values: dict[str, object]


def _parse_section(section: RawSection, problems: ProblemList) -> list[_Parsed]:
    name, file = section.name, section.file
    converters = _CONVERTERS[name]
    required = REQUIRED[name]
    missing_columns: set[str] = set()
    reported_unknown: set[str] = set()
    if section.header is not None:
        seen: set[str] = set()
        for column in section.header:
            if column in seen:
                problems.append(Problem(f"столбец «{column}» повторяется", file, name,
                                        section.header_row, column))
            seen.add(column)
            if column not in converters and column not in reported_unknown:
                reported_unknown.add(column)
                problems.append(Problem(
                    f"неизвестный столбец «{column}»; ожидаются: {', '.join(COLUMNS[name])}",
                    file, name, section.header_row, column))
        for column in required:
            if column not in seen:
                missing_columns.add(column)
                problems.append(Problem(f"нет обязательного столбца «{column}»", file, name,
                                        section.header_row, column))

    # Cells of these columns repeat a lot (a national table has 175,000 bodies but a handful of
    # levels and deadlines), so each distinct text is converted once per load.
    caches: dict[str, dict[str, object]] = {c: {} for c in _REPETITIVE if c in converters}
    parsed: list[_Parsed] = []
    for row, cells in section.rows:
        values: dict[str, object] = {}
        for column, raw in cells.items():
            if raw is None or raw == "":
                continue
            converter = converters.get(column)
            if converter is None:
                if section.header is None and column not in reported_unknown:
                    reported_unknown.add(column)
                    problems.append(Problem(
                        f"неизвестное поле «{column}»; ожидаются: {', '.join(COLUMNS[name])}",
                        file, name, row, str(column)))
                continue
            cache = caches.get(column)
            if cache is not None and (type(raw) is str or type(raw) is list):
                key = raw if type(raw) is str else tuple(raw)
                try:
                    result = cache.get(key, _MISSING)
                except TypeError:  # a list holding lists or mappings: nothing to reuse
                    result = key = _convert(converter, raw)
                if result is _MISSING:
                    result = cache[key] = _convert(converter, raw)
            else:
                result = _convert(converter, raw)
            if result is None:
                continue
            if type(result) is _Bad:
                values[column] = _BAD
                problems.append(Problem(str(result), file, name, row, column))
            else:
                values[column] = result
        for column in required:
            if column not in missing_columns and _empty(values.get(column)):
                problems.append(Problem("обязательное поле не заполнено", file, name, row,
                                        column))
        parsed.append(_Parsed(row, values))
    return parsed


_BAD = object()  # marks a cell already reported as bad, so it is not reported again
_MISSING = object()
_REPETITIVE = ("kind", "parent", "level", "keywords", "asks", "deadline", "topics", "territory",
               "priority")


def _convert(converter: _Converter, raw: object) -> object:
    """The converted value, or the ``_Bad`` error (returned, so that it can be cached)."""
    try:
        return converter(raw)
    except _Bad as error:
        return error


def _good(values: dict[str, object], column: str) -> object:
    value = values.get(column)
    return None if value is _BAD else value


def _check_duplicates(section: RawSection, rows: list[_Parsed], problems: ProblemList
                      ) -> dict[str, _Parsed]:
    first: dict[str, _Parsed] = {}
    for item in rows:
        ident = _good(item.values, "id")
        if not isinstance(ident, str):
            continue
        earlier = first.get(ident)
        if earlier is not None:
            problems.append(Problem(f"id «{ident}» уже встречался в строке {earlier.row}",
                                    section.file, section.name, item.row, "id"))
        else:
            first[ident] = item
    return first


def _check_parents(section: RawSection, index: dict[str, _Parsed], words: ParentWords,
                   problems: ProblemList) -> None:
    links = {ident: (item.row, _good(item.values, "parent")) for ident, item in index.items()}
    check_parents(links, words, section.file, section.name, problems)


def _check_bodies(section: RawSection, rows: list[_Parsed], topics: dict[str, _Parsed],
                  municipalities: dict[str, _Parsed], problems: ProblemList) -> None:
    file, name = section.file, section.name
    claims: dict[tuple[str, str, int], _Parsed] = {}
    for item in rows:
        values = item.values
        body_topics = _good(values, "topics") or ()
        for topic in body_topics:
            if topic not in topics:
                problems.append(Problem(f"тема «{topic}» не найдена в листе topics", file, name,
                                        item.row, "topics"))
        territory = _good(values, "territory")
        if territory is None:
            continue
        places = (WHOLE_REGION,) if territory == WHOLE_REGION else territory
        for place in places:
            if place != WHOLE_REGION and place not in municipalities:
                problems.append(Problem(
                    f"муниципальное образование «{place}» не найдено в листе municipalities",
                    file, name, item.row, "territory"))
        body_id = _good(values, "id")
        if not isinstance(body_id, str):
            continue
        priority = _good(values, "priority") or 0
        clashes: dict[int, tuple[_Parsed, list[tuple[str, str]]]] = {}
        for topic in body_topics:
            for place in places:
                other = claims.setdefault((topic, place, priority), item)
                if other is not item:
                    clashes.setdefault(other.row, (other, []))[1].append((topic, place))
        for other, pairs in clashes.values():
            problems.append(_conflict(item, other, pairs, priority, topics, municipalities,
                                      file, name))


def _conflict(item: _Parsed, other: _Parsed, pairs: list[tuple[str, str]], priority: int,
              topics: dict[str, _Parsed], municipalities: dict[str, _Parsed],
              file: str | None, sheet: str) -> Problem:
    topic, place = pairs[0]
    topic_name = _good(topics[topic].values, "name") if topic in topics else None
    if place == WHOLE_REGION:
        place_name = "весь регион"
    elif place in municipalities:
        place_name = _good(municipalities[place].values, "name") or place
    else:
        place_name = place
    more = f" (и ещё {len(pairs) - 1} таких пар)" if len(pairs) > 1 else ""
    this_name = _good(item.values, "name") or _good(item.values, "id")
    other_name = _good(other.values, "name") or _good(other.values, "id")
    return Problem(
        f"органы «{this_name}» и «{other_name}» (строка {other.row}) оба отвечают за тему "
        f"«{topic_name or topic}» на территории «{place_name}»{more} с одинаковым приоритетом "
        f"{priority}: задайте одному из них больший priority",
        file, sheet, item.row, "priority")


def validate(raw: RawTable) -> RoutingTable:
    """Judge a raw table: a ``RoutingTable``, or ``TableError`` listing every problem."""
    problems = ProblemList(raw.problems)
    if not raw.sections and raw.region is None and any(p.sheet is None for p in raw.problems):
        raise problems.error()  # the file itself is unreadable: nothing else to say
    sheets_with_problems = {p.sheet for p in raw.problems}
    try:
        region = _text(raw.region)
    except _Bad as error:
        region = None
        problems.append(Problem(str(error), raw.file, raw.region_sheet, raw.region_row,
                                raw.region_column))
    else:
        if region is None and "region" not in sheets_with_problems:
            problems.append(Problem("не указано название региона", raw.file, raw.region_sheet,
                                    raw.region_row, raw.region_column))

    parsed: dict[str, list[_Parsed]] = {}
    index: dict[str, dict[str, _Parsed]] = {}
    for name in SECTIONS:
        section = raw.sections.get(name) or RawSection(name, raw.file)
        parsed[name] = _parse_section(section, problems)
        index[name] = _check_duplicates(section, parsed[name], problems)
    for name, noun in (("topics", "ни одной темы"), ("bodies", "ни одного органа")):
        section = raw.sections.get(name)
        if section is None and name in sheets_with_problems:
            continue  # the file layer already said the sheet is missing or unreadable
        if section is None or not section.rows:
            file = section.file if section is not None else raw.file
            problems.append(Problem(f"в таблице нет {noun}", file, name))
    municipalities = raw.sections.get("municipalities") or RawSection("municipalities", raw.file)
    _check_parents(municipalities, index["municipalities"], MUNICIPALITY_WORDS, problems)
    bodies = raw.sections.get("bodies") or RawSection("bodies", raw.file)
    _check_parents(bodies, index["bodies"], BODY_WORDS, problems)
    _check_bodies(bodies,
                  parsed["bodies"], index["topics"], index["municipalities"], problems)
    for item in parsed["templates"]:
        if (body := _good(item.values, "body")) is not None and body not in index["bodies"]:
            problems.append(Problem(f"орган «{body}» не найден в листе bodies", raw.file,
                                    "templates", item.row, "body"))
    if problems:
        raise problems.error()
    return RoutingTable(
        region=region or "",
        municipalities=tuple(_build(Municipality, p.values) for p in parsed["municipalities"]),
        topics=tuple(_build(Topic, p.values) for p in parsed["topics"]),
        bodies=tuple(_build(Body, p.values) for p in parsed["bodies"]),
        templates=tuple(_build(ReplyTemplate, p.values) for p in parsed["templates"]),
    )


def _build(cls: type, values: dict[str, object]):
    """Construct from the cells that are set (empty ones are never stored): defaults do the rest."""
    return cls(**values)

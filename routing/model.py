"""The routing table: who answers which kind of appeal where.

This is the data a regional coordinator edits (as YAML, XLSX or CSV) and the only thing the
classifier needs to know about the region. The model is immutable once built: a new table is
loaded and swapped in whole, so a half-applied edit can never route a live appeal.

Territory semantics: a body whose territory lists a municipality is responsible for it and for
every municipality below it (a district administration covers its settlements). When several
bodies handle the same topic for the same place, the one whose territory is most specific wins;
among equally specific ones, the higher ``priority`` wins. Validation refuses a table where that
still leaves a tie, because then routing would depend on file order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property

#: The value of ``Body.territory`` that means "the whole region".
WHOLE_REGION = "region"


class Level(StrEnum):
    """Which tier of government a topic usually belongs to or a body sits in."""

    FEDERAL = "federal"
    REGIONAL = "regional"
    MUNICIPAL = "municipal"


#: Kinds of municipal formation (131-ФЗ, as written in OKTMO) plus "населённый пункт" for a
#: town or village listed only so that citizens can name it.
MUNICIPALITY_KINDS: tuple[str, ...] = (
    "городской округ",
    "муниципальный округ",
    "муниципальный район",
    "городское поселение",
    "сельское поселение",
    "внутригородской район",
    "населённый пункт",
)

#: What a topic may require the bot to collect before a ticket is created.
ASKABLE = ("address", "photo")


class DeadlineUnit(StrEnum):
    HOURS = "h"
    DAYS = "d"  # calendar days
    WORKING_DAYS = "wd"


_DEADLINE_RE = re.compile(r"^\s*(\d{1,4})\s*(wd|h|d)\s*$")


@dataclass(frozen=True, slots=True)
class Deadline:
    """How long a body has to answer: ``72h``, ``30d`` (calendar days) or ``10wd`` (working days).

    Kept as amount + unit rather than a timedelta because working days can only be turned into a
    moment with a holiday calendar, which is the ticket core's business, not the table's.
    """

    amount: int
    unit: DeadlineUnit

    @classmethod
    def parse(cls, text: str) -> Deadline:
        """Parse ``"10wd"``; raises ``ValueError`` with a Russian message on anything else."""
        match = _DEADLINE_RE.match(str(text).lower())
        if not match or int(match.group(1)) == 0:
            raise ValueError(
                f"срок ответа «{text}» не понят: ожидается число и единица, "
                "например 72h (часы), 30d (календарные дни) или 10wd (рабочие дни)"
            )
        return cls(int(match.group(1)), DeadlineUnit(match.group(2)))

    def __str__(self) -> str:
        return f"{self.amount}{self.unit.value}"


#: Default answer deadline: 59-ФЗ gives 30 days for an appeal; social-media messages are usually
#: answered much faster, so the shipped tables set their own per body.
DEFAULT_DEADLINE = Deadline(30, DeadlineUnit.DAYS)


@dataclass(frozen=True, slots=True)
class Municipality:
    id: str  # OKTMO code (8 digits for municipal formations, 11 for settlements within them)
    name: str
    kind: str
    parent: str | None = None
    aliases: tuple[str, ...] = ()
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True, slots=True)
class Topic:
    id: str
    name: str
    keywords: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    asks: tuple[str, ...] = ()  # subset of ASKABLE, in the order the bot asks
    level: Level = Level.MUNICIPAL
    deadline: Deadline | None = None  # overrides the body's deadline for this topic

    # Read-only views of ``asks`` (which the table files already carry), for the dialog.
    @property
    def needs_address(self) -> bool:
        """The body cannot act without a street and house (a pothole, a dark lamp post)."""
        return "address" in self.asks

    @property
    def wants_photo(self) -> bool:
        """A photo helps the body; the citizen may skip it."""
        return "photo" in self.asks


@dataclass(frozen=True, slots=True)
class Body:
    """An official page whose administrators answer appeals."""

    id: str
    name: str
    level: Level
    topics: tuple[str, ...]
    territory: tuple[str, ...] | str  # municipality ids, or WHOLE_REGION
    priority: int = 0
    deadline: Deadline = DEFAULT_DEADLINE
    # Filled by administrator invites (a later issue); kept in the table so an export round-trips.
    telegram_chat: str | None = None
    vk_peer: str | None = None
    #: The body that receives and dispatches appeals for this one (a city administration for its
    #: committees and okrugs): the router backs off to it when unsure between its units, and its
    #: card offers «Передать подразделению».
    parent: str | None = None

    @property
    def covers_whole_region(self) -> bool:
        return self.territory == WHOLE_REGION


@dataclass(frozen=True, slots=True)
class ReplyTemplate:
    """A ready answer a body's administrator can send with two taps (a «Шаблоны ответов» button
    under the card). ``body`` empty: a region-wide default offered to every body. Kept in the
    table, so templates are versioned, reviewed in the upload's diff and rolled back with it."""

    id: str
    title: str
    text: str
    body: str | None = None


@dataclass(frozen=True)
class RoutingTable:
    """The validated table with the lookups the classifier needs, built once per load."""

    region: str
    municipalities: tuple[Municipality, ...]
    topics: tuple[Topic, ...]
    bodies: tuple[Body, ...]
    templates: tuple[ReplyTemplate, ...] = ()
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)
    _responsible_cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    #: Most (topic, place) answers ``responsible`` keeps. A regional table has at most a few
    #: tens of thousands of such pairs (Kursk 56,000), so it never reaches this; the generated
    #: national one has 1.2 million, and keeping them all grew the process by 174 MB (19 MB
    #: at this limit). At the limit the cache starts over (as `routing.text.Lexicon` does): a
    #: miss costs tens of microseconds, and the pairs appeals actually ask about come back.
    RESPONSIBLE_LIMIT = 100_000

    # -- lookups ---------------------------------------------------------------------------
    @cached_property
    def municipality_by_id(self) -> dict[str, Municipality]:
        return {m.id: m for m in self.municipalities}

    @cached_property
    def topic_by_id(self) -> dict[str, Topic]:
        return {t.id: t for t in self.topics}

    @cached_property
    def body_by_id(self) -> dict[str, Body]:
        return {b.id: b for b in self.bodies}

    @cached_property
    def template_by_id(self) -> dict[str, ReplyTemplate]:
        return {t.id: t for t in self.templates}

    def templates_for(self, body_id: str) -> tuple[ReplyTemplate, ...]:
        """The body's own templates first, then the region-wide defaults."""
        return tuple(t for t in self.templates if t.body == body_id) + tuple(
            t for t in self.templates if t.body is None
        )

    @cached_property
    def subordinates(self) -> dict[str, tuple[str, ...]]:
        """Body id → ids of the bodies naming it as ``parent``, in file order."""
        kids: dict[str, list[str]] = {}
        for body in self.bodies:
            if body.parent is not None:
                kids.setdefault(body.parent, []).append(body.id)
        return {k: tuple(v) for k, v in kids.items()}

    def chain_of_command(self, body_id: str) -> tuple[str, ...]:
        """The body itself, then its parent, up to the top (cycles are refused by validation)."""
        chain: list[str] = []
        current: str | None = body_id
        while current is not None and current in self.body_by_id and current not in chain:
            chain.append(current)
            current = self.body_by_id[current].parent
        return tuple(chain)

    def dispatches_for(self, dispatcher_id: str, body_id: str) -> bool:
        """Whether an appeal sent to ``dispatcher_id`` reaches ``body_id`` by the hierarchy:
        the same body, or one of its ancestors."""
        return dispatcher_id in self.chain_of_command(body_id)

    @cached_property
    def children(self) -> dict[str | None, tuple[str, ...]]:
        kids: dict[str | None, list[str]] = {}
        for m in self.municipalities:
            kids.setdefault(m.parent, []).append(m.id)
        return {k: tuple(v) for k, v in kids.items()}

    @cached_property
    def _ancestries(self) -> dict[str, tuple[str, ...]]:
        return {}  # filled by ``ancestry``, at most one entry per municipality

    @cached_property
    def _district_labels(self) -> dict[str, str]:
        return {}  # filled by ``display_name``, one entry per parent (a few thousand at most)

    def ancestry(self, municipality_id: str) -> tuple[str, ...]:
        """The municipality itself, then its parent, up to the top (cycles are refused earlier).

        Cached: a common village name matches a hundred places in a national table, and each
        appeal naming it asks for all their ancestries.
        """
        found = self._ancestries.get(municipality_id)
        if found is None:
            found = self._ancestry(municipality_id)
            if municipality_id in self.municipality_by_id:  # never grown by arbitrary ids
                self._ancestries[municipality_id] = found
        return found

    def _ancestry(self, municipality_id: str) -> tuple[str, ...]:
        chain: list[str] = []
        current: str | None = municipality_id
        index = self.municipality_by_id
        while current is not None and current in index and current not in chain:
            chain.append(current)
            current = index[current].parent
        return tuple(chain)

    @cached_property
    def _responsibility(self) -> dict[str, tuple[Body, ...]]:
        """Municipality id (or WHOLE_REGION) → bodies whose territory lists it, in file order.

        Keyed by place alone, not by (topic, place): a national table has ~500,000 such pairs
        (≈60 MB of keys and tuples) but only ~9 bodies per place, so filtering them by topic at
        lookup time (results are cached per key in ``responsible``) costs nothing noticeable.
        """
        table: dict[str, list[Body]] = {}
        for body in self.bodies:
            places = (WHOLE_REGION,) if body.covers_whole_region else body.territory
            for place in places:
                table.setdefault(place, []).append(body)
        return {k: tuple(v) for k, v in table.items()}

    def _responsible_at(self, topic_id: str, place: str) -> list[Body]:
        """Bodies for ``topic_id`` listing ``place``, higher priority first (stable: file order)."""
        found = [b for b in self._responsibility.get(place, ()) if topic_id in b.topics]
        found.sort(key=lambda b: -b.priority)
        return found

    def responsible(self, topic_id: str, municipality_id: str | None) -> tuple[Body, ...]:
        """Bodies that answer ``topic_id`` in ``municipality_id``, most responsible first.

        The most specific territory wins: the settlement's own administration before its
        district's, the district's before a region-wide ministry. With no municipality known,
        only region-wide bodies can be named.
        """
        key = (topic_id, municipality_id)
        cached = self._responsible_cache.get(key)
        if cached is not None:
            return cached
        found: list[Body] = []
        places: Iterable[str] = self.ancestry(municipality_id) if municipality_id else ()
        for place in (*places, WHOLE_REGION):
            for body in self._responsible_at(topic_id, place):
                if body not in found:
                    found.append(body)
        result = tuple(found)
        if len(self._responsible_cache) >= self.RESPONSIBLE_LIMIT:
            self._responsible_cache.clear()
        self._responsible_cache[key] = result
        return result

    def needs_municipality(self, topic_id: str) -> bool:
        """Whether the body for this topic depends on where the problem is."""
        key = ("needs-municipality", topic_id)
        cached = self._cache.get(key)
        if cached is None:
            cached = any(
                topic_id in b.topics and not b.covers_whole_region for b in self.bodies
            )
            self._cache[key] = cached
        return cached

    def descendants(self, municipality_id: str) -> Iterator[str]:
        stack = list(self.children.get(municipality_id, ()))
        while stack:
            current = stack.pop()
            yield current
            stack.extend(self.children.get(current, ()))

    def display_name(self, municipality_id: str) -> str:
        """A name a citizen can tell apart from namesakes: "Октябрьское (Лысогорский район)".

        Six settlements in Saratov oblast are called «Октябрьское»; a button that says only that
        is useless, so a settlement is shown with the district it belongs to.
        """
        municipality = self.municipality_by_id[municipality_id]
        parent_id = municipality.parent
        if parent_id is None or parent_id not in self.municipality_by_id:
            return municipality.name
        grandparent = self.municipality_by_id[parent_id].parent
        if municipality.kind == "населённый пункт" and grandparent in self.municipality_by_id:
            parent_id = grandparent  # «село Михайловка (Саратовский район)»: the district
        label = self._district_labels.get(parent_id)
        if label is None:
            parent = self.municipality_by_id[parent_id].name
            label = parent.replace("муниципальный район", "район")
            self._district_labels[parent_id] = label
        return f"{municipality.name} ({label})"

    def summary(self) -> str:
        return (
            f"{self.region}: муниципальных образований — {len(self.municipalities)}, "
            f"тем — {len(self.topics)}, органов — {len(self.bodies)}"
        )

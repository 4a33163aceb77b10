"""A small world for the core: a routing table, a scripted classifier, a settable clock, fake
transports and a real SQLite repository (in memory, or a file when a test restarts the bot) —
or a PostgreSQL one when ``path`` is a ``postgresql://`` URL (tests/conftest.py ``pg_cluster``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.core.appeals import AppealCore
from bot.delivery.fake import FakeTransport
from bot.delivery.outbox import Outbox
from bot.delivery.ratelimit import RateLimiter
from bot.delivery.signals import DeliverySignals
from bot.domain.calendar import WorkingCalendar
from bot.domain.messages import IncomingMessage
from bot.storage.select import repository_from_url
from bot.storage.sqlite import SqliteRepository
from config import Coordinator
from routing.classify import Candidate, Classification, Decision
from routing.model import Body, Deadline, Level, Municipality, RoutingTable, Topic


class FakeClock:
    def __init__(self, start: datetime):
        self.current = start

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


SARATOV = "63701000"
DISTRICT = "63602000"
CITY_CHAT = -1001  # the city administration's Telegram group
TRANSPORT_PEER = 2000000001  # the transport ministry's VK conversation
COORDINATOR_ID = 42
CITIZEN_TG = 555
CITIZEN_VK = 777


def make_table() -> RoutingTable:
    return RoutingTable(
        region="Саратовская область",
        municipalities=(
            Municipality(SARATOV, "город Саратов", "городской округ"),
            Municipality(DISTRICT, "Александрово-Гайский район", "муниципальный район"),
        ),
        topics=(
            Topic("roads", "Дороги"),
            Topic("trash", "Мусор"),
            Topic(
                "health", "Здравоохранение", level=Level.REGIONAL, deadline=Deadline.parse("72h")
            ),
        ),
        bodies=(
            Body(
                "city",
                "Администрация города Саратова",
                Level.MUNICIPAL,
                ("roads", "trash"),
                (SARATOV,),
                deadline=Deadline.parse("10wd"),
                telegram_chat=str(CITY_CHAT),
            ),
            Body(
                "transport",
                "Министерство транспорта",
                Level.REGIONAL,
                ("roads",),
                "region",
                deadline=Deadline.parse("30d"),
                vk_peer=str(TRANSPORT_PEER),
            ),
            Body(
                "health",
                "Министерство здравоохранения",
                Level.REGIONAL,
                ("health",),
                "region",
                deadline=Deadline.parse("10wd"),
            ),
        ),
    )


def routed(
    body: str,
    topic: str,
    municipality: str | None = SARATOV,
    others: tuple[tuple[str, str], ...] = (),
) -> Classification:
    candidates = (
        Candidate(topic, municipality, body, 0.8),
        *(Candidate(t, municipality, b, 0.1) for b, t in others),
    )
    return Classification(Decision.ROUTE, topic, municipality, body, 0.8, candidates)


class ScriptedClassifier:
    """Answers by the first word of the text; records the calls."""

    def __init__(self):
        self.calls: list[tuple] = []
        self.script: dict[str, Classification] = {
            "яма": routed("city", "roads", others=(("transport", "roads"),)),
            "больница": routed("health", "health", None),
            "непонятно": Classification(Decision.TO_COORDINATOR, None, None, None, 0.0, ()),
            "мусор": Classification(
                Decision.ASK_TOPIC,
                None,
                SARATOV,
                None,
                0.4,
                (
                    Candidate("trash", SARATOV, "city", 0.4),
                    Candidate("roads", SARATOV, "city", 0.3),
                ),
                topic_options=("trash", "roads"),
            ),
        }

    def classify(self, text, lat=None, lon=None, *, topic=None, municipality=None):
        self.calls.append((text, lat, lon, topic, municipality))
        if topic == "trash":
            return routed("city", "trash")
        if topic == "roads":
            return routed("transport", "roads", None)
        return self.script[text.split()[0].lower()]


@dataclass
class World:
    path: str
    clock: FakeClock
    table: RoutingTable = field(default_factory=make_table)
    classifier: ScriptedClassifier = field(default_factory=ScriptedClassifier)
    tg: FakeTransport = field(default_factory=lambda: FakeTransport("tg"))
    vk: FakeTransport = field(
        default_factory=lambda: FakeTransport("vk", dedup_by_id=True, first_id=5000)
    )
    repo: SqliteRepository | None = None
    core: AppealCore | None = None
    outbox: Outbox | None = None
    message_ids: int = 0
    calendar: WorkingCalendar = field(
        default_factory=lambda: WorkingCalendar.build(timezone="Europe/Saratov")
    )

    async def start(self, core_options: dict | None = None, **outbox_options) -> World:
        """Open (or reopen, as after a restart) the database and build the core and outbox;
        ``core_options`` go to `AppealCore` (a flood guard, a retention period)."""
        self.repo = (
            repository_from_url(self.path)
            if self.path.startswith("postgresql://")
            else SqliteRepository(self.path)
        )
        await self.repo.open()
        signals = DeliverySignals()
        self.core = AppealCore(
            self.repo,
            self.table,
            self.classifier,
            self.calendar,
            self.clock,
            coordinators=[Coordinator("tg", COORDINATOR_ID)],
            on_enqueue=signals.wake,
            **(core_options or {}),
        )
        self.outbox = Outbox(
            self.repo,
            {"tg": self.tg, "vk": self.vk},
            self.clock,
            RateLimiter(self.clock),
            signals=signals,
            **outbox_options,
        )
        return self

    async def stop(self) -> None:
        if self.repo is not None:
            await self.repo.close()

    def citizen(
        self,
        text: str,
        *,
        channel: str = "tg",
        chat: int | None = None,
        message_id: int | None = None,
        **extra,
    ) -> IncomingMessage:
        if message_id is None:
            self.message_ids += 1
            message_id = self.message_ids
        chat = chat if chat is not None else (CITIZEN_TG if channel == "tg" else CITIZEN_VK)
        return IncomingMessage(channel, chat, chat, message_id, text, **extra)  # type: ignore[arg-type]

    async def flush(self, passes: int = 100, step: float = 1.1) -> None:
        """Run the outbox until nothing is due, advancing the clock past per-chat limits."""
        for _ in range(passes):
            await self.outbox.run_once()
            async with self.repo.transaction() as tx:
                if not await tx.outbox.in_state("pending"):
                    return
            self.clock.advance(seconds=step)

    async def outbox_rows(self, state: str | None = None):
        async with self.repo.transaction() as tx:
            rows = await tx.sql.all("SELECT * FROM outbox ORDER BY id")
        return [r for r in rows if state is None or r["state"] == state]

    async def ticket(self, number: str):
        async with self.repo.transaction() as tx:
            return await tx.tickets.by_number(number)

    async def events(self, number: str) -> list[str]:
        ticket = await self.ticket(number)
        async with self.repo.transaction() as tx:
            return [e["kind"] for e in await tx.tickets.events(ticket.id)]


# Wednesday 4 March 2026, 10:00 in Saratov (UTC+4).
START = datetime(2026, 3, 4, 6, 0, tzinfo=UTC)

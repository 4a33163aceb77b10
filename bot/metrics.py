"""The bot's Prometheus metrics: counters the hot path bumps, gauges read from the database.

Why two kinds. What happens to a message — received, handled or failed, the classifier's
decision, how a send ended — is counted where it happens, through the `bot.core.ports.Observer`
port that the core and the outbox are given (they import no metrics library); a count costs a
fraction of a microsecond and no I/O. What the database holds — the outbox's backlog and its
oldest row, overdue tickets — is read only when someone asks (`Metrics.read_database`, called by
``/metrics`` and ``/healthz`` in `bot.health`): one short transaction per scrape, never per
message. A gauge of that kind is one line of `ON_SCRAPE`.

Everything lives in a registry of its own (`Metrics.registry`), not prometheus-client's global
one: two bots in one process (the tests) do not count into each other, and nothing a library
registers globally is exposed by accident. Labels are fixed words (channels, decisions, results,
exception class and logger names), never a chat id or a text.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, ProcessCollector
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import GaugeMetricFamily, Metric

from bot.delivery.outbox import SendResult
from bot.domain.messages import CHANNELS
from bot.domain.states import ACTIVE
from bot.storage.base import Repository, Tx
from routing.classify import Decision

log = logging.getLogger("bot.metrics")

#: How long a scrape waits for the database before it says the database is down.
READ_TIMEOUT = 3.0

Reading = float | Mapping[str, float] | None
Read = Callable[[Tx, datetime], Awaitable[Reading]]


@dataclass(frozen=True)
class ReadOnScrape:
    """A gauge read from the database at each scrape. ``read`` gets the transaction and the
    time; it returns a number, or ``{label value: number}`` for a gauge with ``label``, or
    ``None`` when there is nothing to report (the gauge is left out)."""

    name: str
    documentation: str
    read: Read
    label: str | None = None


async def _outbox_unsent(tx: Tx, now: datetime) -> Reading:
    return {"pending": 0, "sending": 0} | await tx.stats.unsent()


async def _outbox_oldest_age(tx: Tx, now: datetime) -> Reading:
    oldest = await tx.stats.oldest_unsent_at()
    return 0.0 if oldest is None else max(0.0, (now - oldest).total_seconds())


async def _inbox_depth(tx: Tx, now: datetime) -> Reading:
    depth, _oldest = await tx.inbox.depth_and_age()
    return depth


async def _inbox_oldest_age(tx: Tx, now: datetime) -> Reading:
    _depth, oldest = await tx.inbox.depth_and_age()
    return 0.0 if oldest is None else max(0.0, (now - oldest).total_seconds())


async def _tickets_overdue(tx: Tx, now: datetime) -> Reading:
    return await tx.stats.overdue_count(tuple(state.value for state in ACTIVE), now)


#: Read in this order, in one transaction, at each scrape. A new gauge is one more entry.
ON_SCRAPE: tuple[ReadOnScrape, ...] = (
    ReadOnScrape(
        "bot_outbox_depth",
        "Сообщения в очереди отправки, ещё не отправленные, по состоянию",
        _outbox_unsent,
        label="state",
    ),
    ReadOnScrape(
        "bot_outbox_oldest_age_seconds",
        "Сколько секунд ждёт самое старое неотправленное сообщение (0 — очередь пуста)",
        _outbox_oldest_age,
    ),
    ReadOnScrape(
        "bot_inbox_depth",
        "Входящие обновления, записанные и ещё не обработанные",
        _inbox_depth,
    ),
    ReadOnScrape(
        "bot_inbox_oldest_age_seconds",
        "Сколько секунд ждёт обработки самое старое входящее обновление (0 — ждущих нет)",
        _inbox_oldest_age,
    ),
    ReadOnScrape(
        "bot_tickets_overdue",
        "Обращения в работе, у которых истёк срок ответа",
        _tickets_overdue,
    ),
)


class Metrics:
    """The `bot.core.ports.Observer` that counts, and the registry ``/metrics`` shows."""

    def __init__(self, on_scrape: Iterable[ReadOnScrape] = ON_SCRAPE) -> None:
        self.registry = CollectorRegistry()
        self._children: dict[tuple[Counter, tuple[str, ...]], Counter] = {}
        registry = self.registry
        self._received = Counter(
            "bot_updates_received", "Сообщения и нажатия кнопок, переданные ядру, по каналу",
            ["channel"], registry=registry,
        )
        self._processed = Counter(
            "bot_updates_processed", "Сообщения и нажатия, которые ядро обработало, по каналу",
            ["channel"], registry=registry,
        )
        self._failed = Counter(
            "bot_updates_failed",
            "Сообщения и нажатия, обработка которых упала с ошибкой, по каналу и типу ошибки",
            ["channel", "error"], registry=registry,
        )
        self._classified = Counter(
            "bot_classifications", "Решения классификатора по обращениям, по решению",
            ["decision"], registry=registry,
        )
        self._sends = Counter(
            "bot_sends",
            "Попытки отправки из очереди по каналу и итогу (sent, retry, rate_limited, failed, "
            "uncertain)",
            ["channel", "result"], registry=registry,
        )
        self._errors_logged = Counter(
            "bot_errors_logged",
            "Записи уровня ERROR и выше в журнале (обработчики, очередь, проверки сроков), "
            "по имени логгера",
            ["logger"], registry=registry,
        )
        self.database = DatabaseGauges(tuple(on_scrape))
        registry.register(self.database)
        ProcessCollector(registry=registry)  # memory, CPU, open files of this process
        # Known label values start at 0, so a rate is defined before the first event.
        for channel in CHANNELS:
            self._received.labels(channel)
            self._processed.labels(channel)
            for result in SendResult:
                self._sends.labels(channel, result)
        for decision in Decision:
            self._classified.labels(decision)

    # -- the Observer: counts only ---------------------------------------------------------------
    def update_received(self, channel: str) -> None:
        self._count(self._received, channel)

    def update_processed(self, channel: str) -> None:
        self._count(self._processed, channel)

    def update_failed(self, channel: str, error: str) -> None:
        self._count(self._failed, channel, error)

    def classified(self, decision: str) -> None:
        self._count(self._classified, decision)

    def send_ended(self, channel: str, result: str) -> None:
        self._count(self._sends, channel, result)

    def _count(self, counter: Counter, *values: str) -> None:
        """``counter.labels(*values).inc()`` with the labelled child remembered:
        prometheus-client checks the values and takes a lock on every ``labels`` call, which
        made a count cost 1 µs instead of 0.4 µs."""
        key = (counter, values)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = counter.labels(*values)
        child.inc()

    # -- scraping --------------------------------------------------------------------------------
    async def read_database(self, repo: Repository, now: datetime) -> bool:
        """Refresh the database gauges; whether the database answered in time."""
        return await self.database.read(repo, now)

    def exposition(self, accept: str = "") -> tuple[bytes, str]:
        """The registry in the format the scraper asked for (``Accept``), and its content
        type: Prometheus' text format unless it asks for OpenMetrics."""
        encode, content_type = choose_encoder(accept)
        return encode(self.registry), content_type

    @contextlib.contextmanager
    def counting_logged_errors(self) -> Iterator[None]:
        """While inside: every ERROR record that reaches the root logger is counted by its
        logger's name (aiogram's and vkbottle's handler failures, the outbox's, the scans')."""
        handler = _ErrorCount(functools.partial(self._count, self._errors_logged))
        root = logging.getLogger()
        root.addHandler(handler)
        try:
            yield
        finally:
            root.removeHandler(handler)


class _ErrorCount(logging.Handler):
    def __init__(self, count: Callable[[str], None]) -> None:
        super().__init__(logging.ERROR)
        self.count = count

    def emit(self, record: logging.LogRecord) -> None:
        self.count(record.name)


class DatabaseGauges:
    """A prometheus-client collector of the `ReadOnScrape` gauges: `read` takes them from the
    database (async), `collect` hands out what was read last (prometheus-client collects
    synchronously). ``bot_database_up`` says whether the last read succeeded; while it is 0 the
    other gauges are left out rather than shown stale."""

    UP = "bot_database_up"

    def __init__(self, gauges: tuple[ReadOnScrape, ...]) -> None:
        self.gauges = gauges
        self._readings: dict[str, Reading] = {}
        self._up = False

    async def read(self, repo: Repository, now: datetime, timeout: float = READ_TIMEOUT) -> bool:
        try:
            self._readings = await asyncio.wait_for(self._read_all(repo, now), timeout)
        except Exception as exc:  # down, locked, closed, or too slow: the gauge says so
            log.warning("metrics: the database did not answer (%s)", type(exc).__name__)
            self._readings, self._up = {}, False
        else:
            self._up = True
        return self._up

    async def _read_all(self, repo: Repository, now: datetime) -> dict[str, Reading]:
        async with repo.transaction() as tx:
            return {gauge.name: await gauge.read(tx, now) for gauge in self.gauges}

    def reading(self, name: str) -> Reading:
        """What the last `read` took for the gauge ``name`` (``None`` while the database is
        away): ``/healthz`` reports the outbox's lag from the same read."""
        return self._readings.get(name)

    def describe(self) -> Iterator[Metric]:
        """The names, so that the registry refuses a second gauge of the same name."""
        yield GaugeMetricFamily(self.UP, "")
        for gauge in self.gauges:
            yield GaugeMetricFamily(gauge.name, gauge.documentation)

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(
            self.UP, "1, если база данных ответила при последнем опросе", value=float(self._up)
        )
        for gauge in self.gauges:
            reading = self._readings.get(gauge.name)
            if reading is None:
                continue
            if gauge.label is None:
                assert not isinstance(reading, Mapping)
                yield GaugeMetricFamily(gauge.name, gauge.documentation, value=float(reading))
                continue
            family = GaugeMetricFamily(gauge.name, gauge.documentation, labels=[gauge.label])
            assert isinstance(reading, Mapping)
            for value, number in sorted(reading.items()):
                family.add_metric([value], float(number))
            yield family

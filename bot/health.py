"""``/healthz`` and ``/metrics``: whether the bot can do its work, and what it has done.

They live on the bot's one aiohttp server (`bot.serve`), next to the webhooks, and on
``METRICS_PORT`` in polling mode too, so that a container healthcheck and Prometheus have
something to ask whichever way the bot receives.

``/healthz`` answers 200 when the database answered a short read just now and the outbox worker
runs — the two things without which appeals are neither kept nor delivered — and 503 otherwise;
that it answers at all shows that the event loop is not stuck. It also says how far delivery
lags: ``outbox_lag_seconds``, how long the oldest message not yet sent has waited (0 when
everything is out), read in the same transaction as the database check. A lag alone does not
turn it 503 unless ``lag_limit`` is given: a platform that is down makes messages wait, and a
restart would not bring them out sooner. The body is a small JSON object of fixed words and
numbers (no settings, no addresses, no counts of anybody's data). ``/metrics`` is
`bot.metrics.Metrics` in Prometheus' text format; its database gauges are read on that request,
in one transaction.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from aiohttp import web

from bot.domain.messages import Clock
from bot.metrics import Metrics
from bot.storage.base import Repository

HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
#: The gauge the lag is read from (`bot.metrics.ON_SCRAPE`).
OUTBOX_LAG = "bot_outbox_oldest_age_seconds"


class HealthEndpoints:
    """The two handlers over the running service's parts (given, not looked up)."""

    def __init__(
        self,
        metrics: Metrics,
        repo: Repository,
        clock: Clock,
        delivering: Callable[[], bool],
        lag_limit: float | None = None,
    ) -> None:
        self.metrics = metrics
        self.repo = repo
        self.clock = clock
        #: Whether the outbox worker is running (`bot.bootstrap.CoreService.delivering`).
        self.delivering = delivering
        #: Seconds of outbox lag after which the health answer is 503 (``None``: never).
        self.lag_limit = lag_limit
        self.started = time.monotonic()

    def register(self, app: web.Application) -> None:
        app.router.add_get(HEALTH_PATH, self.health)
        app.router.add_get(METRICS_PATH, self.scrape)

    async def health(self, request: web.Request) -> web.Response:
        database = await self.metrics.read_database(self.repo, self.clock.now())
        outbox = self.delivering()
        lag = self.metrics.database.reading(OUTBOX_LAG) if database else None
        lagging = (
            isinstance(lag, int | float) and self.lag_limit is not None and lag > self.lag_limit
        )
        healthy = database and outbox and not lagging
        body = {
            "status": "ok" if healthy else "fail",
            "database": "ok" if database else "unavailable",
            "outbox": "lagging" if outbox and lagging else "running" if outbox else "stopped",
            "outbox_lag_seconds": round(lag) if isinstance(lag, int | float) else None,
            "uptime_seconds": round(time.monotonic() - self.started),
        }
        return web.json_response(body, status=200 if healthy else 503)

    async def scrape(self, request: web.Request) -> web.Response:
        await self.metrics.read_database(self.repo, self.clock.now())
        body, content_type = self.metrics.exposition(request.headers.get("Accept", ""))
        return web.Response(body=body, headers={"Content-Type": content_type})

"""``/healthz`` and ``/metrics``: whether the bot can do its work, and what it has done.

They live on the bot's one aiohttp server (`bot.serve`), next to the webhooks, and on
``METRICS_PORT`` in polling mode too, so that a container healthcheck and Prometheus have
something to ask whichever way the bot receives.

``/healthz`` answers 200 when the database answered a short read just now and the outbox worker
runs — the two things without which appeals are neither kept nor delivered — and 503 otherwise;
that it answers at all shows that the event loop is not stuck. The body is a small JSON object
of fixed words (no settings, no addresses, no counts of anybody's data). ``/metrics`` is
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


class HealthEndpoints:
    """The two handlers over the running service's parts (given, not looked up)."""

    def __init__(
        self,
        metrics: Metrics,
        repo: Repository,
        clock: Clock,
        delivering: Callable[[], bool],
    ) -> None:
        self.metrics = metrics
        self.repo = repo
        self.clock = clock
        #: Whether the outbox worker is running (`bot.bootstrap.CoreService.delivering`).
        self.delivering = delivering
        self.started = time.monotonic()

    def register(self, app: web.Application) -> None:
        app.router.add_get(HEALTH_PATH, self.health)
        app.router.add_get(METRICS_PATH, self.scrape)

    async def health(self, request: web.Request) -> web.Response:
        database = await self.metrics.read_database(self.repo, self.clock.now())
        outbox = self.delivering()
        body = {
            "status": "ok" if database and outbox else "fail",
            "database": "ok" if database else "unavailable",
            "outbox": "running" if outbox else "stopped",
            "uptime_seconds": round(time.monotonic() - self.started),
        }
        return web.json_response(body, status=200 if database and outbox else 503)

    async def scrape(self, request: web.Request) -> web.Response:
        await self.metrics.read_database(self.repo, self.clock.now())
        body, content_type = self.metrics.exposition(request.headers.get("Accept", ""))
        return web.Response(body=body, headers={"Content-Type": content_type})

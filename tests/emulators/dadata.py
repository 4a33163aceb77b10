"""A local emulator of DaData's suggestions API (``geolocate/address``, ``suggest/address``).

As documented (``shared/PLATFORMS.md``): POST with ``Authorization: Token <key>`` and a JSON
body; the answer is ``{"suggestions": [{"value", "unrestricted_value", "data": {...}}]}``, with
``data.fias_id`` and ``data.oktmo`` among the fields. A wrong key gets HTTP 403, a malformed
body 400. Addresses are the test's: ``places`` are (lat, lon, value, oktmo) points, and
``geolocate`` answers the nearest within the radius asked; ``suggest`` those whose value holds
the query's words (the kind words «ул», «дом» left out, names by their first five letters, as
DaData reads inflected names). Every request is recorded (path, headers, body) so a test can
check what was sent, and ``down`` makes it answer 503.
"""

from __future__ import annotations

import math
import re
import uuid
from dataclasses import dataclass, field

from aiohttp import web


@dataclass
class Place:
    lat: float
    lon: float
    value: str
    oktmo: str | None
    fias_id: str = field(default_factory=lambda: str(uuid.uuid4()))


class DaDataEmulator:
    def __init__(self, api_key: str, places: list[Place]) -> None:
        self.api_key = api_key
        self.places = places
        self.requests: list[tuple[str, dict[str, str], dict]] = []
        self.down = False
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    async def __aenter__(self) -> DaDataEmulator:
        app = web.Application()
        app.router.add_post("/suggestions/api/4_1/rs/geolocate/address", self._geolocate)
        app.router.add_post("/suggestions/api/4_1/rs/suggest/address", self._suggest)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.base_url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _read(self, request: web.Request) -> dict | web.Response:
        try:
            body = await request.json()
        except ValueError:
            body = None
        self.requests.append((request.path, dict(request.headers), body or {}))
        if self.down:
            return web.json_response({"message": "Service Unavailable"}, status=503)
        if request.headers.get("Authorization") != f"Token {self.api_key}":
            return web.json_response({"family": "CLIENT_ERROR", "reason": "Forbidden"},
                                     status=403)
        if not isinstance(body, dict):
            return web.json_response({"family": "CLIENT_ERROR", "reason": "Bad Request"},
                                     status=400)
        return body

    async def _geolocate(self, request: web.Request) -> web.Response:
        body = await self._read(request)
        if isinstance(body, web.Response):
            return body
        lat, lon = float(body["lat"]), float(body["lon"])
        radius = float(body.get("radius_meters", 100))
        near = sorted((_metres(lat, lon, p), p) for p in self.places)
        found = [p for d, p in near if d <= radius][: int(body.get("count", 10))]
        return web.json_response({"suggestions": [_suggestion(p) for p in found]})

    async def _suggest(self, request: web.Request) -> web.Response:
        body = await self._read(request)
        if isinstance(body, web.Response):
            return body
        words = [w for w in _words(str(body.get("query", ""))) if w not in KIND_WORDS]
        found = [p for p in self.places if _matches(words, _words(p.value))]
        return web.json_response(
            {"suggestions": [_suggestion(p) for p in found[: int(body.get("count", 10))]]}
        )


#: Words saying what kind of thing an address part is; DaData reads them, the emulator skips them.
KIND_WORDS = frozenset(
    "ул улица улице улицы у д дом дома доме корп корпус пр проспект проспекте пер переулок "
    "переулке г город с село р н обл".split()
)
STEM = 5  # «Молодёжной» finds «Молодёжная»: names compared by their first letters


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower().replace("ё", "е"))


def _matches(query: list[str], value: list[str]) -> bool:
    """Every word of the query is in the value: a number as it is, a name by its stem."""
    return bool(query) and all(
        w in value if w.isdigit() else any(v.startswith(w[:STEM]) for v in value) for w in query
    )


def _suggestion(place: Place) -> dict:
    return {
        "value": place.value,
        "unrestricted_value": f"Саратовская обл, {place.value}",
        "data": {
            "region": "Саратовская",
            "region_iso_code": "RU-SAR",
            "fias_id": place.fias_id,
            "oktmo": place.oktmo,
            "geo_lat": str(place.lat),
            "geo_lon": str(place.lon),
        },
    }


def _metres(lat: float, lon: float, place: Place) -> float:
    la1, la2 = math.radians(lat), math.radians(place.lat)
    a = (math.sin((la2 - la1) / 2) ** 2
         + math.cos(la1) * math.cos(la2) * math.sin(math.radians(place.lon - lon) / 2) ** 2)
    return 2 * 6_371_000 * math.asin(math.sqrt(min(a, 1.0)))

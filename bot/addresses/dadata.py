"""DaData's suggestions API as the core's `AddressService` (see ``shared/PLATFORMS.md``).

``geolocate/address`` turns a shared location into the nearest address, ``suggest/address`` a
written one into candidates; both carry FIAS codes and, for most addresses, OKTMO, which is what
the routing table's municipalities are keyed by. Optional: without ``DADATA_API_KEY`` the bot
uses its offline gazetteer only. Every failure (network, refusal, bad JSON, a slow answer) is
logged by kind only and read as "no answer": the appeal is never held for the service. The key
goes in one header and nowhere else; neither addresses nor coordinates are logged.
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp

from bot.core.ports import Address

log = logging.getLogger(__name__)

DEFAULT_URL = "https://suggestions.dadata.ru"
GEOLOCATE = "/suggestions/api/4_1/rs/geolocate/address"
SUGGEST = "/suggestions/api/4_1/rs/suggest/address"
#: The official client's default; a pin inside a village finds its houses.
RADIUS_METERS = 100
TIMEOUT_SECONDS = 3.0
MAX_QUERY_CHARS = 300


class DaDataAddresses:
    def __init__(self, api_key: str, url: str = DEFAULT_URL, *, region: str | None = None,
                 timeout: float = TIMEOUT_SECONDS) -> None:
        self._headers = {"Authorization": f"Token {api_key}", "Accept": "application/json"}
        self._url = url.rstrip("/")
        self._region = region  # suggestions limited to the table's region («Саратовская»)
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    def __repr__(self) -> str:  # never the key
        return f"DaDataAddresses({self._url!r})"

    async def geolocate(self, lat: float, lon: float) -> Address | None:
        found = await self._post(
            GEOLOCATE, {"lat": lat, "lon": lon, "radius_meters": RADIUS_METERS, "count": 1}
        )
        return found[0] if found else None

    async def suggest(self, query: str) -> list[Address]:
        body: dict[str, Any] = {"query": query[:MAX_QUERY_CHARS], "count": 5}
        if self._region:
            body["locations"] = [{"region": self._region}]
        return await self._post(SUGGEST, body)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _post(self, path: str, body: dict[str, Any]) -> list[Address]:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        try:
            async with self._session.post(self._url + path, json=body,
                                          headers=self._headers) as response:
                if response.status != 200:
                    log.warning("address service refused: HTTP %s", response.status)
                    return []
                data = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            log.warning("address service unavailable: %s", type(exc).__name__)
            return []
        return addresses_of(data)


def addresses_of(data: object) -> list[Address]:
    """The ``suggestions`` of a DaData answer; anything malformed is skipped, not raised."""
    suggestions = data.get("suggestions") if isinstance(data, dict) else None
    found = []
    for item in suggestions if isinstance(suggestions, list) else ():
        if not isinstance(item, dict) or not isinstance(item.get("data"), dict):
            continue
        fields = item["data"]
        oktmo = fields.get("oktmo")
        found.append(Address(
            value=str(item.get("value") or ""),
            fias_id=fields.get("fias_id") if isinstance(fields.get("fias_id"), str) else None,
            oktmo=oktmo if isinstance(oktmo, str) and oktmo.isdigit() else None,
        ))
    return found

"""Where the optional address service places an appeal that the offline gazetteer cannot.

The classifier reads places from the text with the routing table's own gazetteer. When that
leaves the place open (the classifier would ask the citizen «Где это?»), an address service
configured for production (`bot.core.ports.AddressService`, DaData) may know better: a shared
pin is reverse-geocoded, and a typed street address — in the appeal itself, or the citizen's
answer to the place question — is looked up among its suggestions. Their OKTMO code names the
table's municipality, which the classifier is given back as if the citizen had answered.

Without a service nothing here runs. With one, it runs only when the text alone leaves the
place open, so an appeal the bot can already place never waits for the service; an answer the
service does not give (down, slow past its timeout, nothing found, suggestions in different
towns) leaves the offline result as it was. Only the address part of the words goes out
(`bot.domain.phrases.address_query`), and neither it nor the answer is logged.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from bot.core.desk import Desk
from bot.domain.phrases import address_query
from routing.places import municipality_of_addresses, municipality_of_oktmo

log = logging.getLogger("bot.core")

ASK_PLACE = "ask_municipality"


def _asks_place(result: Any) -> bool:
    return str(getattr(result.decision, "value", result.decision)) == ASK_PLACE


async def place(
    desk: Desk, result: Any, text: str, lat: float | None, lon: float | None,
    answers: dict[str, str | None],
) -> Any:
    """``result`` (the classifier's verdict on ``text`` and the pin), or the verdict with the
    place the address service found when the text alone could not name one."""
    if desk.addresses is None or answers.get("municipality"):
        return result
    textual = result if lat is None else await asyncio.to_thread(
        desk.classifier.classify, text, None, None, **answers
    )
    if not _asks_place(textual):
        return result
    found = await _by_pin(desk, lat, lon) if lat is not None and lon is not None else None
    if found is None:
        found = await _by_typed_address(desk, text, tuple(textual.municipality_options))
    if found is None:
        return result
    return await asyncio.to_thread(
        desk.classifier.classify, text, lat, lon, **(answers | {"municipality": found})
    )


async def _by_pin(desk: Desk, lat: float, lon: float) -> str | None:
    """The pin's place by reverse geocoding: beats the offline «nearest town within 45 km»."""
    assert desk.addresses is not None
    address = await desk.addresses.geolocate(lat, lon)
    return municipality_of_oktmo(desk.table, address.oktmo if address else None)


async def _by_typed_address(desk: Desk, text: str, options: tuple[str, ...]) -> str | None:
    """The place every suggestion for the typed address agrees on; ``None`` without an
    address in the words, or when the suggestions disagree, or contradict the places the
    classifier would offer (``options``: «Энгельс или Саратов?»)."""
    assert desk.addresses is not None
    query = address_query(text)
    if query is None:
        return None
    suggestions = await desk.addresses.suggest(query)
    found = municipality_of_addresses(desk.table, (a.oktmo for a in suggestions))
    if found is None:
        log.info("address service: a typed address not placed (%d suggestions)",
                 len(suggestions))
        return None
    if options and not any(
        option in desk.table.ancestry(found) or found in desk.table.ancestry(option)
        for option in options
    ):
        log.info("address service: a typed address outside the places offered")
        return None
    log.info("address service: a typed address placed in municipality %s", found)
    return found

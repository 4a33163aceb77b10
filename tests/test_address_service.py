"""The optional address service (DaData) behind `bot.core.ports.AddressService`.

The adapter against a local emulator of DaData's HTTP API (`tests.emulators.dadata`): what it
sends (the key in one header, the pin, the region), what it reads (OKTMO), and that every
failure is «no answer» with nothing secret or personal in the log. End to end on the Telegram
and VK emulators: a pin the offline gazetteer would put in the nearest big town (Saratov, 17 km
away) goes, with the service configured, to the village it is in; without it, as before. A
typed street address the gazetteer cannot place (in the appeal, or the answer to «В каком
населённом пункте это?») is looked up among the service's suggestions: routed where they all
agree, asked as before where they disagree or without the service.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from contextlib import asynccontextmanager
from pathlib import Path

from vkbottle import API, AiohttpClient
from vkbottle.bot import BotLabeler

from bot.addresses.dadata import DaDataAddresses
from bot.bootstrap import CoreService
from bot.domain import texts
from bot.storage import repository_from_url
from config import Settings
from handlers.vk.inbound import VKInbound, make_vk_bot
from handlers.vk.transport import VKTransport
from routing.places import municipality_of_addresses, municipality_of_oktmo
from routing.tablefile import load_table
from tests.app_world import (  # the autouse fixture builds the classifier
    saratov,
    saratov_built_outside_the_deadline,  # noqa: F401
    telegram_only,
)
from tests.emulators.aio import run_async
from tests.emulators.dadata import DaDataEmulator, Place
from tests.emulators.telegram import TelegramEmulator
from tests.emulators.vk import VKEmulator

KEY = "dadata-test-key-0123456789"
CITIZEN = 1001
UST_KURDYUM_PIN = (51.6750, 46.0560)  # the village, ~17 km north of Saratov's centre
PLACES = [Place(*UST_KURDYUM_PIN, "Саратовский р-н, село Усть-Курдюм, ул Молодёжная, д 2",
                "63643496101")]
CHERNYSHEVSKOGO = Place(51.5331, 46.0342, "г Саратов, ул им Чернышевского Н.Г., д 88",
                        "63701000")
#: One address in two districts: a suggestion alone cannot tell which.
LESNAYA = [Place(51.70, 46.10, "Саратовский р-н, село Усть-Курдюм, ул Лесная, д 1",
                 "63643496101"),
           Place(51.49, 46.21, "г Энгельс, ул Лесная, д 1", "63650101")]
TYPED = [*PLACES, CHERNYSHEVSKOGO, *LESNAYA]
UST_KURDYUM_ADMIN = ("Администрация Усть-Курдюмского муниципального образования Саратовского "
                     "муниципального района")
CITY_NAME = "Администрация муниципального образования «Город Саратов»"


@run_async
async def test_geolocate_reads_oktmo_and_sends_the_key_only_in_its_header():
    async with DaDataEmulator(KEY, PLACES) as dadata:
        service = DaDataAddresses(KEY, dadata.base_url, region="Саратовская")
        try:
            found = await service.geolocate(*UST_KURDYUM_PIN)
            suggested = await service.suggest("Усть-Курдюм Молодёжная")
        finally:
            await service.close()
    assert found is not None and found.oktmo == "63643496101" and found.fias_id
    assert [a.oktmo for a in suggested] == ["63643496101"]
    (path, headers, body), (_, _, suggest_body) = dadata.requests
    assert path.endswith("/geolocate/address") and headers["Authorization"] == f"Token {KEY}"
    assert body == {"lat": UST_KURDYUM_PIN[0], "lon": UST_KURDYUM_PIN[1], "radius_meters": 100,
                    "count": 1}
    assert suggest_body["locations"] == [{"region": "Саратовская"}]
    assert KEY not in repr(service)


@run_async
async def test_nothing_near_a_pin_is_no_answer():
    async with DaDataEmulator(KEY, PLACES) as dadata:
        service = DaDataAddresses(KEY, dadata.base_url)
        try:
            assert await service.geolocate(55.75, 37.62) is None
        finally:
            await service.close()


@run_async
async def test_a_refused_key_or_a_service_down_is_no_answer_and_logs_no_secret(caplog):
    caplog.set_level(logging.DEBUG)
    async with DaDataEmulator(KEY, PLACES) as dadata:
        wrong = DaDataAddresses("wrong-key-42", dadata.base_url)
        right = DaDataAddresses(KEY, dadata.base_url)
        try:
            assert await wrong.geolocate(*UST_KURDYUM_PIN) is None
            dadata.down = True
            assert await right.geolocate(*UST_KURDYUM_PIN) is None
        finally:
            await wrong.close()
            await right.close()
    unreachable = DaDataAddresses(KEY, "http://127.0.0.1:9", timeout=2)
    try:
        assert await unreachable.suggest("Саратов") == []
    finally:
        await unreachable.close()
    logged = caplog.text
    assert "HTTP 403" in logged and "HTTP 503" in logged
    assert KEY not in logged and "wrong-key-42" not in logged
    assert "Усть-Курдюм" not in logged and "51.675" not in logged


def test_oktmo_codes_map_to_the_most_specific_place_in_the_table():
    table = load_table("routing/tables/saratov.yaml")
    assert municipality_of_oktmo(table, "63643496101") == "63643496101"  # the village itself
    assert municipality_of_oktmo(table, "63643496999") == "63643496"  # its formation
    assert municipality_of_oktmo(table, "63602405166") == "63602405166"
    assert municipality_of_oktmo(table, "63602499000") == "63602000"  # unknown: the district
    assert municipality_of_oktmo(table, "45000000") is None  # Moscow: not this table
    assert municipality_of_oktmo(table, None) is None


def test_the_key_is_secret_in_settings():
    settings = Settings(_env_file=None, dadata_api_key=KEY)
    assert KEY not in repr(settings) and settings.dadata_api_key.get_secret_value() == KEY


async def pin_answers_the_place_question(tg: TelegramEmulator) -> str:
    """The citizen names no place, is asked, and shares the pin: the bot's reply."""
    seen = len(tg.sent)
    tg.user_sends_text(CITIZEN, "Не горит фонарь во дворе")
    await tg.wait_for(lambda c: "keyboard" in (c.reply_markup or {}), since=seen)
    seen = len(tg.sent)
    tg.user_sends_location(CITIZEN, *UST_KURDYUM_PIN)
    reply = await tg.wait_for(
        lambda c: c.chat_id == CITIZEN and c.method == "sendMessage", since=seen
    )
    return reply.text or ""


@run_async
async def test_with_the_address_service_a_pin_goes_to_the_village_it_is_in(tmp_path):
    async with DaDataEmulator(KEY, PLACES) as dadata, telegram_only(
        tmp_path, dadata_api_key=KEY, dadata_url=dadata.base_url
    ) as (tg, _group):
        accepted = await pin_answers_the_place_question(tg)
    assert UST_KURDYUM_ADMIN in accepted, accepted
    assert any(path.endswith("/geolocate/address") for path, _, _ in dadata.requests)


@run_async
async def test_without_the_address_service_the_offline_gazetteer_places_the_pin(tmp_path):
    async with telegram_only(tmp_path) as (tg, _group):
        accepted = await pin_answers_the_place_question(tg)
    assert CITY_NAME in accepted  # the nearest town within 45 km, as before


@asynccontextmanager
async def vk_bot(tmp_path: Path, table, classifier, settings: Settings):
    """The real vkbottle bot on the VK emulator, the core built with ``settings``."""
    async with VKEmulator() as vk:
        api = API(vk.token, http_client=AiohttpClient())
        api.API_URL = vk.api_url
        service = CoreService.build(
            repo=repository_from_url(f"sqlite:///{tmp_path / 'bot.sqlite3'}"),
            table=table, classifier=classifier, transports={"vk": VKTransport(api)},
            settings=settings,
        )
        async with service:
            labeler = VKInbound(service.core).register(BotLabeler())
            bot = make_vk_bot(api, labeler, tmp_path / "data")
            polling = asyncio.create_task(bot.run_polling())
            try:
                await vk.wait_for_listener()
                yield vk
            finally:
                polling.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await polling
                await api.http_client.close()


@run_async
async def test_on_vk_too_a_pin_goes_to_the_village_it_is_in(tmp_path):
    table, classifier = saratov()
    async with DaDataEmulator(KEY, PLACES) as dadata:
        settings = Settings(_env_file=None, dadata_api_key=KEY, dadata_url=dadata.base_url)
        async with vk_bot(tmp_path, table, classifier, settings) as vk:
            seen = len(vk.sent)
            await vk.user_sends_text(CITIZEN, "Не горит фонарь во дворе")
            await vk.wait_for(lambda: next((m for m in vk.sent[seen:] if m.peer_id == CITIZEN
                                            and m.text == texts.ASK_LOCATION_HINT), None))
            seen = len(vk.sent)
            await vk.user_sends_geo(CITIZEN, *UST_KURDYUM_PIN)
            accepted = await vk.wait_for(lambda: next(
                (m for m in vk.sent[seen:] if m.peer_id == CITIZEN), None))
    assert UST_KURDYUM_ADMIN in accepted.text, accepted.text


async def typed(tg: TelegramEmulator, citizen: int, *lines: str) -> str:
    """The citizen writes the appeal, then each further line in answer to the bot; the bot's
    reply to the last one."""
    reply = None
    for line in lines:
        seen = len(tg.sent)
        tg.user_sends_text(citizen, line)
        reply = await tg.wait_for(lambda c: c.chat_id == citizen and c.method == "sendMessage"
                                  and c.text != texts.ASK_LOCATION_HINT, since=seen)
    return reply.text or ""


@run_async
async def test_with_the_address_service_a_typed_address_places_the_appeal(tmp_path, caplog):
    caplog.set_level(logging.DEBUG, logger="bot")  # the bot's own logs, every level
    async with DaDataEmulator(KEY, TYPED) as dadata, telegram_only(
        tmp_path, dadata_api_key=KEY, dadata_url=dadata.base_url
    ) as (tg, _group):
        in_the_appeal = await typed(tg, 1001, "Не горит фонарь у дома 88 на улице Чернышевского, "
                                              "темно вечером")
        assert in_the_appeal.startswith("Обращение № ") and CITY_NAME in in_the_appeal
        (_, _, sent), = [r for r in dadata.requests if r[0].endswith("/suggest/address")]
        assert sent["query"] == "дома 88 улице Чернышевского"  # the address, not the appeal

        answered = await typed(tg, 1002, "Не горит фонарь во дворе", "ул. Молодёжная, д. 2")
        assert UST_KURDYUM_ADMIN in answered, answered

        # In two districts: nothing certain, the citizen is asked again, as without the service.
        ambiguous = await typed(tg, 1003, "Не горит фонарь во дворе", "ул. Лесная, д. 1")
        assert "В каком населённом пункте это?" in ambiguous
    assert "typed address placed in municipality 63701000" in caplog.text  # ids only
    assert "typed address not placed (2 suggestions)" in caplog.text
    assert KEY not in caplog.text
    assert not any(word in caplog.text for word in ("Чернышевск", "Молодёжн", "Лесн"))


@run_async
async def test_without_the_address_service_a_typed_address_is_asked_about_as_before(tmp_path):
    async with telegram_only(tmp_path) as (tg, _group):
        answered = await typed(tg, 1002, "Не горит фонарь во дворе", "ул. Молодёжная, д. 2")
    assert "В каком населённом пункте это?" in answered


def test_suggestions_place_an_address_only_where_they_all_agree():
    table = load_table("routing/tables/saratov.yaml")
    village, formation = "63643496101", "63643496"
    assert municipality_of_addresses(table, [village, village, None]) == village
    assert municipality_of_addresses(table, [village, "63643496999"]) == formation
    assert municipality_of_addresses(table, [village, "63701000"]) is None  # two towns
    assert municipality_of_addresses(table, ["45000000", None]) is None  # not this table
    assert municipality_of_addresses(table, []) is None

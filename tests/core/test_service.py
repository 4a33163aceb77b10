"""The assembled core: start, take an appeal, deliver, stop; restart on the same file."""

from __future__ import annotations

import asyncio

import pytest
from core_world import CITIZEN_TG, CITY_CHAT, ScriptedClassifier, make_table

from bot.bootstrap import CoreService, build_service
from bot.delivery.fake import FakeTransport
from bot.domain.messages import IncomingMessage
from bot.storage import repository_from_url
from config import Coordinator, Settings


async def wait_for(condition, seconds=2.0):
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached")


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_start_handle_deliver_stop_and_restart(tmp_path, backend, request):
    tg = FakeTransport("tg")
    url = (
        f"sqlite:///{tmp_path / 'bot.sqlite3'}"
        if backend == "sqlite"
        else request.getfixturevalue("pg_cluster").new_database()  # DATABASE_URL=postgresql://…
    )

    def build():
        return CoreService.build(
            repo=repository_from_url(url),
            table=make_table(),
            classifier=ScriptedClassifier(),
            transports={"tg": tg, "vk": FakeTransport("vk")},
            coordinators=[Coordinator("tg", 42)],
            settings=Settings(_env_file=None, timezone="Europe/Saratov"),
        )

    async with build() as service:
        outcome = await service.core.handle(IncomingMessage("tg", CITIZEN_TG, CITIZEN_TG, 1, "яма"))
        await wait_for(lambda: len(tg.sent) == 2)
    assert {m.chat_id for m in tg.sent} == {CITIZEN_TG, CITY_CHAT}

    async with build() as service:  # the same delivery after a restart: still one ticket
        again = await service.core.handle(IncomingMessage("tg", CITIZEN_TG, CITIZEN_TG, 1, "яма"))
        assert (again.kind, again.number) == ("duplicate", outcome.number)
        await asyncio.sleep(0.05)
    assert len(tg.sent) == 2


def test_an_unknown_kind_of_database_is_refused_in_russian():
    settings = Settings(_env_file=None, database_url="mysql://db/bot")
    with pytest.raises(ValueError, match="неизвестный вид базы «mysql»"):
        build_service(settings, make_table(), ScriptedClassifier(), telegram=None, vk=None,
                      redis=None)

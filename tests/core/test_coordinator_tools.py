"""The coordinator's tools as both channels use them (`bot.core.coordinator_tools`), on the core
alone: who may, which words are commands, and that a document is judged before it is fetched.
"""

from __future__ import annotations

from core_world import COORDINATOR_ID, World
from test_coordination import apply_data, started, with_roads_service, yaml_of

from bot.core.coordination import Coordination
from bot.core.coordinator_tools import CoordinatorTools, DownloadFailed
from bot.domain import texts
from bot.domain.phrases import COORDINATOR_WORDS, coordinator_command_of
from config import Coordinator

CITIZEN = 777


class Fetcher:
    """An adapter's way to fetch a document: counts the calls, gives ``data`` or fails."""

    def __init__(self, data: bytes = b"", fails: bool = False) -> None:
        self.data, self.fails, self.calls = data, fails, []

    async def __call__(self, limit: int) -> bytes:
        self.calls.append(limit)
        if self.fails:
            raise DownloadFailed("HTTP 404")
        return self.data[:limit]


async def tools_of(world: World) -> CoordinatorTools:
    """The tools of the world's coordinator, who is a coordinator in VK too (same number)."""
    await started(world)
    coordinators = (*world.core.coordinators, Coordinator("vk", COORDINATOR_ID))
    return CoordinatorTools(
        Coordination(world.repo, world.core, world.clock, coordinators=coordinators)
    )


async def test_nobody_but_a_coordinator_gets_a_tool_an_upload_or_a_press(world):
    tools = await tools_of(world)
    for name in ("table", "rollback", "stats", "versions", "tools"):
        reply = await tools.command("tg", CITIZEN, name)
        assert reply.messages == (texts.ONLY_COORDINATORS,) and reply.photo is None
        assert reply.document is None
    fetch = Fetcher(yaml_of(with_roads_service(world.table)))
    refused = await tools.upload("vk", CITIZEN, "t.yaml", 10, fetch)
    assert refused.messages == (texts.ONLY_COORDINATORS,) and not fetch.calls

    proposal = await tools.upload("tg", COORDINATOR_ID, "t.yaml", 10, fetch)
    pressed = await tools.press("tg", CITIZEN, apply_data(proposal))
    assert pressed.notice == texts.ONLY_COORDINATORS and not pressed.settles_proposal
    assert "roads-service" not in world.core.table.body_by_id

    applied = await tools.press("tg", COORDINATOR_ID, apply_data(proposal))
    assert applied.settles_proposal and "roads-service" in world.core.table.body_by_id


async def test_a_document_of_the_wrong_kind_or_too_big_is_not_fetched(world):
    tools = await tools_of(world)
    fetch = Fetcher(b"%PDF")
    pdf = await tools.upload("tg", COORDINATOR_ID, "скан.pdf", 4, fetch)
    assert pdf.messages == (texts.TABLE_UNKNOWN_FORMAT.format(name="скан.pdf"),)
    huge = await tools.upload("tg", COORDINATOR_ID, "t.xlsx", 21 * 1024 * 1024, fetch)
    assert "21.0 МБ" in huge.messages[0] and "20 МБ" in huge.messages[0]
    assert not fetch.calls

    # A file bigger than it said is cut at the limit and refused all the same.
    liar = Fetcher(b"0" * (20 * 1024 * 1024 + 5))
    refused = await tools.upload("vk", COORDINATOR_ID, "t.xlsx", 10, liar)
    assert liar.calls == [20 * 1024 * 1024 + 1] and "слишком большой" in refused.messages[0]


async def test_a_failed_download_asks_for_the_file_again_naming_the_channel(world):
    tools = await tools_of(world)
    for channel, where in (("tg", "Telegram"), ("vk", "ВКонтакте")):
        reply = await tools.upload(channel, COORDINATOR_ID, "dir/t.yaml", 10, Fetcher(fails=True))
        assert reply.messages == (texts.TABLE_DOWNLOAD_FAILED.format(name="t.yaml", where=where),)


async def test_stats_and_table_come_with_their_chart_and_file(world):
    tools = await tools_of(world)
    empty = await tools.command("tg", COORDINATOR_ID, "stats")
    assert empty.messages == (texts.STATS_EMPTY,) and empty.photo is None
    table = await tools.command("tg", COORDINATOR_ID, "table")
    assert table.document is not None and table.document.filename.endswith(".xlsx")
    assert not table.messages
    listing = await tools.command("tg", COORDINATOR_ID, "tools")
    assert listing.messages == (texts.COORDINATOR_TOOLS,)


async def test_words_are_commands_only_from_coordinators_and_not_in_a_reply(world):
    tools = await tools_of(world)
    assert tools.command_of("tg", CITIZEN, "/stats", reply=False) == "stats"
    assert tools.command_of("tg", CITIZEN, "Статистика", reply=False) is None
    assert tools.command_of("tg", COORDINATOR_ID, " статистика ", reply=False) == "stats"
    # A reply to a card is an answer to the citizen, whatever its words.
    assert tools.command_of("tg", COORDINATOR_ID, "Статистика", reply=True) is None
    assert tools.command_of("tg", COORDINATOR_ID, "/my", reply=False) is None
    assert tools.owns(apply_data(await tools.upload(
        "tg", COORDINATOR_ID, "t.yaml", 10, Fetcher(yaml_of(with_roads_service(world.table)))
    )))
    assert not tools.owns("take:26-000001:") and not tools.owns(None)


def test_every_label_of_the_vk_menu_is_a_command():
    labels = [label for row in texts.COORDINATOR_MENU for label in row]
    assert {coordinator_command_of(label, words=True) for label in labels} == {
        "stats", "table", "versions", "rollback"
    }
    assert set(COORDINATOR_WORDS.values()) <= {
        "stats", "table", "versions", "rollback", "tools", "model"
    }
    assert all(len(label) <= 40 for label in labels)  # VK's limit on a button label

"""Learning from answers on the core (`bot.core.learning`), on both backends: tickets whose right
body a coordinator named teach the retrained model; a worse candidate never serves; `/model`
shows the figures and rolls back; a labelled CSV is taken whole or refused line by line."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from core_world import COORDINATOR_ID, World

import routing
from bot.core.coordination import Coordination
from bot.core.coordinator_tools import CoordinatorTools
from bot.core.learning import MODEL_PREFIX, Learning, delete_model_files
from bot.domain import texts
from bot.domain.records import TrainingExample
from bot.domain.states import TicketState
from routing.classify import Classifier
from routing.tablefile import load_table

STREETS = ("Московской", "Чапаева", "Радищева", "Вольской", "Горького", "Рахова", "Кутякова",
           "Зарубина", "Соколовой", "Астраханской")
LAMP = "Не горит фонарь у дома на улице {} в Саратове, темно вечером"
PIT = "Яма на дороге на улице {} в Саратове, колесо пробил"
NEW_LAMP = "Не горит фонарь на улице Шелковичной в Саратове"
CITY, MINISTRY, ROADS = "adm-63701000", "min-construction", "min-transport"


@pytest.fixture(scope="module")
def saratov():
    table = load_table(Path(routing.__file__).parent / "tables" / "saratov.yaml")
    return table, Classifier(table)


@pytest.fixture(params=["sqlite", "postgresql"])
def learning_world(request, clock, saratov, tmp_path) -> World:
    table, classifier = saratov
    path = str(tmp_path / "bot.sqlite3") if request.param == "sqlite" else (
        request.getfixturevalue("pg_cluster").new_database()
    )
    return World(path, clock, table=table, classifier=classifier)


async def learning_of(world: World, tmp_path: Path) -> tuple[Learning, CoordinatorTools]:
    await world.start()
    coordination = Coordination(
        world.repo, world.core, world.clock, coordinators=world.core.coordinators
    )
    learning = Learning(coordination, tmp_path / "models")
    return learning, CoordinatorTools(coordination, learning)


async def named_by_coordinator(world: World, pattern: str, body: str) -> None:
    """Appeals routed by the table, then sent on by the coordinator to ``body``."""
    for street in STREETS:
        outcome = await world.core.handle(world.citizen(pattern.format(street)))
        await world.core.redirect(outcome.number, by="coordinator", correct_body=body)
        world.clock.advance(hours=1)


async def routed_body(world: World, text: str) -> str:
    outcome = await world.core.handle(world.citizen(text))
    assert outcome.state == TicketState.ROUTED
    return (await world.ticket(outcome.number)).body


async def test_a_coordinators_choices_teach_the_next_route(learning_world, tmp_path):
    world = learning_world
    learning, tools = await learning_of(world, tmp_path)
    assert (await tools.command("tg", COORDINATOR_ID, "model")).messages == (
        texts.MODEL_NONE_YET.format(base=texts.MODEL_BASE_NONE),
    )
    assert await routed_body(world, NEW_LAMP) == CITY
    await named_by_coordinator(world, LAMP, MINISTRY)
    await named_by_coordinator(world, PIT, ROADS)

    version = await learning.retrain()
    assert version.swapped and version.candidate_right > version.current_right
    assert Path(version.path).exists()
    assert await routed_body(world, NEW_LAMP) == MINISTRY

    shown = await tools.command("tg", COORDINATOR_ID, "model")
    assert "№ 1" in shown.messages[0] and "принята" in shown.messages[0]
    assert f"прежняя {version.current_right}, новая {version.candidate_right}" in shown.messages[0]
    [[back]] = shown.buttons
    assert (back.text, back.payload) == (texts.MODEL_ROLLBACK_BASE_BUTTON, f"{MODEL_PREFIX}0")

    # A restart puts the retrained model back in force.
    await world.stop()
    world.core = None
    learning, tools = await learning_of(world, tmp_path)
    assert await routed_body(world, NEW_LAMP) == CITY  # before restore: the original
    await learning.restore()
    assert await routed_body(world, NEW_LAMP) == MINISTRY

    refused = await tools.press("tg", 4242, back.payload)
    assert refused.notice == texts.ONLY_COORDINATORS
    rolled = await tools.press("tg", COORDINATOR_ID, back.payload)
    assert rolled.messages == (texts.MODEL_ROLLED_BACK_BASE.format(base=texts.MODEL_BASE_NONE),)
    assert await routed_body(world, NEW_LAMP) == CITY
    again = await tools.press("tg", COORDINATOR_ID, back.payload)
    assert again.notice == texts.MODEL_ALREADY and not again.messages
    shown = await tools.command("tg", COORDINATOR_ID, "model")
    assert "возврат к исходной" in shown.messages[0]
    assert [b.text for [b] in shown.buttons] == ["Вернуть № 1", texts.MODEL_ROLLBACK_BASE_BUTTON]
    await tools.press("tg", COORDINATOR_ID, shown.buttons[0][0].payload)
    assert await routed_body(world, NEW_LAMP) == MINISTRY
    # A version whose file was deleted (old files are pruned) is refused with a reason.
    await tools.press("tg", COORDINATOR_ID, back.payload)
    Path(version.path).unlink()
    gone = await tools.press("tg", COORDINATOR_ID, shown.buttons[0][0].payload)
    assert gone.notice == texts.MODEL_ROLLBACK_GONE.format(target=1)
    assert await routed_body(world, NEW_LAMP) == CITY


def test_old_model_files_are_deleted_and_the_kept_ones_stay(tmp_path):
    """Tens of megabytes a model, one a day: only the files `/model` can still offer stay."""
    kept = tmp_path / "model-20261205-090000-aaaaaaaa.pkl.gz"
    old = tmp_path / "model-20261101-090000-bbbbbbbb.pkl.gz"
    someone_elses = tmp_path / "notes.txt"
    for file in (kept, old, someone_elses):
        file.write_bytes(b"x")
    assert delete_model_files(tmp_path, {kept}) == 1
    assert kept.exists() and not old.exists() and someone_elses.exists()


async def test_a_candidate_worse_on_the_newest_tickets_does_not_serve(learning_world, tmp_path):
    world = learning_world
    learning, tools = await learning_of(world, tmp_path)
    await world.core.handle(world.citizen("x"))
    old = world.clock.now() - timedelta(days=200)
    async with world.repo.transaction() as tx:
        for pattern, body in ((LAMP, MINISTRY), (PIT, ROADS)):
            for street in STREETS:
                example = TrainingExample(pattern.format(street), None, body, at=old)
                await tx.training.add(example, None)
        for street in STREETS[:5]:  # the newest say: the city's, as the model in force does
            example = TrainingExample(LAMP.format(street), None, CITY, at=world.clock.now())
            await tx.training.add(example, None)
    version = await learning.retrain()
    assert not version.swapped and version.path is None
    assert version.candidate_right < version.current_right
    assert await routed_body(world, NEW_LAMP) == CITY
    shown = await tools.command("tg", COORDINATOR_ID, "model")
    assert "не принята (хуже прежней)" in shown.messages[0]
    assert not list((tmp_path / "models").glob("*.pkl.gz"))


def csv_of(*rows: str) -> bytes:
    return ("\n".join(rows) + "\n").encode()


async def test_labelled_csv_bad_lines_are_named_and_nothing_is_taken(learning_world, tmp_path):
    world = learning_world
    _learning, tools = await learning_of(world, tmp_path)
    serving = world.core.classifier

    async def upload(data: bytes, name: str = "разметка.csv"):
        async def fetch(limit: int) -> bytes:
            return data[:limit]

        return await tools.upload("tg", COORDINATOR_ID, name, len(data), fetch)

    bad = await upload(csv_of(
        "text,body", "Яма на Московской,min-transport", ",min-transport",
        "Не горит фонарь,Министерство чудес", "Мусор,",
    ))
    text = "\n".join(bad.messages)
    assert text.startswith(texts.LABELS_INVALID.format(name="разметка.csv", count=3))
    assert "• строка 3: пустой текст обращения" in text
    assert "• строка 4: органа «Министерство чудес» нет в таблице" in text
    assert "• строка 5: не указан орган" in text

    many = await upload(csv_of("text,body", *(f"текст {i},нет-такого" for i in range(1000))))
    lines = "\n".join(many.messages).splitlines()
    assert sum(line.startswith("• ") for line in lines) == 20 and lines[-1] == "…и ещё 980"

    million = csv_of("text,body", *["а,gzhi"] * 1_000_000)  # 8 MB: under the size limit
    huge = await upload(million)
    assert "• строк больше 100 000: разбейте файл на части" in "\n".join(huge.messages)

    no_body = await upload(csv_of("text,topic", "Яма,roads"))
    assert "• нет столбца body" in no_body.messages[0]
    async with world.repo.transaction() as tx:
        assert await tx.training.examples() == []  # nothing of a refused file is kept
    assert world.core.classifier is serving

    good = await upload(csv_of(
        "text,body,topic", "Яма на Московской,min-transport,",
        "Не горит фонарь,Министерство строительства и жилищно-коммунального хозяйства "
        "Саратовской области,",
    ))
    assert good.messages == (texts.LABELS_TITLE_OK.format(name="разметка.csv", count=2),)
    async with world.repo.transaction() as tx:
        stored = await tx.training.examples()
    assert [(e.body, e.source) for e in stored] == [(ROADS, "labels"), (MINISTRY, "labels")]

"""The core with the real classifier and the shipped Saratov table: the contract between
`routing.classify` and the core holds (decision values, candidates, options)."""

from __future__ import annotations

from pathlib import Path

import pytest
from core_world import COORDINATOR_ID, World

from bot.domain.states import TicketState
from routing.classify import Classifier
from routing.tablefile import load_table


@pytest.fixture(scope="module")
def saratov() -> tuple:
    import routing

    table = load_table(Path(routing.__file__).parent / "tables" / "saratov.yaml")
    return table, Classifier(table)


async def test_a_pothole_in_saratov_is_routed_to_the_city(saratov, clock):
    table, classifier = saratov
    world = await World(":memory:", clock, table=table, classifier=classifier).start()
    outcome = await world.core.handle(world.citizen("Яма на дороге на улице Московской в Саратове"))
    assert outcome.state == TicketState.ROUTED
    ticket = await world.ticket(outcome.number)
    assert ticket.body in table.body_by_id and ticket.candidates
    assert ticket.due_at > ticket.routed_at
    await world.flush()
    # The shipped table has no body chats yet: coordinators pass it on.
    assert any(outcome.number in t for t in world.tg.texts(COORDINATOR_ID))


async def test_an_unplaced_appeal_asks_and_the_answer_is_used(saratov, clock):
    table, classifier = saratov
    world = await World(":memory:", clock, table=table, classifier=classifier).start()
    first = await world.core.handle(world.citizen("Мусор во дворе не вывозят неделю"))
    if first.state != TicketState.COLLECTING:
        pytest.skip(f"the classifier decided without a question ({first.state})")
    answer = await world.core.handle(world.citizen("Саратов, улица Московская 5"))
    assert answer.kind == "clarified" and answer.number == first.number
    assert answer.state in (TicketState.ROUTED, TicketState.COLLECTING)

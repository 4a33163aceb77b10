"""The transition table decides every move; the sentinel of a new ticket is one of the states."""

from __future__ import annotations

import pytest

from bot.domain.states import (
    ACTIVE,
    FINAL,
    TRANSITIONS,
    InvalidTransition,
    TicketState,
    check_move,
)


def test_every_state_has_its_row_and_only_closed_and_rejected_are_final():
    assert set(TRANSITIONS) == set(TicketState)
    assert {TicketState.CLOSED, TicketState.REJECTED} == FINAL
    assert all(TicketState.NEW not in moves for moves in TRANSITIONS.values())


def test_a_move_the_table_does_not_allow_is_refused_with_the_ticket_number():
    check_move("26-000001", "new", TicketState.ROUTED)
    with pytest.raises(InvalidTransition, match="26-000001"):
        check_move("26-000001", "closed", TicketState.ROUTED)
    with pytest.raises(InvalidTransition):
        check_move("26-000001", "answered", TicketState.IN_WORK)
    assert all(TicketState.ANSWERED in TRANSITIONS[state] for state in ACTIVE)


def test_only_a_coordinator_returns_a_closed_ticket_and_closed_stays_final_for_everyone_else():
    assert TicketState.ROUTED in TRANSITIONS[TicketState.CLOSED]
    with pytest.raises(InvalidTransition):
        check_move("26-000001", "closed", TicketState.ROUTED)
    check_move("26-000001", "closed", TicketState.ROUTED, by_coordinator=True)
    with pytest.raises(InvalidTransition):  # nothing else, even for a coordinator
        check_move("26-000001", "closed", TicketState.IN_WORK, by_coordinator=True)
    with pytest.raises(InvalidTransition):
        check_move("26-000001", "rejected", TicketState.ROUTED, by_coordinator=True)

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

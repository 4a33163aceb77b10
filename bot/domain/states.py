"""Every state a ticket, an outbox or inbox row, or a table proposal can be in, and the moves
of a ticket.

Everything that decides which ticket state may follow which lives in this file, as one table
(`TRANSITIONS`), the way h11 keeps its protocol states: a use case asks `check_move` and never
compares states by hand to decide a move. `TicketState.NEW` is the sentinel of a ticket inside
the transaction that creates it, before its first move: a member of the enum, stored like the
others, never a string kept beside it. The README section «Обращения: состояния и сроки» draws
the same picture for coordinators.
"""

from __future__ import annotations

from enum import StrEnum


class TicketState(StrEnum):
    NEW = "new"  # inserted, not yet moved: exists only inside the transaction that creates it
    COLLECTING = "collecting"  # the bot asks the citizen the topic or the place
    ROUTED = "routed"  # sent to a body; the deadline runs
    IN_WORK = "in_work"  # the body took it ("Взять в работу"); the deadline still runs
    ANSWERED = "answered"  # the body's answer was passed on; «Проблема решена?» asked
    CLOSED = "closed"  # solved, or closed by staff (a coordinator may return it to the body)
    REDIRECTED = "redirected"  # every candidate body said "не наше": a coordinator picks one
    REOPENED = "reopened"  # the citizen said "not solved": back to the same body, new deadline
    REJECTED = "rejected"  # spam or abuse, by the body or a coordinator
    WITH_COORDINATOR = "with_coordinator"  # nothing in the table fits: a coordinator picks


S = TicketState
#: States in which a body holds the ticket and its deadline runs.
ACTIVE = frozenset({S.ROUTED, S.IN_WORK, S.REOPENED})
#: Where a ticket goes when its holder is done with it, one way or another.
_OUT = frozenset({S.ANSWERED, S.REDIRECTED, S.REJECTED, S.CLOSED})
TRANSITIONS: dict[TicketState, frozenset[TicketState]] = {
    # REJECTED at once: a comment that is spam or an insult (`bot.core.comments`).
    S.NEW: frozenset({S.COLLECTING, S.ROUTED, S.WITH_COORDINATOR, S.REJECTED}),
    S.COLLECTING: frozenset({S.COLLECTING, S.ROUTED, S.WITH_COORDINATOR, S.REJECTED, S.CLOSED}),
    S.ROUTED: frozenset({S.ROUTED, S.IN_WORK}) | _OUT,
    S.IN_WORK: frozenset({S.ROUTED}) | _OUT,
    S.REOPENED: frozenset({S.ROUTED, S.IN_WORK}) | _OUT,
    S.WITH_COORDINATOR: frozenset({S.ROUTED, S.ANSWERED, S.REJECTED, S.CLOSED}),
    S.REDIRECTED: frozenset({S.ROUTED, S.ANSWERED, S.REJECTED, S.CLOSED}),
    S.ANSWERED: frozenset({S.REOPENED, S.CLOSED}),
    # Only a coordinator's undo of a close made by mistake (`COORDINATOR_ONLY`).
    S.CLOSED: frozenset({S.ROUTED}),
    S.REJECTED: frozenset(),
}
#: Moves only a coordinator may make: returning a ticket a body closed by mistake to it
#: (`bot.core.safe_actions.return_to_work`). `check_move` refuses them to anyone else.
COORDINATOR_ONLY: frozenset[tuple[TicketState, TicketState]] = frozenset({(S.CLOSED, S.ROUTED)})
#: Open tickets a body or a coordinator may still hand on ("не наше").
REDIRECTABLE = ACTIVE | {S.WITH_COORDINATOR, S.REDIRECTED}
#: Tickets an answer of a body or a coordinator still reaches the citizen for.
ANSWERABLE = REDIRECTABLE | {S.ANSWERED}
#: Where nothing changes any more, unless a coordinator undoes it.
FINAL = frozenset(
    state
    for state, moves in TRANSITIONS.items()
    if all((state, move) in COORDINATOR_ONLY for move in moves)
)


def may_move(current: str, wanted: TicketState, *, by_coordinator: bool = False) -> bool:
    """Whether the table allows ``current`` → ``wanted`` (``current`` as stored), to a
    coordinator (``by_coordinator``) or to anyone."""
    state = TicketState(current)
    if (state, wanted) in COORDINATOR_ONLY and not by_coordinator:
        return False
    return wanted in TRANSITIONS[state]


class InvalidTransition(Exception):
    def __init__(self, number: str, current: str | None, wanted: str):
        super().__init__(f"{number}: {current} → {wanted} is not allowed")


def check_move(
    number: str, current: str, wanted: TicketState, *, by_coordinator: bool = False
) -> None:
    """Raise `InvalidTransition` unless the table allows the move."""
    if not may_move(current, wanted, by_coordinator=by_coordinator):
        raise InvalidTransition(number, current, wanted)


class OutboxState(StrEnum):
    """An outbox row: ``pending`` → ``sending`` → ``sent`` (or back to ``pending`` for a retry,
    or ``failed``); ``uncertain`` after a crash mid-send, ``cancelled`` when nobody waits for
    it any more (see `bot.delivery.outbox`)."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNCERTAIN = "uncertain"
    CANCELLED = "cancelled"


class InboxState(StrEnum):
    """An incoming update kept in the inbox (`bot.delivery.inbox`): ``pending`` until handled,
    then ``done`` (its raw update dropped, its key kept to recognise a re-delivery), or
    ``dead`` after too many failed attempts (kept whole, for someone to look at)."""

    PENDING = "pending"
    DONE = "done"
    DEAD = "dead"


class ProposalState(StrEnum):
    """A routing table a coordinator uploaded: waits for «Применить», then applied or not."""

    PENDING = "pending"
    APPLIED = "applied"
    CANCELLED = "cancelled"

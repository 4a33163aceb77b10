"""A coordinator chooses a ticket's body by a button (`bot.core.body_choice`), on the core alone:
«Орган: …» that fits several bodies is answered with one button per body; a coordinator's tap
routes the ticket, anyone else's is refused with a reason and changes nothing.
"""

from __future__ import annotations

from core_world import COORDINATOR_ID
from test_lifecycle import platform_id, staff

from bot.domain import texts
from bot.domain.messages import IncomingMessage
from bot.domain.states import TicketState
from bot.domain.wire import Action, Payload

STRANGER = 555


def press(chat: int, user: int, message_id: int, payload: str) -> IncomingMessage:
    return IncomingMessage("tg", chat, user, message_id, payload=payload)


async def test_an_ambiguous_body_is_chosen_by_a_coordinators_button(world):
    await world.start()
    number = (await world.core.handle(world.citizen("непонятно что"))).number
    await world.flush()
    note = await platform_id(world, "coordinator", COORDINATOR_ID)
    reply = staff("tg", COORDINATOR_ID, 901, "Орган: министерство", reply_to=note)
    assert (await world.core.handle(reply)).kind == "ignored"
    await world.flush()
    (choice,) = [m for m in world.tg.sent if m.chat_id == COORDINATOR_ID and m.buttons]
    assert choice.text.startswith(f"Обращение № {number}: под «министерство»")
    assert choice.reply_to is not None
    buttons = {b.text: b.payload for row in choice.buttons for b in row}
    assert len(buttons) >= 2 and all(len(p.encode()) <= 64 for p in buttons.values())
    transport = next(p for p in buttons.values() if p.endswith(":transport"))
    assert Payload.unpack(transport) == Payload(Action.ASSIGN, number, "transport")

    # Someone who learnt the button's data cannot use it.
    refused = await world.core.handle(press(STRANGER, STRANGER, 77, transport))
    assert refused.notice == texts.ONLY_COORDINATORS
    assert (await world.ticket(number)).state == TicketState.WITH_COORDINATOR

    chosen = await world.core.handle(press(COORDINATOR_ID, COORDINATOR_ID, 78, transport))
    assert (chosen.kind, chosen.state) == ("redirected", TicketState.ROUTED)
    assert chosen.notice.startswith(f"Обращение № {number} передано: ")
    assert (await world.ticket(number)).body == "transport"

    # A button naming a body the table no longer has is told as such.
    gone = Payload(Action.ASSIGN, number, "no-such-body").pack()
    outcome = await world.core.handle(press(COORDINATOR_ID, COORDINATOR_ID, 79, gone))
    assert outcome.notice == texts.ASSIGN_BODY_GONE
    assert (await world.ticket(number)).body == "transport"

"""The formats layers agree on: what is stored must read back the same, forever."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.records import OutboxDraft
from bot.domain.wire import CALLBACK_LIMIT, Action, OutboxKey, Payload, Purpose


def test_outbox_keys_keep_the_shape_rows_were_stored_with():
    """Keys are unique forever: a key rendered differently after an upgrade would queue a
    message again that a citizen already got. These are the shapes written before the keys
    were typed."""
    assert OutboxKey.to_citizen("26-000123", "routed", 1).render() == "26-000123:citizen-routed:1"
    assert OutboxKey.to_citizen("26-000123", "ask-text").render() == "26-000123:citizen-ask-text"
    assert OutboxKey.card("26-000123", 2, "vk", 2000000001).render() == (
        "26-000123:body:2:vk:2000000001"
    )
    assert (
        OutboxKey.to_staff("26-000123", Purpose.COORDINATOR, None, 1, "tg", 42).render()
        == "26-000123:coordinator:1:tg:42"
    )
    assert (
        OutboxKey.to_staff("26-000123", Purpose.BODY, "reminder:0.5", 1, "tg", -100).render()
        == "26-000123:body-reminder:0.5:1:tg:-100"
    )
    assert OutboxKey.about_no_ticket("direct", "tg", 5, "cmd", 77).render() == "direct:tg:5:cmd:77"
    piece = OutboxKey.card("26-000123", 1, "tg", 7).piece_of(2)
    assert piece.render() == "26-000123:body:1:tg:7:part2"


@given(st.lists(st.text(alphabet="abz019-.@?", min_size=1, max_size=8), min_size=1, max_size=5))
def test_a_stored_key_parses_back_to_itself(fields):
    text = ":".join(fields)
    assert OutboxKey.parse(text).render() == text


def test_button_data_round_trips_and_stays_within_telegrams_limit():
    payload = Payload(Action.RATE, "26-000123", "5@1")
    assert Payload.unpack(payload.pack()) == payload
    assert Payload("take", "26-000123").action is Action.TAKE  # a stored name still reads
    assert Payload.unpack("apply:1:2") is None and Payload.unpack("topic:1") is None
    with pytest.raises(ValueError, match=str(CALLBACK_LIMIT)):
        Payload(Action.PLACE, "26-000123", "63701000" * 7).pack()


def test_what_a_citizen_waits_for_leaves_first():
    def draft(purpose):
        return OutboxDraft("k", "tg", 1, {}, purpose)

    assert [draft(p).priority for p in Purpose] == [0, 0, 0, 0, 1, 1, 1]
    assert Purpose.CITIZEN_TRANSIENT.blanked_after_delivery
    assert not Purpose.CITIZEN.blanked_after_delivery

"""Bad input never crashes the bot (issue 7, "Bad input").

Three doors let arbitrary bytes in: a routing table file (the loader and a coordinator's upload),
the text of an appeal, and the data of a pressed button. Whatever comes through them, the person
gets a clear Russian message (or a ticket), never a traceback, and a refused press changes
nothing. Example counts are modest: the suite runs on every commit.
"""

from __future__ import annotations

import io
import re
import string
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.coordination import MAX_UPLOAD_BYTES, Coordination
from bot.domain import texts
from bot.domain.messages import MAX_TEXT
from bot.domain.states import TicketState
from bot.domain.wire import Action, Payload
from routing.errors import TableError
from routing.model import RoutingTable
from routing.tablefile import load_table, parse_table, table_to_bytes
from tests.core.core_world import (
    CITIZEN_TG,
    CITY_CHAT,
    COORDINATOR_ID,
    SARATOV,
    make_table,
)
from tests.faults.input_world import run, run_in_world, snapshot

CYRILLIC = re.compile(r"[А-Яа-яЁё]")
FEW = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))


def assert_russian_problems(error: TableError) -> None:
    assert error.problems
    for problem in error.problems:
        assert CYRILLIC.search(problem.message), problem.message


def parse_or_problems(data: bytes, filename: str) -> RoutingTable | None:
    """The loader's whole contract: a table, or `TableError` with Russian problems."""
    try:
        return parse_table(data, filename)
    except TableError as error:
        assert_russian_problems(error)
        return None


# == routing table files ========================================================================
GOOD = make_table()
GOOD_FILES = {fmt: table_to_bytes(GOOD, fmt) for fmt in ("yaml", "xlsx", "zip")}
NAMES = {"yaml": "t.yaml", "xlsx": "t.xlsx", "zip": "t.zip"}


@FEW
@given(data=st.binary(max_size=2000), fmt=st.sampled_from(["yaml", "xlsx", "zip"]))
def test_random_bytes_in_any_format_are_problems_not_crashes(data, fmt):
    assert parse_or_problems(data, NAMES[fmt]) is None or fmt == "yaml"


@FEW
@given(
    fmt=st.sampled_from(["yaml", "xlsx", "zip"]),
    cuts=st.lists(st.tuples(st.floats(0, 1), st.binary(min_size=1, max_size=8)), max_size=4),
    truncate=st.one_of(st.none(), st.floats(0, 1)),
)
def test_damaged_real_table_files_are_problems_not_crashes(fmt, cuts, truncate):
    """A real file with bytes overwritten or its tail cut off, as a broken download gives."""
    data = bytearray(GOOD_FILES[fmt])
    for where, junk in cuts:
        at = int(where * (len(data) - 1))
        data[at : at + len(junk)] = junk
    if truncate is not None:
        data = data[: int(truncate * len(data))]
    parse_or_problems(bytes(data), NAMES[fmt])


def _zip_of(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


CELL = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", "region", "municipal", "regional", "10wd", "-1", "1e309", "NaN", "да",
                     SARATOV, "city", "roads", "\x00", "=1+1", "63701000; 63602000"]),
    st.integers(-10**20, 10**20).map(str),
)


@FEW
@given(
    sheet=st.sampled_from(["municipalities", "topics", "bodies", "region"]),
    rows=st.lists(st.lists(CELL, max_size=9), max_size=5),
    delimiter=st.sampled_from([",", ";", "\t"]),
)
def test_csv_sheets_with_wrong_types_in_cells_are_problems_not_crashes(sheet, rows, delimiter):
    """One sheet of a good ZIP replaced by rows of wrongly typed cells under the real header."""
    good = zipfile.ZipFile(io.BytesIO(GOOD_FILES["zip"]))
    files = {name: good.read(name) for name in good.namelist()}
    target = next(name for name in files if name.endswith(f"{sheet}.csv"))
    header = files[target].decode("utf-8-sig").splitlines()[0].replace(",", delimiter)
    body = "\n".join(delimiter.join(c.replace(delimiter, " ") for c in row) for row in rows)
    files[target] = (header + "\n" + body).encode("utf-8", "surrogatepass")
    parse_or_problems(_zip_of(files), "t.zip")


def test_duplicate_ids_are_named_in_russian():
    text = GOOD_FILES["yaml"].decode()
    line = next(line for line in text.splitlines() if '"id": "city"' in line)
    doubled = text.replace(line, line + "\n" + line)
    with pytest.raises(TableError) as caught:
        parse_table(doubled.encode(), "t.yaml")
    assert_russian_problems(caught.value)
    assert any("city" in str(p) for p in caught.value.problems)


@pytest.mark.parametrize("length", [2, 3, 5])
def test_a_cycle_of_municipality_parents_is_reported(length):
    ids = [f"6370{i:04d}" for i in range(length)]
    entries = "\n".join(
        f'- {{"id": "{ident}", "name": "Поселение {i}", "kind": "сельское поселение", '
        f'"parent": "{ids[(i + 1) % length]}"}}'
        for i, ident in enumerate(ids)
    )
    text = GOOD_FILES["yaml"].decode().replace("municipalities:\n", f"municipalities:\n{entries}\n")
    with pytest.raises(TableError) as caught:
        parse_table(text.encode(), "t.yaml")
    assert_russian_problems(caught.value)
    assert any("цикл" in p.message for p in caught.value.problems)


@pytest.mark.parametrize("fmt", ["yaml", "xlsx", "zip"])
def test_a_huge_file_of_junk_is_a_problem_not_a_crash(fmt):
    """A few megabytes the loader cannot use end in problems, not in memory errors or tracebacks."""
    junk = (string.printable * 60_000).encode()[: 3 * 1024 * 1024]
    assert parse_or_problems(junk, NAMES[fmt]) is None


def test_a_huge_yaml_of_junk_rows_is_a_list_of_problems():
    rows = "\n".join(f'- {{"id": "x{i}", "name": 5, "level": "никакой"}}' for i in range(40_000))
    text = f"region: Тест\nmunicipalities: []\ntopics: []\nbodies:\n{rows}\n"
    assert len(text) > 1_000_000
    assert parse_or_problems(text.encode(), "t.yaml") is None


def test_load_table_of_missing_and_unknown_files_is_russian(tmp_path):
    for path in (tmp_path / "нет.yaml", tmp_path / "table.docx"):
        with pytest.raises(TableError) as caught:
            load_table(path)
        assert_russian_problems(caught.value)
    odd = tmp_path / "t.yaml"
    odd.write_bytes(b"\xff\xfe\x00junk")
    with pytest.raises(TableError) as caught:
        load_table(odd)
    assert_russian_problems(caught.value)


def test_the_coordinator_upload_refuses_a_too_large_file_in_russian():
    def check(world, loop):
        coordination = Coordination(world.repo, world.core, world.clock)
        reply = run(loop, coordination.propose_upload(b"x" * (MAX_UPLOAD_BYTES + 1), "t.xlsx",
                                                      f"tg:{COORDINATOR_ID}"))
        assert reply.messages and CYRILLIC.search(reply.messages[0])
        assert "МБ" in reply.messages[0] and not reply.buttons

    run_in_world(check)


def test_the_coordinator_upload_of_junk_is_a_russian_list_and_no_proposal():
    def check(world, loop):
        coordination = Coordination(world.repo, world.core, world.clock)

        @FEW
        @given(data=st.binary(max_size=600),
               name=st.sampled_from(["t.yaml", "t.xlsx", "t.zip", "bodies.csv", "topics.csv",
                                     "region.csv", "x.csv", "t.pdf", "", ".csv"]))
        def upload(data, name):
            reply = run(loop, coordination.propose_upload(data, name, f"tg:{COORDINATOR_ID}"))
            assert reply.messages, name
            assert all(len(m) <= MAX_TEXT for m in reply.messages)
            assert CYRILLIC.search(reply.messages[0])

        upload()

    run_in_world(check)


# == appeal text ================================================================================
NASTY_TEXT = st.one_of(
    st.just(""),
    st.text(alphabet=" \t\n\r\x00\x0b\x0c\u200b\u00a0", max_size=20),
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
    st.text(alphabet=st.characters(categories=["Cc", "Cf", "So", "Mn", "Zs"]), max_size=200),
    st.sampled_from([
        "яма 🕳️🚗💥" * 50,
        "яма на улице Ленина, Lenin street, شارع لينين, 列宁街",
        "яма\x00\x01\x02\x1b[31m во дворе",
        "яма \ud800 одинокий суррогат",
        "яма " + "очень длинно " * 8000,  # ~100 kB
        "\u202eяма справа налево",
        "яма" + "\u0301" * 500,
    ]),
)


def test_any_appeal_text_gets_a_russian_answer_or_a_ticket():
    def check(world, loop):
        world.classifier.script.setdefault("", world.classifier.script["непонятно"])
        classify = world.classifier.classify

        def tolerant(text, *args, **kwargs):  # the scripted one knows only a few first words
            words = text.split()
            if not words or words[0].lower() not in world.classifier.script:
                text = "непонятно " + text
            return classify(text, *args, **kwargs)

        world.classifier.classify = tolerant
        chats = iter(range(10_000, 10**9))

        @FEW
        @given(text=NASTY_TEXT)
        def send(text):
            chat = next(chats)
            outcome = run(loop, world.core.handle(world.citizen(text, chat=chat)))
            run(loop, world.flush())
            to_citizen = [m for m in world.tg.sent if m.chat_id == chat]
            assert to_citizen, "the citizen heard nothing"
            assert all(CYRILLIC.search(m.text) for m in to_citizen)
            assert all(len(m.text) <= MAX_TEXT for m in world.tg.sent)
            if outcome.number is not None:
                assert any(outcome.number in m.text for m in to_citizen)

        send()

    run_in_world(check)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_lone_surrogate_and_nul_in_an_appeal_are_stored_not_crashed_on(backend, request):
    """Regression (found by this suite): a lone surrogate, which platform JSON may carry, made
    the database driver raise UnicodeEncodeError; PostgreSQL also refuses NUL in text."""
    path = ":memory:"
    if backend == "postgresql":
        path = request.getfixturevalue("pg_cluster").new_database()

    def check(world, loop):
        outcome = run(loop, world.core.handle(world.citizen("яма \ud800 у дома\x00 5")))
        assert outcome.kind == "created"
        ticket = run(loop, world.ticket(outcome.number))
        assert ticket.text == "яма \ufffd у дома 5"
        run(loop, world.flush())
        card = next(m for m in world.tg.sent if m.chat_id == CITY_CHAT)
        assert "яма \ufffd у дома 5" in card.text

    run_in_world(check, path)


def test_an_empty_appeal_is_asked_for_text_and_makes_no_ticket():
    def check(world, loop):
        before = run(loop, snapshot(world))
        outcome = run(loop, world.core.handle(world.citizen("   \n\t ")))
        run(loop, world.flush())
        assert outcome.number is None
        assert run(loop, snapshot(world)) == before
        assert [m.text for m in world.tg.sent if m.chat_id == CITIZEN_TG] == [texts.EMPTY_APPEAL]

    run_in_world(check)


# == callback data ==============================================================================
async def _ticket_waiting_for_topic(world):
    """A ticket asking its citizen for a topic (topic/place buttons are live)."""
    return (await world.core.handle(world.citizen("мусор во дворе"))).number


async def _routed_ticket(world):
    return (await world.core.handle(world.citizen("яма на дороге"))).number


def _forged(number: str) -> st.SearchStrategy[str]:
    actions = st.sampled_from([*(a.value for a in Action), "", "apply", "table", "rate?", "xx"])
    value = st.one_of(
        st.text(max_size=20),
        st.sampled_from(["yes", "no", "5@1", "5@0", "0@1", "9@9", "-", "trash", "roads", SARATOV,
                         "yes@0", "yes@99999999999", "1@", "@", "2@-1", "999999999999999999"]),
    )
    whom = st.sampled_from([number, number[:-1], number + "0", "-", "", "26-999999", "0",
                            str(CITIZEN_TG), "../../", "26-000001" * 8])
    packed = st.builds(lambda a, n, v: f"{a}:{n}:{v}", actions, whom, value)
    return st.one_of(
        packed,
        packed.map(lambda p: p[: len(p) // 2]),  # truncated
        st.text(max_size=64),
        st.binary(max_size=64).map(lambda b: b.decode("latin-1")),
    )


def test_forged_button_presses_from_a_stranger_change_nothing_and_are_answered():
    """Random, truncated and replayed presses by someone who is not the ticket's citizen, not
    staff of its body and not a coordinator: never an exception, never a change."""

    def check(world, loop):
        asking = run(loop, _ticket_waiting_for_topic(world))
        routed = run(loop, _routed_ticket(world))
        run(loop, world.flush())
        stranger = 31337
        ids = iter(range(10**6, 10**9))

        @FEW
        @given(data=st.one_of(_forged(asking), _forged(routed)),
               channel=st.sampled_from(["tg", "vk"]))
        def press(data, channel):
            before = run(loop, snapshot(world))
            message = world.citizen(
                "", channel=channel, chat=stranger, message_id=next(ids), payload=data
            )
            outcome = run(loop, world.core.handle(message))
            after = run(loop, snapshot(world))
            assert after == before, (data, outcome)
            if data:  # a press (platforms never send empty button data) is always answered
                assert outcome.notice is not None or outcome.kind == "command", (data, outcome)
            if outcome.notice is not None:
                assert CYRILLIC.search(outcome.notice)

        press()

    run_in_world(check)


def test_a_replayed_press_changes_the_ticket_once():
    def check(world, loop):
        number = run(loop, _ticket_waiting_for_topic(world))
        tap = Payload("topic", number, "trash").pack()
        first = run(loop, world.core.handle(world.citizen("", payload=tap)))
        assert first.state == TicketState.COLLECTING or first.state == TicketState.ROUTED
        before = run(loop, snapshot(world))
        again = run(loop, world.core.handle(world.citizen("", payload=tap)))
        assert again.kind == "ignored"
        assert run(loop, snapshot(world)) == before

    run_in_world(check)


def test_the_citizens_own_garbled_presses_change_nothing():
    """The ticket's own citizen pressing forged data for their ticket: only well-formed, current
    buttons act; everything else leaves the ticket as it was."""

    def check(world, loop):
        routed = run(loop, _routed_ticket(world))
        run(loop, world.flush())
        ids = iter(range(10**6, 10**9))

        @FEW
        @given(data=_forged(routed).filter(
            lambda d: Payload.unpack(d) is None
            or Payload.unpack(d).action not in ("my", "history", "forget", "skip")))
        def press(data):
            before = run(loop, snapshot(world))
            outcome = run(loop, world.core.handle(
                world.citizen("", message_id=next(ids), payload=data)))
            assert run(loop, snapshot(world)) == before, (data, outcome)

        press()

    run_in_world(check)


def test_forged_answers_to_the_real_classifiers_question_never_crash():
    """The real classifier behind the core: the citizen's own question buttons with any value
    (an unknown place or topic, junk, the «other» dash) either move the ticket on or are
    refused with a notice."""
    from routing.classify import Classifier

    def check(world, loop):
        world.core.replace_table(world.table, Classifier(world.table))
        ids = iter(range(10**6, 10**9))

        @FEW
        @given(action=st.sampled_from(["place", "topic"]), value=st.one_of(
            st.text(max_size=30), st.sampled_from([SARATOV, "63602000", "-", "trash", "roads",
                                                   "health", "63701000" * 8, ""])))
        def answer(action, value):
            chat = next(ids)
            asking = run(loop, world.core.handle(world.citizen("мусор во дворе", chat=chat)))
            assert asking.state == TicketState.COLLECTING
            # Forged data as VK would carry it: longer than our own buttons may be (64 bytes).
            tap = world.citizen("", chat=chat, message_id=next(ids),
                                payload=f"{action}:{asking.number}:{value}")
            outcome = run(loop, world.core.handle(tap))
            assert outcome.kind == "answered_question" or outcome.notice, outcome
            run(loop, world.flush())
            assert all(len(m.text) <= MAX_TEXT for m in world.tg.sent)

        answer()

    run_in_world(check)

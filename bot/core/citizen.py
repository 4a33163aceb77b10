"""The citizen's side of the dialog beyond "write an appeal": commands, details a topic needs,
the location button, and keeping personal data no longer than promised.

Channel-agnostic like the rest of the core: the Telegram adapter recognises ``/my`` with aiogram's
``Command`` filter, the VK adapter recognises ``/my`` or «Мои обращения» in the text; both put the
name into ``IncomingMessage.command`` (see `command_of`) and call ``AppealCore.handle``, which
hands it here. Every answer goes through the outbox like any other message, so a crash after the
command was read loses nothing, and a redelivered command is answered once (the outbox key holds
the platform message id).

Commands are served in private chats only (chat id = user id on both platforms): ``/my`` in a
body's group chat would show one person's appeals to everyone there.
"""

from __future__ import annotations

import logging
import re
import time as _time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from bot.domain import texts
from bot.domain.messages import Button, IncomingMessage, OutgoingMessage
from bot.domain.records import OutboxDraft, TicketRecord
from bot.domain.wire import Action, Payload, Purpose
from bot.storage.base import Tx

if TYPE_CHECKING:
    from bot.core.appeals import AppealCore, Outcome, Payload

log = logging.getLogger("bot.core.citizen")

#: What `command_of` can return besides an unknown ``/name``.
COMMANDS = ("start", "help", "my", "privacy", "forget", "cancel")

#: Words a VK user types or taps instead of a slash command (VK has no command menu; its "Start"
#: button sends «Начать»). Compared case-insensitively, the whole message.
COMMAND_WORDS = {
    "начать": "start",
    "старт": "start",
    "помощь": "help",
    "справка": "help",
    "мои обращения": "my",
    "конфиденциальность": "privacy",
    "удалить мои данные": "forget",
    "отмена": "cancel",
    "отменить": "cancel",
}

_SLASH = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@\w+)?(?:\s|$)")

#: How many tickets one /my message lists; the rest come with «Показать ещё». Five keeps a page
#: far below 4096 characters and within VK's inline keyboard (at most 6 rows, 10 buttons).
PAGE = 5
#: How much of an appeal's text /my quotes.
SHORT_TEXT = 100
#: Same as the default of ``RETENTION_DAYS`` (`config.Settings`): three years after closing.
DEFAULT_RETENTION = timedelta(days=1095)
#: A «Да, удалить» older than this is refused: the person may have forgotten what it was for.
CONFIRM_WINDOW = timedelta(minutes=15)

# A street, a house, a building: what makes a place findable for a crew. Geolocation counts too.
_STREET = re.compile(
    r"(?<![а-яё])(?:ул|улиц[аеуы]|пр|пр-т|пр-д|просп|проспект\w*|пер|переул\w*|ш|шоссе|б-р"
    r"|бульвар\w*|пл|площад[ьи]|проезд\w*|наб|набережн\w*|туп|тупик\w*|мкр|микрорайон\w*"
    r"|квартал\w*|тракт\w*|алле[яеи]|снт|мкрн)(?![а-яё])",
    re.IGNORECASE,
)
_HOUSE = re.compile(r"(?<![а-яё])(?:д|дом\w*|корп|корпус\w*|стр)\.?\s*№?\s*\d+", re.IGNORECASE)


def command_of(text: str | None) -> str | None:
    """``"/my@bot"`` → ``"my"``, ``"/Foo x"`` → ``"foo"``, «Мои обращения» → ``"my"``; ``None``
    for anything else (an appeal). Only the first word of a slash command counts."""
    stripped = (text or "").strip()
    match = _SLASH.match(stripped)
    if match is not None:
        return match.group(1).lower()
    return COMMAND_WORDS.get(" ".join(stripped.casefold().split()).replace("ё", "е"))


def has_address(text: str) -> bool:
    """True when the text names a street (ул., проспект, пер., мкр…) or a house (д. 5, дом 5).

    Deliberately simple: a missed address costs one question, a false one costs a crew's trip
    to find the place, and a numbers-only rule would read «уже 3 дня» as a house.
    """
    normalised = text.replace("ё", "е").replace("Ё", "Е")
    return bool(_STREET.search(normalised) or _HOUSE.search(normalised))


class CitizenDesk:
    """Commands and the details a topic asks for; owned by `AppealCore` (``core.citizen``)."""

    def __init__(self, core: AppealCore, retention: timedelta | None = None) -> None:
        self.core = core
        self.retention = retention or DEFAULT_RETENTION

    # == commands ===============================================================================
    @staticmethod
    def serves(message: IncomingMessage, staff: str | None) -> bool:
        """A command in a private chat. An unknown one from staff (a coordinator's /stats that
        no adapter handler took) is not answered with «unknown command»: it is theirs."""
        if message.command is None or message.chat_id != message.user_id:
            return False
        return message.command in COMMANDS or staff is None

    async def command(self, message: IncomingMessage) -> Outcome:
        from bot.core.appeals import Outcome

        name = message.command or ""
        key = f"cmd:{message.message_id}"
        if name == "start":
            await self._say(message, texts.START, key)
        elif name == "help":
            await self._say(message, texts.HELP, key)
        elif name == "privacy":
            await self._say(message, texts.PRIVACY.format(days=self._retention_days()), key)
        elif name == "my":
            return await self.my_tickets(message, offset=0, key=key)
        elif name == "forget":
            await self._ask_forget(message, key)
        elif name == "cancel":
            return await self.cancel(message)
        else:
            await self._say(message, texts.UNKNOWN_COMMAND.format(name=name), key)
            return Outcome("unknown_command")
        return Outcome("command")

    async def button(self, message: IncomingMessage, payload: Payload) -> Outcome:
        """Presses on the buttons this module sends (see ``Payload.DESK_ACTIONS``)."""
        from bot.core.appeals import Outcome

        if payload.action == "history":
            return await self.history(message, payload.number)
        if payload.action == "my":
            offset = int(payload.value) if payload.value.isdigit() else 0
            key = f"my:{message.message_id}:{offset}:{_time.monotonic_ns()}"
            return await self.my_tickets(message, offset=offset, key=key)
        if payload.action == "forget":
            return await self._confirm_forget(message, payload)
        if payload.action == "skip":
            return Outcome("skipped", payload.number, notice=texts.PHOTO_SKIPPED)
        return Outcome("ignored")

    # -- /my ------------------------------------------------------------------------------------
    async def my_tickets(self, message: IncomingMessage, *, offset: int, key: str) -> Outcome:
        """Newest first, ``PAGE`` at a time, each with a button that opens its history."""
        from bot.core.appeals import Outcome, Payload

        async with self.core.repo.transaction() as tx:
            tickets = list(reversed(await tx.tickets.of_citizen(message.channel, message.user_id)))
        if not tickets:
            await self._say(message, texts.MY_EMPTY, key)
            return Outcome("command")
        page = tickets[offset : offset + PAGE]
        items = [self._describe(t) for t in page]
        header = texts.MY_HEADER.format(shown=offset + len(page), total=len(tickets))
        rows: list[tuple[Button, ...]] = [
            (
                Button(
                    texts.MY_HISTORY_BUTTON.format(number=t.number),
                    Payload(Action.HISTORY, t.number).pack(),
                ),
            )
            for t in page
        ]
        if offset + PAGE < len(tickets):
            more = Payload(Action.MY, "-", str(offset + PAGE)).pack()
            rows.append((Button(texts.MY_MORE_BUTTON, more),))
        text = "\n\n".join([header, *items])
        await self._say(message, text, key, buttons=tuple(rows), transient=True)
        return Outcome("command")

    def _describe(self, ticket: TicketRecord) -> str:
        body = self.core.table.body_by_id.get(ticket.body or "")
        short = " ".join(ticket.text.split())
        if len(short) > SHORT_TEXT:
            short = short[: SHORT_TEXT - 1].rstrip() + "…"
        return texts.MY_ITEM.format(
            number=ticket.number,
            state=texts.STATE_NAMES.get(ticket.state, ticket.state),
            text=short,
            body=body.name if body else texts.MY_NO_BODY,
            due=self.core.show_due(ticket.due_at) if ticket.due_at else texts.MY_NO_DUE,
        )

    async def history(self, message: IncomingMessage, number: str) -> Outcome:
        """What happened to one ticket, messages and events in order, in Russian."""
        from bot.core.appeals import CITIZEN, Outcome

        async with self.core.repo.transaction() as tx:
            ticket = await tx.tickets.by_number(number)
            if ticket is None or (ticket.channel, ticket.user_id) != (
                message.channel,
                message.user_id,
            ):
                return Outcome("ignored", number, notice=texts.MY_UNKNOWN_TICKET)
            events = await tx.tickets.events(ticket.id)
            messages = await tx.tickets.messages(ticket.id)
        lines: list[tuple[datetime, int, str]] = []
        for order, event in enumerate(events):
            what = self._event_text(event)
            if what is not None:
                lines.append((_event_time(event["at"]), order, what))
        for order, m in enumerate(messages, start=len(events)):
            template = texts.HISTORY_CITIZEN if m.author == CITIZEN else texts.HISTORY_ANSWER
            text = m.text.strip() or f"[{texts.HISTORY_ATTACHMENT}]"
            lines.append((m.at, order, template.format(text=text)))
        tz = self.core.calendar.timezone
        body = "\n".join(
            texts.HISTORY_LINE.format(at=at.astimezone(tz), what=what)
            for at, _, what in sorted(lines)
        )
        text = texts.HISTORY_HEADER.format(number=number) + "\n" + body
        key = f"history:{number}:{message.message_id}:{_time.monotonic_ns()}"
        await self._say(message, text, key, transient=True)
        return Outcome("history", number, ticket.state)

    def _event_text(self, event: dict) -> str | None:
        from bot.core.appeals import CITIZEN

        kind, detail = event["kind"], event["detail"] or {}
        if kind == "answered" and event["to_state"] == "answered":
            kind = "answered_by_body"
        elif kind == "closed" and event["actor"] == CITIZEN and detail.get("solved"):
            kind = "closed_solved"
        template = texts.HISTORY_EVENTS.get(kind)
        if template is None:
            return None  # internal (classified, delivery_failed…)
        body = self.core.table.body_by_id.get(detail.get("body") or "")
        return template.format(
            body=body.name if body else texts.COORDINATOR_NAME, rating=detail.get("rating", "")
        )

    # -- /forget ---------------------------------------------------------------------------------
    async def _ask_forget(self, message: IncomingMessage, key: str) -> None:
        """The confirmation carries who asked and when: a stranger's or an old press is refused."""
        from bot.core.appeals import Payload

        minute = int(self.core.clock.now().timestamp() // 60)
        yes = Payload(Action.FORGET, str(message.user_id), f"yes@{minute}").pack()
        no = Payload(Action.FORGET, str(message.user_id), "no").pack()
        buttons = ((Button(texts.FORGET_YES, yes), Button(texts.FORGET_NO, no)),)
        await self._say(message, texts.FORGET_CONFIRM, key, buttons=buttons)

    async def _confirm_forget(self, message: IncomingMessage, payload: Payload) -> Outcome:
        from bot.core.appeals import Outcome

        if payload.number != str(message.user_id):
            return Outcome("ignored", notice=texts.NOT_YOUR_BUTTON)
        if payload.value == "no":
            await self._say(message, texts.FORGET_KEPT, f"forget-no:{message.message_id}")
            return Outcome("command")
        answer, _, minute = payload.value.partition("@")
        now_minute = self.core.clock.now().timestamp() // 60
        window = CONFIRM_WINDOW.total_seconds() // 60
        if answer != "yes" or not minute.isdigit() or now_minute - int(minute) > window:
            return Outcome("ignored", notice=texts.FORGET_STALE)
        count = await self.core.forget_citizen(message.channel, message.user_id)
        return Outcome("forgotten", str(count))

    # -- /cancel ---------------------------------------------------------------------------------
    async def cancel(self, message: IncomingMessage) -> Outcome:
        """Abandon the draft: the citizen's latest ticket while the bot is still asking."""
        from bot.core.appeals import CITIZEN, Outcome, TicketState

        now = self.core.clock.now()
        async with self.core.repo.transaction() as tx:
            ticket = await tx.tickets.latest_of_chat(message.channel, message.chat_id)
            if ticket is not None and ticket.state == TicketState.COLLECTING:
                await self.core._move(
                    tx, ticket, TicketState.CLOSED, now, "cancelled", actor=CITIZEN
                )
                await self.core._to_citizen(
                    tx, ticket, "cancelled", texts.CANCELLED.format(number=ticket.number)
                )
        if ticket is None or ticket.state != TicketState.COLLECTING:
            await self._say(message, texts.NOTHING_TO_CANCEL, f"cmd:{message.message_id}")
            return Outcome("command")
        self.core._wake()
        log.info("ticket %s cancelled by the citizen", ticket.number)
        return Outcome("cancelled", ticket.number, TicketState.CLOSED)

    # == details a topic asks for ===============================================================
    async def ask_missing(self, tx: Tx, ticket: TicketRecord, topic_id: str | None) -> bool:
        """Before routing: ask for the address once if the topic needs one and the citizen
        gave none. True when a question went out (the ticket waits in COLLECTING)."""
        from bot.core.appeals import TicketState, thread_of, untouched

        topic = self.core.table.topic_by_id.get(topic_id or "")
        if topic is None or not topic.needs_address or ticket.lat is not None:
            return False
        if ticket.state not in (TicketState.NEW, TicketState.COLLECTING):
            return False
        if not untouched(ticket):
            asked = await tx.tickets.state_and_event(ticket.id, ("asked_address",))
            if asked is not None and asked[1]:
                return False  # asked once; whatever the citizen said, the body gets it now
        said = [ticket.text, *(m.text for m in await thread_of(tx, ticket))]
        if has_address("\n".join(said)):
            return False
        now = self.core.clock.now()
        await self.core._move(
            tx, ticket, TicketState.COLLECTING, now, "asked_address", {"topic": topic.id}
        )
        await self.core._to_citizen(
            tx, ticket, "ask-address", texts.ASK_ADDRESS.format(number=ticket.number)
        )
        await self.offer_location(tx, ticket, "ask-address")
        return True

    async def photo_offer(
        self, tx: Tx, ticket: TicketRecord, topic_id: str | None
    ) -> tuple[str, tuple]:
        """A line and a «Пропустить» button for the acceptance message when the topic wants a
        photo and none came. A photo helps, but an appeal never waits for one: the photo the
        citizen sends next reaches the body as a follow-up (`AppealCore.follow_up`).

        Without the button when the location keyboard is up: Telegram takes one keyboard per
        message, and this message must take that one away."""
        from bot.core.appeals import Payload

        topic = self.core.table.topic_by_id.get(topic_id or "")
        if topic is None or not topic.wants_photo or ticket.attachments:
            return "", ()
        if await self.keyboard_shown(tx, ticket):
            return texts.ASK_PHOTO_NO_BUTTON, ()
        skip = Button(texts.SKIP_BUTTON, Payload(Action.SKIP, ticket.number, "photo").pack())
        return texts.ASK_PHOTO, ((skip,),)

    async def offer_location(self, tx: Tx, ticket: TicketRecord, key: str) -> None:
        """The "share location" keyboard, as a message of its own (Telegram cannot put a reply
        keyboard and inline buttons under one message)."""
        from bot.core.appeals import CITIZEN

        if ticket.chat_id is None:
            return
        message = OutgoingMessage(
            ticket.channel,  # type: ignore[arg-type]
            ticket.chat_id,
            texts.ASK_LOCATION_HINT,
            request_location=True,
        )
        await tx.outbox.queue(
            OutboxDraft(
                key=f"{ticket.number}:{CITIZEN}-{key}:location",
                channel=ticket.channel,
                chat_id=ticket.chat_id,
                payload=message.to_json(),
                purpose=CITIZEN,
                ticket_id=ticket.id,
            ),
            self.core.clock.now(),
        )

    async def keyboard_shown(self, tx: Tx, ticket: TicketRecord) -> bool:
        """Whether a message to the citizen should take the location keyboard away: it was
        offered for this ticket and the ticket no longer waits for the place."""
        from bot.core.appeals import TicketState, untouched

        if untouched(ticket):
            return False
        now = await tx.tickets.state_and_event(ticket.id, ("asked_place", "asked_address"))
        if now is None:
            return False
        state, asked = now
        return asked and state != TicketState.COLLECTING

    # == retention ==============================================================================
    async def anonymise_expired(self) -> int:
        """Anonymise closed and rejected tickets whose last change is older than the retention
        period (`Settings.retention_days`); the promise /privacy makes. Returns how many.

        Drafts the citizen walked away from (still COLLECTING that long after the bot's last
        question) count as ended too: nobody works on them, so nothing justifies keeping them."""
        from bot.core.appeals import TicketState

        now = self.core.clock.now()
        cutoff = now - self.retention
        done: list[str] = []
        async with self.core.repo.transaction() as tx:
            for state in (TicketState.CLOSED, TicketState.REJECTED, TicketState.COLLECTING):
                for t in await tx.tickets.in_state(state):
                    if t.anonymised_at is None and t.updated_at < cutoff:
                        await tx.tickets.anonymise(t.id, texts.ANONYMISED, now)
                        await tx.tickets.add_event(
                            t.id, "anonymised", now, detail={"why": "retention"}
                        )
                        done.append(t.number)
        if done:
            log.info("retention: anonymised %d tickets: %s", len(done), ", ".join(done))
        return len(done)

    def _retention_days(self) -> int:
        return self.retention.days

    # == helpers ================================================================================
    async def _say(
        self,
        message: IncomingMessage,
        text: str,
        key: str,
        *,
        buttons: tuple = (),
        transient: bool = False,
    ) -> None:
        """A reply outside any ticket, through the outbox; long texts are split (4096)."""
        from bot.core.appeals import MAX_TEXT, split_text

        parts = split_text(text, MAX_TEXT)
        async with self.core.repo.transaction() as tx:
            for index, part in enumerate(parts, start=1):
                last = index == len(parts)
                outgoing = OutgoingMessage(
                    message.channel,
                    message.chat_id,
                    part,
                    buttons=buttons if last else (),
                    menu=last and not buttons,
                )
                suffix = f":part{index}" if len(parts) > 1 else ""
                await tx.outbox.queue(
                    OutboxDraft(
                        key=f"direct:{message.channel}:{message.chat_id}:{key}{suffix}",
                        channel=message.channel,
                        chat_id=message.chat_id,
                        payload=outgoing.to_json(),
                        purpose=Purpose.CITIZEN_TRANSIENT if transient else Purpose.CITIZEN,
                    ),
                    self.core.clock.now(),
                )
        self.core._wake()


def _event_time(value: datetime | str) -> datetime:
    """Events come back with their time as the database wrote it (ISO-8601 UTC text)."""
    if isinstance(value, datetime):
        return value
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)

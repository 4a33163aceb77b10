"""What the core and the outbox tell each other, held by an object built before either.

The two need each other at run time: the core, having queued rows, wakes the outbox worker
(`wake`), and before it handles a reply to a bot message it waits until the sends to that chat
are recorded (`recorded`); the outbox, for its part, reports a citizen who cannot be reached to
the core (`Outbox` takes ``on_unreachable`` in its constructor). Built first and given to both,
this object lets the composition root build the core and then the outbox, each with everything
it needs, and assign nothing afterwards.
"""

from __future__ import annotations

import asyncio

#: How long a reply to a bot message waits at most for the send of that message to be
#: recorded (`DeliverySignals.recorded`); a send takes at most the outbox's ``send_timeout``.
REPLY_WAIT = 5.0


class DeliverySignals:
    def __init__(self) -> None:
        self._wake = asyncio.Event()
        #: Sends started and not yet recorded, by (channel, chat): see `recorded`.
        self._unrecorded: dict[tuple[str, int], set[asyncio.Task[None]]] = {}

    def wake(self) -> None:
        """Something was queued, or a send ended: the worker's next pass should start now
        instead of at its poll."""
        self._wake.set()

    def clear(self) -> None:
        """The worker starts a pass: a wake-up from now on calls for the next one."""
        self._wake.clear()

    async def woken(self) -> None:
        await self._wake.wait()

    def sending(self, chat: tuple[str, int], task: asyncio.Task[None]) -> None:
        """The outbox started ``task``, a send to ``chat`` that `recorded` waits for until it
        is done (its outcome committed)."""
        self._unrecorded.setdefault(chat, set()).add(task)
        task.add_done_callback(lambda done: self._recorded_in(chat, done))

    def _recorded_in(self, chat: tuple[str, int], task: asyncio.Task[None]) -> None:
        sends = self._unrecorded.get(chat)
        if sends is not None:
            sends.discard(task)
            if not sends:
                del self._unrecorded[chat]

    async def recorded(self, channel: str, chat_id: int, timeout: float = REPLY_WAIT) -> None:
        """Return once every send to this chat started so far has its outcome committed (at
        most ``timeout`` seconds; at once when none is in flight, the usual case).

        A reply to a bot message names it by the platform's message id, which is known only
        when the send returns and in the database only once recorded. Telegram shows the card
        to the administrator as soon as it accepted it; a reply handled before the record found
        no ticket and was ignored: the answer never reached the citizen (seen in
        tests/test_cross_channel.py under load, where the reply comes at once).
        """
        sends = self._unrecorded.get((channel, chat_id))
        if sends:
            await asyncio.wait(set(sends), timeout=timeout)

"""Webhook modes: Telegram's webhook and VK's Callback API, both on one aiohttp server, with the
whole bot running against both emulators (the emulators POST the updates, as the platforms do).
"""

from __future__ import annotations

from pathlib import Path

from bot.storage.sqlite import SqliteRepository
from tests.app_world import APPEAL, NUMBER, TG_ADMIN, VK_ADMIN, both_channels, free_port
from tests.emulators.aio import run_async

TG_CITIZEN = 1001
VK_CITIZEN = 100_500
PUBLIC_URL = "https://bot.example.ru/telegram/webhook"
TG_SECRET = "tg-webhook-secret_42"
VK_CONFIRMATION = "c0nf1rm-me"
VK_SECRET = "vk-callback-secret"


def webhook_settings(port: int) -> dict:
    return {
        "telegram_webhook_url": PUBLIC_URL,
        "telegram_webhook_secret": TG_SECRET,
        "vk_callback_confirmation": VK_CONFIRMATION,
        "vk_callback_secret": VK_SECRET,
        "webhook_host": "127.0.0.1",
        "webhook_port": port,
    }


@run_async
async def test_telegram_webhook_takes_only_updates_with_the_secret(tmp_path: Path) -> None:
    port = free_port()
    via = f"http://127.0.0.1:{port}"  # what the reverse proxy in front of the bot forwards to
    async with both_channels(tmp_path, **webhook_settings(port)) as w:
        tg = w.tg
        assert (tg.webhook_url, tg.webhook_secret) == (PUBLIC_URL, TG_SECRET)

        tg.user_sends_text(TG_CITIZEN, APPEAL)
        assert await tg.deliver_to_webhook(via, secret="forged") == [403]
        assert await tg.deliver_to_webhook(via, secret="") == [403]  # no header at all
        # Refused before the core: nothing was accepted, nothing is on its way.
        assert tg.sent_to(TG_CITIZEN) == []

        assert await tg.deliver_to_webhook(via) == [200]
        accepted = await tg.wait_for(lambda c: c.chat_id == TG_CITIZEN)
        number = NUMBER.search(accepted.text).group()
        await tg.wait_for(lambda c: c.chat_id == w.group and number in (c.body or ""))


@run_async
async def test_the_webhook_asks_for_my_chat_member_and_a_removal_reaches_the_core(
    tmp_path: Path,
) -> None:
    """setWebhook's ``allowed_updates`` must name ``my_chat_member`` (an explicit list replaces
    Telegram's default): the bot removed from the body's group is then heard of at once."""
    port = free_port()
    via = f"http://127.0.0.1:{port}"
    coordinator = 500
    extra = webhook_settings(port) | {"coordinators": f"tg:{coordinator}"}
    async with both_channels(tmp_path, **extra) as w:
        tg = w.tg
        tg.add_user(coordinator)
        [set_webhook] = tg.calls("setWebhook")
        assert "my_chat_member" in set_webhook.params["allowed_updates"]
        tg.user_removes_bot(TG_ADMIN, w.group)
        assert await tg.deliver_to_webhook(via) == [200]
        told = await tg.wait_for(lambda c: c.chat_id == coordinator
                                 and "Бот не может писать" in (c.body or ""))
        assert "(группа Telegram)" in told.body

@run_async
async def test_vk_callback_api_confirms_checks_the_secret_and_handles_a_resent_event_once(
    tmp_path: Path,
) -> None:
    port = free_port()
    async with both_channels(tmp_path, **webhook_settings(port)) as w:
        vk = w.vk
        callback = vk.callback_server(f"http://127.0.0.1:{port}/vk/callback", VK_SECRET)
        assert await callback.confirm() == VK_CONFIRMATION

        await vk.user_sends_text(VK_CITIZEN, APPEAL)
        (refused,) = await callback.deliver(secret="forged")
        assert refused[0] == 403
        assert vk.sent_to(VK_CITIZEN) == []

        assert await callback.deliver() == [(200, "ok")]
        accepted = await vk.wait_for_sent(lambda m: m.peer_id == VK_CITIZEN)
        number = NUMBER.search(accepted.text).group()
        await vk.wait_for_sent(lambda m: m.peer_id == VK_ADMIN and number in m.text)

        # A button press VK re-sends because our "ok" came late: answered once. A second pass
        # would answer the same event_id again, which VK refuses with error 100.
        await vk.user_presses_callback_button(VK_CITIZEN, 1, {"p": f"rate:{number}:5"})
        assert await callback.deliver() == [(200, "ok")]
        assert await callback.resend_last() == (200, "ok")
        assert len(vk.event_answers) == 1 and vk.errors_given[100] == 0


@run_async
async def test_an_album_still_waiting_when_the_webhook_bot_stops_becomes_an_appeal(
    tmp_path: Path,
) -> None:
    """Telegram counts a webhook update as delivered once it is answered 200, and an album's
    parts then wait in memory for the rest (about a second). Stopping the bot in that second
    hands them to the core, as in polling mode, instead of dropping the appeal."""
    port = free_port()
    async with both_channels(tmp_path, **webhook_settings(port)) as w:
        w.tg.user_sends_album(TG_CITIZEN, photos=2, caption=APPEAL)
        assert await w.tg.deliver_to_webhook(f"http://127.0.0.1:{port}") == [200, 200]
    repo = SqliteRepository(str(tmp_path / "bot.sqlite3"))
    await repo.open()
    try:
        async with repo.transaction() as tx:
            (ticket,) = await tx.tickets.of_citizen("tg", TG_CITIZEN)
            assert ticket.text == APPEAL and len(ticket.attachments) == 2
            to_citizen = [r for state in ("pending", "sending", "sent", "uncertain")
                          for r in await tx.outbox.in_state(state) if r.chat_id == TG_CITIZEN]
        # Its confirmation is queued (or went out while the outbox still ran): not lost.
        assert [ticket.number in r.payload["text"] for r in to_citizen] == [True]
    finally:
        await repo.close()

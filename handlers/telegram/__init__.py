"""Telegram through aiogram: both directions of the channel, so that one package knows the
platform.

Inbound: `router` (citizens' and bodies' messages, commands, button presses → `Core`),
`coordinator` (coordinators' table tools, included before `router`), `albums` and `albums_redis`
(an album's parts gathered into one appeal, in memory or in Redis), `inbox` (updates into the
durable inbox and out of it into the dispatcher), `polling` (long polling that confirms an
update only once it is stored) and `webhook` (the webhook endpoint, answering 200 once the
update is stored). Outbound: `transport` (`TelegramTransport`, the outbox's way to Telegram, and
`TelegramFiles`, which downloads a Telegram file for a VK chat) and `topics` (which forum topic
belongs to a ticket). `session` is aiogram's HTTP session, which both directions use.
"""

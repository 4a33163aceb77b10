"""VK through vkbottle: both directions of the channel, so that one package knows the platform.

Inbound: `inbound` (``message_new``, callback buttons and ``message_allow`` → `Core`; the
vkbottle bot), `inbox` (events into the durable inbox — the long poll stores each response
before it moves on — and out of it into the bot), `callback` (the Callback API endpoint, VK's
webhook, answering "ok" once the event is stored) and `isolation` (one conversation handled at
a time, in Redis across processes). Outbound: `transport`
(`VKTransport`, the outbox's way to VK, its keyboards, and `VKFiles`, which downloads a VK photo
for a Telegram chat).
"""

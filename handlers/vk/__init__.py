"""VK through vkbottle: both directions of the channel, so that one package knows the platform.

Inbound: `inbound` (``message_new``, callback buttons and ``message_allow`` → `Core`; the
long-polling bot), `callback` (the Callback API endpoint, VK's webhook) and `isolation` (one
conversation handled at a time, in Redis across processes). Outbound: `transport`
(`VKTransport`, the outbox's way to VK, its keyboards, and `VKFiles`, which downloads a VK photo
for a Telegram chat).
"""

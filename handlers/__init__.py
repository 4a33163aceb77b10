"""The channel adapters: everything that knows aiogram or vkbottle, one package per platform.

Each package holds both directions of its platform side by side: inbound, the updates translated
into `bot.domain.messages.IncomingMessage` and handed to the core through `bot.core.ports.Core`
(no business logic here); outbound, the `Transport` the outbox sends through
(`bot.delivery.transport`). `bot.bootstrap` builds them and gives each what it needs.
"""

"""The channel-agnostic core: tickets and their lifecycle (`appeals`), the citizen's commands
(`citizen`), the coordinators' table tools (`coordination`, `stats`) and flood limits.

Adapters translate platform updates into `bot.domain.messages.IncomingMessage` and call the core;
the core answers by writing outbox rows in the same transaction as the change they announce, and
`bot.delivery` sends them. The core knows nothing else about platforms.
"""

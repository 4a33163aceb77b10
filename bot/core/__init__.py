"""The channel-agnostic core: tickets and their lifecycle (`appeals`), delivery (`outbox`),
working-day deadlines (`calendar`), rate limits, periodic scans and every user-facing text.

Adapters translate platform updates into `types.IncomingMessage`, call `AppealCore.handle`, and
provide a `transport.Transport` for the outbox; the core knows nothing else about platforms.
"""

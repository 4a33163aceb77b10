"""Delivery: what carries updates from the platforms to the core and the core's queued messages
back to the platforms, and nothing else.

Inbound, `inbox.Inbox` stores every update before the adapter acknowledges it to the platform
and hands the stored copy to the adapter's processor, per chat in order, with retries; an update
it gives up on is set aside and the coordinators are told. Outbound, the core records a state
change and the outbox rows announcing it in one transaction; from there the `outbox.Outbox`
worker claims, sends and records each row, within the platforms' limits (`ratelimit`; per
token across processes with Redis, `ratelimit_redis`), through one `transport.Transport` per
channel (its errors are the whole contract with an adapter).
`signals.DeliverySignals` is what the core and the outbox tell each other (something was queued;
a chat's sends are recorded). `files.FileBridge` lets a transport fetch a file from the channel
it came from; `fake.FakeTransport` stands in for a platform in tests. Like the core, nothing
here imports aiogram or vkbottle: the adapters live in `handlers`.
"""

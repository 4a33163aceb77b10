"""The domain: what a ticket is and may become, in the project's own words, with no I/O.

`states` (every state and the one transition table), `records` (tickets, messages, outbox rows,
staff, table versions), `wire` (button payloads, outbox purposes and keys, outcomes),
`messages` (what adapters translate platform updates into and out of), `staff` (who works on
which body, where), `calendar` (working days and deadlines) and `texts` (every Russian line).
Nothing here imports the use cases, storage, a platform library or the settings.
"""

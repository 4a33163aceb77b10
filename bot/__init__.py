"""The bot application: the domain, the channel-agnostic core, delivery, storage, and the one
composition root (`bootstrap`, run by `serve`) that joins them to the channel adapters in
`handlers`. Start it with ``python -m bot``."""

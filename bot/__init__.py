"""The bot application: assembly, the channel-agnostic core (tickets, dialog, outbox, scheduler),
storage and the Telegram and VK channel adapters. Start it with ``python -m bot``."""

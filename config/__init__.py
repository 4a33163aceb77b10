"""Configuration of a bot instance: one `Settings` object, read once at start and passed in."""

from config.settings import Coordinator, Settings, SettingsError, load_settings

__all__ = ["Coordinator", "Settings", "SettingsError", "load_settings"]

"""Secrets at rest: a connected page's access token and Callback secret are stored sealed.

Why: a database copy (a backup, a dump handed to a developer) must not be a key to a ministry's
community. Fernet (AES-128-CBC with HMAC-SHA256, from ``cryptography``) gives authenticated
encryption under one key, ``SECRETS_KEY`` from the settings, kept apart from the database. A
token sealed under another key, or altered, does not open: `SealBroken`, with no text from
the token in it.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken


class SealBroken(Exception):
    """A sealed value does not open under this key (another key, or altered)."""


class Sealer:
    """Seals and opens short secrets under one Fernet key (44 characters of base64)."""

    def __init__(self, key: str) -> None:
        self._fernet = Fernet(key.encode("ascii"))

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode("utf-8")).decode("ascii")

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode("utf-8")
        except (InvalidToken, ValueError):
            raise SealBroken("a sealed secret does not open under SECRETS_KEY") from None

"""Secrets at rest (`bot.core.sealing`) and the ``SECRETS_KEY`` setting that holds the key."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from bot.core.sealing import SealBroken, Sealer
from config import SettingsError, load_settings

TOKEN = "vk1.a.community-token-for-the-test"


def test_a_sealed_token_opens_with_its_key_only_and_never_shows() -> None:
    key, other = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    sealed = Sealer(key).seal(TOKEN)
    assert TOKEN not in sealed
    assert Sealer(key).open(sealed) == TOKEN
    with pytest.raises(SealBroken) as refused:
        Sealer(other).open(sealed)
    assert TOKEN not in str(refused.value)
    with pytest.raises(SealBroken):
        Sealer(key).open(sealed[:-4] + "AAAA")


def test_secrets_key_is_checked_at_start_with_a_russian_line_and_no_value() -> None:
    key = Fernet.generate_key().decode()
    assert load_settings(_env_file=None, secrets_key=key).secrets_key.get_secret_value() == key
    assert load_settings(_env_file=None, secrets_key="").secrets_key is None
    with pytest.raises(SettingsError) as bad:
        load_settings(_env_file=None, secrets_key="not-a-fernet-key-at-all")
    (line,) = bad.value.problems
    assert line.startswith("SECRETS_KEY: ключ шифрования должен быть ключом Fernet")
    assert "not-a-fernet-key" not in line

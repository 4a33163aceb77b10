"""The Telegram Login Widget's data, checked as Telegram documents it: genuine data signs in;
forged, altered, foreign, stale or future data is refused with a Russian reason."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.telegram_login import LoginRefused, signature, verify_widget
from bot.domain import texts

TOKEN = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11"
NOW = datetime(2026, 3, 4, 6, 0, tzinfo=UTC)


def signed(token: str = TOKEN, at: datetime = NOW, **extra: str) -> dict[str, str]:
    fields = {
        "id": "42",
        "first_name": "Анна",
        "username": "anna_coord",
        "photo_url": "https://t.me/i/userpic/320/anna.jpg",
        "auth_date": str(int(at.timestamp())),
        **extra,
    }
    return {**fields, "hash": signature(fields, token)}


def test_the_documented_algorithm_by_hand():
    """Independent of `signature`: SHA-256 of the token as the key, sorted key=value lines."""
    fields = {"id": "7", "auth_date": "1772604000", "first_name": "A"}
    lines = "auth_date=1772604000\nfirst_name=A\nid=7"
    key = hashlib.sha256(TOKEN.encode()).digest()
    expected = hmac.new(key, lines.encode(), hashlib.sha256).hexdigest()
    assert signature(fields, TOKEN) == expected
    assert signature({**fields, "hash": "x"}, TOKEN) == expected  # hash is not signed


def test_genuine_data_signs_in():
    login = verify_widget(signed(), TOKEN, NOW + timedelta(minutes=3))
    assert login.user_id == 42
    assert login.auth_date == NOW
    assert login.username == "anna_coord"


def test_an_uppercase_hash_is_the_same_hash():
    fields = signed()
    fields["hash"] = fields["hash"].upper()
    assert verify_widget(fields, TOKEN, NOW).user_id == 42


@pytest.mark.parametrize(
    "tamper",
    [
        lambda f: f.update(id="43"),  # someone else's account
        lambda f: f.update(auth_date=str(int(NOW.timestamp()) + 1)),  # refreshed by hand
        lambda f: f.update(role="coordinator"),  # a field added to signed data
        lambda f: f.pop("username"),  # a field taken away
        lambda f: f.update(hash="0" * 64),  # made up
        lambda f: f.update(hash=f["hash"][:-1] + ("0" if f["hash"][-1] != "0" else "1")),
        lambda f: f.update(hash="ф" * 64),  # not even hex
    ],
)
def test_forged_or_altered_data_is_refused(tamper):
    fields = signed()
    tamper(fields)
    with pytest.raises(LoginRefused) as refused:
        verify_widget(fields, TOKEN, NOW)
    assert str(refused.value) == texts.WIDGET_FORGED


def test_data_signed_for_another_bot_is_refused():
    with pytest.raises(LoginRefused, match="другого бота"):
        verify_widget(signed(token="999:other-bot-token"), TOKEN, NOW)


def test_stale_data_is_refused_and_fresh_data_at_the_limit_is_not():
    fields = signed()
    assert verify_widget(fields, TOKEN, NOW + timedelta(minutes=10)).user_id == 42
    with pytest.raises(LoginRefused) as refused:
        verify_widget(fields, TOKEN, NOW + timedelta(minutes=10, seconds=1))
    assert str(refused.value) == texts.WIDGET_STALE.format(minutes=10)
    with pytest.raises(LoginRefused, match="устарели"):
        verify_widget(signed(at=NOW - timedelta(days=2)), TOKEN, NOW)
    # A longer window is the caller's choice.
    assert verify_widget(fields, TOKEN, NOW + timedelta(hours=1), max_age=timedelta(days=1))


def test_data_from_the_future_is_refused_beyond_a_minute_of_clock_skew():
    assert verify_widget(signed(at=NOW + timedelta(seconds=50)), TOKEN, NOW)
    with pytest.raises(LoginRefused) as refused:
        verify_widget(signed(at=NOW + timedelta(minutes=5)), TOKEN, NOW)
    assert str(refused.value) == texts.WIDGET_FROM_THE_FUTURE


@pytest.mark.parametrize(
    "fields, reason",
    [
        ({}, texts.WIDGET_INCOMPLETE),
        ({"id": "42", "auth_date": "1"}, texts.WIDGET_INCOMPLETE),  # no hash
        ({"id": "42", "hash": "ab"}, texts.WIDGET_INCOMPLETE),  # no auth_date
        ({f"f{i}": "x" for i in range(50)}, texts.WIDGET_MALFORMED),
        ({"id": "42", "auth_date": "1", "hash": "a", "x": "y" * 10_000}, texts.WIDGET_MALFORMED),
    ],
)
def test_incomplete_or_oversized_data_is_refused(fields, reason):
    with pytest.raises(LoginRefused) as refused:
        verify_widget(fields, TOKEN, NOW)
    assert str(refused.value) == reason


def test_a_signed_but_non_numeric_id_or_date_is_refused():
    """Only Telegram can sign, but nothing is trusted in a shape that was not checked."""
    fields = {"id": "-42", "auth_date": str(int(NOW.timestamp()))}
    with pytest.raises(LoginRefused, match="повреждены"):
        verify_widget({**fields, "hash": signature(fields, TOKEN)}, TOKEN, NOW)
    fields = {"id": "42", "auth_date": "9" * 30}
    with pytest.raises(LoginRefused, match="повреждены"):
        verify_widget({**fields, "hash": signature(fields, TOKEN)}, TOKEN, NOW)


def test_the_token_is_in_no_refusal():
    for fields in (signed(token="1:x"), signed(at=NOW - timedelta(days=1)), {}):
        with pytest.raises(LoginRefused) as refused:
            verify_widget(fields, TOKEN, NOW)
        assert TOKEN not in str(refused.value) and "ABC" not in str(refused.value)

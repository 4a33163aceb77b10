"""A connected page's dialogue as one chat id (`bot.domain.pages`), and ``/page`` as written."""

from __future__ import annotations

import pytest

from bot.core.pages import ConnectRequest, page_command_of
from bot.domain.pages import (
    MAX_PAGE_GROUP_ID,
    is_private,
    lane,
    page_chat,
    page_of,
    peer_of,
)
from bot.domain.staff import chat_kind


def test_a_page_dialogue_keeps_its_community_and_peer_and_stays_a_private_chat() -> None:
    chat = page_chat(229_000_002, 500_600)
    assert (page_of("vk", chat), peer_of(chat)) == (229_000_002, 500_600)
    assert chat_kind("vk", chat) == "private" and is_private("vk", chat, 500_600)
    conversation = page_chat(229_000_002, 2_000_000_007)
    assert chat_kind("vk", conversation) == "group"
    # The bot's own community and Telegram are untouched.
    assert page_of("vk", 500_600) is None and page_of("tg", chat) is None
    assert (lane("vk", chat), lane("vk", 500_600), lane("tg", -100)) == (
        "vk#229000002", "vk", "tg")
    assert page_chat(MAX_PAGE_GROUP_ID, 2_999_999_999) < 2**63
    with pytest.raises(ValueError):
        page_chat(MAX_PAGE_GROUP_ID + 1, 1)


def test_page_command_is_read_with_its_callback_pair_address_and_body() -> None:
    assert page_command_of("/page@bot vk1.a.x") == "page"
    assert page_command_of("/pages") == "pages" and page_command_of("/pagesx") is None
    plain = ConnectRequest.parse("/page vk1.a.token орган: Министерство здравоохранения")
    assert plain == ConnectRequest("vk1.a.token", body_query="Министерство здравоохранения")
    full = ConnectRequest.parse("/page vk1.a.token a1b2 s3cret https://vk.com/minzdrav64 "
                                "Орган: min-health")
    assert full == ConnectRequest("vk1.a.token", "a1b2", "s3cret", "minzdrav64", "min-health")
    assert ConnectRequest.parse("/page club42") == ConnectRequest(None, address="club42")

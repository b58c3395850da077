"""Chat test helpers: channels, and the engine run until it is idle."""

from __future__ import annotations

from typing import Any

import pytest

from watchkeeper.chat.models import ALL_EVENTS, ChannelKind, ChatChannel
from watchkeeper.engine.loop import run_cycle


def make_channel(
    *, client: Any, url: str, name: str = "", events: list[str] | None = None, digest: bool = False,
    kind: str = ChannelKind.CHAT, priorities: list[str] | None = None,
) -> ChatChannel:  # fmt: skip
    """A channel saved directly (services check the URL against the outbound guard: tested apart)."""
    channel = ChatChannel(
        client=client, name=name or f"#{client.slug if client else 'noc'}", kind=kind,
        events=ALL_EVENTS if events is None else events, priorities=priorities or [], digest=digest,
        address_hint="test",
    )  # fmt: skip
    channel.address = url
    channel.save()
    return channel


def run_engine(max_cycles: int = 30) -> None:
    for _ in range(max_cycles):
        if not run_cycle():
            return
    raise AssertionError("the engine was still busy")


@pytest.fixture
def slack_at(monkeypatch: Any) -> Any:
    """Point Apprise's Slack plugin (a fixed public API) at a loopback receiver."""

    def point(base: str) -> None:
        from apprise.plugins.slack import NotifySlack

        monkeypatch.setattr(NotifySlack, "webhook_url", f"{base}/services")

    return point

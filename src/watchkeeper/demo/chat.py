"""Demo chat: the NOC channel (every client's P1/P2 events and the leadership digest) posting to
the local receiver (`python -m watchkeeper.chat.receiver`), Harbourview Dental's own channel, and
chat accounts linked to two technicians. Idempotent: keyed on names.

Channels are saved directly: the services would refuse a loopback URL unless the operator allows
127.0.0.1 (WATCHKEEPER_OUTBOUND_ALLOW), and the engine refuses it too when it sends; with it
allowed and the receiver running, `make run` shows the posts arriving.
"""

from __future__ import annotations

from collections import Counter

from watchkeeper.accounts.models import User
from watchkeeper.chat.models import ALL_EVENTS, ChannelKind, ChatChannel, ChatProvider, ChatUserLink
from watchkeeper.chat.receiver import DEFAULT_PORT
from watchkeeper.demo import data
from watchkeeper.tenancy.models import Client

NOC_CHANNEL = "#noc (local receiver)"
RECEIVER_URL = f"mmost://127.0.0.1:{DEFAULT_PORT}/demo"


def _channel(name: str, *, client: Client | None, events: list[str], priorities: list[str], digest: bool,
             created: Counter[str]) -> None:  # fmt: skip
    if ChatChannel.objects.filter(name=name).exists():
        return
    channel = ChatChannel(
        client=client, name=name, kind=ChannelKind.CHAT, events=events, priorities=priorities, digest=digest,
        address_hint="Mattermost (mmost://…) on 127.0.0.1",
    )  # fmt: skip
    channel.address = RECEIVER_URL
    channel.save()
    created["chat channel"] += 1


def chat_load(*, created: Counter[str]) -> None:
    _channel(
        NOC_CHANNEL, client=None, events=ALL_EVENTS, priorities=["P1", "P2"], digest=True, created=created
    )
    client = Client.objects.filter(slug="hvdental").first()
    if client is not None:
        events = ["opened", "acknowledged", "update", "resolved"]
        _channel(f"#{client.slug}-incidents", client=client, events=events, priorities=[], digest=False,
                 created=created)  # fmt: skip
    for handle, external_id in (("sam.okafor", "demo-sam"), ("aisha.rahman", "demo-aisha")):
        user = User.objects.filter(email=f"{handle}@{data.MSP_DOMAIN}").first()
        if user is None:
            continue
        _, made = ChatUserLink.objects.get_or_create(
            provider=ChatProvider.MATTERMOST, team_id="", external_id=external_id, defaults={"user": user}
        )
        created["chat account link"] += made

"""/api/v1/chat-channels and friends: create, read, change and delete, audited; the address is
encrypted at rest, never shown back, and checked by the outbound guard when it is saved."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from tests.accounts.factories import UserFactory
from watchkeeper.accounts.models import Role
from watchkeeper.audit.models import AuditEntry
from watchkeeper.chat.models import ChatChannel

pytestmark = pytest.mark.django_db

SLACK = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7"


def _manager(world: Any) -> Any:
    return UserFactory(role=Role.MANAGER, all_clients=True)


def test_a_channel_round_trip(world: Any, api_as: Any) -> None:
    api = api_as(_manager(world))
    body = {"name": "#alpha-incidents", "client": world.a.client.slug, "address": SLACK,
            "events": ["opened", "resolved"], "priorities": ["P1", "P2"]}  # fmt: skip
    created = api.post("/api/v1/chat-channels", body)
    assert created.status_code == 201, created.content
    out = created.json()
    assert out["client"] == world.a.client.slug and out["address_hint"] == "Slack (slack://…)"
    assert "address" not in out and "TIiajkdnlazkcOXrIdevi7" not in created.content.decode()
    channel = ChatChannel.objects.get(pk=out["id"])
    with connection.cursor() as cursor:
        cursor.execute("SELECT address_encrypted FROM chat_chatchannel WHERE id = %s", [channel.pk])
        assert "TIiajkdnlazkcOXrIdevi7" not in cursor.fetchone()[0]  # encrypted at rest
    assert channel.address == SLACK
    patched = api.patch(f"/api/v1/chat-channels/{channel.pk}", {"events": ["update"], "digest": True})
    assert patched.status_code == 200 and patched.json()["events"] == ["update"] and patched.json()["digest"]
    listed = api.get("/api/v1/chat-channels", client=world.a.client.slug)
    assert [row["id"] for row in listed.json()["items"]] == [channel.pk]
    assert api.get(f"/api/v1/chat-channels/{channel.pk}/posts").json()["count"] == 0
    assert api.http.delete(f"/api/v1/chat-channels/{channel.pk}", headers=api.headers).status_code == 204
    actions = list(
        AuditEntry.objects.filter(object_type="chat.chatchannel")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["chat.channel.create", "chat.channel.update", "chat.channel.delete"]
    assert not any("TIiajkdnlazkcOXrIdevi7" in str(entry.after) for entry in AuditEntry.objects.all())


@pytest.mark.parametrize(
    ("address", "words"),
    [
        ("mmost://10.0.0.5/token", "10.0.0.5 is a private address"),
        ("matrix://user:pw@169.254.169.254/!room", "169.254.169.254"),
        ("tgram://123456789:abcdefg/123", "Enter one Apprise URL of a chat service"),
        ("https://example.com/hook", "not the address of a chat service"),
        ("ftp://example.com/x", "Enter one Apprise URL of a chat service"),
        ("not a url", "Enter one Apprise URL"),
    ],
)
def test_an_address_the_guard_or_the_chat_rules_refuse_is_a_400(
    world: Any, api_as: Any, address: str, words: str
) -> None:
    api = api_as(_manager(world))
    response = api.post("/api/v1/chat-channels", {"name": "#x", "address": address})
    assert response.status_code == 400
    assert response.json()["field"] == "address" and words in response.json()["detail"]
    assert not ChatChannel.objects.exists()


def test_validation_errors_name_the_field(world: Any, api_as: Any) -> None:
    api = api_as(_manager(world))
    bad_event = api.post("/api/v1/chat-channels", {"name": "#x", "address": SLACK, "events": ["party"]})
    assert bad_event.status_code == 400 and bad_event.json()["field"] == "events"
    bad_priority = api.post("/api/v1/chat-channels", {"name": "#x", "address": SLACK, "priorities": ["P9"]})
    assert bad_priority.status_code == 400 and bad_priority.json()["field"] == "priorities"
    bad_mail = api.post("/api/v1/chat-channels", {"name": "#x", "kind": "email", "address": "boss@, x"})
    assert bad_mail.status_code == 400 and bad_mail.json()["field"] == "address"


def test_the_noc_channel_is_changed_only_by_someone_who_sees_every_client(world: Any, api_as: Any) -> None:
    restricted = UserFactory(role=Role.MANAGER)
    restricted.assigned_clients.add(world.a.client)
    response = api_as(restricted).post("/api/v1/chat-channels", {"name": "#noc", "address": SLACK})
    assert response.status_code == 403
    mine = api_as(restricted).post(
        "/api/v1/chat-channels", {"name": "#alpha", "address": SLACK, "client": world.a.client.slug}
    )
    assert mine.status_code == 201
    technician = api_as(world.a.technician).post(
        "/api/v1/chat-channels", {"name": "#alpha2", "address": SLACK, "client": world.a.client.slug}
    )
    assert technician.status_code == 403  # technicians see channels, managers change them


def test_endpoints_and_links(world: Any, api_as: Any) -> None:
    api = api_as(UserFactory(role=Role.ADMIN))
    endpoint = api.post("/api/v1/chat-commands", {"provider": "slack", "name": "Slack", "secret": "s" * 32})
    assert endpoint.status_code == 201
    assert endpoint.json()["url"].endswith(f"/chat/slash/{endpoint.json()['key']}")
    assert "s" * 32 not in endpoint.content.decode()
    short = api.post("/api/v1/chat-commands", {"provider": "slack", "name": "Slack", "secret": "short"})
    assert short.status_code == 400 and short.json()["field"] == "secret"
    link = api.post(
        "/api/v1/chat-user-links", {"provider": "slack", "external_id": "U1", "user": world.a.technician.pk}
    )
    assert link.status_code == 201
    again = api.post(
        "/api/v1/chat-user-links", {"provider": "slack", "external_id": "U1", "user": world.b.technician.pk}
    )
    assert again.status_code == 409
    portal = api.post(
        "/api/v1/chat-user-links", {"provider": "slack", "external_id": "U2", "user": world.a.client_user.pk}
    )
    assert portal.status_code == 400 and portal.json()["field"] == "user"


def test_the_console_page_lists_channels_without_n_plus_one(
    world: Any, browser_as: Any, django_assert_max_num_queries: Any
) -> None:
    from tests.chat.conftest import make_channel

    for index in range(12):
        make_channel(client=world.a.client if index % 2 else None, url=SLACK, name=f"#c{index}")
    http = browser_as(_manager(world))
    with django_assert_max_num_queries(25):
        response = http.get("/chat/")
    assert response.status_code == 200 and "#c11" in response.content.decode()

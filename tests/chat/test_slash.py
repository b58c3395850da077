"""Slash commands: a correctly signed Slack request acknowledges the incident as the mapped user;
a bad signature, a replay (old, or the same request twice), an unknown user and another tenant's
incident are refused with a clear message and the right status code. Mattermost by its token."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from watchkeeper.chat.commands import slack_signature
from watchkeeper.chat.models import ChatProvider, ChatUserLink, SlashEndpoint
from watchkeeper.incidents.models import IncidentStatus, TimelineEntry

pytestmark = pytest.mark.django_db

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TOKEN = "xr3j5x3p4pfk7mcfzr8ubw4s6a"


def _endpoint(provider: str = ChatProvider.SLACK, secret: str = SECRET) -> SlashEndpoint:
    endpoint = SlashEndpoint(provider=provider, name=provider, key=f"k-{provider}")
    endpoint.secret = secret
    endpoint.save()
    return endpoint


def _link(user: Any, external_id: str = "U2147483697", provider: str = ChatProvider.SLACK) -> None:
    ChatUserLink.objects.create(provider=provider, team_id="T0001", external_id=external_id, user=user)


def _slack(
    endpoint: SlashEndpoint, text: str, *, user_id: str = "U2147483697", age: int = 0, secret: str = SECRET,
    signature: str | None = None, timestamp: str | None = None,
) -> Any:  # fmt: skip
    body = urlencode({
        "token": "deprecated", "team_id": "T0001", "team_domain": "msp", "channel_id": "C2147483705",
        "user_id": user_id, "user_name": "steve", "command": "/wk", "text": text,
        "response_url": "https://hooks.slack.com/commands/1234/5678",
        "trigger_id": "13345224609.738474920.8088930838d88f008e0",
    })  # fmt: skip
    stamp = timestamp or str(int(time.time()) - age)
    signed = signature or slack_signature(secret=secret, timestamp=stamp, body=body.encode())
    return HttpClient().post(
        reverse("chat:command", kwargs={"key": endpoint.key}), body,
        content_type="application/x-www-form-urlencoded",
        headers={"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signed},
    )  # fmt: skip


def test_a_signed_slack_request_acknowledges_as_the_mapped_user(world: Any) -> None:
    endpoint = _endpoint()
    _link(world.a.technician)
    incident = world.a.incident
    response = _slack(endpoint, f"ack {incident.reference}")
    assert response.status_code == 200
    assert response.json() == {
        "response_type": "in_channel",
        "text": f"{incident.reference} acknowledged by {world.a.technician.full_name} (from Slack).",
    }
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.ACKNOWLEDGED
    assert incident.owner == world.a.technician  # acknowledging takes ownership (ADR 0029)
    entry = TimelineEntry.objects.filter(incident=incident, kind="status").latest("id")
    assert entry.actor == world.a.technician


def test_a_bad_signature_is_refused(world: Any) -> None:
    endpoint = _endpoint()
    _link(world.a.technician)
    response = _slack(endpoint, f"ack {world.a.incident.reference}", secret="not-the-signing-secret-at-all")
    assert response.status_code == 401
    assert "signature does not match" in response.json()["text"]
    world.a.incident.refresh_from_db()
    assert world.a.incident.status == IncidentStatus.TRIGGERED


def test_an_unsigned_request_is_refused(world: Any) -> None:
    endpoint = _endpoint()
    response = HttpClient().post(
        reverse("chat:command", kwargs={"key": endpoint.key}), {"text": "status X-1"}
    )
    assert response.status_code == 401
    assert "not signed" in response.json()["text"]


def test_a_replay_older_than_five_minutes_is_refused(world: Any) -> None:
    endpoint = _endpoint()
    _link(world.a.technician)
    response = _slack(endpoint, f"ack {world.a.incident.reference}", age=301)  # correctly signed, but old
    assert response.status_code == 401
    assert "more than 5 minutes" in response.json()["text"]
    world.a.incident.refresh_from_db()
    assert world.a.incident.status == IncidentStatus.TRIGGERED


def test_the_same_signed_request_twice_is_a_replay(world: Any) -> None:
    endpoint = _endpoint()
    _link(world.a.technician)
    stamp = str(int(time.time()))
    first = _slack(endpoint, f"status {world.a.incident.reference}", timestamp=stamp)
    again = _slack(endpoint, f"status {world.a.incident.reference}", timestamp=stamp)
    assert first.status_code == 200
    assert again.status_code == 401 and "already received" in again.json()["text"]


def test_an_unknown_user_is_refused(world: Any) -> None:
    endpoint = _endpoint()
    _link(world.a.technician)
    response = _slack(endpoint, f"ack {world.a.incident.reference}", user_id="U0STRANGER")
    assert response.status_code == 403
    assert "not linked to a Watchkeeper user" in response.json()["text"]
    world.a.incident.refresh_from_db()
    assert world.a.incident.status == IncidentStatus.TRIGGERED


def test_another_tenants_incident_is_refused_as_unknown(world: Any) -> None:
    endpoint = _endpoint()
    _link(world.b.technician)  # assigned to Bravo only
    victim = world.a.incident
    response = _slack(endpoint, f"ack {victim.reference}")
    assert response.status_code == 404
    assert response.json()["text"] == f"No incident {victim.reference} that you can see."
    nowhere = _slack(endpoint, "ack ALPHA-DENTAL-999")
    assert nowhere.status_code == 404  # the same answer as an incident that does not exist
    victim.refresh_from_db()
    assert victim.status == IncidentStatus.TRIGGERED


def test_note_status_and_resolve(world: Any) -> None:
    endpoint = _endpoint()
    _link(world.a.technician)
    ref = world.a.incident.reference
    note = _slack(endpoint, f"note {ref} Rebooting the switch now")
    assert note.status_code == 200 and "note added" in note.json()["text"]
    internal = TimelineEntry.objects.filter(incident=world.a.incident, kind="note", client_visible=False)
    assert internal.filter(text="Rebooting the switch now").exists()
    status = _slack(endpoint, f"status {ref}")
    assert status.status_code == 200
    assert (
        status.json()["response_type"] == "ephemeral" and "Rebooting the switch now" in status.json()["text"]
    )
    resolved = _slack(endpoint, f"resolve {ref} switch replaced")
    assert resolved.status_code == 200 and "resolved by" in resolved.json()["text"]
    world.a.incident.refresh_from_db()
    assert world.a.incident.status == IncidentStatus.RESOLVED
    unknown = _slack(endpoint, "dance")
    assert unknown.status_code == 400 and "Usage" in unknown.json()["text"]


def test_a_client_portal_user_cannot_be_linked_to_act(world: Any) -> None:
    endpoint = _endpoint()
    ChatUserLink.objects.create(
        provider="slack", team_id="", external_id="U2147483697", user=world.a.client_admin
    )
    response = _slack(endpoint, f"ack {world.a.incident.reference}")
    assert response.status_code == 403


def _mattermost(endpoint: SlashEndpoint, text: str, token: str) -> Any:
    data = {"token": token, "team_id": "T0001", "user_id": "mm-user-1", "user_name": "ann", "command": "/wk",
            "text": text}  # fmt: skip
    return HttpClient().post(reverse("chat:command", kwargs={"key": endpoint.key}), data)


def test_mattermost_by_its_token(world: Any) -> None:
    endpoint = _endpoint(ChatProvider.MATTERMOST, TOKEN)
    _link(world.a.technician, "mm-user-1", ChatProvider.MATTERMOST)
    ref = world.a.incident.reference
    assert _mattermost(endpoint, f"ack {ref}", "wrong-token-wrong-token").status_code == 401
    response = _mattermost(endpoint, f"ack {ref}", TOKEN)
    assert response.status_code == 200 and response.json()["response_type"] == "in_channel"
    world.a.incident.refresh_from_db()
    assert world.a.incident.status == IncidentStatus.ACKNOWLEDGED


def test_an_unknown_endpoint_and_a_get_are_refused(world: Any) -> None:
    assert HttpClient().post(reverse("chat:command", kwargs={"key": "nope"}), {}).status_code == 404
    endpoint = _endpoint()
    assert HttpClient().get(reverse("chat:command", kwargs={"key": endpoint.key})).status_code == 405

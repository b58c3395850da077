"""Chat posts: incident events reach real HTTP receivers on loopback in Slack's and Teams' webhook
shapes; each event once, to the channels that want it, never to another client's channel."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.chat.conftest import make_channel, run_engine
from tests.chat.receiver import receiving
from watchkeeper.chat.events import DIGEST_KEY, entry_event
from watchkeeper.chat.models import ChatPost, PostState
from watchkeeper.chat.timers import DIGEST
from watchkeeper.core import clock
from watchkeeper.core.models import Timer
from watchkeeper.incidents.services import (
    incident_acknowledge,
    incident_note,
    incident_open,
    incident_resolve,
    incident_set_priority,
)

pytestmark = pytest.mark.django_db

SLACK = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7"


def test_an_opened_incident_reaches_slack_in_slacks_webhook_shape(world: Any, slack_at: Any) -> None:
    with receiving() as receiver:
        slack_at(receiver.base)
        make_channel(client=world.a.client, url=SLACK)
        incident = incident_open(
            client=world.a.client, service=world.a.service, title="Mail server down",
            impact="high", urgency="high", by="monitoring",
        )  # fmt: skip
        run_engine()
    [request] = [r for r in receiver.requests if "Mail server down" in r.body.decode()]
    assert request.path == "/services/T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7"
    assert request.headers["Content-Type"].startswith("application/json")
    payload = request.json()
    assert payload["mrkdwn"] is True
    [attachment] = payload["attachments"]
    assert attachment["title"] == f"{incident.reference} opened (P1): Mail server down"
    # The link back, in Slack's own link syntax; no third-party footer or image.
    assert f"<http://localhost:8000/incidents/{incident.pk}/|{incident.reference}>" in attachment["text"]
    assert "Opened as P1" in attachment["text"]
    assert "footer" not in attachment and "icon_url" not in payload
    post = ChatPost.objects.get(incident=incident, event="opened")
    assert post.state == PostState.SENT and post.attempts == 1


def test_teams_receives_an_adaptive_card_through_a_workflow(world: Any) -> None:
    with receiving(tls=True) as receiver:
        url = f"workflows://127.0.0.1:{receiver.port}/wf0123456789abcdef/sig0123456789abcdef/?verify=no"
        make_channel(client=None, url=url, name="NOC (Teams)")
        incident_acknowledge(incident=world.b.incident, by=world.b.technician)
        run_engine()
    [request] = receiver.requests
    assert request.path.startswith("/workflows/wf0123456789abcdef/triggers/manual/paths/invoke")
    payload = request.json()
    assert payload["type"] == "message"
    [attachment] = payload["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard"
    text = str(card["body"])
    assert world.b.incident.reference in text and "acknowledged" in text
    assert f"/incidents/{world.b.incident.pk}/" in text


def _posted(channel: Any) -> list[str]:
    return list(ChatPost.objects.filter(channel=channel).order_by("id").values_list("event", flat=True))


def test_each_event_is_posted_once_to_the_channels_that_want_it(world: Any, slack_at: Any) -> None:
    with receiving() as receiver:
        slack_at(receiver.base)
        alpha = make_channel(client=world.a.client, url=SLACK)
        bravo = make_channel(client=world.b.client, url=SLACK)
        noc = make_channel(client=None, url=SLACK, events=["opened", "resolved"])
        incident = incident_open(
            client=world.a.client, service=world.a.service, title="VPN down", impact="high", urgency="medium",
            by="monitoring",
        )  # fmt: skip
        incident_acknowledge(incident=incident, by=world.a.technician)
        incident_set_priority(incident=incident, by=world.a.technician, impact="high", urgency="high")
        incident_note(incident=incident, by=world.a.technician, text="internal only")
        incident_note(incident=incident, by=world.a.technician, text="We are on it", client_visible=True)
        incident_resolve(incident=incident, by=world.a.technician, note="rebooted")
        run_engine()
        run_engine()  # a second pass posts nothing again
        assert _posted(alpha) == ["opened", "acknowledged", "priority", "update", "resolved"]
        assert _posted(bravo) == []  # another client's channel hears nothing of Alpha's
        assert _posted(noc) == ["opened", "resolved"]
        assert len(receiver.requests) == 7
        assert all(post.state == PostState.SENT for post in ChatPost.objects.all())
        assert not any("internal only" in r.body.decode() for r in receiver.requests)


def test_a_failing_receiver_is_retried_with_backoff_then_sent(world: Any, slack_at: Any) -> None:
    with receiving() as receiver:
        slack_at(receiver.base)
        make_channel(client=world.a.client, url=SLACK, events=["acknowledged"])
        receiver.status = 500
        incident_acknowledge(incident=world.a.incident, by=world.a.technician)
        run_engine()
        post = ChatPost.objects.get()
        assert post.state == PostState.PENDING and post.attempts == 1 and post.due_at > clock.now()
        receiver.status = 200
        clock.advance(dt.timedelta(minutes=1))
        run_engine()
        post.refresh_from_db()
        assert post.state == PostState.SENT and post.attempts == 2


def test_the_leadership_digest_is_hourly_while_a_p1_or_p2_is_open(world: Any, slack_at: Any) -> None:
    clock.freeze(clock.now())
    for tenant in (world.a, world.b):  # the world's own incidents are P2s: out of the way
        incident_resolve(incident=tenant.incident, by=tenant.technician)
    with receiving() as receiver:
        slack_at(receiver.base)
        digest = make_channel(client=None, url=SLACK, events=[], digest=True, name="#leadership")
        incident = incident_open(
            client=world.a.client, service=world.a.service, title="Whole site down", impact="high",
            urgency="high", by="monitoring",
        )  # fmt: skip
        run_engine()
        timer = Timer.objects.get(kind=DIGEST, key=DIGEST_KEY)
        assert timer.due_at == clock.now() + dt.timedelta(hours=1)
        assert not ChatPost.objects.filter(channel=digest).exists()
        clock.advance(dt.timedelta(hours=1, seconds=1))
        run_engine()
        [post] = ChatPost.objects.filter(channel=digest)
        assert post.title.startswith("Leadership digest: 1 P1/P2 incident open")
        assert incident.reference in post.text and post.state == PostState.SENT
        clock.advance(dt.timedelta(hours=1))
        run_engine()
        assert ChatPost.objects.filter(channel=digest).count() == 2
        incident_resolve(incident=incident, by=world.a.technician)
        clock.advance(dt.timedelta(hours=1))
        run_engine()
        assert ChatPost.objects.filter(channel=digest).count() == 2  # nothing open: no more digests
        assert len([r for r in receiver.requests if "Leadership digest" in r.body.decode()]) == 2


def test_an_escalation_past_the_first_level_is_an_event() -> None:
    from watchkeeper.incidents.models import TimelineEntry, TimelineKind

    def entry(text: str, **data: Any) -> TimelineEntry:
        return TimelineEntry(kind=TimelineKind.PAGE, text=text, data=data)

    assert entry_event(entry("Paging level 1 of NOC: Ann", cause="page:7:1.0:0", users=[1])) is None
    assert entry_event(entry("Paging level 2 of NOC: Bob", cause="page:7:1.0:1", users=[2])) == "escalated"
    assert entry_event(entry("Paging level 1, repeat 1", cause="page:7:1.1:0", users=[1])) == "escalated"
    assert entry_event(entry("Escalated to level 2")) == "escalated"
    assert entry_event(entry("Nobody to page at level 2", cause="page:7:1.0:1", users=[])) is None


def test_a_url_that_resolves_inside_is_refused_when_sent_and_not_retried(world: Any) -> None:
    # Saved before the guard could see it (or its name moved inside since): refused at send time.
    make_channel(client=world.a.client, url="mmost://10.0.0.5/token", events=["acknowledged"])
    incident_acknowledge(incident=world.a.incident, by=world.a.technician)
    run_engine()
    post = ChatPost.objects.get()
    assert post.state == PostState.FAILED and post.attempts == 1
    assert post.response.startswith("refused by the outbound guard: 10.0.0.5 is a private address")


def test_a_channel_added_in_the_console(world: Any, browser_as: Any) -> None:
    from tests.accounts.factories import UserFactory
    from watchkeeper.accounts.models import Role
    from watchkeeper.chat.models import ChatChannel

    http = browser_as(UserFactory(role=Role.MANAGER, all_clients=True))
    response = http.post(
        "/chat/channels/new",
        {"name": "#alpha", "client": world.a.client.slug, "kind": "chat", "address": SLACK,
         "events": ["opened", "resolved"], "priorities": ["P1"]},
    )  # fmt: skip
    channel = ChatChannel.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/chat/channels/{channel.pk}/"
    assert (channel.client, channel.events, channel.priorities) == (
        world.a.client,
        ["opened", "resolved"],
        ["P1"],
    )
    page = http.get(response["Location"])
    assert page.status_code == 200 and "Slack (slack://…)" in page.content.decode()
    assert "TIiajkdnlazkcOXrIdevi7" not in page.content.decode()
    refused = http.post("/chat/channels/new", {"name": "#x", "kind": "chat", "address": "mmost://10.1.2.3/t"})
    assert refused.status_code == 302 and ChatChannel.objects.count() == 1
    follow = http.get(refused["Location"])
    assert "10.1.2.3 is a private address" in follow.content.decode()


def test_old_posts_are_pruned(world: Any) -> None:
    from watchkeeper.chat.notify import posts_prune

    channel = make_channel(client=world.a.client, url=SLACK)
    old = clock.now() - dt.timedelta(days=91)
    for state in (PostState.SENT, PostState.FAILED, PostState.PENDING):
        ChatPost.objects.create(channel=channel, cause=f"old:{state}", event="opened", title="t", text="t",
                                state=state, created_at=old)  # fmt: skip
    ChatPost.objects.create(channel=channel, cause="new", event="opened", title="t", text="t", state="sent")
    assert posts_prune() == 2
    assert sorted(ChatPost.objects.values_list("cause", flat=True)) == ["new", "old:pending"]


def test_a_test_post_reaches_the_channel(world: Any, slack_at: Any, api_as: Any) -> None:
    from tests.accounts.factories import UserFactory
    from watchkeeper.accounts.models import Role

    with receiving() as receiver:
        slack_at(receiver.base)
        channel = make_channel(client=world.a.client, url=SLACK, events=["opened"], digest=True)
        api = api_as(UserFactory(role=Role.MANAGER, all_clients=True))
        queued = api.post(f"/api/v1/chat-channels/{channel.pk}/test", {})
        assert queued.status_code == 202 and queued.json()["state"] == "pending"
        assert api.post(f"/api/v1/chat-channels/{channel.pk}/test", {}).status_code == 409  # once a minute
        assert not receiver.requests  # never sent by the web request
        run_engine()
        [request] = receiver.requests
        assert "receives opened and the leadership digest" in request.body.decode()
        assert ChatPost.objects.get(event="test").state == PostState.SENT
    technician = api_as(world.a.technician).post(f"/api/v1/chat-channels/{channel.pk}/test", {})
    assert technician.status_code == 403


def test_an_escalation_step_past_the_first_level_is_posted(world: Any, slack_at: Any) -> None:
    from tests.paging.factories import client_policy
    from watchkeeper.paging.models import EscalationLevel, EscalationTarget, TargetKind

    clock.freeze(clock.now())
    policy = client_policy(world.a)  # level 1 after 10 minutes: the technician
    second = EscalationLevel.objects.create(policy=policy, position=1, delay_minutes=10)
    EscalationTarget.objects.create(level=second, kind=TargetKind.USER, user=world.a.technician)
    with receiving() as receiver:
        slack_at(receiver.base)
        channel = make_channel(client=world.a.client, url=SLACK, events=["escalated"])
        incident = incident_open(client=world.a.client, service=world.a.service, title="Core switch down",
                                 impact="high", urgency="high", by="monitoring")  # fmt: skip
        run_engine()
        assert not ChatPost.objects.filter(channel=channel).exists()  # paging level 1 is no escalation
        clock.advance(dt.timedelta(minutes=10, seconds=1))
        run_engine()  # the step timer pages level 2, and sets chat's timer (incident_reported)
        [post] = ChatPost.objects.filter(channel=channel, incident=incident)
        assert post.event == "escalated" and "Paging level 2" in post.text
        assert post.state == PostState.SENT
        assert any(incident.reference in request.body.decode() for request in receiver.requests)

"""Load the demo's integrations and play their history through the real intake path.

Integrations are keyed on (client, name) and created when missing. An integration's history
(`demo.history.STORIES`) is played only while the integration has received nothing (no alert
and no inbox event), so a second load changes nothing. Events go through `inbox_accept` and
the engine's `inbox_process`, with the clock frozen at each event's past time, so alerts,
incidents and timelines carry believable timestamps; technicians' actions go through the
incident services at their own times.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from dataclasses import dataclass, field
from email.utils import format_datetime
from typing import Any

from django.conf import settings

from watchkeeper.accounts.models import User
from watchkeeper.alerts.models import Alert, InboxEvent, Integration
from watchkeeper.alerts.services.heartbeats import heartbeat_check_overdue, heartbeat_checkin
from watchkeeper.alerts.services.intake import inbox_accept
from watchkeeper.alerts.services.integrations import integration_create, integration_update
from watchkeeper.alerts.services.processing import inbox_process
from watchkeeper.core import clock
from watchkeeper.core.errors import WatchkeeperError
from watchkeeper.demo import history
from watchkeeper.incidents import services as incidents
from watchkeeper.incidents.models import Incident
from watchkeeper.tenancy.models import Client, Service

log = logging.getLogger("watchkeeper.demo")

ACTOR = "demo"
# Integrations are set up a little before the first event of their history.
SETUP_AGO = dt.timedelta(days=15)
SETUP_LEAD = dt.timedelta(hours=2)


@dataclass
class _Play:
    """One playing of the history: the load's real "now" and what hand-made incidents exist."""

    start: dt.datetime
    created: Counter[str]
    manual: dict[str, Incident] = field(default_factory=dict)
    first_fired: dict[str, str] = field(default_factory=dict)  # fingerprint → startsAt
    users: dict[str, User | None] = field(default_factory=dict)


def intake_load(*, created: Counter[str]) -> None:
    """Create the missing demo integrations and play the history of those that never received
    anything. Leaves the clock reset (real time) whatever happens."""
    start = clock.now()
    play = _Play(start=start, created=created)
    alerts, opened = Alert.objects.count(), Incident.objects.count()
    try:
        to_play = _load_integrations(play)
        steps = sorted(
            ((step, integration) for integration, story in to_play for step in story),
            key=lambda pair: -pair[0].ago,
        )
        for step, integration in steps:
            clock.freeze(start - step.ago)
            if isinstance(step, history.Event):
                _send(play, integration, step)
            elif isinstance(step, history.Check):
                heartbeat_check_overdue()
                inbox_process()
            else:
                _act(play, integration, step)
    finally:
        clock.reset()
    created["alert"] += Alert.objects.count() - alerts
    created["incident"] += Incident.objects.count() - opened


def _load_integrations(play: _Play) -> list[tuple[Integration, tuple[history.Step, ...]]]:
    """Create missing integrations; return those whose history is still to be played."""
    clients = {c.slug: c for c in Client.objects.filter(slug__in={i.client for i in history.INTEGRATIONS})}
    to_play = []
    for spec in history.INTEGRATIONS:
        client = clients.get(spec.client)
        if client is None or not client.is_active:
            continue
        integration = Integration.objects.filter(client=client, name=spec.name).first()
        if integration is None:
            service = Service.objects.filter(client=client, name=spec.service).first()
            clock.freeze(play.start - _setup_ago(spec))
            integration = integration_create(
                actor=ACTOR, via=ACTOR, client=client, type=spec.type, name=spec.name, service=service,
                config=dict(spec.config),
            )  # fmt: skip
            if spec.settings:
                integration = integration_update(
                    actor=ACTOR, via=ACTOR, integration=integration, **spec.settings
                )
            play.created["integration"] += 1
        if not _has_history(integration):
            to_play.append((integration, history.STORIES.get((spec.client, spec.name), ())))
    return to_play


def _setup_ago(spec: history.IntegrationData) -> dt.timedelta:
    """How long ago the integration was set up: shortly before its first event (a heartbeat
    set up earlier would have missed check-ins), else SETUP_AGO."""
    story = history.STORIES.get((spec.client, spec.name), ())
    return max((step.ago for step in story), default=SETUP_AGO - SETUP_LEAD) + SETUP_LEAD


def _has_history(integration: Integration) -> bool:
    return (
        Alert.objects.filter(integration=integration).exists()
        or InboxEvent.objects.filter(integration=integration).exists()
    )


# --- events --------------------------------------------------------------------------------------


def _send(play: _Play, integration: Integration, event: history.Event) -> None:
    payload = _dated(play, integration, event)
    if event.kind == "heartbeat":
        heartbeat_checkin(integration=integration, payload=payload)
    else:
        inbox_accept(integration=integration, kind=event.kind, payload=payload)
    inbox_process()


def _dated(play: _Play, integration: Integration, event: history.Event) -> dict[str, Any]:
    """The payload with the event's own time (and, for e-mail, its envelope) where the format
    carries one."""
    if event.kind == "email":
        return {**event.payload, **_envelope(integration)}
    if event.kind != "alertmanager":
        return event.payload
    now = clock.now().isoformat().replace("+00:00", "Z")
    alerts = []
    for alert in event.payload["alerts"]:
        fingerprint = alert["fingerprint"]
        if alert["status"] == "firing":
            play.first_fired.setdefault(fingerprint, now)
            alerts.append({**alert, "startsAt": play.first_fired[fingerprint]})
        else:
            starts = play.first_fired.pop(fingerprint, now)
            alerts.append({**alert, "startsAt": starts, "endsAt": now})
    return {**event.payload, "alerts": alerts}


def _envelope(integration: Integration) -> dict[str, str]:
    domain = getattr(settings, "INBOUND_EMAIL_DOMAIN", "localhost")
    now = clock.now()
    return {
        "to": f"{integration.key}@{domain}",
        "date": format_datetime(now),
        "message_id": f"<{now:%Y%m%d%H%M%S}.{integration.pk}@nas01.brightwater-trust.example>",
    }


# --- technicians' actions ------------------------------------------------------------------------


def _user(play: _Play, email: str) -> User | None:
    if email not in play.users:
        play.users[email] = User.objects.filter(email=email, is_active=True).first()
    return play.users[email]


def _incident(play: _Play, integration: Integration, key: str) -> Incident | None:
    if key in play.manual:
        return play.manual[key]
    alert = (
        Alert.objects.filter(integration=integration, dedup_key=key, incident__isnull=False)
        .select_related("incident__client", "incident__service")
        .order_by("-id")
        .first()
    )
    return alert.incident if alert is not None else None


def _act(play: _Play, integration: Integration, act: history.Act) -> None:
    user = _user(play, act.by)
    if user is None:
        return  # the demo user was removed: the story goes on without them
    try:
        if act.action == "open":
            _open(play, integration, act, user)
            return
        incident = _incident(play, integration, act.key)
        if incident is not None:
            _apply(incident, act, user)
    except WatchkeeperError as exc:
        # Someone changed the demo world (a removed service, an edited policy); skip this step.
        log.warning("demo step %s %s skipped: %s", act.action, act.key, exc.message)


def _open(play: _Play, integration: Integration, act: history.Act, user: User) -> None:
    service = Service.objects.filter(client_id=integration.client_id, name=act.service).first()
    if service is None:
        return
    play.manual[act.key] = incidents.incident_open(
        client=integration.client, service=service, title=act.text, impact=act.impact,
        urgency=act.urgency, by=user, description=act.text,
    )  # fmt: skip


def _apply(incident: Incident, act: history.Act, user: User) -> None:
    if act.action == "acknowledge":
        incidents.incident_acknowledge(incident=incident, by=user)
    elif act.action == "note":
        incidents.incident_note(incident=incident, by=user, text=act.text)
    elif act.action == "update":  # a client-visible update: what the client's portal shows
        incidents.incident_note(incident=incident, by=user, text=act.text, client_visible=True)
    elif act.action == "assign":
        incidents.incident_assign(incident=incident, by=user, owner=user)
    elif act.action == "priority":
        incidents.incident_set_priority(incident=incident, by=user, impact=act.impact, urgency=act.urgency)
    elif act.action == "resolve":
        incidents.incident_resolve(incident=incident, by=user, note=act.text)
    elif act.action == "close":
        incidents.incident_close(incident=incident, by=user)
    else:
        raise ValueError(f"Unknown demo action {act.action!r}")

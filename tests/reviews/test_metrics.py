"""The metric definitions on a fixed data set, each expected value worked out by hand in the
comments beside it: MTTA and MTTR (mean and median), noise, and on-call interruptions with the
60-second rule and hour buckets in the technician's own time zone."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.accounts.factories import UserFactory
from tests.alerts.factories import IntegrationFactory
from tests.tenancy.factories import ClientFactory, ServiceFactory
from watchkeeper.accounts.models import Role
from watchkeeper.alerts.models import Alert
from watchkeeper.incidents.models import Incident, TimelineEntry
from watchkeeper.paging.models import ContactMethod, OutboxMessage
from watchkeeper.reviews import metrics
from watchkeeper.reviews.exports import load_csv, metrics_csv

pytestmark = pytest.mark.django_db
UTC = dt.UTC
NEW_YORK = ZoneInfo("America/New_York")


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def minutes(n: float) -> float:
    return n * 60.0


@pytest.fixture
def data(db: Any) -> Any:
    client = ClientFactory(name="Acme", slug="acme")
    mail = ServiceFactory(client=client, name="Mail")
    web = ServiceFactory(client=client, name="Web")
    rows = [
        # number, service, priority, category, opened, acknowledged after, resolved after (minutes)
        (1, mail, "P1", "email", "2026-11-02 10:00", 5, 60),
        (2, mail, "P2", "email", "2026-11-03 10:00", 15, 180),
        (3, web, "P2", "application", "2026-11-04 10:00", 10, 30),
        (4, web, "P3", "application", "2026-11-05 10:00", None, None),
    ]
    incidents = {}
    for number, service, priority, category, opened, ack, fix in rows:
        start = at(opened)
        incidents[number] = Incident.objects.create(
            client=client, number=number, title=f"Incident {number}", service=service, category=category,
            impact="high", urgency="high", priority=priority, opened_at=start,
            acknowledged_at=start + dt.timedelta(minutes=ack) if ack is not None else None,
            resolved_at=start + dt.timedelta(minutes=fix) if fix is not None else None,
            status="resolved" if fix is not None else "triggered",
        )  # fmt: skip
    # Incident 3 was raised P3 → P2 after opening; incident 2 lowered P1 → P2.
    TimelineEntry.objects.create(incident=incidents[3], kind="priority", text="P3 → P2",
                                 data={"from": "P3", "to": "P2"}, actor_label="x")  # fmt: skip
    TimelineEntry.objects.create(incident=incidents[2], kind="priority", text="P1 → P2",
                                 data={"from": "P1", "to": "P2"}, actor_label="x")  # fmt: skip
    integration = IntegrationFactory(client=client, default_service=mail, name="Zabbix", type="webhook")
    alerts = [
        # dedup key, incident, first seen, acknowledged, resolved, suppressed reason
        ("a1", incidents[1], "2026-11-02 09:58", "2026-11-02 10:05", "2026-11-02 11:00", ""),
        ("a2", incidents[1], "2026-11-02 09:59", "2026-11-02 10:05", None, ""),
        ("a3", incidents[2], "2026-11-03 09:59", None, "2026-11-03 10:02", ""),  # resolved itself in 3 min
        ("a4", None, "2026-11-06 12:00", None, "2026-11-06 12:10", ""),  # on its own, but after 10 min
        ("a5", None, "2026-11-07 12:00", None, None, "flapping"),
    ]
    for key, incident, first, acked, resolved, reason in alerts:
        Alert.objects.create(
            client=client, integration=integration, service=mail, incident=incident, dedup_key=key,
            summary=key, first_seen_at=at(first), last_seen_at=at(first),
            acknowledged_at=at(acked) if acked else None, resolved_at=at(resolved) if resolved else None,
            status="resolved" if resolved else "triggered", suppressed_reason=reason, suppressed=bool(reason),
        )  # fmt: skip
    tom = UserFactory(
        role=Role.TECHNICIAN, email="tom@msp.example", full_name="Tom", timezone="America/New_York"
    )
    tom.assigned_clients.add(client)
    methods = {}
    for kind in ("sms", "push", "voice", "email"):
        method = ContactMethod(user=tom, kind=kind, label=kind, address_hint=kind)
        method.address = "tom@msp.example" if kind == "email" else "mailto://tom@msp.example"
        method.save()
        methods[kind] = method
    pages = [
        ("sms", "2026-11-02 15:00:00"),  # Mon 10:00 New York: business → interruption 1
        ("push", "2026-11-02 15:00:30"),  # 30 s later: the same interruption
        ("sms", "2026-11-02 15:01:00"),  # 60 s after the first: a new one (business) → 2
        ("email", "2026-11-02 15:05:00"),  # e-mail never interrupts
        ("voice", "2026-11-03 04:00:00"),  # Mon 23:00 New York: sleep → 3
        ("sms", "2026-11-03 00:30:00"),  # Mon 19:30 New York: off (in UTC it would be sleep) → 4
        ("sms", "2026-11-07 17:00:00"),  # Sat 12:00 New York: off → 5
    ]
    for index, (kind, sent) in enumerate(pages):
        OutboxMessage.objects.create(
            dedup_key=f"page:t{index}", cause=f"page:{incidents[1].pk}:0.0:0", user=tom,
            contact_method=methods[kind], incident=incidents[1], subject="page", text="page",
            state="sent", sent_at=at(sent), purpose="page",
        )  # fmt: skip
    owner = UserFactory(role=Role.OWNER, email="boss@msp.example", timezone="UTC")
    period = metrics.period_parse(
        "2026-11-01", "2026-11-30", zone=ZoneInfo("UTC"), today=dt.date(2026, 12, 1)
    )
    return owner, period, tom


def test_mtta_and_mttr_mean_and_median(data: Any) -> None:
    owner, period, _ = data
    result = metrics.incident_metrics(actor=owner, period=period, group="service")
    total = result.total
    # Acknowledged after 5, 15 and 10 min (incident 4 never): mean 10, median 10.
    assert (total.incidents, total.mtta.count) == (4, 3)
    assert (total.mtta.mean, total.mtta.median) == (minutes(10), minutes(10))
    # Resolved after 60, 180 and 30 min: mean 90, median 60.
    assert (total.mttr.mean, total.mttr.median) == (minutes(90), minutes(60))
    by = {row.key: row for row in result.rows}
    # Mail: 5 and 15 → 10; 60 and 180 → 120 (mean and median of two are equal).
    assert (by["Mail"].mtta.mean, by["Mail"].mttr.mean, by["Mail"].mttr.median) == (
        minutes(10), minutes(120), minutes(120),
    )  # fmt: skip
    # Web: only incident 3 acknowledged and resolved: 10 and 30.
    assert (by["Web"].incidents, by["Web"].mtta.median, by["Web"].mttr.mean) == (2, minutes(10), minutes(30))
    assert result.months == [("2026-11", 4)]
    by_priority = {
        row.key: row for row in metrics.incident_metrics(actor=owner, period=period, group="priority").rows
    }
    assert by_priority["P2"].mttr.mean == minutes(105)  # (180 + 30) / 2
    # Raised: incident 3 (P3 → P2, application, manual); lowered: incident 2 (P1 → P2, email,
    # its first alert came from the webhook integration).
    assert sorted(result.risk) == [
        ("category", "application", 1, 0), ("category", "email", 0, 1),
        ("source", "manual", 1, 0), ("source", "webhook", 0, 1),
    ]  # fmt: skip
    csv = metrics_csv(result).splitlines()
    assert csv[0].startswith("service,incidents,acknowledged,mtta_mean_s")
    assert "All,4,3,600,600,3,5400,3600" in csv


def test_noise(data: Any) -> None:
    owner, period, _ = data
    noise = metrics.noise_metrics(actor=owner, period=period, auto_minutes=5)
    assert noise.alerts == 5
    assert noise.incidents == 2 and noise.alerts_per_incident == 1.5  # 3 alerts joined 2 incidents
    assert noise.never_acknowledged == 3  # a3, a4, a5
    assert noise.auto_resolved == 1  # a3 (3 min); a4 took 10 min
    assert noise.flapping == 1
    assert noise.integrations == [("Acme", "Zabbix", "webhook", 5)]
    assert metrics.noise_metrics(actor=owner, period=period, auto_minutes=10).auto_resolved == 2


def test_interruptions_count_once_within_60_seconds_in_the_technicians_zone(data: Any) -> None:
    owner, period, _ = data
    [load] = metrics.oncall_load(actor=owner, period=period)
    assert (load.person, load.pages) == ("Tom", 7)
    assert load.interruptions == {"business": 2, "off": 2, "sleep": 1}
    assert load.interruptions_total == 5
    assert "Tom,America/New_York,7,0,5,2,2,1" in load_csv([load])
    # The same pages in UTC would put Monday 19:30 New York (00:30 UTC) in sleep hours.
    assert metrics.hour_bucket(at("2026-11-03 00:30"), UTC) == "sleep"
    assert metrics.hour_bucket(at("2026-11-03 00:30"), NEW_YORK) == "off"


def test_another_clients_technician_sees_nothing(data: Any) -> None:
    _, period, _ = data
    stranger = UserFactory(role=Role.TECHNICIAN, email="other@msp.example")
    stranger.assigned_clients.add(ClientFactory(name="Other", slug="other"))
    assert metrics.incident_metrics(actor=stranger, period=period).total.incidents == 0
    assert metrics.noise_metrics(actor=stranger, period=period).alerts == 0
    assert metrics.oncall_load(actor=stranger, period=period) == []


def test_periods_are_checked() -> None:
    zone = ZoneInfo("UTC")
    with pytest.raises(Exception, match="to must not be before from"):
        metrics.period_parse("2026-11-30", "2026-11-01", zone=zone, today=dt.date(2026, 12, 1))
    with pytest.raises(Exception, match="at most two years"):
        metrics.period_parse("2020-01-01", "2026-11-01", zone=zone, today=dt.date(2026, 12, 1))
    with pytest.raises(Exception, match="between 1970 and 2999"):
        metrics.period_parse("9999-12-01", "9999-12-31", zone=zone, today=dt.date(2026, 12, 1))
    with pytest.raises(Exception, match="YYYY-MM-DD"):
        metrics.period_parse("yesterday", "", zone=zone, today=dt.date(2026, 12, 1))

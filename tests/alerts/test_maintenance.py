"""Maintenance windows: one-off and recurring (on the local wall clock, across DST), client-wide
or per service; alerts during a window are kept and suppressed, never dropped."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.alerts.factories import IntegrationFactory
from tests.tenancy.factories import ServiceFactory
from watchkeeper.alerts.events import AlertEvent
from watchkeeper.alerts.maintenance import window_active, window_next, window_span_at
from watchkeeper.alerts.models import MaintenanceWindow
from watchkeeper.alerts.services.apply import event_apply
from watchkeeper.alerts.services.rules import (
    maintenance_window_create,
    maintenance_window_delete,
    maintenance_window_update,
)
from watchkeeper.audit.models import AuditEntry
from watchkeeper.core import clock
from watchkeeper.core.errors import Forbidden, InvalidInput

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
UTC = dt.UTC


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def _window(world: Any, **fields: Any) -> MaintenanceWindow:
    defaults: dict[str, Any] = {
        "name": "Patching",
        "starts_at": utc(2027, 1, 11, 9),
        "ends_at": utc(2027, 1, 11, 10),
    }
    return maintenance_window_create(actor=world.owner, client=world.a.client, **{**defaults, **fields})


def _sunday_patching(world: Any, **fields: Any) -> MaintenanceWindow:
    # Sundays 02:00–04:00 on the London wall clock, first on 21 March 2027 (still GMT).
    fields = {"recurrence": "FREQ=WEEKLY;BYDAY=SU", **fields}
    return _window(
        world,
        name="Sunday patching",
        timezone="Europe/London",
        starts_at=dt.datetime(2027, 3, 21, 2, tzinfo=LONDON),
        ends_at=dt.datetime(2027, 3, 21, 4, tzinfo=LONDON),
        **fields,
    )


def _trigger(integration: Any, key: str = "db01/disk", **fields: Any) -> Any:
    event = AlertEvent(
        action="trigger", dedup_key=key, summary="Disk full", source="db01", severity="critical", **fields
    )
    alert = event_apply(integration=integration, event=event)
    assert alert is not None
    return alert


def test_one_off_window(world: Any) -> None:
    window = _window(world)
    assert window.timezone == world.a.client.timezone  # the client's zone by default
    assert not window_active(window, utc(2027, 1, 11, 8, 59))
    assert window_active(window, utc(2027, 1, 11, 9))
    assert window_active(window, utc(2027, 1, 11, 9, 59, 59))
    assert not window_active(window, utc(2027, 1, 11, 10))  # the end is not inside


def test_an_alert_during_a_window_is_kept_suppressed_and_opens_no_incident(world: Any) -> None:
    _window(world)
    integration = world.a.integration
    clock.freeze(utc(2027, 1, 11, 9, 30))
    alert = _trigger(integration)
    assert (alert.suppressed, alert.suppressed_reason, alert.incident) == (
        True,
        "maintenance: Patching",
        None,
    )
    clock.freeze(utc(2027, 1, 11, 10, 0))
    after = _trigger(integration, key="db01/cpu")
    assert not after.suppressed and after.incident is not None


@pytest.mark.parametrize(
    ("at", "active"),
    [
        (utc(2027, 3, 21, 1, 59), False),
        (utc(2027, 3, 21, 2, 30), True),  # GMT: 02:30 local
        (utc(2027, 3, 22, 2, 30), False),  # a Monday
        # 28 March: clocks go forward at 01:00 UTC; 02:00–04:00 BST is 01:00–03:00 UTC.
        (utc(2027, 3, 28, 0, 59), False),
        (utc(2027, 3, 28, 1, 0), True),
        (utc(2027, 3, 28, 2, 59), True),
        (utc(2027, 3, 28, 3, 30), False),  # 04:30 BST, though 02:00–04:00 UTC would cover it
        (utc(2027, 10, 24, 1, 30), True),  # still BST
        (utc(2027, 10, 24, 3, 30), False),
        # 31 October: clocks go back at 01:00 UTC; 02:00–04:00 GMT is 02:00–04:00 UTC.
        (utc(2027, 10, 31, 1, 30), False),
        (utc(2027, 10, 31, 3, 30), True),
    ],
)
def test_weekly_window_keeps_its_local_time_across_dst(world: Any, at: dt.datetime, active: bool) -> None:
    assert window_active(_sunday_patching(world), at) is active


def test_weekly_window_suppresses_at_ingest_across_the_spring_change(world: Any) -> None:
    _sunday_patching(world)
    integration = world.a.integration
    clock.freeze(utc(2027, 3, 28, 1, 30))  # 02:30 BST
    assert _trigger(integration, key="during").suppressed_reason == "maintenance: Sunday patching"
    clock.freeze(utc(2027, 3, 28, 3, 30))  # 04:30 BST
    assert not _trigger(integration, key="after").suppressed


def test_answers_do_not_depend_on_the_order_of_questions(world: Any) -> None:
    window = _sunday_patching(world)
    times = [utc(2027, 3, 28, 1, 30), utc(2027, 3, 21, 1, 0), utc(2027, 3, 28, 3, 30), utc(2027, 3, 21, 2, 0)]
    assert [window_active(window, at) for at in times] == [True, False, False, True]
    assert [window_active(window, at) for at in reversed(times)] == [True, False, False, True]


def test_next_occurrence_and_until(world: Any) -> None:
    window = _sunday_patching(world, reason="OS updates")
    assert window_next(window, utc(2027, 3, 22)) == (utc(2027, 3, 28, 1), utc(2027, 3, 28, 3))
    assert window_span_at(window, utc(2027, 3, 28, 2)) == (utc(2027, 3, 28, 1), utc(2027, 3, 28, 3))
    until = _window(
        world,
        name="Four Sundays",
        timezone="Europe/London",
        recurrence="RRULE:FREQ=WEEKLY;UNTIL=20270411T235959Z",
        starts_at=dt.datetime(2027, 3, 21, 2, tzinfo=LONDON),
        ends_at=dt.datetime(2027, 3, 21, 4, tzinfo=LONDON),
    )
    assert window_active(until, utc(2027, 4, 11, 1, 30))
    assert not window_active(until, utc(2027, 4, 18, 1, 30))
    assert window_next(until, utc(2027, 4, 12)) is None


def test_excluded_dates_are_skipped(world: Any) -> None:
    window = _sunday_patching(world, recurrence="FREQ=WEEKLY;BYDAY=SU\nEXDATE:20270404T020000")
    assert window_active(window, utc(2027, 3, 28, 1, 30))
    assert not window_active(window, utc(2027, 4, 4, 1, 30))  # Easter Sunday off
    assert window_active(window, utc(2027, 4, 11, 1, 30))


def test_service_window_only_covers_its_service(world: Any) -> None:
    web = ServiceFactory(client=world.a.client, name="Web shop")
    _window(world, name="Web deploy", service=web)
    integration = world.a.integration  # feeds world.a.service by default
    clock.freeze(utc(2027, 1, 11, 9, 30))
    assert not _trigger(integration, key="db").suppressed
    assert (
        _trigger(integration, key="web", service_name="Web shop").suppressed_reason
        == "maintenance: Web deploy"
    )
    web_integration = IntegrationFactory(default_service=web)
    assert _trigger(web_integration, key="web2").suppressed
    # A client-wide window covers every service.
    _window(world, name="Office move")
    assert _trigger(integration, key="db2").suppressed_reason == "maintenance: Office move"


def test_a_rule_routing_into_a_service_under_maintenance_is_suppressed(world: Any) -> None:
    from watchkeeper.alerts.services.rules import event_rule_create

    web = ServiceFactory(client=world.a.client, name="Web shop")
    _window(world, name="Web deploy", service=web)
    event_rule_create(
        actor=world.owner,
        client=world.a.client,
        name="web",
        actions={"service": "Web shop"},
        conditions=[{"field": "source", "op": "equals", "value": "db01"}],
    )
    clock.freeze(utc(2027, 1, 11, 9, 30))
    alert = _trigger(world.a.integration)
    assert (alert.service, alert.suppressed_reason) == (web, "maintenance: Web deploy")


def test_another_clients_window_does_not_apply(world: Any) -> None:
    maintenance_window_create(
        actor=world.owner,
        client=world.b.client,
        name="B only",
        starts_at=utc(2027, 1, 11, 9),
        ends_at=utc(2027, 1, 11, 10),
    )
    clock.freeze(utc(2027, 1, 11, 9, 30))
    assert not _trigger(world.a.integration).suppressed


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"ends_at": utc(2027, 1, 11, 8)}, "must end after it starts"),
        ({"starts_at": dt.datetime(2027, 1, 11, 9)}, "UTC offset"),  # noqa: DTZ001 (the point of the test)
        ({"timezone": "Mars/Olympus"}, "Unknown time zone 'Mars/Olympus'"),
        ({"recurrence": "FREQ=SOMETIMES"}, "not a valid RFC 5545 rule"),
        ({"recurrence": "FREQ=WEEKLY;BYDAY=XX"}, "not a valid RFC 5545 rule"),
        ({"recurrence": "FREQ=MINUTELY"}, "at most daily"),
        ({"recurrence": "FREQ=HOURLY;BYSECOND=0,1,2"}, "at most daily"),
        ({"recurrence": "FREQ=DAILY;BYHOUR=1,2,3"}, "BYHOUR is not allowed"),
        ({"recurrence": "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"}, "never repeat"),
        ({"recurrence": "FREQ=MONTHLY;BYDAY=MO;BYSETPOS=6"}, "BYSETPOS values must be"),
        ({"recurrence": "DTSTART:20270101T000000\nRRULE:FREQ=DAILY"}, "remove DTSTART"),
        ({"recurrence": "EXDATE:20270101T000000"}, "needs an RRULE"),
        ({"name": ""}, "needs a name"),
    ],
)
def test_invalid_windows_are_refused(world: Any, fields: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        _window(world, **fields)
    assert message in refused.value.message
    assert not MaintenanceWindow.objects.exists()


def test_a_window_cannot_name_another_clients_service(world: Any) -> None:
    with pytest.raises(InvalidInput, match="Unknown service") as refused:
        _window(world, service=world.b.service)
    assert refused.value.status == 400


def test_update_delete_audit_and_access(world: Any) -> None:
    window = _window(world)
    with pytest.raises(Forbidden):
        maintenance_window_update(actor=world.b.technician, window=window, name="x")
    with pytest.raises(InvalidInput, match="RFC 5545"):
        maintenance_window_update(actor=world.owner, window=window, recurrence="FREQ=NEVER")
    updated = maintenance_window_update(
        actor=world.a.technician, window=window, recurrence="FREQ=DAILY", service=world.a.service
    )
    assert (updated.recurrence, updated.service) == ("FREQ=DAILY", world.a.service)
    assert window_active(updated, utc(2027, 2, 1, 9, 30))
    with pytest.raises(InvalidInput, match="Unknown maintenance window fields"):
        maintenance_window_update(actor=world.owner, window=window, colour="red")
    maintenance_window_delete(actor=world.owner, window=updated)
    assert not MaintenanceWindow.objects.exists()
    assert list(
        AuditEntry.objects.filter(object_type="alerts.maintenancewindow")
        .values_list("action", flat=True)
        .order_by("id")
    ) == [
        "maintenance_window.create",
        "maintenance_window.update",
        "maintenance_window.delete",
    ]


def test_admin_refuses_an_impossible_recurrence(world: Any, browser_as: Any) -> None:
    http = browser_as(world.owner)
    form = {
        "client": world.a.client.pk,
        "name": "Nightly",
        "starts_at_0": "2027-01-11",
        "starts_at_1": "01:00:00",
        "ends_at_0": "2027-01-11",
        "ends_at_1": "02:00:00",
        "timezone": "Europe/London",
        "recurrence": "FREQ=SOMETIMES",
        "reason": "",
    }
    response = http.post("/admin/alerts/maintenancewindow/add/", form)
    assert response.status_code == 200 and "RFC 5545" in response.content.decode()
    form["recurrence"] = "FREQ=DAILY"
    assert http.post("/admin/alerts/maintenancewindow/add/", form).status_code == 302
    assert MaintenanceWindow.objects.get().recurrence == "FREQ=DAILY"

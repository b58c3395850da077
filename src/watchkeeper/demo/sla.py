"""Demo SLA world: two business calendars, one policy per contract tier, and the demo incidents'
clocks computed from their history (quietly: loading the demo e-mails nobody). Idempotent:
calendars and policies are keyed on their names and only created when missing."""

from __future__ import annotations

from collections import Counter

from watchkeeper.incidents.models import Incident
from watchkeeper.sla.models import BusinessCalendar, ClientCalendar, SlaPolicy, SlaTarget
from watchkeeper.sla.services import sla_incident_reconcile
from watchkeeper.tenancy.models import Client

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
CALENDARS = (
    # name, hours, default
    ("Office hours", {d: [["08:30", "17:30"]] for d in WEEKDAYS}, True),
    (
        "Extended hours",
        {**{d: [["07:00", "12:00"], ["12:30", "20:00"]] for d in WEEKDAYS}, "sat": [["09:00", "13:00"]]},
        False,
    ),
)
# tier: (priority, response, update, resolution minutes, 24×7)
POLICIES = {
    "premium": (
        ("P1", 15, 30, 240, True),
        ("P2", 30, 60, 480, True),
        ("P3", 120, 240, 1440, False),
        ("P4", 480, None, 2880, False),
        ("P5", 960, None, 7200, False),
    ),
    "standard": (
        ("P1", 30, 60, 480, True),
        ("P2", 60, 120, 960, False),
        ("P3", 240, 480, 2400, False),
        ("P4", 480, None, 4800, False),
        ("P5", 960, None, 9600, False),
    ),
    "essential": (
        ("P1", 60, 120, 960, False),
        ("P2", 240, 480, 1440, False),
        ("P3", 480, None, 4800, False),
        ("P4", 960, None, 9600, False),
        ("P5", 1920, None, 14400, False),
    ),
}


def sla_load(*, created: Counter[str]) -> None:
    calendars = {}
    for name, hours, default in CALENDARS:
        calendar, made = BusinessCalendar.objects.get_or_create(
            name=name, defaults={"hours": hours, "is_default": default, "public_holidays": True}
        )
        calendars[name] = calendar
        created["calendar"] += made
    for client in Client.objects.filter(contract_tier="premium"):
        _, made = ClientCalendar.objects.get_or_create(
            client=client, defaults={"calendar": calendars["Extended hours"]}
        )
        created["client calendar"] += made
    for tier, targets in POLICIES.items():
        policy, made = SlaPolicy.objects.get_or_create(
            name=f"{tier.capitalize()} SLA", defaults={"tier": tier}
        )
        if made:
            SlaTarget.objects.bulk_create(
                [
                    SlaTarget(
                        policy=policy,
                        priority=p,
                        response_minutes=r,
                        update_minutes=u,
                        resolution_minutes=z,
                        around_the_clock=a,
                    )
                    for p, r, u, z, a in targets
                ]
            )
            created["SLA policy"] += 1
    for pk in Incident.objects.order_by("pk").values_list("pk", flat=True):
        sla_incident_reconcile(incident_id=pk, quiet=True)

"""SLA test data: a calendar, a tier policy with targets per priority, a client in Berlin."""

from __future__ import annotations

from typing import Any

from watchkeeper.sla.models import BusinessCalendar, SlaPolicy, SlaTarget

# (priority, response, update, resolution minutes, 24×7)
TARGETS = (
    ("P1", 15, 60, 120, True),
    ("P2", 480, None, 240, False),
    ("P3", 240, 480, 1440, False),
    ("P4", 480, None, 2880, False),
    ("P5", 960, None, 4800, False),
)


def calendar_make(**fields: Any) -> BusinessCalendar:
    values: dict[str, Any] = {
        "name": "Office hours",
        "time_zone": "",
        "public_holidays": True,
        "is_default": True,
    }
    return BusinessCalendar.objects.create(**{**values, **fields})


def policy_make(*, tier: str = "standard", client: Any = None, name: str = "", **fields: Any) -> SlaPolicy:
    policy = SlaPolicy.objects.create(
        name=name or f"{tier} {client or ''}".strip(), tier=tier, client=client, **fields
    )
    for priority, response, update, resolution, always in TARGETS:
        SlaTarget.objects.create(
            policy=policy,
            priority=priority,
            response_minutes=response,
            update_minutes=update,
            resolution_minutes=resolution,
            around_the_clock=always,
        )
    return policy

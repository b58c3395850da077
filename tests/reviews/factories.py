"""Reviews test data: a client in Bavaria with an office-hours calendar, and a resolved P1."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from watchkeeper.core import clock
from watchkeeper.incidents import services as incidents

BERLIN = ZoneInfo("Europe/Berlin")


def local(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=BERLIN)


def resolved_p1(client: Any, service: Any, owner: Any, when: str = "2026-12-23 10:00") -> Any:
    clock.freeze(local(when))
    incident = incidents.incident_open(
        client=client,
        service=service,
        title="Ausfall in Łódź",
        impact="high",
        urgency="high",
        by="monitoring",
    )
    incidents.incident_assign(incident=incident, by=owner, owner=owner)
    incidents.incident_acknowledge(incident=incident, by=owner)
    clock.freeze(local(when) + dt.timedelta(hours=1))
    return incidents.incident_resolve(incident=incident, by=owner)

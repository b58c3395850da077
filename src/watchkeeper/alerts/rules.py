"""Event rules and maintenance windows: what to do with an incoming event before dedup.

`rules_decide` is the one entry point the processing calls.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from watchkeeper.alerts.events import AlertEvent
from watchkeeper.alerts.models import Integration
from watchkeeper.tenancy.models import Service


@dataclass
class Decision:
    drop: bool = False
    drop_reason: str = ""
    suppress_reason: str = ""
    service: Service | None = None
    severity: str = ""
    impact: str = ""
    urgency: str = ""
    category: str = ""
    tags: list[str] = field(default_factory=list)


def rules_decide(*, integration: Integration, event: AlertEvent, at: dt.datetime) -> Decision:
    """Apply the client's event rules and maintenance windows to one event."""
    return Decision()

"""The alerts app's adapter: alerts follow their incident (`alerts.incident`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from watchkeeper.alerts.services.incident_end import incident_alerts_resolve, incidents_alerts_resolve
from watchkeeper.core.models import Timer


def incident_changed(timer: Timer, now: dt.datetime) -> None:
    incident_alerts_resolve(incident_id=int(timer.key))


def incidents_changed(timers: Sequence[Timer], now: dt.datetime) -> None:
    incidents_alerts_resolve(incident_ids=[int(timer.key) for timer in timers])

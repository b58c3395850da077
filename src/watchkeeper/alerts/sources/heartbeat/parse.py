"""Heartbeat / cron check-ins: each check-in resolves the "heartbeat missed" alert, if open.

The missed-check-in alert itself is raised by the engine (services/heartbeats.py) from stored
times; a check-in only ever resolves.
"""

from __future__ import annotations

from typing import Any

from watchkeeper.alerts.events import AlertEvent

DEDUP_KEY = "heartbeat"
NOTE_LIMIT = 1000  # characters of a check-in's body kept (a cron job's last words)


def checkin_payload(*, method: str, body: bytes) -> dict[str, Any]:
    """What the inbox keeps of a check-in: how it came and the start of its body, as text."""
    note = body[: NOTE_LIMIT * 4].decode("utf-8", "replace").replace("\x00", "")[:NOTE_LIMIT].strip()
    return {"method": method, "note": note} if note else {"method": method}


def parse_checkin(payload: Any) -> list[AlertEvent]:
    raw = payload if isinstance(payload, dict) else {}
    return [AlertEvent(action="resolve", dedup_key=DEDUP_KEY, raw=raw)]

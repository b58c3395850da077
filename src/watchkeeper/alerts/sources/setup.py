"""Ready-to-paste setup examples for an integration's setup page; each source's `setup.py`
builds its own set from these parts.

Pure text building: the view passes the absolute base URL (from the request), the key to show
(the real key, or a placeholder for people who may not read it) and the e-mail domain.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

KEY_PLACEHOLDER = "INTEGRATION-KEY"


@dataclass(frozen=True)
class Example:
    title: str
    text: str
    note: str = ""


@dataclass(frozen=True)
class Setup:
    """Where a tool sends events (`endpoint`) and how to configure it (`examples`)."""

    endpoint: str
    endpoint_label: str
    examples: list[Example]
    heartbeat_url: str = ""


def duration(seconds: int) -> str:
    """Seconds in the largest whole unit a person would say: "24 h", "90 min", "45 s"."""
    for size, unit in ((3600, "h"), (60, "min")):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


def curl_json(url: str, body: object) -> str:
    data = json.dumps(body, indent=2)
    return f"curl -sS -X POST {url} \\\n  -H 'Content-Type: application/json' \\\n  -d '{data}'"

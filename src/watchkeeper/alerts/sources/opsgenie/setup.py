"""Setup text of an Opsgenie integration: the Alert API endpoint and its GenieKey header."""

from __future__ import annotations

import json

from django.urls import reverse

from watchkeeper.alerts.models import Integration
from watchkeeper.alerts.sources.setup import Example, Setup


def _opsgenie_examples(url: str, key: str) -> list[Example]:
    body = {"message": "Backup failed on nas01", "alias": "nas01/backup", "priority": "P2"}
    return [
        Example(
            "Create an alert",
            f"curl -sS -X POST {url} \\\n  -H 'Content-Type: application/json' \\\n"
            f"  -H 'Authorization: GenieKey {key}' \\\n  -d '{json.dumps(body, indent=2)}'",
            "Tools with an Opsgenie integration: set the API URL to this server and the API key to the key.",
        ),
        Example(
            "Close it",
            f"curl -sS -X POST '{url}/nas01%2Fbackup/close?identifierType=alias' \\\n"
            f"  -H 'Authorization: GenieKey {key}'",
        ),
    ]


def setup_text(*, integration: Integration, base: str, key: str, email_domain: str) -> Setup:
    url = base + reverse("ingest:opsgenie")
    return Setup(url, "Alert API endpoint", _opsgenie_examples(url, key))

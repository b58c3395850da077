"""Setup text of a generic JSON webhook: its URL and a sample body (also the preview's default)."""

from __future__ import annotations

from django.urls import reverse

from watchkeeper.alerts.models import Integration
from watchkeeper.alerts.sources.setup import Example, Setup, curl_json

SAMPLE_WEBHOOK = {
    "title": "Disk almost full on fs01",
    "status": "firing",
    "severity": "warning",
    "host": "fs01.example",
    "check": "disk /data",
    "value": "91%",
}


def _webhook_examples(url: str) -> list[Example]:
    return [
        Example(
            "Send a JSON event",
            curl_json(url, SAMPLE_WEBHOOK),
            "The integration's templates turn any JSON body into an alert; try them below.",
        )
    ]


def setup_text(*, integration: Integration, base: str, key: str, email_domain: str) -> Setup:
    url = base + reverse("ingest:webhook", kwargs={"key": key})
    return Setup(url, "Webhook URL", _webhook_examples(url))

"""Setup text of an Alertmanager integration: the receiver to add to alertmanager.yml."""

from __future__ import annotations

from django.urls import reverse

from watchkeeper.alerts.models import Integration
from watchkeeper.alerts.sources.setup import Example, Setup, curl_json

_AM_TEST = {
    "version": "4",
    "groupKey": "setup-test",
    "status": "firing",
    "alerts": [
        {
            "status": "firing",
            "labels": {"alertname": "SetupTest", "severity": "warning"},
            "annotations": {"summary": "A test alert from the setup page"},
        }
    ],
}


def _alertmanager_examples(url: str) -> list[Example]:
    return [
        Example(
            "Alertmanager receiver (alertmanager.yml)",
            f"route:\n  receiver: watchkeeper\nreceivers:\n  - name: watchkeeper\n    webhook_configs:\n"
            f"      - url: {url}\n        send_resolved: true",
            "Each alert of a group becomes one alert (by fingerprint); the group becomes one incident.",
        ),
        Example("Test it with curl", curl_json(url, _AM_TEST)),
    ]  # fmt: skip


def setup_text(*, integration: Integration, base: str, key: str, email_domain: str) -> Setup:
    url = base + reverse("ingest:alertmanager", kwargs={"key": key})
    return Setup(url, "Webhook URL", _alertmanager_examples(url))

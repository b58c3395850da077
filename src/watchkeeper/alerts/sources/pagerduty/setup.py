"""Setup text of a PagerDuty integration: the Events API v2 endpoint and tools pointed at it."""

from __future__ import annotations

from django.urls import reverse

from watchkeeper.alerts.models import Integration
from watchkeeper.alerts.sources.setup import Example, Setup, curl_json


def _pagerduty_examples(base: str, key: str) -> list[Example]:
    enqueue = base + reverse("ingest:pagerduty")
    trigger = {
        "routing_key": key,
        "event_action": "trigger",
        "dedup_key": "web01/disk",
        "payload": {"summary": "Disk at 95% on web01", "source": "web01", "severity": "warning"},
    }
    resolve = {"routing_key": key, "event_action": "resolve", "dedup_key": "web01/disk"}
    return [
        Example("Trigger an alert", curl_json(enqueue, trigger)),
        Example("Resolve it", curl_json(enqueue, resolve)),
        Example(
            "Prometheus Alertmanager (pagerduty_configs)",
            f"receivers:\n  - name: watchkeeper-pagerduty\n    pagerduty_configs:\n"
            f"      - routing_key: {key}\n        url: {enqueue}\n        send_resolved: true",
            "Alertmanager's own PagerDuty notifier, pointed at Watchkeeper instead of PagerDuty.",
        ),
        Example(
            "Zabbix, Grafana, RMM tools",
            f"Integration / routing key: {key}\nEvents API v2 base URL:    {base}",
            "Any tool with a PagerDuty integration works unchanged: choose its PagerDuty (Events API "
            "v2) integration, paste the key as the integration or routing key, and replace the "
            "PagerDuty address with the base URL above.",
        ),
    ]  # fmt: skip


def setup_text(*, integration: Integration, base: str, key: str, email_domain: str) -> Setup:
    return Setup(base + reverse("ingest:pagerduty"), "Events API v2 endpoint", _pagerduty_examples(base, key))

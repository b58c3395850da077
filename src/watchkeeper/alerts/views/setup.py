"""Ready-to-paste setup examples for an integration's setup page, one set per type.

Pure text building: the view passes the absolute base URL (from the request), the key to show
(the real key, or a placeholder for people who may not read it) and the e-mail domain.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.urls import reverse

from watchkeeper.alerts.models import Integration, IntegrationType

KEY_PLACEHOLDER = "INTEGRATION-KEY"

SAMPLE_WEBHOOK = {
    "title": "Disk almost full on fs01",
    "status": "firing",
    "severity": "warning",
    "host": "fs01.example",
    "check": "disk /data",
    "value": "91%",
}


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


def _curl_json(url: str, body: object) -> str:
    data = json.dumps(body, indent=2)
    return f"curl -sS -X POST {url} \\\n  -H 'Content-Type: application/json' \\\n  -d '{data}'"


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
        Example("Trigger an alert", _curl_json(enqueue, trigger)),
        Example("Resolve it", _curl_json(enqueue, resolve)),
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


def _alertmanager_examples(base: str, key: str) -> list[Example]:
    url = base + reverse("ingest:alertmanager", kwargs={"key": key})
    return [
        Example(
            "Alertmanager receiver (alertmanager.yml)",
            f"route:\n  receiver: watchkeeper\nreceivers:\n  - name: watchkeeper\n    webhook_configs:\n"
            f"      - url: {url}\n        send_resolved: true",
            "Each alert of a group becomes one alert (by fingerprint); the group becomes one incident.",
        ),
        Example("Test it with curl", _curl_json(url, _AM_TEST)),
    ]  # fmt: skip


def _opsgenie_examples(base: str, key: str) -> list[Example]:
    url = base + reverse("ingest:opsgenie")
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


def _webhook_examples(base: str, key: str) -> list[Example]:
    url = base + reverse("ingest:webhook", kwargs={"key": key})
    return [
        Example(
            "Send a JSON event",
            _curl_json(url, SAMPLE_WEBHOOK),
            "The integration's templates turn any JSON body into an alert; try them below.",
        )
    ]


def _heartbeat_examples(url: str, integration: Integration) -> list[Example]:
    interval = duration(integration.heartbeat_interval_seconds)
    grace = duration(integration.heartbeat_grace_seconds)
    return [
        Example(
            "Check in at the end of a job",
            f"curl -fsS -m 10 --retry 3 {url}",
            f"An alert opens when no check-in arrives within {interval} plus {grace} of grace; "
            "the next check-in resolves it.",
        ),
        Example("A nightly cron job", f"30 2 * * * /usr/local/bin/backup.sh && curl -fsS -m 10 {url}"),
    ]


def _email_examples(address: str) -> list[Example]:
    return [
        Example(
            "Send alerts by e-mail to",
            address,
            "Point the device's or tool's alert e-mails here. A subject containing RESOLVED, OK, UP or "
            "RECOVERY resolves the alert with the same subject.",
        )
    ]


def integration_setup(*, integration: Integration, base: str, key: str, email_domain: str) -> Setup:
    """The endpoint and examples for `integration`'s type. `base` has no trailing slash."""
    heartbeat = base + reverse("ingest:heartbeat", kwargs={"key": key})
    kind = integration.type
    if kind == IntegrationType.PAGERDUTY:
        return Setup(
            base + reverse("ingest:pagerduty"), "Events API v2 endpoint", _pagerduty_examples(base, key)
        )
    if kind == IntegrationType.ALERTMANAGER:
        url = base + reverse("ingest:alertmanager", kwargs={"key": key})
        return Setup(url, "Webhook URL", _alertmanager_examples(base, key))
    if kind == IntegrationType.OPSGENIE:
        return Setup(base + reverse("ingest:opsgenie"), "Alert API endpoint", _opsgenie_examples(base, key))
    if kind == IntegrationType.WEBHOOK:
        url = base + reverse("ingest:webhook", kwargs={"key": key})
        return Setup(url, "Webhook URL", _webhook_examples(base, key))
    if kind == IntegrationType.EMAIL:
        address = f"{key}@{email_domain}"
        return Setup(address, "E-mail address", _email_examples(address))
    return Setup(
        heartbeat, "Check-in URL", _heartbeat_examples(heartbeat, integration), heartbeat_url=heartbeat
    )

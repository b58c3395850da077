"""Setup text of a heartbeat integration: the check-in URL and when a missed one alerts."""

from __future__ import annotations

from django.urls import reverse

from watchkeeper.alerts.models import Integration
from watchkeeper.alerts.sources.setup import Example, Setup, duration


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


def setup_text(*, integration: Integration, base: str, key: str, email_domain: str) -> Setup:
    url = base + reverse("ingest:heartbeat", kwargs={"key": key})
    return Setup(url, "Check-in URL", _heartbeat_examples(url, integration), heartbeat_url=url)

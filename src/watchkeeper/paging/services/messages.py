"""What a page says. Response links are added at delivery (`responses.links_for`), so the
stored text never holds a usable secret."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from watchkeeper.core.humanize import when
from watchkeeper.incidents.models import Incident
from watchkeeper.paging.services.notify import base_url


def page_subject(*, incident: Incident) -> str:
    return f"[{incident.priority}] {incident.reference}: {incident.title}"[:255]


def page_text(*, incident: Incident, zone: dt.tzinfo) -> str:
    """The page's body, with its times in the recipient's zone (`zone`), labelled."""
    link = base_url() + reverse("incidents:detail", kwargs={"incident_id": incident.pk})
    lines = [
        f"{incident.priority} incident {incident.reference} for {incident.client.name}",
        f"Service: {incident.service.name}",
        f"Title: {incident.title}",
        f"Impact {incident.impact}, urgency {incident.urgency}",
        f"Opened {when(incident.opened_at, zone)}",
        "",
        f"Open it: {link}",
    ]
    return "\n".join(lines)

"""The console's incident queue: the view computes each row's SLA clocks, the template renders."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.sla.factories import calendar_make, policy_make
from watchkeeper.incidents.services import incident_open
from watchkeeper.sla.services import sla_incident_reconcile

pytestmark = pytest.mark.django_db


def _open(world: Any, n: int) -> None:
    for i in range(n):
        incident = incident_open(
            client=world.a.client, service=world.a.service, title=f"Disk full {i}",
            impact="medium", urgency="medium", by="test",
        )  # fmt: skip
        sla_incident_reconcile(incident_id=incident.pk)


def test_queue_queries_do_not_grow_with_rows_that_have_sla_clocks(world: Any, browser_as: Any) -> None:
    calendar_make()
    policy_make(tier="standard")
    http = browser_as(world.owner)
    url = reverse("incidents:list")
    _open(world, 2)
    http.get(url)
    with CaptureQueriesContext(connection) as few:
        http.get(url)
    _open(world, 20)
    with CaptureQueriesContext(connection) as many:
        response = http.get(url)
    text = response.content.decode()
    assert "Disk full 19" in text and "sla-on_track" in text
    assert len(many) == len(few)
    rows = response.context["rows"]
    assert len(rows) == 22 + 2  # and the world's incident of each tenant
    assert all(clocks for incident, clocks, _overdue in rows if incident.title.startswith("Disk"))

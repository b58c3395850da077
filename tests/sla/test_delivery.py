"""The monthly report e-mail: once per client and month, PDF attached, report contacts only."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core import mail

from tests.sla.factories import policy_make
from tests.tenancy.factories import ContactFactory
from watchkeeper.engine.jobs import JOBS
from watchkeeper.sla.delivery import sla_reports_send
from watchkeeper.sla.models import ReportDelivery


def test_monthly_report_goes_once_to_report_contacts(world: Any) -> None:
    policy_make(tier="standard")
    ContactFactory(
        client=world.a.client, name="Finance", email="finance@alpha.example", receives_reports=True
    )
    ContactFactory(client=world.a.client, name="Desk", email="desk@alpha.example", receives_reports=False)
    now = dt.datetime(2026, 12, 1, 7, 0, tzinfo=dt.UTC)
    assert sla_reports_send(now=now) == 1
    (message,) = mail.outbox
    assert message.to == ["finance@alpha.example"] and "November 2026" in message.subject
    name, content, kind = message.attachments[0]
    assert kind == "application/pdf" and content[:4] == b"%PDF" and name == "sla-alpha-dental-2026-11.pdf"
    assert sla_reports_send(now=now + dt.timedelta(hours=1)) == 0
    assert set(ReportDelivery.objects.values_list("client__slug", "month")) == {
        ("alpha-dental", "2026-11"),
        ("bravo-logistics", "2026-11"),
    }


def test_clients_without_a_policy_get_no_report(world: Any) -> None:
    ContactFactory(
        client=world.a.client, name="Finance", email="finance@alpha.example", receives_reports=True
    )
    assert sla_reports_send(now=dt.datetime(2026, 12, 1, 7, 0, tzinfo=dt.UTC)) == 0
    assert not ReportDelivery.objects.exists()


def test_the_engine_runs_it() -> None:
    assert "sla.monthly_reports" in {job.name for job in JOBS}

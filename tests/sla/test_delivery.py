"""The monthly report e-mail: queued by the engine job once per client and month, rendered and
sent by the reports' outbox outside the job, PDF attached, report contacts only, with retries."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail

from tests.sla.factories import policy_make
from tests.tenancy.factories import ContactFactory
from watchkeeper.core import clock
from watchkeeper.engine import loop
from watchkeeper.engine.models import PeriodicJob
from watchkeeper.engine.outbox import outbox_claim, outbox_run_due
from watchkeeper.engine.registry import JOBS, OUTBOXES, SLA_REPORTS
from watchkeeper.sla import delivery
from watchkeeper.sla.delivery import MAX_ATTEMPTS, sla_reports_queue
from watchkeeper.sla.models import ReportDelivery, ReportState

DECEMBER_1 = dt.datetime(2026, 12, 1, 7, 0, tzinfo=dt.UTC)


@pytest.fixture
def alpha_reports(world: Any) -> Any:
    """Alpha has a report contact and a policy (by tier, as Bravo); Bravo's contact gets none."""
    policy_make(tier="standard")
    ContactFactory(
        client=world.a.client, name="Finance", email="finance@alpha.example", receives_reports=True
    )
    ContactFactory(client=world.a.client, name="Desk", email="desk@alpha.example", receives_reports=False)
    clock.freeze(DECEMBER_1)
    return world


def _states() -> set[tuple[str, str, str]]:
    return set(ReportDelivery.objects.values_list("client__slug", "month", "state"))


def test_monthly_report_goes_once_to_report_contacts(alpha_reports: Any) -> None:
    assert sla_reports_queue() == 1
    assert mail.outbox == []  # the job only queues: nothing rendered, nothing sent
    assert _states() == {
        ("alpha-dental", "2026-11", ReportState.PENDING),
        ("bravo-logistics", "2026-11", ReportState.NOBODY),
    }
    assert outbox_run_due(outbox=SLA_REPORTS) == 1
    (message,) = mail.outbox
    assert message.to == ["finance@alpha.example"] and "November 2026" in message.subject
    name, content, kind = message.attachments[0]
    assert kind == "application/pdf" and content[:4] == b"%PDF" and name == "sla-alpha-dental-2026-11.pdf"
    assert ReportDelivery.objects.get(client=alpha_reports.a.client).sent_at == DECEMBER_1

    clock.advance(dt.timedelta(hours=1))
    assert sla_reports_queue() == 0
    assert outbox_run_due(outbox=SLA_REPORTS) == 0
    assert len(mail.outbox) == 1
    assert ReportDelivery.objects.count() == 2


def test_clients_without_a_policy_get_no_report(world: Any) -> None:
    ContactFactory(
        client=world.a.client, name="Finance", email="finance@alpha.example", receives_reports=True
    )
    assert sla_reports_queue(now=DECEMBER_1) == 0
    assert not ReportDelivery.objects.exists()


def test_the_job_neither_renders_nor_sends(alpha_reports: Any, monkeypatch: Any) -> None:
    """Rendering and SMTP happen in delivery, so the job's transaction (SQLite's write lock) stays
    short; a report that cannot be rendered does not fail the job."""

    def broken(*_: Any, **__: Any) -> bytes:
        raise RuntimeError("renderer down")

    monkeypatch.setattr(delivery, "report_pdf", broken)
    job = next(job for job in JOBS if job.name == "sla.monthly_reports")
    assert loop.run_job(job) is True
    run = PeriodicJob.objects.get(name=job.name)
    assert (run.runs, run.failures, run.last_result) == (1, 0, "1 monthly SLA reports queued for e-mail")
    assert mail.outbox == []
    assert outbox_run_due(outbox=SLA_REPORTS) == 1  # delivery fails instead, and will retry
    assert "renderer down" in ReportDelivery.objects.get(client=alpha_reports.a.client).last_error


def test_a_failed_send_is_retried_with_backoff_then_parked(alpha_reports: Any, monkeypatch: Any) -> None:
    sends: list[int] = []

    def refused(self: Any, fail_silently: bool = False) -> int:
        sends.append(1)
        raise OSError("SMTP server unreachable")

    monkeypatch.setattr(delivery.EmailMessage, "send", refused)
    sla_reports_queue()
    assert outbox_run_due(outbox=SLA_REPORTS) == 1
    report = ReportDelivery.objects.get(client=alpha_reports.a.client)
    assert report.state == ReportState.PENDING and "SMTP server unreachable" in report.last_error
    assert report.due_at > DECEMBER_1  # backing off
    assert outbox_run_due(outbox=SLA_REPORTS) == 0
    for _ in range(MAX_ATTEMPTS):
        clock.advance(dt.timedelta(hours=1))
        outbox_run_due(outbox=SLA_REPORTS)
    report.refresh_from_db()
    assert report.state == ReportState.FAILED and report.attempts == MAX_ATTEMPTS
    assert len(sends) == MAX_ATTEMPTS and mail.outbox == []


def test_a_report_whose_engine_died_mid_send_is_sent_again(alpha_reports: Any) -> None:
    sla_reports_queue()
    (claimed,) = outbox_claim(outbox=SLA_REPORTS, now=clock.now())  # the engine then "crashed"
    assert outbox_run_due(outbox=SLA_REPORTS) == 0  # leased
    clock.advance(SLA_REPORTS.lease() + dt.timedelta(seconds=1))
    assert outbox_run_due(outbox=SLA_REPORTS) == 1
    assert len(mail.outbox) == 1
    # The first engine's late answer is fenced out: the row keeps the second engine's outcome.
    ReportDelivery.objects.filter(pk=claimed.pk).update(state=ReportState.SENDING, lease_owner="engine-b")
    delivery.sla_report_deliver(delivery=claimed, owner="engine-a")
    taken = ReportDelivery.objects.get(pk=claimed.pk)
    assert (taken.state, taken.lease_owner) == (ReportState.SENDING, "engine-b")


def test_the_engine_queues_then_delivers(alpha_reports: Any) -> None:
    """The story through the engine loop: one cycle runs the job, a later one the outbox."""
    assert SLA_REPORTS in OUTBOXES
    for _ in range(3):
        loop.run_cycle()
    assert [message.to for message in mail.outbox if message.attachments] == [["finance@alpha.example"]]
    assert ReportDelivery.objects.get(client=alpha_reports.a.client).state == ReportState.SENT

"""The monthly SLA report by e-mail: once the client's month is over, its PDF goes to the
client's contacts who receive reports. At least once: the mail is sent before the delivery row
commits, so a failure retries on the next run rather than skipping a month."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMessage

from watchkeeper.core import clock
from watchkeeper.sla.models import ReportDelivery, SlaPolicy
from watchkeeper.sla.render import report_pdf
from watchkeeper.sla.reports import report_build
from watchkeeper.tenancy.models import Client, Contact

BATCH = 20


def _last_month(today: dt.date) -> dt.date:
    return (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def _recipients(client: Client) -> list[str]:
    contacts = Contact.objects.filter(client=client, receives_reports=True).exclude(email="")
    return sorted(contacts.values_list("email", flat=True))


def _has_policy(client: Client) -> bool:
    return (
        SlaPolicy.objects.filter(client=client).exists()
        or SlaPolicy.objects.filter(client__isnull=True, tier=client.contract_tier).exists()
    )


def sla_reports_send(*, now: dt.datetime | None = None, batch: int = BATCH) -> int:
    """Send the reports that are due (at most `batch` per run); returns how many were sent."""
    now = now or clock.now()
    sent = 0
    for client in Client.objects.filter(is_active=True).order_by("pk"):
        month = _last_month(now.astimezone(ZoneInfo(client.timezone or "UTC")).date())
        label = month.strftime("%Y-%m")
        if ReportDelivery.objects.filter(client=client, month=label).exists() or not _has_policy(client):
            continue
        recipients = _recipients(client)
        if recipients:
            report = report_build(
                client=client, start=month, end=(month + dt.timedelta(days=32)).replace(day=1)
            )
            message = EmailMessage(
                subject=f"SLA report {report.label}: {client.name}",
                body=f"Attached is {client.name}'s SLA report for {report.label}.\n",
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=recipients,
            )
            message.attach(f"sla-{client.slug}-{label}.pdf", report_pdf(report), "application/pdf")
            message.send()
            sent += 1
        ReportDelivery.objects.create(client=client, month=label, recipients=recipients)
        if sent >= batch:
            break
    return sent
